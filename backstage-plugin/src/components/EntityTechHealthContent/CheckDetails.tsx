import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { CheckResult } from '../../api/types';
import { formatFactValue, formatTimestamp } from '../common';
import { CheckHelp } from '../EntityTechHealthCard/CheckHelp';

const FactsTable = ({ check }: { check: CheckResult }) => {
  const names = Object.keys(check.facts);
  if (names.length === 0 && check.missingFacts.length === 0) {
    return null;
  }
  return (
    <Table size="small" aria-label={`Facts read by ${check.name}`}>
      <TableBody>
        {names.map(name => (
          <TableRow key={name}>
            <TableCell component="th" scope="row">
              <code>{name}</code>
            </TableCell>
            <TableCell>
              <code>{formatFactValue(check.facts[name])}</code>
            </TableCell>
          </TableRow>
        ))}
        {check.missingFacts.map(name => (
          <TableRow key={name} data-testid={`missing-fact-${name}`}>
            <TableCell component="th" scope="row">
              <code>{name}</code>
            </TableCell>
            <TableCell>
              <Typography variant="body2" color="error" component="span">
                missing — no collector has reported this fact
              </Typography>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
};

/** Everything known about one check's result: facts, exemption, how to fix. */
export const CheckDetails = ({ check }: { check: CheckResult }) => (
  <Box display="flex" flexDirection="column" width="100%" style={{ gap: 12 }}>
    {check.description && (
      <Typography variant="body2">{check.description}</Typography>
    )}
    <Typography variant="body2" color="textSecondary">
      {check.message}
    </Typography>
    {check.exemption && (
      <Box data-testid={`exemption-${check.id}`}>
        <Typography variant="subtitle2" component="h4">
          Exempt
        </Typography>
        <Typography variant="body2">
          “{check.exemption.justification}” — {check.exemption.author}, until{' '}
          <time dateTime={check.exemption.expires}>
            {formatTimestamp(check.exemption.expires)}
          </time>
        </Typography>
      </Box>
    )}
    <FactsTable check={check} />
    {(check.status === 'fail' || check.status === 'unknown') && (
      <CheckHelp check={check} />
    )}
  </Box>
);
