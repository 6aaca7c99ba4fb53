import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import type { CheckResult } from '../../api/types';
import { StatusChip } from '../common';
import { CheckDetails } from './CheckDetails';

/** Checks as expandable rows: status and name first, details on demand. */
export const CheckList = ({
  checks,
  idPrefix,
}: {
  checks: CheckResult[];
  idPrefix: string;
}) => (
  <Box>
    {checks.map(check => {
      const id = `${idPrefix}-${check.id}`;
      return (
        <Accordion key={check.id} TransitionProps={{ unmountOnExit: true }}>
          <AccordionSummary
            expandIcon={<ExpandMoreIcon />}
            id={`${id}-header`}
            aria-controls={`${id}-details`}
          >
            <Box display="flex" alignItems="center" style={{ gap: 12 }}>
              <StatusChip status={check.status} />
              <Typography variant="body1">{check.name}</Typography>
              {check.severity === 'warning' && (
                <Typography variant="caption" color="textSecondary">
                  warning
                </Typography>
              )}
            </Box>
          </AccordionSummary>
          <AccordionDetails id={`${id}-details`}>
            <CheckDetails check={check} />
          </AccordionDetails>
        </Accordion>
      );
    })}
  </Box>
);
