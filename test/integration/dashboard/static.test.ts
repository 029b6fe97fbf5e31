import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { GatewayServer } from '../../../gateway/index.js';
import { DASHBOARD_CSP, DashboardAssets } from '../../../gateway/dashboard-assets.js';
import { EnginePortDouble } from '../../fixtures/gateway/engine-port-double.js';
import { TOKENS, TOKEN_CONFIG, TestClient } from '../../fixtures/gateway/ws-client.js';

const silent = pino({ level: 'silent' });

describe('dashboard files: the gateway routes (engine double, real sockets)', () => {
  const dirs: string[] = [];
  const servers: GatewayServer[] = [];
  async function serve(assets?: DashboardAssets): Promise<string> {
    const gw = new GatewayServer(new EnginePortDouble(), { port: 0, tokens: TOKEN_CONFIG }, { logger: silent, ...(assets === undefined ? {} : { dashboard: assets }) });
    servers.push(gw);
    return `http://127.0.0.1:${(await gw.start()).port}`;
  }
  function tmp(): string {
    const d = mkdtempSync(path.join(os.tmpdir(), 'bot4-dash-'));
    dirs.push(d);
    return d;
  }

  afterEach(async () => {
    for (const gw of servers.splice(0)) await gw.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('serves the repository dashboard and uPlot from a fixed table, with the CSP on every file', async () => {
    const a = new DashboardAssets();
    assert.equal(a.problem, undefined);
    for (const p of ['/', '/dashboard', '/dashboard/index.html', '/dashboard/app.js', '/dashboard/api.js', '/dashboard/uplot/uPlot.esm.js']) assert.ok(a.paths.includes(p), p);
    const base = await serve();
    const r = await fetch(`${base}/dashboard/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-security-policy'), DASHBOARD_CSP);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal((await fetch(`${base}/dashboard/secret.txt`)).status, 404);
  });

  it('only files with a served extension and a plain name are in the table', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'index.html'), '<!doctype html>');
    writeFileSync(path.join(d, 'notes.md'), 'x');
    writeFileSync(path.join(d, '.hidden.js'), 'x');
    const a = new DashboardAssets(d);
    assert.equal(a.problem, undefined);
    assert.deepEqual(a.paths.filter((p) => p.startsWith('/dashboard/') && !p.startsWith('/dashboard/uplot/')).sort(), ['/dashboard/', '/dashboard/index.html']);
  });

  it('answers 503 naming the problem when the files cannot be read, and /ws keeps working', async () => {
    const missing = new DashboardAssets(path.join(tmp(), 'no-such-dir'));
    assert.match(missing.problem ?? '', /no-such-dir/);
    const noIndex = tmp();
    writeFileSync(path.join(noIndex, 'app.js'), '');
    assert.match(new DashboardAssets(noIndex).problem ?? '', /no index\.html/);
    const noUplot = tmp();
    writeFileSync(path.join(noUplot, 'index.html'), '');
    assert.match(new DashboardAssets(noUplot, path.join(noUplot, 'nope')).problem ?? '', /uPlot\.esm\.js/);
    const base = await serve(missing);
    const r = await fetch(`${base}/`);
    assert.equal(r.status, 503);
    assert.match(((await r.json()) as { error: string }).error, /^dashboard unavailable: .*no-such-dir/);
    const c = await TestClient.connect(base.replace('http', 'ws') + '/ws');
    assert.equal((await c.request('authenticate', { token: TOKENS.read })).ok, true);
    assert.equal(((await c.request('instruments.get')).result as { tickSize: string }[])[0]!.tickSize, '0.01');
    c.close();
  });

  it('answers only requests addressed to this server (Host check, as every HTTP route)', async () => {
    const base = await serve();
    const { port } = new URL(base);
    const r = await new Promise<number>((resolve, reject) => {
      import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      }, reject);
    });
    assert.equal(r, 403);
  });
});
