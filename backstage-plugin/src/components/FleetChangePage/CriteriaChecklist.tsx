import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import ScheduleIcon from '@material-ui/icons/Schedule';
import type { CriterionStatus, WaveCriterion } from '../../api/types';
import { ComponentList } from './ComponentList';
import { criterionLabel } from './changeFormat';

const useStyles = makeStyles(theme => ({
  list: { listStyle: 'none', margin: 0, padding: 0 },
  item: {
    display: 'flex',
    alignItems: 'flex-start',
    gap: theme.spacing(1),
    padding: theme.spacing(0.25, 0),
  },
  green: { color: theme.palette.success?.main ?? '#2e7d32' },
  amber: { color: theme.palette.warning?.main ?? '#ed6c02' },
  red: { color: theme.palette.error.main },
}));

const WORDS: Record<CriterionStatus, string> = {
  green: 'holds',
  amber: 'not yet',
  red: 'crossed',
};

const StatusIcon = ({ status }: { status: CriterionStatus }) => {
  const classes = useStyles();
  const props = {
    fontSize: 'small' as const,
    className: classes[status],
    titleAccess: WORDS[status],
  };
  if (status === 'green') return <CheckCircleIcon {...props} />;
  if (status === 'red') return <ErrorIcon {...props} />;
  return <ScheduleIcon {...props} />;
};

/** A wave's criteria as a green / amber / red checklist, with the components behind each. */
export const CriteriaChecklist = ({
  criteria,
}: {
  criteria: WaveCriterion[];
}) => {
  const classes = useStyles();
  return (
    <ul className={classes.list} aria-label="Criteria">
      {criteria.map(item => (
        <li
          key={item.criterion}
          className={classes.item}
          data-status={item.status}
          aria-label={`${criterionLabel(item.criterion)}: ${item.status}`}
        >
          <StatusIcon status={item.status} />
          <div>
            <Typography variant="body2">
              <strong>{criterionLabel(item.criterion)}</strong>: {item.message}
            </Typography>
            <ComponentList refs={item.components} />
          </div>
        </li>
      ))}
    </ul>
  );
};
