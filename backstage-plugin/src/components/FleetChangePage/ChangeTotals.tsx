import Box from '@material-ui/core/Box';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import type { WaveCounts } from '../../api/types';
import { failedCount, openCount, scopeCount } from './changeFormat';

const Tile = ({ label, value }: { label: string; value: number }) => (
  <Paper variant="outlined" style={{ padding: '8px 16px', minWidth: 110 }}>
    <Typography variant="overline" component="p" color="textSecondary">
      {label}
    </Typography>
    <Typography variant="h5" component="p" aria-label={`${label}: ${value}`}>
      {value}
    </Typography>
  </Paper>
);

/** The change's outcome counts over every wave. */
export const ChangeTotals = ({ totals }: { totals: WaveCounts }) => (
  <Box
    display="flex"
    flexWrap="wrap"
    style={{ gap: 12 }}
    data-testid="change-totals"
  >
    <Tile label="Components" value={scopeCount(totals)} />
    <Tile label="Merged" value={totals.merged} />
    <Tile label="Open" value={openCount(totals)} />
    <Tile label="Failed" value={failedCount(totals)} />
    <Tile label="Pending" value={totals.pending} />
    <Tile label="Planned" value={totals.planned} />
    {totals.closedUnmerged > 0 && (
      <Tile label="Closed unmerged" value={totals.closedUnmerged} />
    )}
    {totals.dropped > 0 && <Tile label="Dropped" value={totals.dropped} />}
  </Box>
);
