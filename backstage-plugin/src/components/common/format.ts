import type { Status } from '../../api/types';

/** "pass" -> "Pass", "not-applicable" -> "Not applicable". */
export function statusLabel(status: Status): string {
  switch (status) {
    case 'pass':
      return 'Pass';
    case 'fail':
      return 'Fail';
    case 'not-applicable':
      return 'Not applicable';
    case 'unknown':
      return 'Unknown';
    case 'exempt':
      return 'Exempt';
    default:
      return status;
  }
}

export const ALL_STATUSES: Status[] = [
  'fail',
  'unknown',
  'pass',
  'exempt',
  'not-applicable',
];

/** A percentage 0..100 as "42%" (one decimal below 10 when not whole). */
export function formatPercent(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) {
    return '—';
  }
  const rounded =
    value < 10 && !Number.isInteger(value)
      ? Math.round(value * 10) / 10
      : Math.round(value);
  return `${rounded}%`;
}

/** "in 3 days", "5 minutes ago", relative to `now`. */
export function formatRelative(iso: string, now: Date = new Date()): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  const seconds = Math.round((time - now.getTime()) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 365 * 24 * 3600],
    ['month', 30 * 24 * 3600],
    ['day', 24 * 3600],
    ['hour', 3600],
    ['minute', 60],
  ];
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return format.format(0, 'second').replace('in 0 seconds', 'just now');
}

/** A timestamp for tooltips and exports: "2026-11-22 01:54 UTC". */
export function formatTimestamp(iso: string): string {
  const time = Date.parse(iso);
  if (Number.isNaN(time)) {
    return iso;
  }
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "group:default/team-checkout" -> "team-checkout"; other namespaces stay visible. */
export function shortRef(ref: string | null | undefined): string {
  if (!ref) {
    return '—';
  }
  const match = /^(?:[^:]+:)?(?:([^/]+)\/)?(.+)$/.exec(ref);
  if (!match) {
    return ref;
  }
  const [, namespace, name] = match;
  return namespace && namespace !== 'default' ? `${namespace}/${name}` : name;
}

/** A fact value as one line of JSON. */
export function formatFactValue(value: unknown): string {
  if (value === undefined) {
    return 'undefined';
  }
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 297)}…` : text;
}
