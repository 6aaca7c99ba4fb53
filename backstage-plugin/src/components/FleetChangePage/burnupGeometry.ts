import type { BurnupPoint } from '../../api/types';
import type { ChartBox } from '../common/chartGeometry';
import { plotX, plotY, roundTenth } from '../common/chartGeometry';

export const BURNUP_BOX: ChartBox = {
  width: 640,
  height: 220,
  left: 40,
  right: 16,
  top: 12,
  bottom: 28,
};

export interface Scale {
  x: (at: string) => number;
  y: (count: number) => number;
  /** The top of the y axis: the scope, or more if a count passed it. */
  max: number;
}

/**
 * Maps times (first outcome on the left, last on the right) and counts (0 at the bottom,
 * `scope` at the top) to screen positions.
 */
export function burnupScale(
  points: BurnupPoint[],
  scope: number,
  box: ChartBox = BURNUP_BOX,
): Scale {
  const times = points.map(p => Date.parse(p.at));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const max = Math.max(
    1,
    scope,
    ...points.map(p => Math.max(p.merged, p.failed, p.opened)),
  );
  return {
    max,
    x: at => roundTenth(plotX(Date.parse(at), first, last, box)),
    y: count => roundTenth(plotY(count / max, box)),
  };
}

/**
 * A step line through the series: each count holds until the next outcome changes it, as
 * counts do.
 */
export function stepPath(
  points: BurnupPoint[],
  value: (point: BurnupPoint) => number,
  scale: Scale,
): string {
  return points
    .map((point, index) => {
      const x = scale.x(point.at);
      const y = scale.y(value(point));
      return index === 0 ? `M${x},${y}` : `H${x} V${y}`;
    })
    .join(' ');
}

/**
 * A few evenly spaced whole-number gridline values from 0 up to `max`; `max` itself too when
 * it is not too close to the last of them.
 */
export function countTicks(max: number): number[] {
  const step = Math.max(1, Math.ceil(max / 4));
  const ticks: number[] = [];
  for (let value = 0; value <= max; value += step) ticks.push(value);
  if (max - ticks[ticks.length - 1] > step / 2) ticks.push(max);
  return ticks;
}
