/** Colours of levels in charts: none held, then bronze, silver, gold; more levels cycle. */
const PALETTE = [
  '#9e9e9e',
  '#b0713a',
  '#8c9aa8',
  '#e0b020',
  '#5c6bc0',
  '#26a69a',
];

export function levelColor(index: number): string {
  return PALETTE[Math.min(index, PALETTE.length - 1)];
}
