import assert from 'node:assert/strict';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import WebSocket from 'ws';
import { GatewayServer, GatewayTlsError } from '../../../gateway/index.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { parsePrometheus } from '../../fixtures/gateway/prometheus-parser.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });

describe('gateway HTTP endpoints (real sockets)', () => {
  let port: EnginePortDouble;
  let gw: GatewayServer;
  let base: string;

  beforeEach(async () => {
    port = new EnginePortDouble();
    gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG }, { logger: silent });
    const a = await gw.start();
    base = `http://127.0.0.1:${a.port}`;
  });

  afterEach(async () => {
    await gw.stop();
  });

  it('/health is 200 and ready when venues are synced and the journal is open', async () => {
    const r = await fetch(`${base}/health`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.deepEqual(await r.json(), { live: true, ready: true, checks: { venuesSynced: true, journalOpen: true, 'venue.sim-a': true } });
  });

  it('/health is 503 when not ready, while /health/live stays 200', async () => {
    port.journalOpen = false;
    const r = await fetch(`${base}/health`);
    assert.equal(r.status, 503);
    const body = (await r.json()) as { ready: boolean; checks: Record<string, boolean> };
    assert.equal(body.ready, false);
    assert.equal(body.checks.journalOpen, false);
    port.journalOpen = true;
    port.venuesSynced = false;
    assert.equal((await fetch(`${base}/health`)).status, 503);
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
  });

  it('/health reports not ready (and stays up) when the port throws', async () => {
    port.health = () => {
      throw new Error('broken');
    };
    const r = await fetch(`${base}/health`);
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { ready: boolean }).ready, false);
  });

  it('/metrics is valid Prometheus text with gateway and engine families, escaped', async () => {
    const c = await TestClient.connect(`ws://127.0.0.1:${gw.listeningPort}/ws`);
    await c.request('status.get'); // GW_UNAUTHENTICATED
    c.sendRaw('nope'); // GW_BAD_JSON
    await c.waitFor((m) => m.error?.code === 'GW_BAD_JSON');
    const r = await fetch(`${base}/metrics`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const p = parsePrometheus(await r.text());
    const sample = (name: string, labels: Record<string, string> = {}): number | undefined =>
      p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(p.type.get('bot4_gateway_connections'), 'gauge');
    assert.equal(sample('bot4_gateway_connections', { endpoint: 'ws' }), 1);
    assert.equal(sample('bot4_gateway_messages_in_total', { endpoint: 'ws' }), 2);
    assert.equal(sample('bot4_gateway_errors_total', { code: 'GW_BAD_JSON' }), 1);
    assert.equal(sample('bot4_gateway_errors_total', { code: 'GW_UNAUTHENTICATED' }), 1);
    assert.equal(p.type.get('bot4_orders_total'), 'counter');
    assert.equal(p.help.get('bot4_risk_denials_total'), 'Risk denials by code.\nSecond "line" \\ here.');
    const denial = p.samples.find((s) => s.name === 'bot4_risk_denials_total')!;
    assert.deepEqual(denial.labels, { code: 'RISK_MAX_QTY', note: 'quote " back\\slash\nnewline' });
    c.close();
  });

  it('unknown paths are 404', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  });

  it('refuses a second start and a port already in use with typed errors', async () => {
    await assert.rejects(gw.start(), { code: 'B4_GATEWAY_STATE' });
    const other = new GatewayServer(port, { port: gw.listeningPort }, { logger: silent });
    await assert.rejects(other.start(), { code: 'B4_GATEWAY_LISTEN_FAILED' });
  });
});

describe('gateway TLS', () => {
  // a committed test-only certificate for 127.0.0.1 (test/fixtures/tls/README.md): no openssl needed
  const dir = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));

  it('serves wss:// and https:// with a configured certificate', async () => {
    const port = new EnginePortDouble();
    const gw = new GatewayServer(port, { port: 0, tokens: TOKEN_CONFIG, tls: { certFile: path.join(dir, 'cert.pem'), keyFile: path.join(dir, 'key.pem') } }, { logger: silent });
    const a = await gw.start();
    try {
      assert.equal(a.api, `wss://127.0.0.1:${a.port}/ws`);
      const c = await TestClient.connect(a.api, { rejectUnauthorized: false, headers: { authorization: `Bearer ${TOKENS.read}` } } as WebSocket.ClientOptions);
      assert.equal((await c.request('status.get')).ok, true);
      c.close();
      const status = await new Promise<number>((resolve, reject) => {
        https.get(a.health, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
      assert.equal(status, 200);
    } finally {
      await gw.stop();
    }
  });

  it('refuses to start when the certificate file is missing', async () => {
    const gw = new GatewayServer(new EnginePortDouble(), { port: 0, tls: { certFile: path.join(dir, 'missing.pem'), keyFile: path.join(dir, 'key.pem') } }, { logger: silent });
    await assert.rejects(gw.start(), (e: unknown) => e instanceof GatewayTlsError && e.code === 'B4_GATEWAY_TLS');
  });
});
