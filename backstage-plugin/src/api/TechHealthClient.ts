import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import type { EntityRefLike, TechHealthApi } from './TechHealthApi';
import { TechHealthError } from './TechHealthError';
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

/** The discovery id of the tech-health service. */
export const TECH_HEALTH_PLUGIN_ID = 'tech-health';

type Query = Record<string, string | number | boolean | undefined>;

/**
 * Talks to the tech-health service at `discoveryApi.getBaseUrl('tech-health')` through
 * `fetchApi`, so Backstage's identity and proxy settings apply.
 */
export class TechHealthClient implements TechHealthApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getEntityHealth(entity: EntityRefLike): Promise<EntityHealth> {
    return this.request(`${entityPath(entity, 'component')}/health`);
  }

  async refreshEntity(entity: EntityRefLike): Promise<EntityHealth> {
    return this.request(`${entityPath(entity, 'component')}/refresh`, {
      method: 'POST',
    });
  }

  async getEntities(query: EntityQuery = {}): Promise<EntityPage> {
    return this.request(`/entities${queryString({ ...query })}`);
  }

  async getGroupHealth(group: EntityRefLike): Promise<GroupHealth> {
    return this.request(`${groupPath(group)}/health`);
  }

  async getGroupTrend(group: EntityRefLike, days: number): Promise<GroupTrend> {
    return this.request(`${groupPath(group)}/trend${queryString({ days })}`);
  }

  async getEligibility(query: EligibilityQuery = {}): Promise<EligibilityPage> {
    return this.request(`/fleet/eligibility${queryString({ ...query })}`);
  }

  async getChecks(): Promise<CheckDefinition[]> {
    return this.request('/checks');
  }

  async getTracks(): Promise<TrackDefinition[]> {
    return this.request('/tracks');
  }

  async getChanges(query: ChangeQuery = {}): Promise<ChangeSummary[]> {
    const { team, open } = query;
    const teamRef = team === undefined ? undefined : groupRef(team);
    return this.request(`/changes${queryString({ team: teamRef, open })}`);
  }

  async getChange(id: string): Promise<ChangeView> {
    return this.request(changePath(id));
  }

  async getChangeComponents(
    id: string,
    wave?: number,
  ): Promise<ChangeComponent[]> {
    return this.request(`${changePath(id)}/components${queryString({ wave })}`);
  }

  async getChangeBurnup(id: string): Promise<BurnupPoint[]> {
    return this.request(`${changePath(id)}/burnup`);
  }

  async getChangeTransitions(id: string): Promise<ChangeTransition[]> {
    return this.request(`${changePath(id)}/transitions`);
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl(TECH_HEALTH_PLUGIN_ID);
    const url = `${baseUrl.replace(/\/+$/, '')}/api/v1${path}`;
    const response = await this.fetchApi.fetch(url, {
      ...init,
      headers: { Accept: 'application/json', ...init?.headers },
    });
    if (!response.ok) {
      throw await TechHealthError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

/** Parts of a ref, lower-cased as the service names entities. */
export function refParts(
  ref: EntityRefLike,
  defaultKind: string,
): { kind: string; namespace: string; name: string } {
  if (typeof ref !== 'string') {
    return {
      kind: (ref.kind ?? defaultKind).toLocaleLowerCase('en-US'),
      namespace: (ref.namespace ?? 'default').toLocaleLowerCase('en-US'),
      name: ref.name.toLocaleLowerCase('en-US'),
    };
  }
  const match = /^(?:([^:/]+):)?(?:([^:/]+)\/)?([^:/]+)$/.exec(ref.trim());
  if (!match) {
    throw new TypeError(
      `"${ref}" is not an entity ref (kind:namespace/name or namespace/name)`,
    );
  }
  return refParts(
    { kind: match[1], namespace: match[2], name: match[3] },
    defaultKind,
  );
}

function entityPath(ref: EntityRefLike, defaultKind: string): string {
  const { kind, namespace, name } = refParts(ref, defaultKind);
  return `/entities/${segments(kind, namespace, name)}`;
}

function groupParts(ref: EntityRefLike): { namespace: string; name: string } {
  const { kind, namespace, name } = refParts(ref, 'group');
  if (kind !== 'group') {
    throw new TypeError(`${kind}:${namespace}/${name} is not a group`);
  }
  return { namespace, name };
}

function groupPath(ref: EntityRefLike): string {
  const { namespace, name } = groupParts(ref);
  return `/groups/${segments(namespace, name)}`;
}

/** `group:namespace/name`, as the service's `team` parameter takes it. */
function groupRef(ref: EntityRefLike): string {
  const { namespace, name } = groupParts(ref);
  return `group:${namespace}/${name}`;
}

function changePath(id: string): string {
  if (!id.trim()) {
    throw new TypeError('a fleet change id is required');
  }
  return `/changes/${encodeURIComponent(id)}`;
}

function segments(...parts: string[]): string {
  return parts.map(encodeURIComponent).join('/');
}

function queryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') {
      params.set(key, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
