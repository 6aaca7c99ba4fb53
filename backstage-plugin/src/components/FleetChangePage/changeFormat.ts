import type {
  ChangeOutcome,
  ChangeTarget,
  ChangeWavePlan,
  WaveCounts,
} from '../../api/types';

/** "Wave 2 (canary)": waves are numbered from 0, as in the service's own messages. */
export function waveLabel(
  index: number | null | undefined,
  waves: Pick<ChangeWavePlan, 'name'>[],
): string {
  if (index === null || index === undefined) {
    return '—';
  }
  const name = waves[index]?.name;
  return name ? `Wave ${index} (${name})` : `Wave ${index}`;
}

/**
 * A change's state in words: `wave-2-active` → "Wave 2 (canary) active", `paused` with wave 2
 * → "Paused in wave 2 (canary)".
 */
export function changeStateLabel(
  state: string,
  wave: number | null | undefined,
  waves: Pick<ChangeWavePlan, 'name'>[],
): string {
  const phase = /^wave-(\d+)-(active|complete)$/.exec(state);
  if (phase) {
    return `${waveLabel(Number(phase[1]), waves)} ${phase[2]}`;
  }
  switch (state) {
    case 'paused':
      return wave === null || wave === undefined
        ? 'Paused'
        : `Paused in ${waveLabel(wave, waves).replace(/^W/, 'w')}`;
    case 'planned':
      return 'Planned';
    case 'cancelled':
      return 'Cancelled';
    case 'done':
      return 'Done';
    default:
      return state;
  }
}

/** How a state reads at a glance: running, stopped by a pause, finished, not started. */
export function stateTone(
  state: string,
): 'running' | 'paused' | 'finished' | 'idle' {
  if (state === 'paused') return 'paused';
  if (state === 'done' || state === 'complete') return 'finished';
  if (state === 'cancelled' || state === 'stopped' || state === 'planned')
    return 'idle';
  return 'running';
}

const CRITERIA: Record<string, string> = {
  minSoakMinutes: 'Soak time',
  minMergedShare: 'Merged share',
  maxFailedShare: 'Failed share',
  checksAfter: 'Checks after merge',
  manual: 'Paused by hand',
};

/** `minMergedShare` → "Merged share"; unknown criteria keep their id. */
export function criterionLabel(criterion: string): string {
  return CRITERIA[criterion] ?? criterion;
}

/** "log4j-core <2.17.1", or "check java-17". */
export function targetLabel(target: ChangeTarget): string {
  if (target.technology) {
    return [target.technology, target.version].filter(Boolean).join(' ');
  }
  if (target.check) {
    return `check ${target.check}`;
  }
  return '—';
}

const OUTCOMES: Record<ChangeOutcome, string> = {
  opened: 'Opened',
  merged: 'Merged',
  'ci-failed': 'CI failed',
  'closed-unmerged': 'Closed unmerged',
  reverted: 'Reverted',
};

export function outcomeLabel(outcome: ChangeOutcome | null | undefined) {
  return outcome ? OUTCOMES[outcome] : 'No pull request yet';
}

/** Changes still open: opened, or open with CI failing. */
export const openCount = (c: WaveCounts) => c.opened + c.ciFailed;

/** Changes that count as failures: CI failed or reverted. */
export const failedCount = (c: WaveCounts) => c.ciFailed + c.reverted;

/** Components in the change's scope: started (active) or still to start (planned). */
export const scopeCount = (c: WaveCounts) => c.active + c.planned;
