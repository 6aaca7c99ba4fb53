import type { TrendPoint } from '../../api/types';
import type { ChartBox } from '../common/chartGeometry';
import { plotX, plotY, roundTenth } from '../common/chartGeometry';

export const DEFAULT_BOX: ChartBox = {
  width: 640,
  height: 220,
  left: 44,
  right: 16,
  top: 12,
  bottom: 28,
};

const DAY = 24 * 3600 * 1000;

function dayNumber(date: string): number {
  return Math.round(Date.parse(`${date}T00:00:00Z`) / DAY);
}

/**
 * Screen positions of a percentage series over the points' dates: x by calendar day (gaps
 * between snapshots stay visible), y from 0% at the bottom to 100% at the top.
 */
export function seriesPositions(
  points: TrendPoint[],
  value: (point: TrendPoint) => number,
  box: ChartBox = DEFAULT_BOX,
): { x: number; y: number }[] {
  if (points.length === 0) {
    return [];
  }
  const days = points.map(point => dayNumber(point.date));
  const first = Math.min(...days);
  const last = Math.max(...days);
  return points.map((point, index) => {
    const clamped = Math.max(0, Math.min(100, value(point)));
    return {
      x: roundTenth(plotX(days[index], first, last, box)),
      y: roundTenth(plotY(clamped / 100, box)),
    };
  });
}

/** An SVG path through the positions. */
export function linePath(positions: { x: number; y: number }[]): string {
  return positions
    .map((p, index) => `${index === 0 ? 'M' : 'L'}${p.x},${p.y}`)
    .join(' ');
}

/** The y of a percentage gridline. */
export function gridY(percent: number, box: ChartBox = DEFAULT_BOX): number {
  return roundTenth(plotY(percent / 100, box));
}
