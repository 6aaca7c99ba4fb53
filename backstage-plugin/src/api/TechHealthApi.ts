import { createApiRef } from '@backstage/core-plugin-api';
import type {
  BurnupPoint,
  ChangeComponent,
  ChangeQuery,
  ChangeSummary,
  ChangeTransition,
  ChangeView,
  CheckDefinition,
  EligibilityPage,
  EligibilityQuery,
  EntityHealth,
  EntityPage,
  EntityQuery,
  GroupHealth,
  GroupTrend,
  TrackDefinition,
} from './types';

/**
 * An entity or group, by ref (`kind:namespace/name`, `namespace/name` for groups) or by parts.
 */
export type EntityRefLike =
  string | { kind?: string; namespace?: string; name: string };

/** Reads and refreshes tech-health results. */
export interface TechHealthApi {
  /** Levels, golden state, every check's result and fleet eligibility of one entity. */
  getEntityHealth(entity: EntityRefLike): Promise<EntityHealth>;
  /** Re-evaluates one entity now and returns its new health. */
  refreshEntity(entity: EntityRefLike): Promise<EntityHealth>;
  /** One page of entity summaries. */
  getEntities(query?: EntityQuery): Promise<EntityPage>;
  /** Aggregates over every component owned by the group or any group below it. */
  getGroupHealth(group: EntityRefLike): Promise<GroupHealth>;
  /** One point per day with a snapshot in the last `days` days, oldest first. */
  getGroupTrend(group: EntityRefLike, days: number): Promise<GroupTrend>;
  /** One page of fleet eligibility rows, with a summary over all of them. */
  getEligibility(query?: EligibilityQuery): Promise<EligibilityPage>;
  getChecks(): Promise<CheckDefinition[]>;
  getTracks(): Promise<TrackDefinition[]>;
  /** Fleet changes, oldest first; with `team`, those touching the team's components. */
  getChanges(query?: ChangeQuery): Promise<ChangeSummary[]>;
  /** One fleet change as its page shows it: waves, criteria, counts, pause reasons, teams. */
  getChange(id: string): Promise<ChangeView>;
  /** The components of a change, or of one of its waves. */
  getChangeComponents(id: string, wave?: number): Promise<ChangeComponent[]>;
  /** Merged, failed and open changes after each reported outcome. */
  getChangeBurnup(id: string): Promise<BurnupPoint[]>;
  /** Every transition of the change, oldest first. */
  getChangeTransitions(id: string): Promise<ChangeTransition[]>;
}

export const techHealthApiRef = createApiRef<TechHealthApi>({
  id: 'plugin.tech-health.service',
});
