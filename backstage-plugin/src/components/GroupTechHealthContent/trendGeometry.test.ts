import { describe, expect, it } from 'vitest';
import { paymentsTrend } from '../../testing/fixtures';
import { DEFAULT_BOX, gridY, linePath, seriesPositions } from './trendGeometry';

describe('trend geometry', () => {
  it('spreads points over the calendar days and maps 0..100% bottom to top', () => {
    const points = [
      { ...paymentsTrend.points[0], date: '2026-11-01', goldenPercent: 0 },
      { ...paymentsTrend.points[0], date: '2026-11-02', goldenPercent: 50 },
      { ...paymentsTrend.points[0], date: '2026-11-05', goldenPercent: 100 },
    ];
    const positions = seriesPositions(points, p => p.goldenPercent);
    const { left, right, width } = DEFAULT_BOX;
    expect(positions[0]).toEqual({ x: left, y: gridY(0) });
    expect(positions[1].x).toBeCloseTo(left + (width - left - right) / 4, 1);
    expect(positions[1].y).toBe(gridY(50));
    expect(positions[2]).toEqual({ x: width - right, y: gridY(100) });
    expect(linePath(positions)).toMatch(/^M44,\S+ L\S+ L\S+$/);
  });

  it('centres a single snapshot', () => {
    const [only] = seriesPositions(
      [paymentsTrend.points[0]],
      p => p.eligiblePercent,
    );
    const { left, right, width } = DEFAULT_BOX;
    expect(only.x).toBe(left + (width - left - right) / 2);
  });
});
