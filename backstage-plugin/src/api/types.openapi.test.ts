// The plugin's API types against the service's own OpenAPI document (openapi/openapi.json,
// which a Rust test keeps equal to what the service serves): every interface has exactly the
// schema's properties, and whatever the schema requires is not optional here.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const openapi = JSON.parse(
  readFileSync(resolve(__dirname, '../../../openapi/openapi.json'), 'utf8'),
);
const source = ts.createSourceFile(
  'types.ts',
  readFileSync(resolve(__dirname, 'types.ts'), 'utf8'),
  ts.ScriptTarget.Latest,
);

type Fields = Map<string, { optional: boolean }>;

const interfaces = new Map<string, ts.InterfaceDeclaration>();
const aliases = new Map<string, ts.TypeAliasDeclaration>();
source.forEachChild(node => {
  if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  if (ts.isTypeAliasDeclaration(node)) aliases.set(node.name.text, node);
});

/** The members of a union of string literals, e.g. `'green' | 'amber' | 'red'`. */
function tsLiterals(name: string): string[] {
  const decl = aliases.get(name);
  if (!decl) throw new Error(`no type ${name} in types.ts`);
  const members = ts.isUnionTypeNode(decl.type) ? decl.type.types : [decl.type];
  return members.map(m => {
    if (ts.isLiteralTypeNode(m) && ts.isStringLiteral(m.literal))
      return m.literal.text;
    throw new Error(`${name} is not a union of string literals`);
  });
}

function tsFields(name: string): Fields {
  const decl = interfaces.get(name);
  if (!decl) throw new Error(`no interface ${name} in types.ts`);
  const out: Fields = new Map();
  for (const clause of decl.heritageClauses ?? []) {
    for (const t of clause.types) {
      for (const [k, v] of tsFields(t.expression.getText(source)))
        out.set(k, v);
    }
  }
  for (const m of decl.members) {
    if (ts.isPropertySignature(m) && m.name) {
      out.set(m.name.getText(source).replace(/['"]/g, ''), {
        optional: !!m.questionToken,
      });
    }
  }
  return out;
}

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  properties?: Record<string, unknown>;
  required?: string[];
};

function schemaFields(schema: Schema): {
  props: Set<string>;
  required: Set<string>;
} {
  if (schema.$ref)
    return schemaFields(
      openapi.components.schemas[schema.$ref.split('/').pop()!],
    );
  const props = new Set(Object.keys(schema.properties ?? {}));
  const required = new Set(schema.required ?? []);
  for (const part of schema.allOf ?? []) {
    const inner = schemaFields(part);
    inner.props.forEach(p => props.add(p));
    inner.required.forEach(p => required.add(p));
  }
  return { props, required };
}

// Our name → the service's schema name.
const pairs: Record<string, string> = {
  Link: 'LinkView',
  BlockingReason: 'BlockingView',
  CheckUse: 'UsedIn',
  LevelProgress: 'Progress',
  TrackLevelHealth: 'LevelHealth',
  TrackHealth: 'TrackHealth',
  Exemption: 'ExemptionView',
  CheckResult: 'CheckResult',
  Eligibility: 'EligibilityView',
  EntityHealth: 'EntityHealth',
  StaleFacts: 'StaleFacts',
  EntitySummary: 'EntitySummary',
  EntityPage: 'EntityPage',
  LevelCount: 'LevelCount',
  TrackDistribution: 'TrackDistribution',
  GroupSummary: 'GroupSummary',
  GroupCheckStats: 'CheckTally',
  GroupHealth: 'GroupHealth',
  TrendPoint: 'TrendPoint',
  GroupTrend: 'GroupTrend',
  Repository: 'Repository',
  TechnologyUse: 'TechnologyFound',
  EligibilityRow: 'EligibilityRow',
  EligibilitySummary: 'EligibilitySummary',
  EligibilityPage: 'EligibilityPage',
  CheckDefinition: 'CheckView',
  TrackDefinition: 'TrackView',
  ChangeTarget: 'Target',
  ChangeCriteria: 'Criteria',
  ChangeWavePlan: 'WavePlan',
  GithubMatch: 'GithubMatch',
  FleetChange: 'FleetChange',
  PauseReason: 'PauseReason',
  WaveCounts: 'WaveCounts',
  WaveCriterion: 'CriterionView',
  ChangeWave: 'WaveView',
  ChangeTeam: 'TeamView',
  ChangeView: 'ChangeView',
  ChangeSummary: 'ChangeSummary',
  ChangeComponent: 'MemberView',
  BurnupPoint: 'ChangeBurnupPoint',
  ChangeTransition: 'Transition',
};

describe('types.ts matches openapi/openapi.json', () => {
  for (const [ours, theirs] of Object.entries(pairs)) {
    it(`${ours} = ${theirs}`, () => {
      const schema = openapi.components.schemas[theirs];
      expect(schema, `schema ${theirs}`).toBeDefined();
      const { props, required } = schemaFields(schema);
      const fields = tsFields(ours);
      expect([...fields.keys()].sort()).toEqual([...props].sort());
      for (const r of required)
        expect(fields.get(r)?.optional, `${ours}.${r} is required`).toBe(false);
    });
  }
});

// String unions of types.ts → the service's enum schemas.
const enums: Record<string, string> = {
  ChangeOutcome: 'Outcome',
  MemberState: 'MemberState',
  CriterionStatus: 'Light',
};

describe('string unions of types.ts match the enums of openapi/openapi.json', () => {
  for (const [ours, theirs] of Object.entries(enums)) {
    it(`${ours} = ${theirs}`, () => {
      const schema = openapi.components.schemas[theirs];
      expect(schema?.enum, `enum schema ${theirs}`).toBeDefined();
      expect(tsLiterals(ours).sort()).toEqual([...schema.enum].sort());
    });
  }
});
