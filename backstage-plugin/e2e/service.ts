import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface RunningService {
  url: string;
  stop: () => Promise<void>;
}

const READY = /tech-health listening on (http:\/\/127\.0\.0\.1:\d+)/;

/**
 * Starts `$TECH_HEALTH_BIN serve --demo` on a free port with a fresh SQLite database and
 * waits for its "listening" line. `env` adds to the service's environment (e.g.
 * `TECH_HEALTH_ADMIN_TOKEN` for tests that write).
 */
export async function startService(
  bin: string,
  timeoutMs = 120_000,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tech-health-e2e-'));
  const child = spawn(
    bin,
    [
      'serve',
      '--demo',
      '--bind',
      '127.0.0.1:0',
      '--database',
      `sqlite://${path.join(dir, 'th.db')}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(`tech-health did not start in ${timeoutMs} ms:\n${output}`),
        ),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', error => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${bin}: ${error.message}`));
    });
    child.on('exit', code => {
      clearTimeout(timer);
      reject(
        new Error(
          `tech-health exited with ${code} before listening:\n${output}`,
        ),
      );
    });
  });
  return {
    url,
    stop: async () => {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) {
    return Promise.resolve();
  }
  return new Promise(resolve => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
