/**
 * Response shapes of the tech-health HTTP API v1 (see docs/api.md; the authoritative
 * document is the service's openapi/openapi.json). Entity refs are `kind:namespace/name`,
 * lower-case; times are RFC 3339 UTC.
 */

/** A check's result for one entity. */
export type Status = 'pass' | 'fail' | 'not-applicable' | 'unknown' | 'exempt';

/** `error` checks block a level; `warning` checks are shown but never block. */
export type Severity = 'error' | 'warning';

export interface Link {
  title: string;
  url: string;
}

/** Why an entity may not receive automated fleet changes. */
export interface BlockingReason {
  code: string;
  message: string;
}

/** Where a check is used: level `level` of track `track`. */
export interface CheckUse {
  track: string;
  level: string;
}

export interface LevelProgress {
  passing: number;
  total: number;
}

export interface TrackLevelHealth {
  id: string;
  name: string;
  achieved: boolean;
  passing: number;
  total: number;
  checks: string[];
}

export interface TrackHealth {
  id: string;
  name: string;
  description: string | null;
  required: boolean;
  /** False when the track's filter excludes the entity. */
  applicable: boolean;
  /** Highest level held, or null when none is. */
  level: string | null;
  levelName: string | null;
  /** Null at the top level. */
  nextLevel: string | null;
  nextLevelName: string | null;
  /** Error checks of the next level that pass, of all of them. */
  nextLevelProgress: LevelProgress | null;
  levels: TrackLevelHealth[];
}

export interface Exemption {
  justification: string;
  expires: string;
  author: string;
}

export interface CheckResult {
  id: string;
  name: string;
  description: string | null;
  severity: Severity;
  status: Status;
  /** What the result means for this entity. */
  message: string;
  howToFix: string | null;
  links: Link[];
  usedIn: CheckUse[];
  /** The fact values the check read (present ones). */
  facts: Record<string, unknown>;
  /** Facts the check reads that are absent (why it is `unknown`). */
  missingFacts: string[];
  exemption: Exemption | null;
}

export interface Eligibility {
  eligible: boolean;
  wave: number | null;
  /** Empty when eligible. */
  blocking: BlockingReason[];
}

/** `GET /api/v1/entities/{kind}/{namespace}/{name}/health` */
export interface EntityHealth {
  entity: string;
  kind: string;
  namespace: string;
  name: string;
  title: string | null;
  owner: string | null;
  type: string | null;
  lifecycle: string | null;
  /** Every required track at its top level. */
  golden: boolean;
  evaluatedAt: string;
  tracks: TrackHealth[];
  /** Every check, in the standards' order. */
  checks: CheckResult[];
  eligibility: Eligibility;
  /** Collectors whose facts could not be refreshed: they still count, marked stale. */
  stale: StaleFacts[];
}

export interface StaleFacts {
  collector: string;
  /** Why the collector could not refresh them. */
  reason: string;
  /** Since when they are stale. */
  since: string;
  /** When the facts that still count were observed. */
  observedAt: string;
}

export interface EntitySummary {
  entity: string;
  kind: string;
  namespace: string;
  name: string;
  title: string | null;
  owner: string | null;
  type: string | null;
  lifecycle: string | null;
  golden: boolean;
  eligible: boolean;
  /** Track id -> level id held. */
  levels: Record<string, string | null>;
  blocking: BlockingReason[];
  evaluatedAt: string;
}

/** `GET /api/v1/entities` */
export interface EntityPage {
  items: EntitySummary[];
  nextCursor: string | null;
  total: number;
}

export interface LevelCount {
  /** Null means "no level held". */
  level: string | null;
  name: string;
  count: number;
}

export interface TrackDistribution {
  id: string;
  name: string;
  /** "None held" first, then every level from lowest to top. */
  distribution: LevelCount[];
}

export interface GroupSummary {
  group: string;
  title: string | null;
  /** True when the group has child groups. */
  department: boolean;
  components: number;
  golden: number;
  /** Percent, 0..100. */
  goldenPercent: number;
  eligible: number;
  eligiblePercent: number;
  tracks: TrackDistribution[];
}

export interface GroupCheckStats {
  id: string;
  name: string;
  pass: number;
  fail: number;
  unknown: number;
  exempt: number;
  notApplicable: number;
  /** (pass + exempt) / (pass + fail + unknown + exempt), 0..100; null if none apply. */
  passRate: number | null;
}

/** `GET /api/v1/groups/{namespace}/{name}/health` */
export interface GroupHealth extends GroupSummary {
  evaluatedAt: string;
  checks: GroupCheckStats[];
  /** Direct child groups. */
  children: GroupSummary[];
}

export interface TrendPoint {
  /** YYYY-MM-DD, one per day that has a snapshot. */
  date: string;
  components: number;
  golden: number;
  goldenPercent: number;
  eligible: number;
  eligiblePercent: number;
  tracks: TrackDistribution[];
}

/** `GET /api/v1/groups/{namespace}/{name}/trend?days=N` */
export interface GroupTrend {
  group: string;
  days: number;
  /** Oldest first. */
  points: TrendPoint[];
}

export interface Repository {
  slug: string;
  url: string;
}

export interface TechnologyUse {
  id: string;
  version: string | null;
  source: string | null;
}

export interface EligibilityRow {
  entity: string;
  title: string | null;
  owner: string | null;
  repository: Repository | null;
  levels: Record<string, string | null>;
  technology: TechnologyUse | null;
  eligible: boolean;
  wave: number | null;
  blocking: BlockingReason[];
}

export interface EligibilitySummary {
  total: number;
  eligible: number;
  blocked: number;
  byReason: Record<string, number>;
}

/** `GET /api/v1/fleet/eligibility` */
export interface EligibilityPage {
  items: EligibilityRow[];
  nextCursor: string | null;
  summary: EligibilitySummary;
}

/** `GET /api/v1/checks` */
export interface CheckDefinition {
  id: string;
  name: string;
  description: string | null;
  severity: Severity;
  howToFix: string | null;
  links: Link[];
  usedIn: CheckUse[];
  /** The facts the check reads. */
  facts: string[];
}

/** `GET /api/v1/tracks` */
export interface TrackDefinition {
  id: string;
  name: string;
  description: string | null;
  required: boolean;
  levels: { id: string; name: string; checks: string[] }[];
}

/** The body of every 4xx/5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Query of `GET /api/v1/entities`. */
export interface EntityQuery {
  /** Group ref or `namespace/name`; recursive through the group tree. */
  owner?: string;
  kind?: string;
  type?: string;
  lifecycle?: string;
  /** With `level`: at least that level in this track. */
  track?: string;
  level?: string;
  golden?: boolean;
  eligible?: boolean;
  limit?: number;
  cursor?: string;
}

/** Query of `GET /api/v1/fleet/eligibility`. */
export interface EligibilityQuery {
  owner?: string;
  track?: string;
  level?: string;
  lifecycle?: string;
  eligible?: boolean;
  technology?: string;
  /** A semver range, with `technology`. */
  version?: string;
  limit?: number;
  cursor?: string;
}
