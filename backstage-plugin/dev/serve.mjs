// `npm start`: the development harness against a running tech-health service.
//   TECH_HEALTH_URL   the service's base URL (default http://127.0.0.1:7070)
//   PORT              where to serve the harness (default 3000)
import { buildHarness, startHarnessServer } from './harness.mjs';

const target = process.env.TECH_HEALTH_URL ?? 'http://127.0.0.1:7070';
const port = Number(process.env.PORT ?? 3000);

await buildHarness();
const { origin } = await startHarnessServer({ target, port });
console.log(
  `harness on ${origin} (component, group, fleet and /changes/<id> pages), /api -> ${target}`,
);
