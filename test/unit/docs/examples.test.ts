import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../common/clock.js';
import { FeedDecoder } from '../../../gateway/feed-decoder.js';
import { OPS, isValidTopic, parseArgs, parseEnvelope, type OpName } from '../../../gateway/protocol.js';
import { DOC, README, markdownFiles, read } from './doc-files.js';

/** Contents of the fenced blocks of `md` whose info string is `lang`. */
function blocks(md: string, lang: string): string[] {
  const out: string[] = [];
  const re = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  for (const m of md.matchAll(re)) out.push(m[1]!);
  return out;
}

/** Codes of the one table in docs/errors.md. */
const errorCodes = new Set([...read(DOC.errors).matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));

describe('docs: examples', () => {
  it('every /ws request line in docs/ws-api.md parses with gateway/protocol.ts', () => {
    const lines = blocks(read(DOC.wsApi), 'json').flatMap((b) => b.split('\n')).filter((l) => l.includes('"op":'));
    assert.ok(lines.length >= 5, `only ${lines.length} request examples`);
    for (const line of lines) {
      const env = parseEnvelope(JSON.parse(line));
      assert.ok(env.ok, `${line}: ${JSON.stringify(env)}`);
      const args = parseArgs(env.op as OpName, env.args);
      assert.ok(args.ok, `${line}: ${JSON.stringify(args)}`);
    }
  });

  it('the args column of the op table in docs/ws-api.md parses, op by op', () => {
    let checked = 0;
    for (const row of read(DOC.wsApi).split('\n').filter((l) => l.startsWith('| `'))) {
      const cells = row.split(' | ');
      const ops = [...cells[0]!.matchAll(/`([A-Za-z.]+)`/g)].map((m) => m[1]!).filter((o) => Object.hasOwn(OPS, o));
      const json = /^`(\{[^`]*\})`/.exec(cells[2] ?? '');
      if (ops.length === 0 || json === null) continue;
      let args: unknown;
      try {
        args = JSON.parse(json[1]!);
      } catch {
        continue; // an illustration with placeholders ("...", alternatives)
      }
      for (const op of ops) {
        const r = parseArgs(op as OpName, args);
        assert.ok(r.ok, `${op} ${json[1]}: ${JSON.stringify(r)}`);
        checked++;
      }
    }
    assert.ok(checked >= 4, `only ${checked} args examples checked`);
  });

  it('every code or reason named in a JSON example of the docs is in docs/errors.md', () => {
    const missing: string[] = [];
    for (const file of markdownFiles()) {
      for (const m of read(file).matchAll(/"(?:code|reason|engineCode|gatewayCode)":\s*"([A-Z][A-Z0-9_]+)"/g)) {
        if (!errorCodes.has(m[1]!)) missing.push(`${file}: ${m[1]}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('the README example uses real ops and topics', () => {
    const js = blocks(read(README), 'js');
    assert.equal(js.length, 1, 'one JS example in the README');
    const sends = [...js[0]!.matchAll(/send\(\d+, '([A-Za-z.]+)', /g)].map((m) => m[1]!);
    assert.deepEqual(sends, ['subscribe', 'order.submit', 'order.cancel']);
    for (const op of sends) assert.ok(Object.hasOwn(OPS, op), op);
    const topics = [...js[0]!.matchAll(/topics: \[([^\]]*)\]/g)].flatMap((m) => [...m[1]!.matchAll(/'([^']+)'/g)].map((t) => t[1]!));
    assert.ok(topics.length >= 2);
    for (const t of topics) assert.ok(isValidTopic(t), t);
    assert.ok(parseArgs('order.submit', { venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks: 5_940_000, qtyLots: 20, clientOrderId: `readme-${Date.now()}` }).ok);
  });

  it('the /feed JSON records of docs/ws-api.md decode', () => {
    const records = blocks(read(DOC.wsApi), 'json').flatMap((b) => b.split('\n')).filter((l) => l.includes('"type":"') && l.includes('"seq"'));
    assert.equal(records.length, 3);
    let got = 0;
    const dec = new FeedDecoder(() => {
      got++;
      return true;
    }, new SimulatedClock());
    for (const r of records) assert.ok(dec.decodeJson(r), r);
    assert.equal(got, 3);
  });
});

describe('docs: code names in prose', () => {
  it('every error or denial code the README and docs name in backticks is in docs/errors.md', () => {
    const code = /`((?:B4|GW|RISK|VENUE|ORDER|JOURNAL|STRATEGY|ENGINE|DUPLICATE|UNKNOWN|CANCEL)_[A-Z0-9_]+|API_STRATEGY_HOSTED)`/g;
    const notCodes = /_DEFAULTS$|^RISK_OK$|^STRATEGY_PREFIX_SAFE_MAX$|^VENUE_DENIALS$/;
    const missing: string[] = [];
    for (const file of markdownFiles()) {
      for (const m of read(file).matchAll(code)) if (!notCodes.test(m[1]!) && !errorCodes.has(m[1]!)) missing.push(`${file}: ${m[1]}`);
    }
    assert.deepEqual([...new Set(missing)], []);
  });
});
