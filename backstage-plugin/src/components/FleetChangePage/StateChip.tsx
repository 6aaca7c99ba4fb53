import Chip from '@material-ui/core/Chip';
import { makeStyles } from '@material-ui/core/styles';
import { stateTone } from './changeFormat';

const useStyles = makeStyles(theme => ({
  running: {
    backgroundColor: theme.palette.info?.main ?? '#0288d1',
    color: theme.palette.common.white,
  },
  paused: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.common.white,
  },
  finished: {
    backgroundColor: theme.palette.success?.main ?? '#2e7d32',
    color: theme.palette.common.white,
  },
  idle: {},
}));

/** A change's or a wave's state as a chip; the text carries the meaning. */
export const StateChip = ({
  state,
  label,
}: {
  state: string;
  label: string;
}) => {
  const classes = useStyles();
  return (
    <Chip
      size="small"
      label={label}
      className={classes[stateTone(state)]}
      data-state={state}
    />
  );
};
