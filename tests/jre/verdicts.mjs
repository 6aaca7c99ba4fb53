// json-rules-engine 7 verdicts, run the way Backstage Tech Insights' JsonRulesEngineFactChecker
// runs them: per entity, a new Engine({allowUndefinedFacts: true}) holding every check as a rule,
// run against that entity's facts.
//
// usage: JRE_FROM=<dir with node_modules>/package.json node verdicts.mjs DIR
// reads  DIR/facts.json (JSON array or NDJSON of {entity, facts}) and DIR/checks.json
// prints one NDJSON line per entity, in input order:
//   {"entity": "<ref>", "passed": ["<checkId>", ...]}
// or, when the engine throws for that entity: {"entity": "<ref>", "error": "<message>"}
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(process.env.JRE_FROM || import.meta.url);
const { Engine } = require('json-rules-engine');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node verdicts.mjs DIR');
  process.exit(2);
}
const text = readFileSync(`${dir}/facts.json`, 'utf8');
const records = text.trimStart().startsWith('[')
  ? JSON.parse(text)
  : text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
const checks = JSON.parse(readFileSync(`${dir}/checks.json`, 'utf8'));

const out = [];
for (const { entity, facts } of records) {
  const engine = new Engine([], { allowUndefinedFacts: true });
  for (const c of checks) engine.addRule({ ...c.rule, name: c.id, event: { type: c.id } });
  try {
    const { results } = await engine.run(facts);
    out.push(JSON.stringify({ entity, passed: results.map((r) => r.name) }));
  } catch (e) {
    out.push(JSON.stringify({ entity, error: String(e && e.stack ? e.stack : e) }));
  }
  if (out.length >= 1000) {
    process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  }
}
if (out.length) process.stdout.write(out.join('\n') + '\n');
