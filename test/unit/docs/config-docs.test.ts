import assert from 'node:assert/strict';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../../common/errors.js';
import { parseDaemonConfig } from '../../../daemon/config.js';
// The scenario schema moves with the chaos code (scenarios/ → chaos/).
import { parseScenario } from '../../../chaos/scenario.js';
import { DOC, ROOT, read, section } from './doc-files.js';

/** Source files read (not imported) by these tests, one constant per folder. */
const JOURNAL_DIR = path.join(ROOT, 'actors', 'journal');

/** First-column names of the table rows of `md` (`| \`a\`, \`b\` | …` gives a and b). */
function firstColumn(md: string): string[] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .flatMap((l) => [...l.split(' | ')[0]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
}

const venue = { name: 'ex-a', rest: 'http://127.0.0.1:1/api/v3', apiKey: 'k', secret: 's' };
const withVenue = (extra: Record<string, unknown>): unknown => ({ venues: [{ ...venue, ...extra }], strategies: [], risk: { strategies: { api: {} } } });
const sample: Record<string, unknown> = { ws: 'ws://127.0.0.1:1/ws', wsApi: 'ws://127.0.0.1:1/ws-api/v3', timeoutMs: 1000, orderEntry: 'rest', breaker: {}, actor: {}, limits: { ordersPer10s: 50 }, limitsFile: '/dev/shm/bot4-doc-test' };

describe('docs/config.md: venues', () => {
  it('the daemon accepts every field of the venues table', () => {
    const fields = firstColumn(section(read(DOC.config), 'Venues'));
    assert.deepEqual(fields.sort(), ['actor', 'apiKey', 'breaker', 'limits', 'limitsFile', 'name', 'orderEntry', 'rest', 'secret', 'timeoutMs', 'ws', 'wsApi'].sort());
    for (const f of fields) if (f in sample) assert.doesNotThrow(() => parseDaemonConfig(withVenue({ [f]: sample[f] }), {}), f);
  });

  it('the daemon refuses a venue key outside the table, naming it', () => {
    assert.throws(
      () => parseDaemonConfig(withVenue({ limitz: {} }), {}),
      (e: unknown) => e instanceof ConfigError && /expected no unknown keys/.test(e.message) && /limitz/.test(e.message),
    );
  });

  it('sim.profile none is accepted at start, as docs/simulator.md says', () => {
    assert.equal(parseDaemonConfig({ sim: { profile: 'none' } }, {}).sim.profile, 'none');
    assert.match(section(read(DOC.simulator), 'Network profile `none`'), /clears the venue's profile/);
  });
});

describe('docs/journal.md: record types', () => {
  it('lists exactly the record types replay applies (actors/journal/order-records.ts)', () => {
    const src = read(path.join(JOURNAL_DIR, 'order-records.ts'));
    const replayed = [...src.matchAll(/case '([a-z]+\.[a-z]+)':/g)].map((m) => m[1]!).sort();
    assert.ok(replayed.includes('order.adopt') && replayed.includes('risk.state'), replayed.join(', '));
    const documented = firstColumn(section(read(DOC.journal), 'Records')).sort();
    assert.deepEqual(documented, replayed);
  });
});

describe('docs: YAML examples', () => {
  /** The YAML blocks of a page, parsed. */
  const yamlBlocks = (file: string): unknown[] => [...read(file).matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => parseYaml(m[1]!) as unknown);

  it('the config written out in docs/config.md validates to exactly the defaults', () => {
    const [doc] = yamlBlocks(DOC.config);
    const c = parseDaemonConfig(doc, {});
    const d = parseDaemonConfig(undefined, {});
    const { gateway: _g1, gatewayOptions: g1, ...rest1 } = c;
    const { gateway: _g2, gatewayOptions: g2, ...rest2 } = d;
    assert.deepEqual(rest1, rest2);
    assert.deepEqual([g1.host, g1.port], [g2.host, g2.port]);
  });

  it('the risk feeds example of docs/risk.md is a valid daemon config', () => {
    const [doc] = yamlBlocks(DOC.risk);
    const risk = (doc as { risk: Record<string, unknown> }).risk;
    assert.doesNotThrow(() => parseDaemonConfig({ risk, strategies: [] }, {}));
  });

  it('the scenario of docs/chaos.md parses with the scenario schema', () => {
    const [doc] = yamlBlocks(path.join(ROOT, 'docs', 'chaos.md'));
    const s = parseScenario(doc, { name: 'docs-example' });
    assert.equal(s.timeline.length, 2);
    assert.equal(parseScenario(doc, { name: 'docs-example', ci: true }).timeline.length, 1);
  });
});
