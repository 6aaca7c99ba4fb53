import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { buildHarness, startHarnessServer } from '../dev/harness.mjs';
import { launchChromium } from './browser';
import { startService, type RunningService } from './service';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Where the tests' screenshots go (git-ignored). */
export const screenshots = path.join(here, 'screenshots');

export interface Session {
  service: RunningService;
  page: Page;
  /** Opens a path of the harness, e.g. `/group?name=payments`. */
  open: (pathAndQuery: string) => Promise<unknown>;
  /** A full-page screenshot, `screenshots/<name>.png`. */
  shot: (name: string) => Promise<unknown>;
  close: () => Promise<void>;
}

/**
 * The real service (`serve --demo`, with `env` added to its environment), the development
 * harness proxying to it, and a headless Chromium page.
 */
export async function startSession(
  bin: string,
  env: Record<string, string> = {},
): Promise<Session> {
  await mkdir(screenshots, { recursive: true });
  const [service] = await Promise.all([
    startService(bin, undefined, env),
    buildHarness(),
  ]);
  let harness: { server: Server; origin: string } | undefined;
  let browser: Browser | undefined;
  try {
    harness = await startHarnessServer({ target: service.url });
    browser = await launchChromium();
  } catch (error) {
    harness?.server.close();
    await service.stop();
    throw error;
  }
  const page = await browser.newPage({
    viewport: { width: 1400, height: 1000 },
  });
  page.on('pageerror', error => console.error('page error:', error.message));
  const origin = harness.origin;
  const server = harness.server;
  const opened = browser;
  return {
    service,
    page,
    open: pathAndQuery =>
      page.goto(`${origin}${pathAndQuery}`, { waitUntil: 'domcontentloaded' }),
    shot: name =>
      page.screenshot({
        path: path.join(screenshots, `${name}.png`),
        fullPage: true,
      }),
    close: async () => {
      await opened.close();
      server.close();
      await service.stop();
    },
  };
}
