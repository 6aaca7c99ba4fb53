import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import useAsync from 'react-use/esm/useAsync';
import { techHealthApiRef } from '../../api/TechHealthApi';
import { changeRouteRef } from '../../routes';
import { useOptionalRouteRef } from '../common';
import { StateChip } from '../FleetChangePage/StateChip';
import {
  changeStateLabel,
  failedCount,
  openCount,
  scopeCount,
  targetLabel,
} from '../FleetChangePage/changeFormat';

/** The open fleet changes touching the group's components, with the group's own counts. */
export const GroupChangesCard = ({
  groupRef,
  groupName,
}: {
  groupRef: string;
  groupName: string;
}) => {
  const api = useApi(techHealthApiRef);
  // Where the app has not mounted the change page, the names are shown as text.
  const route = useOptionalRouteRef(changeRouteRef);
  const { loading, error, value } = useAsync(
    () => api.getChanges({ team: groupRef, open: true }),
    [api, groupRef],
  );

  let body: React.ReactNode;
  if (loading) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel
        error={error}
        title={`Could not load the fleet changes: ${error.message}`}
      />
    );
  } else if (!value || value.length === 0) {
    body = (
      <Typography variant="body2" color="textSecondary">
        No open fleet change touches {groupName}'s components.
      </Typography>
    );
  } else {
    body = (
      <Table size="small" aria-label="Open fleet changes">
        <TableHead>
          <TableRow>
            <TableCell>Change</TableCell>
            <TableCell>State</TableCell>
            <TableCell align="right">Components</TableCell>
            <TableCell align="right">Merged</TableCell>
            <TableCell align="right">Open</TableCell>
            <TableCell align="right">Failed</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {value.map(change => {
            const counts = change.team ?? change.totals;
            return (
              <TableRow key={change.id} data-testid={`change-${change.id}`}>
                <TableCell>
                  {route ? (
                    <Link to={route({ changeId: change.id })}>
                      {change.name}
                    </Link>
                  ) : (
                    change.name
                  )}
                  <Typography
                    variant="caption"
                    color="textSecondary"
                    component="p"
                  >
                    {targetLabel(change.target)}
                  </Typography>
                </TableCell>
                <TableCell>
                  <StateChip
                    state={change.state}
                    label={changeStateLabel(change.state, change.wave, [])}
                  />
                </TableCell>
                <TableCell align="right">{scopeCount(counts)}</TableCell>
                <TableCell align="right">{counts.merged}</TableCell>
                <TableCell align="right">{openCount(counts)}</TableCell>
                <TableCell align="right">{failedCount(counts)}</TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    );
  }
  return (
    <InfoCard
      title="Fleet changes"
      subheader={`Open changes to ${groupName}'s components`}
    >
      {body}
    </InfoCard>
  );
};
