import type { Server } from 'node:http';

export const defaultOutDir: string;
export function buildHarness(outDir?: string): Promise<string>;
export function startHarnessServer(options: {
  target: string;
  outDir?: string;
  port?: number;
}): Promise<{ server: Server; origin: string }>;
