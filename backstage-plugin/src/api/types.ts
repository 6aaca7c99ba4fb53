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
  /** Rollout wave → eligible entities in it. */
  byWave: Record<string, number>;
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

/** What a fleet change is for: a technology at a version range, or a check to make pass. */
export interface ChangeTarget {
  technology?: string | null;
  version?: string | null;
  check?: string | null;
}

/** When a wave may complete (advance criteria) and when the change pauses (failure criteria). */
export interface ChangeCriteria {
  minSoakMinutes: number;
  /** 0..1 */
  minMergedShare: number;
  /** 0..1 */
  maxFailedShare: number;
  checksAfter: string[];
  maxOpenPerOwner?: number | null;
}

export interface ChangeWavePlan {
  name: string;
  description?: string | null;
  criteria: ChangeCriteria;
}

export interface GithubMatch {
  label?: string | null;
  branchPrefix?: string | null;
}

/** A fleet change as defined. */
export interface FleetChange {
  id: string;
  name: string;
  description?: string | null;
  /** A group or user ref, or a name. */
  owner: string;
  target: ChangeTarget;
  waves: ChangeWavePlan[];
  /** The rollout rules the waves came from. */
  rollout: Record<string, unknown>;
  github?: GithubMatch | null;
  start: string;
  createdAt: string;
  createdBy: string;
}

/** What happened to one component's change. */
export type ChangeOutcome =
  'opened' | 'merged' | 'ci-failed' | 'closed-unmerged' | 'reverted';

/** `planned`: its wave has not started; `active`: it may be changed; `dropped`: left out. */
export type MemberState = 'planned' | 'active' | 'dropped';

/** A criterion's light: green holds (or is not crossed), amber not yet, red crossed. */
export type CriterionStatus = 'green' | 'amber' | 'red';

/** Why a change paused. */
export interface PauseReason {
  /** `maxFailedShare`, or `manual`. */
  criterion: string;
  wave?: number | null;
  message: string;
  components: string[];
}

/** Counts over a wave's (a team's, a change's) components. */
export interface WaveCounts {
  active: number;
  planned: number;
  dropped: number;
  /** Active with no outcome yet. */
  pending: number;
  opened: number;
  merged: number;
  ciFailed: number;
  closedUnmerged: number;
  reverted: number;
}

/** One criterion of one wave, as it stands. */
export interface WaveCriterion {
  /** `minSoakMinutes`, `minMergedShare`, `maxFailedShare` or `checksAfter`. */
  criterion: string;
  status: CriterionStatus;
  message: string;
  /** The components behind an amber or red item. */
  components: string[];
}

/** One wave of a change as the change page shows it. */
export interface ChangeWave {
  index: number;
  name: string;
  description?: string | null;
  /** `planned`, `active`, `paused`, `complete` or `stopped`. */
  state: string;
  startedAt?: string | null;
  completedAt?: string | null;
  counts: WaveCounts;
  criteria: WaveCriterion[];
}

/** One team's components in a change. */
export interface ChangeTeam extends WaveCounts {
  /** Null: components without an owner. */
  owner?: string | null;
}

/** `GET /api/v1/changes/{id}` */
export interface ChangeView extends FleetChange {
  /** `planned`, `wave-K-active`, `wave-K-complete`, `paused`, `cancelled` or `done`. */
  state: string;
  /** The wave it is at (also while paused). */
  wave?: number | null;
  pausedReasons: PauseReason[];
  totals: WaveCounts;
  waveViews: ChangeWave[];
  teams: ChangeTeam[];
  updatedAt: string;
}

/** `GET /api/v1/changes` */
export interface ChangeSummary {
  id: string;
  name: string;
  owner: string;
  target: ChangeTarget;
  state: string;
  wave?: number | null;
  /** How many waves. */
  waves: number;
  totals: WaveCounts;
  /** With `team`: the counts over that team's components. */
  team?: WaveCounts | null;
  updatedAt: string;
}

/** Query of `GET /api/v1/changes`. */
export interface ChangeQuery {
  /** A group ref: changes with components it (or a group below it) owns. */
  team?: string;
  /** Only changes still running. */
  open?: boolean;
}

/** `GET /api/v1/changes/{id}/components` */
export interface ChangeComponent {
  entity: string;
  owner?: string | null;
  wave: number;
  state: MemberState;
  outcome?: ChangeOutcome | null;
  prUrl?: string | null;
  outcomeAt?: string | null;
  /** Why it was dropped. */
  reasons: string[];
}

/** `GET /api/v1/changes/{id}/burnup`: the counts after the outcomes up to `at`. */
export interface BurnupPoint {
  at: string;
  merged: number;
  failed: number;
  opened: number;
}

/** `GET /api/v1/changes/{id}/transitions` */
export interface ChangeTransition {
  at: string;
  from: string;
  to: string;
  /** `controller`, or who paused, resumed or cancelled. */
  actor: string;
  reason: string;
  reasons: PauseReason[];
}
