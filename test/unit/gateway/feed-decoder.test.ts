import assert from 'node:assert/strict';
import { SimulatedClock } from '../../../common/clock.js';
import { FeedDecoder, FeedEncodeError, feedEncoder, i64Words, readI64, writeI64, type MarketDataMessage } from '../../../gateway/index.js';

function setup(accept = true): { dec: FeedDecoder; got: MarketDataMessage[]; clock: SimulatedClock } {
  const clock = new SimulatedClock({ startNs: 42 });
  const got: MarketDataMessage[] = [];
  const dec = new FeedDecoder((m) => {
    got.push({ ...m });
    return accept;
  }, clock);
  return { dec, got, clock };
}

function bytes(write: (dv: DataView) => number): ArrayBuffer {
  const ab = new ArrayBuffer(1024);
  const n = write(new DataView(ab));
  return ab.slice(0, n);
}

const announce = (dv: DataView): number => feedEncoder.announceSymbol(dv, feedEncoder.announceVenue(dv, 0, 3, 'sim-a'), 3, 9, 'BTC/USDT');

describe('gateway/feed-decoder', () => {
  it('round-trips i64 values over the whole safe range and flags unsafe ones as NaN', () => {
    const dv = new DataView(new ArrayBuffer(8));
    for (const v of [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 123456789012345]) {
      writeI64(dv, 0, v);
      assert.equal(readI64(dv, 0), v);
    }
    dv.setUint32(0, 0, true);
    dv.setInt32(4, 0x200000, true); // 2^53
    assert.ok(Number.isNaN(readI64(dv, 0)));
    assert.throws(() => writeI64(dv, 0, 2 ** 53), FeedEncodeError);
    assert.throws(() => writeI64(dv, 0, 1.5), FeedEncodeError);
  });

  it('reads i64 from two 32-bit words exactly as the DataView reader does', () => {
    const ab = new ArrayBuffer(24);
    const dv = new DataView(ab);
    const w = new Int32Array(ab);
    for (const at of [0, 8, 16]) {
      for (const v of [0, 1, -1, 2 ** 32 - 1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 123456789012345]) {
        writeI64(dv, at, v);
        assert.equal(i64Words(w, at / 4), v);
      }
      dv.setUint32(at, 0, true);
      dv.setInt32(at + 4, 0x200000, true); // 2^53
      assert.ok(Number.isNaN(i64Words(w, at / 4)));
      dv.setInt32(at + 4, -0x200000, true); // -2^53
      assert.ok(Number.isNaN(i64Words(w, at / 4)));
    }
  });

  it('decodes records the same at any alignment: in place as words, or through the scratch copy', () => {
    // one frame of data records only (announced in a frame of its own first)
    const data = bytes((dv) => {
      let o = feedEncoder.ticker(dv, 0, 3, 9, 1, 7, 10, 2, 12, 3);
      o = feedEncoder.trade(dv, o, 3, 9, 2, 2 ** 40 + 3, 2 ** 33 + 1, 4, 'sell');
      return feedEncoder.book(dv, o, 3, 9, 3, 8, 'buy', 65535, 11, 5);
    });
    const results: MarketDataMessage[][] = [];
    for (const at of [0, 1, 2, 3, 4, 5]) {
      const { dec, got } = setup();
      assert.equal(dec.decodeBinary(bytes(announce)), true);
      // a Buffer `at` bytes into a larger store, like a ws message
      const store = Buffer.alloc(data.byteLength + 16, 0xee);
      Buffer.from(data).copy(store, at);
      assert.equal(dec.decodeBytes(store.subarray(at, at + data.byteLength)), true, `offset ${at}: ${dec.errorMessage}`);
      assert.equal(dec.accepted, 3);
      results.push(got);
      // the same bytes through decodeBinary(buffer, offset, length), on a fresh decoder
      const again = setup();
      again.dec.decodeBinary(bytes(announce));
      assert.equal(again.dec.decodeBinary(store.buffer, store.byteOffset + at, data.byteLength), true);
      results.push(again.got);
    }
    for (const r of results) assert.deepEqual(r, results[0]);
    assert.deepEqual(results[0]!.map((m) => [m.kind, m.seq, m.exchTsUs, m.bidPx, m.askQty, m.level, m.px, m.qty, m.side]), [
      ['ticker', 1, 7, 10, 3, 0, 0, 0, ''],
      ['trade', 2, 2 ** 40 + 3, 0, 0, 0, 2 ** 33 + 1, 4, 'sell'],
      ['book', 3, 8, 0, 0, 65535, 11, 5, 'buy'],
    ]);
    // decodeBinary with an offset and length reads the same bytes as decodeBytes
    const { dec, got } = setup();
    dec.decodeBinary(bytes(announce));
    const store = Buffer.alloc(data.byteLength + 8);
    Buffer.from(data).copy(store, 8);
    assert.equal(dec.decodeBinary(store.buffer, store.byteOffset + 8, data.byteLength), true);
    assert.deepEqual(got, results[0]);
  });

  it('decodes big and growing messages at odd offsets (whole-message copy up to 64 KiB, per-record scratch beyond)', () => {
    const frameOf = (n: number, seq0: number): ArrayBuffer => {
      const ab = new ArrayBuffer(n * 56);
      const dv = new DataView(ab);
      for (let r = 0; r < n; r++) feedEncoder.ticker(dv, r * 56, 3, 9, seq0 + r, r, 10 + r, 1, 20 + r, 1);
      return ab;
    };
    const odd = (ab: ArrayBuffer): Buffer => {
      const store = Buffer.alloc(ab.byteLength + 8);
      Buffer.from(ab).copy(store, 3);
      return store.subarray(3, 3 + ab.byteLength);
    };
    const { dec, got } = setup();
    dec.decodeBinary(bytes(announce));
    let seq = 1;
    // 1, 3, 40 records (growing copy), then 1200 (67 200 bytes: above the copy limit), then 2 again
    for (const n of [1, 3, 40, 1200, 2]) {
      assert.equal(dec.decodeBytes(odd(frameOf(n, seq))), true, `${n} records: ${dec.errorMessage}`);
      assert.equal(dec.accepted, n);
      seq += n;
    }
    assert.equal(got.length, seq - 1);
    assert.ok(got.every((m, i) => m.seq === i + 1));
    assert.deepEqual([got[1243]!.seq, got[1243]!.bidPx, got[1243]!.askPx, got[1243]!.exchTsUs], [1244, 10 + 1199, 20 + 1199, 1199]);
    // a bad record deep inside a big odd-offset message is reported with its index
    const bad = frameOf(1200, seq);
    new DataView(bad).setUint8(1100 * 56 + 1, 9);
    assert.equal(dec.decodeBytes(odd(bad)), false);
    assert.deepEqual([dec.errorCode, dec.errorRecord, dec.accepted], ['GW_FEED_BAD_FRAME', 1100, 1100]);
  });

  it('reads data records in place after announces that leave them 4-aligned, and through the scratch when not', () => {
    for (const [venue, symbol] of [['ab', 'AB/CDE'], ['abc', 'AB/CDE']] as const) {
      const { dec, got } = setup();
      const ab = bytes((dv) => {
        let o = feedEncoder.announceSymbol(dv, feedEncoder.announceVenue(dv, 0, 1, venue), 1, 2, symbol);
        o = feedEncoder.ticker(dv, o, 1, 2, 1, 0, 10, 2, 12, 3);
        return feedEncoder.trade(dv, o, 1, 2, 2, 0, 11, 1, 'buy');
      });
      assert.equal(dec.decodeBinary(ab), true, dec.errorMessage);
      assert.deepEqual(got.map((m) => [m.topic, m.seq, m.bidPx, m.px]), [
        [`md.ticker.${venue}.${symbol}`, 1, 10, 0],
        [`md.trade.${venue}.${symbol}`, 2, 0, 11],
      ]);
    }
  });

  it('a re-announced id takes effect for the very next record (no stale cached lookup)', () => {
    const { dec, got } = setup();
    assert.equal(dec.decodeBinary(bytes((dv) => feedEncoder.trade(dv, announce(dv), 3, 9, 1, 0, 5, 1, 'buy'))), true);
    // same symbol id, new name: the next record, in the next frame, carries the new name and topic
    assert.equal(dec.decodeBinary(bytes((dv) => feedEncoder.trade(dv, feedEncoder.announceSymbol(dv, 0, 3, 9, 'ETH/USDT'), 3, 9, 1, 0, 5, 1, 'sell'))), true);
    assert.deepEqual(got.map((m) => [m.symbol, m.topic, m.side]), [
      ['BTC/USDT', 'md.trade.sim-a.BTC/USDT', 'buy'],
      ['ETH/USDT', 'md.trade.sim-a.ETH/USDT', 'sell'],
    ]);
    // renaming the venue forgets its symbols: the cached (3, 9) must not be used any more
    assert.equal(dec.decodeBinary(bytes((dv) => feedEncoder.announceVenue(dv, 0, 3, 'sim-b'))), true);
    assert.equal(dec.decodeBinary(bytes((dv) => feedEncoder.trade(dv, 0, 3, 9, 2, 0, 5, 1, 'buy'))), false);
    assert.equal(dec.errorCode, 'GW_FEED_UNKNOWN_SYMBOL');
    assert.equal(got.length, 2);
    // announcing the symbol again under the renamed venue makes the id usable again
    assert.equal(dec.decodeBinary(bytes((dv) => feedEncoder.trade(dv, feedEncoder.announceSymbol(dv, 0, 3, 9, 'SOL/USDT'), 3, 9, 3, 0, 5, 1, 'buy'))), true);
    assert.equal(got[2]!.topic, 'md.trade.sim-b.SOL/USDT');
  });

  it('decodes announce + ticker/trade/book with the exact byte layout of the README', () => {
    const { dec, got } = setup();
    const ab = bytes((dv) => {
      let o = announce(dv);
      o = feedEncoder.ticker(dv, o, 3, 9, 1, 1000, 10, 2, 12, 3);
      o = feedEncoder.trade(dv, o, 3, 9, 2, 1001, 11, 1, 'buy');
      return feedEncoder.book(dv, o, 3, 9, 3, 1002, 'sell', 2, 13, 0);
    });
    // layout spot checks: record sizes 31 + 34 (announces), 56, 48, 48
    assert.equal(ab.byteLength, 26 + 5 + 26 + 8 + 56 + 48 + 48);
    const dv = new DataView(ab);
    const t = 65;
    assert.deepEqual([dv.getUint8(t), dv.getUint8(t + 1), dv.getUint16(t + 2, true), dv.getUint32(t + 4, true)], [1, 2, 3, 9]);
    assert.equal(dv.getUint32(t + 8, true), 1);
    assert.equal(dv.getUint32(t + 24, true), 10);
    assert.equal(dv.getUint32(t + 48, true), 3);
    assert.equal(dec.decodeBinary(ab), true);
    assert.equal(dec.accepted, 3);
    assert.deepEqual(got.map((m) => [m.kind, m.topic, m.seq, m.exchTsUs, m.recvNs]), [
      ['ticker', 'md.ticker.sim-a.BTC/USDT', 1, 1000, 42],
      ['trade', 'md.trade.sim-a.BTC/USDT', 2, 1001, 42],
      ['book', 'md.book.sim-a.BTC/USDT', 3, 1002, 42],
    ]);
    assert.deepEqual([got[0]!.bidPx, got[0]!.bidQty, got[0]!.askPx, got[0]!.askQty, got[0]!.side], [10, 2, 12, 3, '']);
    assert.deepEqual([got[1]!.px, got[1]!.qty, got[1]!.side, got[1]!.bidPx], [11, 1, 'buy', 0]);
    assert.deepEqual([got[2]!.px, got[2]!.qty, got[2]!.side, got[2]!.level], [13, 0, 'sell', 2]);
    assert.deepEqual(dec.counts, { ticker: 1, trade: 1, book: 1 });
  });

  it('reuses one message object for every record (no allocation per record)', () => {
    const seen = new Set<object>();
    const dec = new FeedDecoder((m) => {
      seen.add(m);
      return true;
    }, new SimulatedClock());
    dec.decodeBinary(bytes((dv) => {
      let o = announce(dv);
      for (let i = 1; i <= 5; i++) o = feedEncoder.trade(dv, o, 3, 9, i, 0, 5, 1, 'sell');
      return o;
    }));
    assert.equal(dec.accepted, 5);
    assert.equal(seen.size, 1);
  });

  const cases: [string, (dv: DataView) => number, string, RegExp][] = [
    ['empty frame', () => 0, 'GW_FEED_BAD_FRAME', /got 0 bytes/],
    ['short header', (dv) => announce(dv) + 10, 'GW_FEED_BAD_FRAME', /24-byte header/],
    ['bad version', (dv) => { const o = announce(dv); const e = feedEncoder.ticker(dv, o, 3, 9, 1, 0, 1, 1, 2, 1); dv.setUint8(o, 2); return e; }, 'GW_FEED_BAD_FRAME', /version: expected 1, got 2/],
    ['bad type', (dv) => { const o = announce(dv); const e = feedEncoder.ticker(dv, o, 3, 9, 1, 0, 1, 1, 2, 1); dv.setUint8(o + 1, 7); return e; }, 'GW_FEED_BAD_FRAME', /type: expected/],
    ['truncated body', (dv) => feedEncoder.ticker(dv, announce(dv), 3, 9, 1, 0, 1, 1, 2, 1) - 1, 'GW_FEED_BAD_FRAME', /expected 56 bytes/],
    ['unknown symbol', (dv) => feedEncoder.ticker(dv, announce(dv), 3, 8, 1, 0, 1, 1, 2, 1), 'GW_FEED_UNKNOWN_SYMBOL', /symbol id 8/],
    ['symbol before venue', (dv) => feedEncoder.announceSymbol(dv, 0, 4, 1, 'X/Y'), 'GW_FEED_UNKNOWN_SYMBOL', /announced before/],
    ['seq 0', (dv) => { const o = announce(dv); const e = feedEncoder.ticker(dv, o, 3, 9, 1, 0, 1, 1, 2, 1); dv.setUint32(o + 8, 0, true); return e; }, 'GW_FEED_BAD_FRAME', /seq: expected a safe integer >= 1/],
    ['unsafe seq', (dv) => { const o = announce(dv); const e = feedEncoder.ticker(dv, o, 3, 9, 1, 0, 1, 1, 2, 1); dv.setUint32(o + 12, 0xffffffff, true); dv.setUint32(o + 8, 0xffffffff, true); return e; }, 'GW_FEED_BAD_FRAME', /seq/],
    ['negative ts', (dv) => feedEncoder.ticker(dv, announce(dv), 3, 9, 1, -5, 1, 1, 2, 1), 'GW_FEED_BAD_FRAME', /exchTsUs/],
    ['stale seq', (dv) => feedEncoder.ticker(dv, feedEncoder.ticker(dv, announce(dv), 3, 9, 5, 0, 1, 1, 2, 1), 3, 9, 5, 0, 1, 1, 2, 1), 'GW_FEED_STALE_SEQ', /expected > 5/],
    ['crossed ticker', (dv) => feedEncoder.ticker(dv, announce(dv), 3, 9, 1, 0, 3, 1, 2, 1), 'GW_FEED_BAD_FRAME', /bidPx <= askPx/],
    ['negative qty', (dv) => feedEncoder.ticker(dv, announce(dv), 3, 9, 1, 0, 1, -1, 2, 1), 'GW_FEED_BAD_FRAME', />= 0/],
    ['trade px 0', (dv) => feedEncoder.trade(dv, announce(dv), 3, 9, 1, 0, 0, 1, 'buy'), 'GW_FEED_BAD_FRAME', /trade px and qty/],
    ['trade bad side', (dv) => { const o = announce(dv); const e = feedEncoder.trade(dv, o, 3, 9, 1, 0, 1, 1, 'buy'); dv.setUint8(o + 40, 3); return e; }, 'GW_FEED_BAD_FRAME', /side: expected 1 \(buy\) or 2 \(sell\), got 3/],
    ['book bad side', (dv) => { const o = announce(dv); const e = feedEncoder.book(dv, o, 3, 9, 1, 0, 'buy', 0, 1, 1); dv.setUint8(o + 24, 0); return e; }, 'GW_FEED_BAD_FRAME', /side/],
    ['book px 0', (dv) => feedEncoder.book(dv, announce(dv), 3, 9, 1, 0, 'buy', 0, 0, 1), 'GW_FEED_BAD_FRAME', /book px/],
    ['announce bad kind', (dv) => { const e = feedEncoder.announceVenue(dv, 0, 1, 'v'); dv.setUint8(24, 5); return e; }, 'GW_FEED_BAD_FRAME', /kind: expected 1/],
    ['announce len 0', (dv) => { feedEncoder.announceVenue(dv, 0, 1, 'v'); dv.setUint8(25, 0); return 26; }, 'GW_FEED_BAD_FRAME', /len: expected 1-64/],
    ['announce truncated name', (dv) => feedEncoder.announceVenue(dv, 0, 1, 'venue') - 2, 'GW_FEED_BAD_FRAME', /name bytes/],
    ['announce bad venue name', (dv) => { const e = feedEncoder.announceVenue(dv, 0, 1, 'a/b'); return e; }, 'GW_FEED_BAD_FRAME', /venue: expected/],
    ['announce bad symbol', (dv) => feedEncoder.announceSymbol(dv, feedEncoder.announceVenue(dv, 0, 1, 'v'), 1, 1, 'A/B/C'), 'GW_FEED_BAD_FRAME', /symbol: expected/],
  ];
  for (const [name, write, code, msg] of cases) {
    it(`rejects ${name} with ${code}`, () => {
      const { dec } = setup();
      assert.equal(dec.decodeBinary(bytes(write)), false);
      assert.equal(dec.errorCode, code);
      assert.match(dec.errorMessage, msg);
    });
  }

  it('counts engine refusals without failing the frame', () => {
    const { dec } = setup(false);
    assert.equal(dec.decodeBinary(bytes((dv) => feedEncoder.trade(dv, announce(dv), 3, 9, 1, 0, 1, 1, 'buy'))), true);
    assert.equal(dec.refused, 1);
    assert.equal(dec.accepted, 0);
  });

  it('decodes JSON records and formats failures like parseOptions', () => {
    const { dec, got } = setup();
    assert.equal(dec.decodeJson(JSON.stringify({ v: 1, type: 'book', venue: 'v', symbol: 'A/B', seq: 1, tsUs: 0, side: 'buy', level: 0, px: 5, qty: 0 })), true);
    assert.equal(got[0]!.topic, 'md.book.v.A/B');
    assert.equal(dec.decodeJson('[]'), false);
    assert.match(dec.errorMessage, /expected 1-10000 records, got 0/);
    assert.equal(dec.decodeJson('{"v":1,"type":"trade","venue":"v","symbol":"A/B","seq":2,"tsUs":0,"px":"5","qty":1,"side":"buy"}'), false);
    assert.equal(dec.errorMessage, 'records.0.px: expected a number, got "5"');
    assert.equal(dec.decodeJson('{"v":2,"type":"trade"}'), false);
    assert.equal(dec.errorCode, 'GW_FEED_BAD_FRAME');
    assert.equal(dec.decodeJson('{"v":1,"type":"trade","venue":"v","symbol":"A/B","seq":1,"tsUs":0,"px":5,"qty":1,"side":"buy"}'), false);
    assert.equal(dec.errorCode, 'GW_FEED_STALE_SEQ');
    assert.equal(dec.decodeJson('nope'), false);
    assert.equal(dec.errorCode, 'GW_BAD_JSON');
  });

  it('encoder refuses values that do not fit the format', () => {
    const dv = new DataView(new ArrayBuffer(256));
    assert.throws(() => feedEncoder.announceVenue(dv, 0, 1, ''), FeedEncodeError);
    assert.throws(() => feedEncoder.announceVenue(dv, 0, 70000, 'v'), FeedEncodeError);
    assert.throws(() => feedEncoder.ticker(dv, 0, 1, -1, 1, 0, 1, 1, 1, 1), FeedEncodeError);
    assert.throws(() => feedEncoder.trade(dv, 0, 1, 1, 1, 0, 2 ** 60, 1, 'buy'), { code: 'B4_GATEWAY_FEED_ENCODE' });
  });
});
