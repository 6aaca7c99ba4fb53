import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import BlockIcon from '@material-ui/icons/Block';
import type { Eligibility } from '../../api/types';
import { BlockingReasons } from '../common';

/** May automated fleet changes reach this entity, in which wave, and if not, why not. */
export const EligibilitySummary = ({
  eligibility,
}: {
  eligibility: Eligibility;
}) => (
  <Box data-testid="eligibility">
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      {eligibility.eligible ? (
        <CheckCircleIcon fontSize="small" htmlColor="#2e7d32" aria-hidden />
      ) : (
        <BlockIcon fontSize="small" color="error" aria-hidden />
      )}
      <Typography variant="body2">
        {eligibility.eligible
          ? `Eligible for automated fleet changes${
              eligibility.wave !== null ? ` (wave ${eligibility.wave})` : ''
            }`
          : 'Blocked from automated fleet changes'}
      </Typography>
    </Box>
    <BlockingReasons blocking={eligibility.blocking} />
  </Box>
);
