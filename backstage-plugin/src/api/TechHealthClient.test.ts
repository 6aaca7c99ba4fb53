import { describe, expect, it, vi } from 'vitest';
import {
  checkoutApiHealth,
  log4jChange,
  teamDiscoveryChanges,
} from '../testing/fixtures';
import { TechHealthClient, refParts } from './TechHealthClient';
import { TechHealthError } from './TechHealthError';

/** A client whose fetch answers `response` (a factory: a fresh answer to every request). */
function setup(response: Response | (() => Response)) {
  const fetch = vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) =>
    typeof response === 'function' ? response() : response,
  );
  const discoveryApi = {
    getBaseUrl: vi.fn(async () => 'http://backstage.example/api/proxy/th/'),
  };
  const client = new TechHealthClient({ discoveryApi, fetchApi: { fetch } });
  return { client, fetch, discoveryApi };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

describe('TechHealthClient', () => {
  it('reads an entity health from the discovered base URL', async () => {
    const { client, fetch, discoveryApi } = setup(json(checkoutApiHealth));
    const health = await client.getEntityHealth(
      'component:default/checkout-api',
    );
    expect(discoveryApi.getBaseUrl).toHaveBeenCalledWith('tech-health');
    expect(fetch.mock.calls[0][0]).toBe(
      'http://backstage.example/api/proxy/th/api/v1/entities/component/default/checkout-api/health',
    );
    expect(health.golden).toBe(true);
  });

  it('lower-cases and encodes refs given as parts', async () => {
    const { client, fetch } = setup(json(checkoutApiHealth));
    await client.getEntityHealth({ kind: 'Component', name: 'Checkout API' });
    expect(fetch.mock.calls[0][0]).toMatch(
      /\/entities\/component\/default\/checkout%20api\/health$/,
    );
  });

  it('re-evaluates with a POST to …/refresh', async () => {
    const { client, fetch } = setup(json(checkoutApiHealth));
    await client.refreshEntity('component:default/checkout-api');
    expect(fetch.mock.calls[0][0]).toMatch(
      /\/entities\/component\/default\/checkout-api\/refresh$/,
    );
    expect(fetch.mock.calls[0][1]?.method).toBe('POST');
  });

  it('asks for groups and trends by namespace and name', async () => {
    const { client, fetch } = setup(json({ group: 'x', days: 90, points: [] }));
    await client.getGroupTrend('group:default/payments', 90);
    expect(fetch.mock.calls[0][0]).toMatch(
      /\/api\/v1\/groups\/default\/payments\/trend\?days=90$/,
    );
  });

  it('puts only the given filters in the query string', async () => {
    const { client, fetch } = setup(json({ items: [], nextCursor: null }));
    await client.getEligibility({
      owner: 'group:default/payments',
      track: 'fleet-readiness',
      level: 'silver',
      eligible: false,
      cursor: undefined,
    });
    const url = new URL(String(fetch.mock.calls[0][0]));
    expect(url.pathname).toBe('/api/proxy/th/api/v1/fleet/eligibility');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      owner: 'group:default/payments',
      track: 'fleet-readiness',
      level: 'silver',
      eligible: 'false',
    });
  });

  it("surfaces the service's error message", async () => {
    const { client } = setup(
      json(
        {
          error: {
            code: 'not-found',
            message: 'No entity component:default/nope',
            details: null,
          },
        },
        404,
      ),
    );
    const error = await client
      .getEntityHealth('component:default/nope')
      .catch(e => e);
    expect(error).toBeInstanceOf(TechHealthError);
    expect(error.message).toBe('No entity component:default/nope');
    expect(error.status).toBe(404);
    expect(error.code).toBe('not-found');
  });

  it('falls back to the status line when the error body is not JSON', async () => {
    const { client } = setup(
      new Response('<html>Bad Gateway</html>', {
        status: 502,
        statusText: 'Bad Gateway',
      }),
    );
    await expect(client.getTracks()).rejects.toThrow(
      'tech-health request failed: 502 Bad Gateway',
    );
  });

  it("lists a team's open fleet changes with the team as a full group ref", async () => {
    const { client, fetch } = setup(() => json(teamDiscoveryChanges));
    const changes = await client.getChanges({
      team: 'Default/Team-Discovery',
      open: true,
    });
    const url = new URL(String(fetch.mock.calls[0][0]));
    expect(url.pathname).toBe('/api/proxy/th/api/v1/changes');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      team: 'group:default/team-discovery',
      open: 'true',
    });
    expect(changes[0].team?.ciFailed).toBe(1);
    await client.getChanges();
    expect(fetch.mock.calls[1][0]).toMatch(/\/api\/v1\/changes$/);
  });

  it('reads a fleet change, its components of one wave, burn-up and transitions', async () => {
    const { client, fetch } = setup(() => json(log4jChange));
    const id = log4jChange.id;
    expect((await client.getChange(id)).state).toBe('paused');
    const urls = () => fetch.mock.calls.map(call => String(call[0]));
    await client.getChangeComponents(id, 0);
    await client.getChangeBurnup(id);
    await client.getChangeTransitions(id);
    expect(urls().map(u => u.replace(/^.*\/api\/v1/, ''))).toEqual([
      `/changes/${id}`,
      `/changes/${id}/components?wave=0`,
      `/changes/${id}/burnup`,
      `/changes/${id}/transitions`,
    ]);
    await expect(client.getChange(' ')).rejects.toThrow(
      'a fleet change id is required',
    );
    await client.getChange('a/b');
    expect(urls()[4]).toMatch(/\/changes\/a%2Fb$/);
  });

  it('refuses a group ref that names another kind', async () => {
    const { client } = setup(json({}));
    await expect(
      client.getGroupHealth('component:default/checkout-api'),
    ).rejects.toThrow('is not a group');
    await expect(
      client.getChanges({ team: 'component:default/checkout-api' }),
    ).rejects.toThrow('is not a group');
  });
});

describe('refParts', () => {
  it('fills in the default kind and namespace', () => {
    expect(refParts('payments', 'group')).toEqual({
      kind: 'group',
      namespace: 'default',
      name: 'payments',
    });
    expect(refParts('acme/payments', 'group')).toEqual({
      kind: 'group',
      namespace: 'acme',
      name: 'payments',
    });
  });

  it('rejects what is not a ref', () => {
    expect(() => refParts('a:b:c', 'group')).toThrow('is not an entity ref');
  });
});
