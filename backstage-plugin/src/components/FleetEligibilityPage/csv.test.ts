import { describe, expect, it } from 'vitest';
import { eligibilityFirstPage } from '../../testing/fixtures';
import { csvField, eligibilityCsv } from './csv';

describe('csvField', () => {
  it('quotes separators, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(false)).toBe('false');
  });

  it('keeps spreadsheets from running formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField('-1')).toBe("'-1");
  });
});

describe('eligibilityCsv', () => {
  it('writes one line per row with one column per track', () => {
    const csv = eligibilityCsv(eligibilityFirstPage.items, [
      'basics',
      'fleet-readiness',
    ]);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'entity,title,owner,repository,level:basics,level:fleet-readiness,technology,technologyVersion,eligible,wave,blockingCodes,blockingMessages',
    );
    expect(lines).toHaveLength(eligibilityFirstPage.items.length + 1);
    const billing = lines.find(line =>
      line.startsWith('component:default/billing-service,'),
    );
    expect(billing).toContain(',silver,bronze,java,11.0.21,false,,');
    expect(billing).toContain('level-too-low:fleet-readiness<silver; ci-red');
  });
});
