import assert from 'node:assert/strict';
import http from 'node:http';
import { Simulator } from '../../../simulators/index.js';
import { fetchLedger, LedgerFetchError } from '../../../chaos/ledger-check/ledger-check.js';
import { MAX_CONTROL_BODY_BYTES, MAX_REST_BODY_BYTES } from '../../../simulators/wire/server.js';
import { restClient } from './helpers.js';

interface RawReply {
  status: number;
  body: string;
  /** Bytes the client managed to write before the server answered or closed. */
  sent: number;
}

/**
 * POSTs `total` bytes to `url` in 64 KiB chunks, chunked transfer encoding (no Content-Length) unless
 * `contentLength` is given, and resolves with the server's reply. Writing stops as soon as a reply
 * arrives; a reset after the reply (the server closes the connection) is expected and ignored.
 */
function streamPost(url: string, total: number, headers: Record<string, string> = {}, contentLength?: number): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    let sent = 0;
    let answered = false;
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: 'POST', headers: { ...headers, ...(contentLength === undefined ? {} : { 'content-length': String(contentLength) }) }, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no reply from ${url} within 20 s (sent ${sent} bytes)`));
    }, 20_000);
    req.on('response', (res) => {
      answered = true;
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, body, sent });
      });
      res.on('error', () => undefined);
    });
    req.on('error', (e) => {
      if (answered) return;
      clearTimeout(timer);
      reject(e);
    });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('simulator wire limits: bounded bodies and the control API gate', function () {
  this.timeout(60_000);

  describe('request bodies', () => {
    let sim: Simulator;
    before(async () => {
      sim = await Simulator.start({ venues: 1, seed: 3, port: 0, participants: false });
    });
    after(async () => {
      await sim.stop();
    });

    it('a malformed percent-escape in the signature is an invalid signature (-1022), not a crash: REST keeps serving', async () => {
      const v = sim.venues[0]!;
      for (const sig of ['%ZZ', '%', '%E0%A4%A']) {
        const r = await fetch(`${v.rest}/order?symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=1&timestamp=${Date.now()}&signature=${sig}`, { method: 'POST', headers: { 'X-MBX-APIKEY': 'bot4-demo-key' } });
        assert.equal(r.status, 400, sig);
        assert.equal(((await r.json()) as { code: number }).code, -1022, sig);
      }
      assert.equal((await fetch(`${v.rest}/ping`)).status, 200);
    });

    it('an 8 MB streamed POST to REST gets 413 with a Binance {code,msg} before the body is read, and REST keeps serving', async () => {
      const v = sim.venues[0]!;
      const r = await streamPost(`${v.rest}/order`, 8 << 20, { 'content-type': 'application/x-www-form-urlencoded' });
      assert.equal(r.status, 413);
      const body = JSON.parse(r.body) as { code: number; msg: string };
      assert.equal(body.code, -1101);
      assert.match(body.msg, new RegExp(String(MAX_REST_BODY_BYTES)));
      // the server stopped reading long before the client finished (the client stops on the reply)
      assert.ok(r.sent < 8 << 20, `client wrote all ${r.sent} bytes: the server read the whole body`);
      assert.equal((await fetch(`${v.rest}/ping`)).status, 200);
      const ex = restClient(v);
      await ex.loadMarkets();
      const o = await ex.createOrder('BTC/USDT', 'limit', 'buy', 0.01, 30000);
      assert.equal(o.status, 'open');
    });

    it('a Content-Length over the limit is refused up front (413) without sending the body', async () => {
      const v = sim.venues[0]!;
      const r = await streamPost(`${v.rest}/order`, 64 * 1024, { 'content-type': 'application/x-www-form-urlencoded' }, 600 << 20);
      assert.equal(r.status, 413);
      assert.equal((JSON.parse(r.body) as { code: number }).code, -1101);
      assert.equal((await fetch(`${v.rest}/ping`)).status, 200);
    });

    it('a body at the limit is still read (the limit is not off by one)', async () => {
      const v = sim.venues[0]!;
      const body = `symbol=BTCUSDT&pad=${'x'.repeat(MAX_REST_BODY_BYTES - 'symbol=BTCUSDT&pad='.length)}`;
      assert.equal(Buffer.byteLength(body), MAX_REST_BODY_BYTES);
      const r = await fetch(`${v.rest}/order`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
      // read and answered by the REST layer (unsigned), not refused for size
      assert.notEqual(r.status, 413);
    });

    it('an 8 MB streamed POST to the control API (control port and venue port) gets 413 and the control API keeps serving', async () => {
      for (const url of [`${sim.controlUrl}/reset`, `${sim.venues[0]!.control}/reset`]) {
        const r = await streamPost(url, 8 << 20, { 'content-type': 'application/json' });
        assert.equal(r.status, 413, url);
        const body = JSON.parse(r.body) as { code: number; error: { code: string; message: string } };
        assert.equal(body.code, -1101);
        assert.equal(body.error.code, 'B4_SIM_BODY_TOO_LARGE');
        assert.match(body.error.message, new RegExp(String(MAX_CONTROL_BODY_BYTES)));
      }
      const r = await fetch(`${sim.controlUrl}/venues`);
      assert.equal(r.status, 200);
    });
  });

  describe('control API access', () => {
    let open: Simulator;
    let locked: Simulator;
    const TOKEN = 'sim-control-token-0123456789';
    before(async () => {
      open = await Simulator.start({ venues: 1, seed: 3, port: 0, participants: false, controlOrigins: ['http://localhost:3000'] });
      locked = await Simulator.start({ venues: 1, seed: 3, port: 0, participants: false, controlToken: TOKEN });
    });
    after(async () => {
      await open.stop();
      await locked.stop();
    });

    const addUser = (base: string, headers: Record<string, string>): Promise<Response> =>
      fetch(`${base}/venues/sim-a/users`, { method: 'POST', headers, body: JSON.stringify({ apiKey: 'rich', apiSecret: 'rich-secret', balances: { USDT: '1000000000' } }) });

    it('a POST that is not application/json gets 415 and changes nothing (text/plain, form, none)', async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await addUser(open.controlUrl, { 'content-type': type });
        assert.equal(r.status, 415, type);
        assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'B4_SIM_UNSUPPORTED_MEDIA');
      }
      // fetch with a string body and no header sends text/plain
      const bare = await fetch(`${open.venues[0]!.control}/reset`, { method: 'POST', body: '{}' });
      assert.equal(bare.status, 415);
      assert.equal(open.venue('sim-a').users.has('rich'), false);
      const ok = await addUser(open.controlUrl, { 'content-type': 'application/json; charset=utf-8' });
      assert.equal(ok.status, 200);
      assert.equal(open.venue('sim-a').users.has('rich'), true);
    });

    it('a browser Origin that is not allowed gets 403 on every method and port; an allowed one passes', async () => {
      for (const url of [`${open.controlUrl}/venues`, `${open.venues[0]!.control}/venues`]) {
        const g = await fetch(url, { headers: { origin: 'https://evil.example' } });
        assert.equal(g.status, 403, url);
        assert.equal(((await g.json()) as { error: { code: string } }).error.code, 'B4_SIM_FORBIDDEN');
      }
      const p = await fetch(`${open.controlUrl}/reset`, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: '{}' });
      assert.equal(p.status, 403);
      const allowed = await fetch(`${open.controlUrl}/venues`, { headers: { origin: 'http://localhost:3000' } });
      assert.equal(allowed.status, 200);
      const noToken = await fetch(`${locked.controlUrl}/venues`, { headers: { origin: 'http://localhost:3000' } });
      assert.equal(noToken.status, 403, 'the default allow-list is empty');
    });

    it('with a control token: missing or wrong token gets 401 on both ports, the right one passes', async () => {
      for (const base of [locked.controlUrl, locked.venues[0]!.control]) {
        const none = await fetch(`${base}/venues`);
        assert.equal(none.status, 401, base);
        assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'B4_SIM_UNAUTHORIZED');
        const wrong = await fetch(`${base}/venues`, { headers: { authorization: `Bearer ${TOKEN}x` } });
        assert.equal(wrong.status, 401);
        const notBearer = await fetch(`${base}/venues`, { headers: { authorization: TOKEN } });
        assert.equal(notBearer.status, 401);
        const post = await addUser(base, { 'content-type': 'application/json', authorization: 'Bearer nope' });
        assert.equal(post.status, 401);
        assert.equal(locked.venue('sim-a').users.has('rich'), false);
        const good = await fetch(`${base}/venues`, { headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(good.status, 200);
      }
      const r = await addUser(locked.controlUrl, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` });
      assert.equal(r.status, 200);
    });

    it('fetchLedger passes the control token; without it the control API answers 401 (LedgerFetchError)', async () => {
      const snap = await fetchLedger(locked.controlUrl, 'sim-a', 'user:bot4-demo-key', undefined, TOKEN);
      assert.equal(snap.venue, 'sim-a');
      await assert.rejects(fetchLedger(locked.controlUrl, 'sim-a', 'user:bot4-demo-key'), (e: unknown) => e instanceof LedgerFetchError && /HTTP 401/.test(e.message));
    });

    it('a malformed controlToken or origin is refused at start with the field named', async () => {
      await assert.rejects(Simulator.start({ venues: 1, port: 0, controlToken: 'short' }), (e: Error & { code?: string }) => e.code === 'B4_CONFIG_INVALID' && /controlToken/.test(e.message));
      await assert.rejects(Simulator.start({ venues: 1, port: 0, controlOrigins: ['evil.example/path'] }), (e: Error & { code?: string }) => e.code === 'B4_CONFIG_INVALID' && /controlOrigins/.test(e.message));
    });
  });
});
