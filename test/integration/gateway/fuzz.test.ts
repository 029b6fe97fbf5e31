import assert from 'node:assert/strict';
import { pino } from 'pino';
import { GW_CODES, GatewayServer, feedEncoder, type GatewayAddress } from '../../../gateway/index.js';
import { SeededRandom } from '../../../common/random.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });
const codes: ReadonlySet<string> = new Set(GW_CODES);

const validArgs = (): Record<string, unknown> => ({
  clientOrderId: 'c-1', strategy: 'mm', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 1, reduceOnly: false,
});
const wrongValues: unknown[] = ['12', 12, -1, 1.5, null, true, [], {}, [1], { a: 1 }, '', 'x'.repeat(300)];
const hugeNumbers = ['1e308', '1e400', '-1e400', '9007199254740993', '123456789012345678901234567890', '-0', '0.0000001', '1.5', '-9007199254740991'];
const junkJson = ["{'v':1}", '{"v":1,}', 'NaN', 'undefined', '[1,2', '{"v":1 "id":2}', '"unterminated', '{}}', '\u0000', 'nul', '{"v":1,"id":1,"op":"ping"}{"x":1}'];

/** One invalid /ws text frame, deterministic from the generator. Every one must be refused. */
function fuzzText(r: SeededRandom, i: number): string {
  const kind = r.int(6);
  const base = { v: 1, id: i, op: 'order.submit', args: validArgs() };
  switch (kind) {
    case 0: {
      // malformed JSON: a valid request cut short (an object missing its closing brace never parses), or junk
      if (r.int(2) === 0) {
        const s = JSON.stringify(base);
        return s.slice(0, 1 + r.int(s.length - 1));
      }
      return junkJson[r.int(junkJson.length)]!;
    }
    case 1: {
      // wrong type in an arg
      const args = validArgs();
      const keys = Object.keys(args);
      const key = keys[r.int(keys.length)]!;
      // a value of another JSON type (numbers also get out-of-range ones): never valid for the field
      const t = typeof args[key];
      const pool = wrongValues.filter((v) => (t === 'number' ? typeof v !== 'number' || !Number.isInteger(v) || v < 1 : typeof v !== t));
      args[key] = pool[r.int(pool.length)];
      return JSON.stringify({ ...base, args });
    }
    case 2: {
      // wrong type in the envelope (values that are invalid for that field)
      const env: Record<string, unknown> = { ...base };
      const bad: Record<string, unknown[]> = {
        v: ['1', 2, 0, null, true, [], {}, 1.5],
        id: [null, true, [], {}, '', 'x'.repeat(65), 1.5, 1e300],
        op: [12, null, true, [], {}, ''],
        args: ['12', 12, null, true, [], [1], {}, { a: 1 }],
      };
      const field = ['v', 'id', 'op', 'args'][r.int(4)]!;
      const choices = bad[field]!;
      env[field] = choices[r.int(choices.length)];
      return JSON.stringify(env);
    }
    case 3: {
      // unknown op
      const ops = ['', 'order', 'order.submitt', 'ORDER.SUBMIT', '__proto__', 'constructor', 'toString', `op${r.nextU32()}`, 'killSwitch', 'status'];
      return JSON.stringify({ ...base, op: ops[r.int(ops.length)] });
    }
    case 4: {
      // huge / non-integer numbers spliced in as raw JSON text
      const field = ['priceTicks', 'qtyLots'][r.int(2)]!;
      return JSON.stringify({ ...base }).replace(`"${field}":${field === 'priceTicks' ? 100 : 1}`, `"${field}":${hugeNumbers[r.int(hugeNumbers.length)]}`);
    }
    default: {
      // structural oddities: unknown keys, prototype keys, deep nesting, wrong version
      const variants = [
        `{"v":1,"id":${i},"op":"order.submit","args":{"__proto__":{"priceTicks":1},"venue":"sim-a"}}`,
        JSON.stringify({ ...base, extra: true }),
        JSON.stringify({ ...base, v: 2 }),
        JSON.stringify({ ...base, args: { ...validArgs(), admin: true } }),
        `${'['.repeat(500)}${']'.repeat(500)}`,
        JSON.stringify({ ...base, args: { ...validArgs(), side: 'BUY' } }),
        JSON.stringify({ ...base, args: { ...validArgs(), venue: 'sim a' } }),
      ];
      return variants[r.int(variants.length)]!;
    }
  }
}

