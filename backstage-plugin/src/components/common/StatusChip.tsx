import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import type { Status } from '../../api/types';
import { statusLabel } from './format';

const useStyles = makeStyles(theme => ({
  pass: {
    backgroundColor: theme.palette.success?.main ?? '#2e7d32',
    color: theme.palette.common.white,
  },
  fail: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.common.white,
  },
  unknown: {
    backgroundColor: theme.palette.warning?.main ?? '#ed6c02',
    color: theme.palette.common.black,
  },
  exempt: {
    backgroundColor: theme.palette.info?.main ?? '#0288d1',
    color: theme.palette.common.white,
  },
  notApplicable: {},
}));

/** A check result as a coloured chip; the text carries the meaning, not only the colour. */
export const StatusChip = ({ status }: { status: Status }) => {
  const classes = useStyles();
  const className =
    status === 'not-applicable' ? classes.notApplicable : classes[status];
  return (
    <Chip
      size="small"
      label={statusLabel(status)}
      className={className}
      data-status={status}
    />
  );
};
