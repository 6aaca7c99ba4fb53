import { makeStyles } from '@material-ui/core/styles';
import Typography from '@material-ui/core/Typography';
import type { ChangeTransition } from '../../api/types';
import { formatTimestamp } from '../common';

const useStyles = makeStyles(theme => ({
  list: { listStyle: 'none', margin: 0, padding: 0 },
  item: {
    padding: theme.spacing(1, 0),
    borderBottom: `1px solid ${theme.palette.divider}`,
    '&:last-child': { borderBottom: 'none' },
  },
}));

/** Every move of the change, newest first: from what to what, when, by whom and why. */
export const TransitionList = ({
  transitions,
}: {
  transitions: ChangeTransition[];
}) => {
  const classes = useStyles();
  return (
    <ol className={classes.list} aria-label="Transitions">
      {[...transitions].reverse().map((t, index) => (
        <li key={`${t.at}:${t.to}:${index}`} className={classes.item}>
          <Typography variant="body2">
            <strong>
              {t.from} → {t.to}
            </strong>
          </Typography>
          <Typography variant="caption" color="textSecondary" component="p">
            {formatTimestamp(t.at)} · {t.actor}
          </Typography>
          <Typography variant="body2">{t.reason}</Typography>
        </li>
      ))}
    </ol>
  );
};
