import { describe, expect, it } from 'vitest';
import { log4jBurnup } from '../../testing/fixtures';
import {
  BURNUP_BOX,
  burnupScale,
  countTicks,
  stepPath,
} from './burnupGeometry';

const { left, right, top, bottom, width, height } = BURNUP_BOX;

describe('burn-up geometry', () => {
  it('spreads outcomes over time and counts from 0 up to the scope', () => {
    const points = [
      { at: '2026-12-01T09:00:00Z', merged: 0, failed: 0, opened: 1 },
      { at: '2026-12-01T10:00:00Z', merged: 1, failed: 0, opened: 2 },
      { at: '2026-12-01T13:00:00Z', merged: 4, failed: 1, opened: 1 },
    ];
    const scale = burnupScale(points, 8);
    expect(scale.max).toBe(8);
    expect(scale.x(points[0].at)).toBe(left);
    expect(scale.x(points[1].at)).toBeCloseTo(
      left + (width - left - right) / 4,
      1,
    );
    expect(scale.x(points[2].at)).toBe(width - right);
    expect(scale.y(0)).toBe(height - bottom);
    expect(scale.y(8)).toBe(top);
    // Each count holds until the next outcome: horizontal, then vertical.
    expect(stepPath(points, p => p.merged, scale)).toBe(
      `M${left},${scale.y(0)} H${scale.x(points[1].at)} V${scale.y(1)} H${width - right} V${scale.y(4)}`,
    );
  });

  it('raises the axis above the scope when a count passes it', () => {
    const scale = burnupScale(log4jBurnup, 2);
    expect(scale.max).toBe(4); // four pull requests open at once in wave 2
    expect(scale.y(4)).toBe(top);
  });

  it('centres a single outcome', () => {
    const scale = burnupScale([log4jBurnup[0]], 7);
    expect(scale.x(log4jBurnup[0].at)).toBe(left + (width - left - right) / 2);
  });

  it('puts whole-number gridlines from 0 to the top', () => {
    expect(countTicks(7)).toEqual([0, 2, 4, 6]);
    expect(countTicks(3)).toEqual([0, 1, 2, 3]);
    expect(countTicks(1)).toEqual([0, 1]);
    expect(countTicks(14)).toEqual([0, 4, 8, 12]);
    expect(countTicks(15)).toEqual([0, 4, 8, 12, 15]);
  });
});
