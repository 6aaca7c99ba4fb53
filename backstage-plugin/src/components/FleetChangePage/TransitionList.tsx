import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import type { ChangeTransition } from '../../api/types';
import { formatTimestamp } from '../common';

/** Every move of the change, newest first: when, from what to what, who and why. */
export const TransitionList = ({
  transitions,
}: {
  transitions: ChangeTransition[];
}) => (
  <Table size="small" aria-label="Transitions">
    <TableHead>
      <TableRow>
        <TableCell>When</TableCell>
        <TableCell>From → to</TableCell>
        <TableCell>By</TableCell>
        <TableCell>Why</TableCell>
      </TableRow>
    </TableHead>
    <TableBody>
      {[...transitions].reverse().map((t, index) => (
        <TableRow key={`${t.at}:${t.to}:${index}`}>
          <TableCell style={{ whiteSpace: 'nowrap' }}>
            {formatTimestamp(t.at)}
          </TableCell>
          <TableCell style={{ whiteSpace: 'nowrap' }}>
            {t.from} → {t.to}
          </TableCell>
          <TableCell>{t.actor}</TableCell>
          <TableCell>{t.reason}</TableCell>
        </TableRow>
      ))}
    </TableBody>
  </Table>
);
