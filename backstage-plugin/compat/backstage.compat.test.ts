// The stock clients read a real `tech-health serve --demo`: the tech-radar's own parser
// (`TechRadarLoaderResponseParser`, what the tech-radar frontend validates its data with) and
// Tech Insights' published `TechInsightsClient`. That client is taken from
// `@backstage-community/plugin-tech-insights-common/client`: the frontend package
// `@backstage-community/plugin-tech-insights` is not on the registry this project installs from,
// and its client sends the same requests (same paths, `qs` query, JSON bodies) with global fetch.
import { TechRadarLoaderResponseParser } from '@backstage-community/plugin-tech-radar-common';
import { TechInsightsClient } from '@backstage-community/plugin-tech-insights-common/client';
import type { DiscoveryApi, IdentityApi } from '@backstage/core-plugin-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, type RunningService } from '../e2e/service';

const bin = process.env.TECH_HEALTH_BIN;
if (!bin) {
  throw new Error(
    'TECH_HEALTH_BIN is required: the path of a built tech-health binary',
  );
}

const checkout = {
  kind: 'component',
  namespace: 'default',
  name: 'checkout-api',
};
const billing = {
  kind: 'component',
  namespace: 'default',
  name: 'billing-service',
};

describe('stock Backstage tech-radar and Tech Insights clients against tech-health serve --demo', () => {
  let service: RunningService;
  let client: TechInsightsClient;

  beforeAll(async () => {
    service = await startService(bin);
    // Backstage's discovery: plugin id -> `<backend>/api/<plugin id>`, as app-config's
    // `discovery.endpoints` (or a proxy) would point tech-insights at tech-health.
    const discoveryApi: DiscoveryApi = {
      getBaseUrl: async (pluginId: string) => `${service.url}/api/${pluginId}`,
    };
    // No user token: tech-health's reads are open by default.
    const identityApi: Pick<IdentityApi, 'getCredentials'> = {
      getCredentials: async () => ({}),
    };
    client = new TechInsightsClient({
      discoveryApi,
      identityApi: identityApi as IdentityApi,
    });
  });

  afterAll(async () => {
    await service?.stop();
  });

  it('serves a radar that the tech-radar parser accepts', async () => {
    const response = await fetch(`${service.url}/api/tech-radar/data`);
    expect(response.status).toBe(200);
    const radar = TechRadarLoaderResponseParser.parse(await response.json());
    expect(radar.rings.map(r => r.id)).toEqual([
      'adopt',
      'trial',
      'assess',
      'hold',
    ]);
    expect(radar.quadrants).toHaveLength(4);
    const jenkins = radar.entries.find(e => e.id === 'jenkins');
    expect(jenkins?.timeline[0].ringId).toBe('hold');
    expect(jenkins?.timeline[0].date).toBeInstanceOf(Date);
  });

  it('lists our checks to the Tech Insights client', async () => {
    const checks = await client.getAllChecks();
    const green = checks.find(c => c.id === 'ci-green-default-branch');
    expect(green).toMatchObject({
      type: 'json-rules-engine',
      name: 'CI green on the default branch',
      factIds: ['github'],
    });
    expect(checks.length).toBeGreaterThan(20);
    const schemas = await client.getFactSchemas();
    expect(schemas.map(s => s.id)).toContain('ci');
  });

  it('runs the checks of a golden component: every one passes', async () => {
    const results = await client.runChecks(checkout);
    expect(results.length).toBeGreaterThan(20);
    const failing = results.filter(r => r.result !== true).map(r => r.check.id);
    expect(failing).toEqual([]);
    const techdocs = results.find(r => r.check.id === 'techdocs');
    expect(techdocs?.result).toBe(true);
  });

  it('runs the checks of a component with a red default branch: that one fails', async () => {
    const results = await client.runChecks(billing, [
      'ci-green-default-branch',
      'group-owner',
    ]);
    const byId = Object.fromEntries(results.map(r => [r.check.id, r]));
    expect(byId['ci-green-default-branch'].result).toBe(false);
    expect(
      byId['ci-green-default-branch'].facts.ciGreenOnDefaultBranch,
    ).toMatchObject({
      id: 'ci',
      type: 'boolean',
      value: false,
    });
    expect(byId['group-owner'].result).toBe(true);

    const bulk = await client.runBulkChecks(
      [checkout, billing],
      [{ id: 'ci-green-default-branch' } as never],
    );
    expect(bulk.map(b => [b.entity, b.results.map(r => r.result)])).toEqual([
      ['component:default/checkout-api', [true]],
      ['component:default/billing-service', [false]],
    ]);
  });

  it('reads the latest facts of an entity', async () => {
    const facts = await client.getFacts(billing, ['ci', 'security']);
    expect(facts.ci.facts.ciGreenOnDefaultBranch).toBe(false);
    expect(facts.security.facts.openHighVulns).toBe(7);
    expect(Number.isNaN(Date.parse(facts.ci.timestamp))).toBe(false);
  });

  it('refuses an unknown check with an error', async () => {
    await expect(client.runChecks(billing, ['no-such-check'])).rejects.toThrow(
      /404/,
    );
  });
});
