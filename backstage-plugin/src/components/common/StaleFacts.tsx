import { WarningPanel } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import type { StaleFacts } from '../../api/types';
import { formatRelative, formatTimestamp } from './format';

/** Facts a collector could not refresh: they still count, but say so and why. */
export const StaleFactsNotice = ({ stale }: { stale: StaleFacts[] }) => {
  if (stale.length === 0) {
    return null;
  }
  return (
    <WarningPanel
      defaultExpanded
      title={`Some facts could not be refreshed (${stale.map(s => s.collector).join(', ')})`}
    >
      {stale.map(s => (
        <Typography key={s.collector} variant="body2">
          <strong>{s.collector}</strong>: {s.reason} — stale since{' '}
          <time dateTime={s.since} title={formatTimestamp(s.since)}>
            {formatRelative(s.since)}
          </time>
          ; the last facts, observed {formatRelative(s.observedAt)}, still
          count.
        </Typography>
      ))}
    </WarningPanel>
  );
};
