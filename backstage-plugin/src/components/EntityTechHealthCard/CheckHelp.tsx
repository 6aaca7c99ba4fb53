import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import type { CheckResult } from '../../api/types';

/** A check's how-to-fix text and links. */
export const CheckHelp = ({ check }: { check: CheckResult }) => (
  <Box>
    {check.howToFix && (
      <Typography variant="body2" style={{ whiteSpace: 'pre-line' }}>
        <strong>How to fix: </strong>
        {check.howToFix}
      </Typography>
    )}
    {check.links.length > 0 && (
      <Box component="ul" m={0} pl={2.5} aria-label={`Links for ${check.name}`}>
        {check.links.map(link => (
          <li key={link.url}>
            <Typography variant="body2" component="span">
              <Link to={link.url}>{link.title}</Link>
            </Typography>
          </li>
        ))}
      </Box>
    )}
  </Box>
);
