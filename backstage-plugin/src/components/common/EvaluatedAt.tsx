import Typography from '@material-ui/core/Typography';
import { formatRelative, formatTimestamp } from './format';

/** "Evaluated 5 minutes ago", with the exact time in a `<time>` element. */
export const EvaluatedAt = ({ at }: { at: string }) => (
  <Typography variant="caption" color="textSecondary">
    Evaluated{' '}
    <time dateTime={at} title={formatTimestamp(at)}>
      {formatRelative(at)}
    </time>
  </Typography>
);
