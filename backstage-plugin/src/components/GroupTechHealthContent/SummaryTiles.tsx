import Box from '@material-ui/core/Box';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import type { GroupSummary } from '../../api/types';
import { formatPercent } from '../common';

const Tile = ({
  label,
  value,
  detail,
}: {
  label: string;
  value: string;
  detail?: string;
}) => (
  <Paper variant="outlined" style={{ padding: 16, minWidth: 160 }}>
    <Typography variant="overline" component="p" color="textSecondary">
      {label}
    </Typography>
    <Typography variant="h4" component="p" aria-label={`${label}: ${value}`}>
      {value}
    </Typography>
    {detail && (
      <Typography variant="caption" color="textSecondary">
        {detail}
      </Typography>
    )}
  </Paper>
);

/** Components, golden share and eligible share of a group at a glance. */
export const SummaryTiles = ({ summary }: { summary: GroupSummary }) => (
  <Box display="flex" flexWrap="wrap" style={{ gap: 16 }}>
    <Tile label="Components" value={String(summary.components)} />
    <Tile
      label="Golden"
      value={formatPercent(summary.goldenPercent)}
      detail={`${summary.golden} of ${summary.components} components`}
    />
    <Tile
      label="Eligible"
      value={formatPercent(summary.eligiblePercent)}
      detail={`${summary.eligible} of ${summary.components} for automated fleet changes`}
    />
  </Box>
);
