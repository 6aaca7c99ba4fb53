import { Link } from '@backstage/core-components';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { ChangeComponent, ChangeTeam } from '../../api/types';
import { EntityLink, shortRef } from '../common';
import { failedCount, openCount, outcomeLabel } from './changeFormat';

/** Where a component stands, in words: its outcome, or why it has none. */
function standing(member: ChangeComponent): string {
  if (member.state === 'planned') return `planned, wave ${member.wave}`;
  if (member.state === 'dropped') {
    return member.reasons.length > 0
      ? `dropped: ${member.reasons.join('; ')}`
      : 'dropped';
  }
  return outcomeLabel(member.outcome).toLocaleLowerCase('en-US');
}

const Member = ({ member }: { member: ChangeComponent }) => (
  <li data-outcome={member.outcome ?? member.state}>
    <Typography variant="body2" component="span">
      <EntityLink entityRef={member.entity} />{' '}
      <Typography variant="caption" color="textSecondary" component="span">
        ({standing(member)})
      </Typography>
      {member.prUrl && (
        <>
          {' '}
          <Link to={member.prUrl}>pull request</Link>
        </>
      )}
    </Typography>
  </li>
);

/** The components of the change per owning team, with each team's counts. */
export const TeamComponents = ({
  teams,
  components,
}: {
  teams: ChangeTeam[];
  components: ChangeComponent[];
}) => (
  <Table size="small" aria-label="Components per team">
    <TableHead>
      <TableRow>
        <TableCell>Team</TableCell>
        <TableCell>Components</TableCell>
        <TableCell align="right">Merged</TableCell>
        <TableCell align="right">Open</TableCell>
        <TableCell align="right">Failed</TableCell>
        <TableCell align="right">Pending</TableCell>
        <TableCell align="right">Planned</TableCell>
      </TableRow>
    </TableHead>
    <TableBody>
      {teams.map(team => {
        const owner = team.owner ?? null;
        const members = components.filter(c => (c.owner ?? null) === owner);
        return (
          <TableRow
            key={owner ?? '(none)'}
            data-testid={`team-${shortRef(owner)}`}
            style={{ verticalAlign: 'top' }}
          >
            <TableCell>
              {owner ? <EntityLink entityRef={owner} /> : 'No owner'}
            </TableCell>
            <TableCell>
              <ul style={{ margin: 0, paddingLeft: 16 }}>
                {members.map(member => (
                  <Member key={member.entity} member={member} />
                ))}
              </ul>
            </TableCell>
            <TableCell align="right">{team.merged}</TableCell>
            <TableCell align="right">{openCount(team)}</TableCell>
            <TableCell align="right">{failedCount(team)}</TableCell>
            <TableCell align="right">{team.pending}</TableCell>
            <TableCell align="right">{team.planned}</TableCell>
          </TableRow>
        );
      })}
    </TableBody>
  </Table>
);
