import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { CheckResult } from '../../api/types';
import { StatusChip } from '../common';
import { CheckHelp } from './CheckHelp';

/** Checks that fail or cannot be decided, error severity first. */
export function failingChecks(checks: CheckResult[]): CheckResult[] {
  return checks
    .filter(check => check.status === 'fail' || check.status === 'unknown')
    .sort(
      (a, b) =>
        Number(a.severity === 'warning') - Number(b.severity === 'warning'),
    );
}

/** What fails, why, and how to fix it. */
export const FailingChecks = ({ checks }: { checks: CheckResult[] }) => {
  const failing = failingChecks(checks);
  if (failing.length === 0) {
    return (
      <Typography variant="body2">Every applicable check passes.</Typography>
    );
  }
  return (
    <Box component="ul" m={0} p={0} style={{ listStyle: 'none' }}>
      {failing.map(check => (
        <Box
          component="li"
          key={check.id}
          mb={2}
          data-testid={`failing-${check.id}`}
        >
          <Box display="flex" alignItems="center" style={{ gap: 8 }}>
            <StatusChip status={check.status} />
            <Typography variant="subtitle2" component="h4">
              {check.name}
            </Typography>
            {check.severity === 'warning' && (
              <Typography variant="caption" color="textSecondary">
                warning
              </Typography>
            )}
          </Box>
          <Typography variant="body2" color="textSecondary">
            {check.message}
          </Typography>
          <CheckHelp check={check} />
        </Box>
      ))}
    </Box>
  );
};
