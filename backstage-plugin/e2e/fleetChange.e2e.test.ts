// A fleet change run over the real service's API, then read in the browser: the team's group tab
// lists it, its page shows the waves, the red criterion, why it paused, counts and burn-up.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession, type Session } from './session';

const bin = process.env.TECH_HEALTH_BIN;
if (!bin) {
  throw new Error(
    'TECH_HEALTH_BIN is required: the path of a built tech-health binary',
  );
}

const here = path.dirname(fileURLToPath(import.meta.url));
const TOKEN = 'e2e-admin-token';

/**
 * examples/fleet/changes/log4j.yaml as the JSON body of `POST /api/v1/changes`, without its
 * hour of soak: the controller runs on the service's clock, so waves must be able to complete
 * as soon as their outcomes arrive.
 */
const log4jChange = {
  name: 'log4j-core 2.17.1 everywhere',
  description:
    'Raise log4j-core to 2.17.1 or later (CVE-2021-44832). Pull requests come from the fleet bot, branch `fleet/log4j-2.17.1`, label `fleet:log4j`.',
  owner: 'group:default/platform',
  target: { technology: 'log4j-core <2.17.1' },
  criteria: {
    minSoakMinutes: 0,
    minMergedShare: 0.8,
    maxFailedShare: 0.25,
    checksAfter: ['ci-green-default-branch'],
    maxOpenPerOwner: 2,
  },
  waveCriteria: { platform: { minSoakMinutes: 0, minMergedShare: 1.0 } },
  github: { label: 'fleet:log4j', branchPrefix: 'fleet/log4j-' },
};

interface Outcome {
  entity: string;
  outcome: string;
  prUrl: string;
}

/**
 * The example's scripted outcomes up to the person's resume: waves 0 and 1 merge, then two of
 * wave 2's four pull requests fail CI. Their `at` is left out: the service stamps its own time.
 */
async function outcomesBeforeResume(): Promise<Outcome[]> {
  const text = await readFile(
    path.join(here, '../../examples/fleet/changes/log4j-outcomes.ndjson'),
    'utf8',
  );
  const out: Outcome[] = [];
  for (const line of text.split('\n').filter(l => l.trim())) {
    const item = JSON.parse(line);
    if (!item.outcome) break;
    out.push({ entity: item.entity, outcome: item.outcome, prUrl: item.prUrl });
  }
  return out;
}

describe('the fleet change page in a browser, against the real service', () => {
  let session: Session;
  let page: Page;
  let changeId: string;

  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${session.service.url}/api/v1${route}`, {
      method,
      headers: {
        Authorization: `Bearer ${TOKEN}`,
        'Content-Type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${route}: ${response.status} ${text}`);
    }
    return JSON.parse(text);
  };

  beforeAll(async () => {
    session = await startSession(bin, { TECH_HEALTH_ADMIN_TOKEN: TOKEN });
    page = session.page;

    const created = await call('POST', '/changes', log4jChange);
    changeId = created.id;
    expect(created.state).toBe('wave-0-active');
    // One report at a time, as the orchestrator sends them: each may move the controller.
    for (const outcome of await outcomesBeforeResume()) {
      await call('POST', `/changes/${changeId}/outcomes`, {
        outcomes: [outcome],
      });
    }
    const change = await call('GET', `/changes/${changeId}`);
    expect(change.state).toBe('paused');
    expect(change.wave).toBe(2);
  });

  afterAll(async () => {
    await session?.close();
  });

  it("lists the change in team-discovery's tab and opens its page", async () => {
    await session.open('/group?name=team-discovery');
    const changes = page.getByRole('table', { name: 'Open fleet changes' });
    await changes.waitFor();
    const row = page.getByTestId(`change-${changeId}`);
    await expect(row.innerText()).resolves.toMatch(/Paused in wave 2/);
    await session.shot('group-team-discovery');
    await changes
      .getByRole('link', { name: 'log4j-core 2.17.1 everywhere' })
      .click();
    await page.waitForURL(`**/changes/${changeId}`);

    await page.getByText('Paused in wave 2 (silver)').waitFor();

    // The waves as rows: two complete, silver paused, rest still planned.
    const waves = page.getByRole('table', { name: 'Waves' });
    await expect(waves.locator('tbody tr').count()).resolves.toBe(4);
    for (const [index, state] of [
      [0, 'complete'],
      [1, 'complete'],
      [2, 'paused'],
      [3, 'planned'],
    ] as const) {
      await expect(
        page.getByTestId(`wave-${index}`).getAttribute('data-state'),
      ).resolves.toBe(state);
    }

    // Silver's failure criterion is red, with the two components that failed CI.
    const silver = page.getByTestId('wave-2');
    const red = silver.getByLabel('Failed share: red');
    await expect(red.innerText()).resolves.toMatch(
      /2 of 4 failed CI or reverted \(50%; at most 25% allowed\)/,
    );
    await expect(red.innerText()).resolves.toMatch(
      /payment-gateway-adapter, podcast-catalog/,
    );
    await expect(silver.innerText()).resolves.toMatch(
      /1 merged, 3 open, 2 failed, 0 pending of 4/,
    );
    await expect(page.locator('[data-status="red"]').count()).resolves.toBe(1);

    // Why it paused, naming the components.
    const reasons = page.getByRole('list', { name: 'Paused reasons' });
    await expect(reasons.innerText()).resolves.toMatch(
      /wave 2 \(silver\): 2 of 4 changes failed CI or were reverted \(50%\), more than the 25% allowed/,
    );
    await reasons.getByText('payment-gateway-adapter').waitFor();
    await reasons.getByText('podcast-catalog').waitFor();

    // Counts over every wave.
    for (const label of [
      'Components: 7',
      'Merged: 3',
      'Open: 3',
      'Failed: 2',
      'Planned: 1',
    ]) {
      await page.getByLabel(label, { exact: true }).waitFor();
    }

    // The burn-up: a point per reported outcome (eleven of them, a few may share a time).
    const chart = page.getByRole('img', { name: /^Burn-up of 7 components/ });
    await expect(chart.getAttribute('aria-label')).resolves.toMatch(
      /now 3 merged, 3 open, 2 failed\.$/,
    );
    await expect(
      chart.locator('[data-series="merged"] circle').count(),
    ).resolves.toBeGreaterThan(1);
    await expect(
      chart.locator('[data-series="merged"] path').count(),
    ).resolves.toBe(1);

    // The components per team.
    await expect(
      page.getByTestId('team-team-discovery').innerText(),
    ).resolves.toMatch(/podcast-catalog \(ci failed\)/);
    // The harness scrolls inside its layout: a tall window shows the whole page at once.
    await page.setViewportSize({ width: 1400, height: 2600 });
    await session.shot('fleet-change-log4j');
  });
});
