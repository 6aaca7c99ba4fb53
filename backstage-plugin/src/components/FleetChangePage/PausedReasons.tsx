import { WarningPanel } from '@backstage/core-components';
import Typography from '@material-ui/core/Typography';
import type { PauseReason } from '../../api/types';
import { ComponentList } from './ComponentList';
import { criterionLabel } from './changeFormat';

/** Why the change is paused: each crossed criterion (its message names the wave) and the
 * components behind it. */
export const PausedReasons = ({ reasons }: { reasons: PauseReason[] }) => {
  if (reasons.length === 0) {
    return null;
  }
  return (
    <WarningPanel
      severity="error"
      defaultExpanded
      title={`Paused: ${reasons.length} reason${reasons.length === 1 ? '' : 's'}`}
    >
      <ul aria-label="Paused reasons" style={{ margin: 0, paddingLeft: 20 }}>
        {reasons.map(reason => (
          <li key={`${reason.criterion}:${reason.wave}:${reason.message}`}>
            <Typography variant="body2">
              <strong>{criterionLabel(reason.criterion)}</strong>:{' '}
              {reason.message}
            </Typography>
            <ComponentList refs={reason.components} />
          </li>
        ))}
      </ul>
    </WarningPanel>
  );
};
