import { describe, expect, it } from 'vitest';
import { formatPercent, formatRelative, shortRef } from './format';

describe('format', () => {
  it('rounds percentages', () => {
    expect(formatPercent(58.8)).toBe('59%');
    expect(formatPercent(5.9)).toBe('5.9%');
    expect(formatPercent(null)).toBe('—');
  });

  it('says how long ago', () => {
    const now = new Date('2026-11-22T02:00:00Z');
    expect(formatRelative('2026-11-22T01:55:00Z', now)).toBe('5 minutes ago');
    expect(formatRelative('2026-11-20T02:00:00Z', now)).toBe('2 days ago');
    expect(formatRelative('2026-11-22T02:00:00Z', now)).toBe('now');
  });

  it('shortens refs in the default namespace only', () => {
    expect(shortRef('group:default/team-billing')).toBe('team-billing');
    expect(shortRef('group:acme/team-billing')).toBe('acme/team-billing');
    expect(shortRef(null)).toBe('—');
  });
});
