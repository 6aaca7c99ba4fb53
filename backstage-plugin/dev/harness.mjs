// Builds the development harness (dev/index.tsx) with esbuild and serves it, proxying
// `/api/...` to a tech-health service so the page and the API share one origin.
import { build } from 'esbuild';
import { mkdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const defaultOutDir = path.join(here, '.build');

/** Bundles the harness page into `outDir` (bundle.js, bundle.css and chunks). */
export async function buildHarness(outDir = defaultOutDir) {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { bundle: path.join(here, 'index.tsx') },
    outdir: outDir,
    bundle: true,
    format: 'esm',
    splitting: true,
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    sourcemap: false,
    logLevel: 'warning',
    loader: {
      '.svg': 'dataurl',
      '.png': 'dataurl',
      '.woff': 'dataurl',
      '.woff2': 'dataurl',
    },
    define: {
      'process.env.NODE_ENV': '"production"',
      'process.env.HAS_REACT_DOM_CLIENT': 'true',
      'process.env.APP_CONFIG': 'null',
      global: 'globalThis',
    },
    // A few dependencies read other process.env keys at run time.
    banner: { js: 'var process = globalThis.process || { env: {} };' },
  });
  return outDir;
}

function indexHtml(origin) {
  // The dev app reads its config from this script tag (defaultConfigLoader).
  const config = [
    {
      context: 'harness',
      data: {
        app: { title: 'tech-health plugin harness', baseUrl: origin },
        backend: { baseUrl: origin },
      },
    },
  ];
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>tech-health plugin harness</title>
    <script type="backstage.io/config">${JSON.stringify(config)}</script>
    <link rel="stylesheet" href="/bundle.css" />
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/bundle.js"></script>
  </body>
</html>`;
}

const types = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
};

function proxy(req, res, target) {
  const url = new URL(req.url, target);
  const upstream = http.request(
    url,
    { method: req.method, headers: { ...req.headers, host: url.host } },
    answer => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', error => {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: {
          code: 'proxy',
          message: `tech-health is unreachable: ${error.message}`,
          details: null,
        },
      }),
    );
  });
  req.pipe(upstream);
}

/**
 * Serves the built harness on 127.0.0.1 (`port` 0 picks a free one); `/api/...` goes to
 * `target`, the service's base URL. Resolves to the server and its origin.
 */
export async function startHarnessServer({
  target,
  outDir = defaultOutDir,
  port = 0,
}) {
  const server = http.createServer(async (req, res) => {
    const pathname = new URL(req.url, 'http://harness').pathname;
    if (pathname.startsWith('/api/')) {
      proxy(req, res, target);
      return;
    }
    const ext = path.extname(pathname);
    if (ext && types[ext]) {
      try {
        const file = path.join(
          outDir,
          path.normalize(pathname).replace(/^([/\\])+/, ''),
        );
        if (!file.startsWith(outDir)) throw new Error('outside');
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': types[ext] });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
      return;
    }
    const origin = `http://${req.headers.host}`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(indexHtml(origin));
  });
  await new Promise(resolve => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  return { server, origin: `http://127.0.0.1:${address.port}` };
}
