/** An SVG chart: its size, and the margins between its edges and the plot. */
export interface ChartBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * The x of `value` on a plot running from `first` at its left edge to `last` at its right
 * edge; the middle when the two are the same.
 */
export function plotX(
  value: number,
  first: number,
  last: number,
  box: ChartBox,
): number {
  const plotWidth = box.width - box.left - box.right;
  return last === first
    ? box.left + plotWidth / 2
    : box.left + ((value - first) / (last - first)) * plotWidth;
}

/** The y of `fraction` of the plot's height: 0 at its bottom, 1 at its top. */
export function plotY(fraction: number, box: ChartBox): number {
  return box.top + (box.height - box.top - box.bottom) * (1 - fraction);
}

/** A screen coordinate, to a tenth of a pixel. */
export function roundTenth(value: number): number {
  return Math.round(value * 10) / 10;
}