describe('gateway fuzz (real sockets)', () => {
  let port: EnginePortDouble;
  let gw: GatewayServer;
  let addr: GatewayAddress;

  beforeEach(async () => {
    port = new EnginePortDouble();
    gw = new GatewayServer(
      port,
      { port: 0, tokens: TOKEN_CONFIG, limits: { messagesPerSec: 10_000_000, burst: 10_000_000, maxPayloadBytes: 4096, feedMaxPayloadBytes: 4096 } },
      { logger: silent },
    );
    addr = await gw.start();
  });

  afterEach(async () => {
    await gw.stop();
  });

  it('answers 10k fuzzed /ws frames each with one typed error; the engine and a bystander are unaffected', async () => {
    const r = new SeededRandom('gateway-fuzz');
    const fuzz = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    const bystander = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    await bystander.request('subscribe', { topics: ['orders'] });
    const n = 10_000;
    const sent: string[] = [];
    let binary = 0;
    for (let i = 0; i < n; i++) {
      if (r.int(20) === 0) {
        // binary frame on the JSON endpoint
        const b = Buffer.alloc(1 + r.int(64));
        for (let k = 0; k < b.length; k++) b[k] = r.int(256);
        fuzz.sendRaw(b, true);
        sent.push('<binary>');
        binary++;
      } else {
        const s = fuzzText(r, i);
        fuzz.sendRaw(s);
        sent.push(s);
      }
      if (i % 1000 === 999) {
        // the bystander keeps working while the flood is in progress
        assert.equal((await bystander.request('ping')).ok, true);
      }
    }
    await fuzz.waitFor(() => fuzz.messages.length >= n, `${n} replies`, 20_000);
    assert.equal(fuzz.closeCode, null, 'the fuzzing connection stays open');
    assert.equal(fuzz.messages.length, n);
    for (let i = 0; i < n; i++) {
      const m = fuzz.messages[i]!;
      assert.equal(m.ok, false, `frame ${i} was accepted: ${sent[i]}`);
      assert.ok(codes.has(m.error!.code), `frame ${i}: untyped code ${m.error!.code}`);
      assert.ok(m.id === null || m.id === i, `frame ${i}: reply id ${String(m.id)}`);
    }
    assert.ok(binary > 300);
    const seen = new Set(fuzz.messages.map((m) => m.error!.code));
    for (const c of ['GW_BAD_JSON', 'GW_BAD_FRAME', 'GW_BAD_REQUEST', 'GW_UNKNOWN_OP', 'GW_UNSUPPORTED_VERSION']) assert.ok(seen.has(c), `no ${c} seen`);
    assert.deepEqual(port.calls, [], 'no invalid frame reached the engine');
    assert.equal(bystander.closeCode, null);
    assert.equal(bystander.messages.filter((m) => m.topic !== undefined).length, 0);
    // the server still serves new connections and valid requests after the flood
    const after = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.trade}` } });
    assert.equal((await after.request('order.submit', validArgs())).ok, true);
    assert.equal(port.stateChangingCalls().length, 1);
    for (const c of [fuzz, bystander, after]) c.close();
  });

  it('closes invalid UTF-8 and oversize frames as documented, leaving other connections alone', async () => {
    const r = new SeededRandom('gateway-fuzz-close');
    const bystander = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    for (let i = 0; i < 20; i++) {
      const c = await TestClient.connect(addr.api);
      const invalid = i % 2 === 0;
      if (invalid) {
        // lone continuation bytes / truncated sequences: not UTF-8, sent as a TEXT frame
        const b = r.int(2) === 0 ? Buffer.from([0x7b, 0xff, 0x7d]) : Buffer.from([0xc3, 0x28, 0x80 | r.int(64)]);
        c.sendRaw(b, false);
      } else {
        c.sendRaw(JSON.stringify({ v: 1, id: i, op: 'ping', pad: 'x'.repeat(4096 + r.int(10_000)) }));
      }
      await c.closed();
      if (invalid) assert.equal(c.closeCode, 1006, 'uWS drops invalid UTF-8 without a close frame');
      else assert.equal(c.closeCode, 1009);
      assert.equal(c.messages.length, 0);
    }
    assert.equal((await bystander.request('ping')).ok, true);
    assert.equal(bystander.closeCode, null);
    assert.deepEqual(port.calls, []);
    bystander.close();
  });

  it('survives 3k fuzzed /feed frames: every notice is typed and the server keeps ingesting', async () => {
    const r = new SeededRandom('gateway-feed-fuzz');
    const p = await TestClient.connect(addr.feed, { headers: { authorization: `Bearer ${TOKENS.feed}` } });
    const good = Buffer.alloc(256);
    const dv = new DataView(good.buffer, good.byteOffset, good.byteLength);
    let o = feedEncoder.announceVenue(dv, 0, 1, 'sim-a');
    o = feedEncoder.announceSymbol(dv, o, 1, 1, 'BTC/USDT');
    p.sendRaw(good.subarray(0, o), true);
    let seq = 1;
    for (let i = 0; i < 3000; i++) {
      const kind = r.int(4);
      if (kind === 0) {
        const b = Buffer.alloc(1 + r.int(200));
        for (let k = 0; k < b.length; k++) b[k] = r.int(256);
        p.sendRaw(b, true);
      } else if (kind === 1) {
        const end = feedEncoder.trade(dv, 0, 1, 1, seq++, 0, 100, 1, 'buy');
        good[r.int(end)] = r.int(256); // one random byte flipped: may or may not stay valid
        p.sendRaw(Buffer.from(good.subarray(0, r.int(end + 1))), true);
      } else if (kind === 2) {
        p.sendRaw(['{"v":1', '[]', '{"v":1,"type":"ticker"}', 'null', '[null]', '{"v":1,"type":"trade","venue":"sim-a","symbol":"BTC/USDT","seq":1e400,"tsUs":0,"px":1,"qty":1,"side":"buy"}'][r.int(6)]!);
      } else {
        seq += 1_000_000; // past anything a flipped byte may have produced
        const end = feedEncoder.ticker(dv, 0, 1, 1, seq++, 0, 10, 1, 11, 1);
        p.sendRaw(Buffer.from(good.subarray(0, end)), true);
      }
    }
    const sub = await TestClient.connect(addr.api);
    assert.equal((await sub.request('ping')).ok, true);
    await p.waitFor((m) => m.error !== undefined, 'a notice');
    assert.equal(p.closeCode, null);
    for (const m of p.messages) assert.ok(codes.has(m.error!.code), `untyped ${m.error!.code}`);
    assert.ok(port.md.length > 500, `only ${port.md.length} valid records ingested`);
    assert.deepEqual(port.stateChangingCalls(), []);
    p.close();
    sub.close();
  });
});
