import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import type { ChangeWave, WaveCounts } from '../../api/types';
import { formatTimestamp } from '../common';
import { CriteriaChecklist } from './CriteriaChecklist';
import { StateChip } from './StateChip';
import { failedCount, openCount } from './changeFormat';

const WAVE_STATES: Record<string, string> = {
  planned: 'Planned',
  active: 'Active',
  paused: 'Paused',
  complete: 'Complete',
  stopped: 'Stopped',
};

/** "4 merged, 1 open, 2 failed, 3 pending of 10" — or "6 planned" before the wave starts. */
export function countsText(c: WaveCounts): string {
  if (c.active === 0) {
    const planned = `${c.planned} planned`;
    return c.dropped > 0 ? `${planned}, ${c.dropped} dropped` : planned;
  }
  const parts = [
    `${c.merged} merged`,
    `${openCount(c)} open`,
    `${failedCount(c)} failed`,
    `${c.pending} pending`,
  ];
  if (c.closedUnmerged > 0) parts.push(`${c.closedUnmerged} closed unmerged`);
  const text = `${parts.join(', ')} of ${c.active}`;
  return c.dropped > 0 ? `${text}; ${c.dropped} dropped` : text;
}

const When = ({ wave }: { wave: ChangeWave }) => {
  if (!wave.startedAt) {
    return <>Not started</>;
  }
  return (
    <>
      Started {formatTimestamp(wave.startedAt)}
      {wave.completedAt && (
        <>
          <br />
          Completed {formatTimestamp(wave.completedAt)}
        </>
      )}
    </>
  );
};

/** The waves as rows: state, timeline, outcome counts and each criterion's light. */
export const WaveRows = ({ waves }: { waves: ChangeWave[] }) => (
  <Table size="small" aria-label="Waves">
    <TableHead>
      <TableRow>
        <TableCell>Wave</TableCell>
        <TableCell>State</TableCell>
        <TableCell>When</TableCell>
        <TableCell>Outcomes</TableCell>
        <TableCell>Criteria</TableCell>
      </TableRow>
    </TableHead>
    <TableBody>
      {waves.map(wave => (
        <TableRow
          key={wave.index}
          data-testid={`wave-${wave.index}`}
          data-state={wave.state}
          style={{ verticalAlign: 'top' }}
        >
          <TableCell>
            <Typography variant="subtitle2" component="p">
              {wave.index}. {wave.name}
            </Typography>
            {wave.description && (
              <Typography variant="caption" color="textSecondary">
                {wave.description}
              </Typography>
            )}
          </TableCell>
          <TableCell>
            <StateChip
              state={wave.state}
              label={WAVE_STATES[wave.state] ?? wave.state}
            />
          </TableCell>
          <TableCell style={{ whiteSpace: 'nowrap' }}>
            <Typography variant="body2" component="span">
              <When wave={wave} />
            </Typography>
          </TableCell>
          <TableCell>
            <Typography variant="body2">{countsText(wave.counts)}</Typography>
          </TableCell>
          <TableCell>
            <CriteriaChecklist criteria={wave.criteria} />
          </TableCell>
        </TableRow>
      ))}
    </TableBody>
  </Table>
);
