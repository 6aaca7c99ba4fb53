import { describe, expect, it } from 'vitest';
import { log4jChange } from '../../testing/fixtures';
import {
  changeStateLabel,
  criterionLabel,
  targetLabel,
  waveLabel,
} from './changeFormat';

const waves = log4jChange.waves;

describe('fleet change words', () => {
  it('names states with their wave, numbered from 0 as the service does', () => {
    expect(changeStateLabel('wave-2-active', 2, waves)).toBe(
      'Wave 2 (silver) active',
    );
    expect(changeStateLabel('wave-0-complete', 0, waves)).toBe(
      'Wave 0 (platform) complete',
    );
    expect(changeStateLabel('paused', 2, waves)).toBe(
      'Paused in wave 2 (silver)',
    );
    expect(changeStateLabel('paused', 1, [])).toBe('Paused in wave 1');
    expect(changeStateLabel('done', null, waves)).toBe('Done');
    expect(waveLabel(null, waves)).toBe('—');
  });

  it('names criteria and targets', () => {
    expect(criterionLabel('maxFailedShare')).toBe('Failed share');
    expect(criterionLabel('someday')).toBe('someday');
    expect(targetLabel(log4jChange.target)).toBe('log4j-core <2.17.1');
    expect(targetLabel({ check: 'java-17' })).toBe('check java-17');
  });
});
