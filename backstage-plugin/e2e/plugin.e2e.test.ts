import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSession, type Session } from './session';

const bin = process.env.TECH_HEALTH_BIN;
if (!bin) {
  throw new Error(
    'TECH_HEALTH_BIN is required: the path of a built tech-health binary (cargo build --release)',
  );
}

describe('tech-health plugin in a browser, against the real service (demo fleet)', () => {
  let session: Session;
  let page: Page;

  beforeAll(async () => {
    session = await startSession(bin);
    page = session.page;
  });

  afterAll(async () => {
    await session?.close();
  });

  const open = (pathAndQuery: string) => session.open(pathAndQuery);
  const shot = (name: string) => session.shot(name);

  it('shows a golden component: checkout-api holds Gold in every track', async () => {
    await open('/component?name=checkout-api');
    await page.getByText('Golden', { exact: true }).first().waitFor();
    for (const track of [
      'Basics',
      'Golden Tech',
      'Fleet readiness',
      'Operations',
    ]) {
      await expect(
        page.getByLabel(`${track} level: Gold`).count(),
      ).resolves.toBe(1);
    }
    await expect(
      page.getByText(/Eligible for automated fleet changes/).count(),
    ).resolves.toBe(1);
    await shot('component-checkout-api');
  });

  it('shows what fails for billing-service, why it is blocked, and re-evaluates it', async () => {
    await open('/component?name=billing-service');
    await page.getByText('Not golden').first().waitFor();
    await expect(page.getByLabel('Basics level: Silver').count()).resolves.toBe(
      1,
    );
    await expect(
      page.getByLabel('Fleet readiness level: Bronze').count(),
    ).resolves.toBe(1);
    await page.getByText('Blocked from automated fleet changes').waitFor();
    await page.getByText('(ci-red)').waitFor();
    await page.getByTestId('failing-java-17').waitFor();

    const refreshed = page.waitForResponse(
      response =>
        response
          .url()
          .endsWith(
            '/api/v1/entities/component/default/billing-service/refresh',
          ) && response.request().method() === 'POST',
    );
    await page.getByRole('button', { name: 'Refresh tech health' }).click();
    expect((await refreshed).status()).toBe(200);
    await page.getByText('Not golden').first().waitFor();

    // The entity tab: open a check and read the facts it used.
    await page
      .getByRole('button', { name: /Java 17.0.5 or newer/ })
      .first()
      .click();
    await page
      .getByRole('table', { name: 'Facts read by Java 17.0.5 or newer' })
      .first()
      .waitFor();
    await expect(page.getByText('"11.0.21"').count()).resolves.toBeGreaterThan(
      0,
    );
    await shot('component-billing-service');
  });

  it("shows the Payments department's numbers and draws its trend", async () => {
    await open('/group?name=payments');
    await page.getByLabel('Components: 17').waitFor();
    await page.getByLabel('Golden: 18%').waitFor();
    await page.getByText('3 of 17 components').waitFor();
    await page.getByLabel('Eligible: 59%').waitFor();
    await page
      .getByRole('link', { name: 'Checkout' })
      .or(page.getByText('Checkout', { exact: true }))
      .first()
      .waitFor();
    await page.getByText('Components (17)').waitFor();

    const chart = page.getByRole('img', {
      name: /Golden and eligible share of Payments over the last 30 days/,
    });
    await chart.waitFor();
    await expect(chart.locator('circle').count()).resolves.toBeGreaterThan(0);
    await page.getByRole('button', { name: '90 days' }).click();
    await page.getByRole('img', { name: /over the last 90 days/ }).waitFor();
    await shot('group-payments');
  });

  it('lists fleet eligibility, filters it and exports every page as CSV', async () => {
    await open('/fleet');
    const summary = page.getByTestId('eligibility-summary');
    await summary.waitFor();
    await expect
      .poll(() => summary.innerText())
      .toMatch(/67 components: 35 eligible, 32 blocked/);

    await page.getByLabel(/Owner/).fill('group:default/payments');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => summary.innerText(), { timeout: 20_000 })
      .toMatch(/^17 components: 10 eligible, 7 blocked/);
    await shot('fleet-payments');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const file = await (await download).path();
    const csv = await readFile(file, 'utf8');
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^entity,title,owner,repository,level:basics/);
    expect(lines).toHaveLength(18);
    expect(csv).toContain('component:default/billing-service,');
  });
});
