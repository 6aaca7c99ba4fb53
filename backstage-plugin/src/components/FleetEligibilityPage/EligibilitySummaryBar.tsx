import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Typography from '@material-ui/core/Typography';
import type { EligibilitySummary } from '../../api/types';

/** Totals over every matching row (not only the page shown), and blocking reasons by code. */
export const EligibilitySummaryBar = ({
  summary,
}: {
  summary: EligibilitySummary;
}) => {
  const reasons = Object.entries(summary.byReason).sort((a, b) => b[1] - a[1]);
  return (
    <Box data-testid="eligibility-summary">
      <Typography variant="body1">
        <strong>{summary.total}</strong> components:{' '}
        <strong>{summary.eligible}</strong> eligible,{' '}
        <strong>{summary.blocked}</strong> blocked
      </Typography>
      {reasons.length > 0 && (
        <Box
          display="flex"
          flexWrap="wrap"
          mt={1}
          style={{ gap: 8 }}
          aria-label="Blocked components by reason"
          role="list"
        >
          {reasons.map(([code, count]) => (
            <Chip
              role="listitem"
              key={code}
              size="small"
              variant="outlined"
              label={`${code}: ${count}`}
            />
          ))}
        </Box>
      )}
    </Box>
  );
};
