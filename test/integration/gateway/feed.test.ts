import assert from 'node:assert/strict';
import { pino } from 'pino';
import { GatewayServer, feedEncoder, type GatewayAddress } from '../../../gateway/index.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });

function frame(write: (dv: DataView) => number): Buffer {
  const buf = Buffer.alloc(4096);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return buf.subarray(0, write(dv));
}

describe('gateway /feed ingest (real sockets)', () => {
  let port: EnginePortDouble;
  let gw: GatewayServer;
  let addr: GatewayAddress;
  const clients: TestClient[] = [];

  async function producer(token = TOKENS.feed): Promise<TestClient> {
    const c = await TestClient.connect(addr.feed, { headers: { authorization: `Bearer ${token}` } });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    port = new EnginePortDouble();
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, limits: { feedMaxPayloadBytes: 2048 } }, { logger: silent });
    addr = await gw.start();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await gw.stop();
  });

  it('refuses producers without a token (401) or without the feed role (403)', async () => {
    await assert.rejects(TestClient.connect(addr.feed), /HTTP 401/);
    await assert.rejects(TestClient.connect(addr.feed, { headers: { authorization: `Bearer ${TOKENS.read}` } }), /HTTP 403/);
    // a token in the URL is refused outright (even a valid feed token): URLs end up in logs
    await assert.rejects(TestClient.connect(`${addr.feed}?token=${TOKENS.feed}`), /HTTP 400.*GW_TOKEN_IN_URL/);
    const admin = await producer(TOKENS.admin);
    assert.ok(admin);
  });

  it('ingests binary records (batched) and hands validated messages to the engine; subscribers get them', async () => {
    const sub = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    clients.push(sub);
    await sub.request('subscribe', { topics: ['md.trade.sim-a.BTC/USDT'] });
    const p = await producer();
    p.sendRaw(
      frame((dv) => {
        let o = feedEncoder.announceVenue(dv, 0, 7, 'sim-a');
        o = feedEncoder.announceSymbol(dv, o, 7, 42, 'BTC/USDT');
        o = feedEncoder.ticker(dv, o, 7, 42, 1, 1_732_500_000_000_000, 6_500_000, 3, 6_500_100, 2);
        o = feedEncoder.trade(dv, o, 7, 42, 2, 1_732_500_000_000_100, 6_500_050, 1, 'sell');
        return feedEncoder.book(dv, o, 7, 42, 3, 1_732_500_000_000_200, 'buy', 1, 6_499_900, 0);
      }),
      true,
    );
    const ev = await sub.waitFor((m) => m.topic === 'md.trade.sim-a.BTC/USDT');
    assert.equal((ev.data as { px: number }).px, 6_500_050);
    assert.equal(port.md.length, 3);
    const [t, tr, b] = port.md as [typeof port.md[0], typeof port.md[0], typeof port.md[0]];
    assert.deepEqual(
      { kind: t.kind, topic: t.topic, venue: t.venue, symbol: t.symbol, seq: t.seq, exchTsUs: t.exchTsUs, bidPx: t.bidPx, bidQty: t.bidQty, askPx: t.askPx, askQty: t.askQty },
      { kind: 'ticker', topic: 'md.ticker.sim-a.BTC/USDT', venue: 'sim-a', symbol: 'BTC/USDT', seq: 1, exchTsUs: 1_732_500_000_000_000, bidPx: 6_500_000, bidQty: 3, askPx: 6_500_100, askQty: 2 },
    );
    assert.deepEqual([tr.kind, tr.px, tr.qty, tr.side, tr.seq], ['trade', 6_500_050, 1, 'sell', 2]);
    assert.deepEqual([b.kind, b.topic, b.side, b.level, b.px, b.qty], ['book', 'md.book.sim-a.BTC/USDT', 'buy', 1, 6_499_900, 0]);
    assert.deepEqual(gw.stats().feedRecords, { ticker: 1, trade: 1, book: 1 });
    assert.equal(p.messages.length, 0, 'no notices for good frames');
  });

  it('ingests JSON records (single and array)', async () => {
    const p = await producer();
    p.sendRaw(JSON.stringify({ v: 1, type: 'ticker', venue: 'sim-b', symbol: 'ETH/USDT', seq: 1, tsUs: 5, bidPx: 10, bidQty: 1, askPx: 11, askQty: 1 }));
    p.sendRaw(JSON.stringify([
      { v: 1, type: 'trade', venue: 'sim-b', symbol: 'ETH/USDT', seq: 2, tsUs: 6, px: 10, qty: 2, side: 'buy' },
      { v: 1, type: 'book', venue: 'sim-b', symbol: 'ETH/USDT', seq: 3, tsUs: 7, side: 'sell', level: 0, px: 11, qty: 4 },
    ]));
    const sub = await TestClient.connect(addr.api, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    clients.push(sub);
    await sub.request('ping');
    for (let i = 0; i < 50 && port.md.length < 3; i++) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(port.md.map((m) => [m.kind, m.topic, m.seq]), [
      ['ticker', 'md.ticker.sim-b.ETH/USDT', 1],
      ['trade', 'md.trade.sim-b.ETH/USDT', 2],
      ['book', 'md.book.sim-b.ETH/USDT', 3],
    ]);
  });

  it('rejects bad frames with typed notices and delivers nothing from the bad record on', async () => {
    const p = await producer();
    const expectNotice = async (code: string): Promise<string> => {
      const n = p.messages.length;
      const m = await p.waitFor((x) => p.messages.indexOf(x) >= n && x.error !== undefined, code);
      assert.equal(m.error!.code, code);
      assert.equal(m.id, null);
      return m.error!.message;
    };
    p.sendRaw(frame((dv) => feedEncoder.ticker(dv, 0, 1, 1, 1, 0, 1, 1, 2, 1)), true);
    await expectNotice('GW_FEED_UNKNOWN_SYMBOL');
    p.sendRaw(frame((dv) => feedEncoder.announceSymbol(dv, 0, 1, 1, 'X/Y')), true);
    await expectNotice('GW_FEED_UNKNOWN_SYMBOL');
    p.sendRaw(frame((dv) => {
      const o = feedEncoder.announceVenue(dv, 0, 1, 'v');
      return feedEncoder.announceSymbol(dv, o, 1, 1, 'X/Y');
    }), true);
    p.sendRaw(Buffer.from([2, 2, 0, 0]), true);
    assert.match(await expectNotice('GW_FEED_BAD_FRAME'), /record 0: expected a 24-byte header/);
    p.sendRaw(frame((dv) => feedEncoder.ticker(dv, 0, 1, 1, 5, 0, 1, 1, 2, 1)), true);
    p.sendRaw(frame((dv) => feedEncoder.ticker(dv, 0, 1, 1, 5, 0, 1, 1, 2, 1)), true);
    await expectNotice('GW_FEED_STALE_SEQ');
    p.sendRaw(frame((dv) => feedEncoder.ticker(dv, 0, 1, 1, 6, 0, 3, 1, 2, 1)), true);
    assert.match(await expectNotice('GW_FEED_BAD_FRAME'), /bidPx <= askPx/);
    // a batch: good, then bad type byte, then good: only the first is delivered
    const batch = frame((dv) => {
      let o = feedEncoder.ticker(dv, 0, 1, 1, 7, 0, 1, 1, 2, 1);
      const bad = o;
      o = feedEncoder.ticker(dv, o, 1, 1, 8, 0, 1, 1, 2, 1);
      dv.setUint8(bad + 1, 9);
      return feedEncoder.ticker(dv, o, 1, 1, 9, 0, 1, 1, 2, 1);
    });
    p.sendRaw(batch, true);
    const n = p.messages.length;
    const m = await p.waitFor((x) => p.messages.indexOf(x) >= n);
    assert.deepEqual([m.error!.code, m.error!.details], ['GW_FEED_BAD_FRAME', { record: 1, accepted: 1 }]);
    p.sendRaw('{"v":1');
    await expectNotice('GW_BAD_JSON');
    p.sendRaw(JSON.stringify({ v: 1, type: 'trade', venue: 'v', symbol: 'X/Y', seq: 100, tsUs: 0, px: 1, qty: 1, side: 'up' }));
    assert.match(await expectNotice('GW_FEED_BAD_FRAME'), /^records\.0\.side: expected one of "buy", "sell", got "up"$/);
    p.sendRaw(JSON.stringify({ v: 1, type: 'ticker', venue: 'v', symbol: 'X/Y', seq: 1e300, tsUs: 0, bidPx: 1, bidQty: 1, askPx: 2, askQty: 1 }));
    await expectNotice('GW_FEED_BAD_FRAME');
    assert.deepEqual(port.md.map((x) => x.seq), [5, 7]);
  });

  it('decodes records the same whether they sit 4-aligned in the uWS message (read in place) or not (scratch copy)', async () => {
    const p = await producer();
    // venue 1 "ab" + "AB/CDE": 28 + 32 announce bytes, so the data records after them are 4-aligned;
    // venue 2 "abc": 29 + 32, so they are not. Same data records in both frames.
    const records = (dv: DataView, o: number, venueId: number): number => {
      o = feedEncoder.ticker(dv, o, venueId, 5, 1, 2 ** 40 + 1, 6_500_000, 3, 6_500_100, 2 ** 33);
      o = feedEncoder.trade(dv, o, venueId, 5, 2, 2 ** 40 + 2, 6_500_050, 7, 'sell');
      return feedEncoder.book(dv, o, venueId, 5, 3, 2 ** 40 + 3, 'buy', 513, 6_499_900, 0);
    };
    for (const [venueId, venue] of [[1, 'ab'], [2, 'abc']] as const) {
      p.sendRaw(frame((dv) => records(dv, feedEncoder.announceSymbol(dv, feedEncoder.announceVenue(dv, 0, venueId, venue), venueId, 5, 'AB/CDE'), venueId)), true);
    }
    // one record per message (the hot path), then a bad record behind an unaligned announce
    p.sendRaw(frame((dv) => feedEncoder.trade(dv, 0, 1, 5, 4, 0, 6_500_060, 1, 'buy')), true);
    p.sendRaw(frame((dv) => feedEncoder.ticker(dv, feedEncoder.announceVenue(dv, 0, 3, 'odd'), 2, 5, 4, 0, 3, 1, 2, 1)), true);
    // messages on one connection are handled in order: once this notice is here, all are done
    const m = await p.waitFor((x) => x.error !== undefined);
    assert.deepEqual([m.error!.code, m.error!.details], ['GW_FEED_BAD_FRAME', { record: 1, accepted: 0 }]);
    assert.match(m.error!.message, /bidPx <= askPx/);
    assert.equal(p.messages.length, 1, 'no notice for the good frames');
    const strip = (x: (typeof port.md)[0]): object => ({ ...x, venue: '', topic: x.topic.split('.')[1], recvNs: 0 });
    const a = port.md.filter((x) => x.venue === 'ab');
    const b = port.md.filter((x) => x.venue === 'abc');
    assert.equal(b.length, 3);
    assert.deepEqual(b.map(strip), a.slice(0, 3).map(strip));
    assert.deepEqual(a.map((x) => [x.kind, x.seq, x.exchTsUs, x.px, x.qty, x.side, x.level, x.askQty]), [
      ['ticker', 1, 2 ** 40 + 1, 0, 0, '', 0, 2 ** 33],
      ['trade', 2, 2 ** 40 + 2, 6_500_050, 7, 'sell', 0, 0],
      ['book', 3, 2 ** 40 + 3, 6_499_900, 0, 'buy', 513, 0],
      ['trade', 4, 0, 6_500_060, 1, 'buy', 0, 0],
    ]);
    assert.equal(a[0]!.topic, 'md.ticker.ab.AB/CDE');
    assert.deepEqual(gw.stats().feedRecords, { ticker: 2, trade: 3, book: 2 });
  });

  it('reports engine refusals as GW_FEED_REJECTED and counts drops', async () => {
    port.refuseMd = true;
    const p = await producer();
    p.sendRaw(JSON.stringify({ v: 1, type: 'trade', venue: 'v', symbol: 'X/Y', seq: 1, tsUs: 0, px: 1, qty: 1, side: 'buy' }));
    const m = await p.waitFor((x) => x.error !== undefined);
    assert.equal(m.error!.code, 'GW_FEED_REJECTED');
    assert.equal(gw.stats().feedDropped, 1);
  });

  it('closes an oversize feed message with 1009', async () => {
    const p = await producer();
    p.sendRaw(Buffer.alloc(4096), true);
    await p.closed();
    assert.equal(p.closeCode, 1009);
  });
});
