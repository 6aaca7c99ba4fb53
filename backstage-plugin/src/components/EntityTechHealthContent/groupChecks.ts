import type { CheckResult, EntityHealth, Status } from '../../api/types';

/** The checks of one level of one track, in the standards' order. */
export interface CheckGroup {
  trackId: string;
  trackName: string;
  levelId: string;
  levelName: string;
  achieved: boolean;
  passing: number;
  total: number;
  checks: CheckResult[];
}

/**
 * Every check under each level of each track that uses it (a check used in two tracks shows
 * in both), then the checks no track uses. Only checks whose status is in `statuses` are
 * kept; groups left empty are dropped.
 */
export function groupChecks(
  health: EntityHealth,
  statuses: ReadonlySet<Status>,
): { groups: CheckGroup[]; other: CheckResult[] } {
  const byId = new Map(health.checks.map(check => [check.id, check]));
  const placed = new Set<string>();
  const groups: CheckGroup[] = [];
  for (const track of health.tracks) {
    for (const level of track.levels) {
      const checks = level.checks
        .map(id => byId.get(id))
        .filter((check): check is CheckResult => check !== undefined);
      checks.forEach(check => placed.add(check.id));
      const shown = checks.filter(check => statuses.has(check.status));
      if (shown.length > 0) {
        groups.push({
          trackId: track.id,
          trackName: track.name,
          levelId: level.id,
          levelName: level.name,
          achieved: level.achieved,
          passing: level.passing,
          total: level.total,
          checks: shown,
        });
      }
    }
  }
  const other = health.checks.filter(
    check => !placed.has(check.id) && statuses.has(check.status),
  );
  return { groups, other };
}

/** How many checks have each status. */
export function countStatuses(checks: CheckResult[]): Record<Status, number> {
  const counts: Record<Status, number> = {
    pass: 0,
    fail: 0,
    'not-applicable': 0,
    unknown: 0,
    exempt: 0,
  };
  for (const check of checks) {
    counts[check.status] = (counts[check.status] ?? 0) + 1;
  }
  return counts;
}
