import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { ROOT, startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';
import { collectProblems, launchChromium, login } from './browser.js';

/** A daemon that trades: the embedded simulator (high rate limits) and the demo market maker. */
const TRADING_YAML = `# dashboard test: embedded simulator and one market maker
sim:
  venues: 2
  seed: 11
  rateLimits: high
journal:
  dir: journal
  fsync: always
strategies:
  - id: mm-btc
    kind: market-maker
    instruments: ['sim-a:BTC/USDT']
    params: { qtyLots: 20, maxInventoryLots: 200, halfSpreadTicks: 50, requoteTicks: 20 }
risk:
  strategies:
    api: {}
    mm-btc: {}
shutdown:
  cancelOpenOrders: true
  timeoutMs: 20000
`;

/** `count × step` as an exact decimal string (the same rule the page uses). */
function decimal(count: number, step: string): string {
  const scale = step.includes('.') ? step.length - step.indexOf('.') - 1 : 0;
  const digits = (BigInt(count) * BigInt(step.replace('.', ''))).toString().padStart(scale + 1, '0');
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

describe('dashboard at / in headless Chromium (real daemon, embedded simulator)', function () {
  this.timeout(180_000);
  let d: DaemonChild;
  let browser: Browser;
  let base: string;
  let api: TestClient;

  before(async () => {
    d = await startDaemon(TRADING_YAML);
    base = d.urls.api!.replace(/^ws/, 'http').replace(/\/ws$/, '');
    browser = await launchChromium();
    api = await TestClient.connect(d.urls.api!);
    assert.equal((await api.request('authenticate', { token: TOKENS.admin })).ok, true);
  });

  after(async () => {
    api?.close();
    await browser?.close();
    if (d !== undefined) await stopDaemon(d);
  });

  it('serves the page and its files from the daemon with a strict CSP and no token in any URL', async () => {
    for (const p of ['/', '/dashboard', '/dashboard/app.js', '/dashboard/style.css', '/dashboard/uplot/uPlot.esm.js', '/dashboard/uplot/uPlot.min.css']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200, p);
      const csp = r.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, p);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, p);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    }
    assert.match((await fetch(`${base}/`)).headers.get('content-type')!, /^text\/html/);
    assert.match((await fetch(`${base}/dashboard/app.js`)).headers.get('content-type')!, /^text\/javascript/);
    // only the fixed table is served: no path from the request reaches the file system
    for (const p of ['/dashboard/..%2fpackage.json', '/dashboard/nope.js', '/dashboard/uplot/uPlot.cjs.js']) assert.equal((await fetch(base + p)).status, 404, p);
    const html = await (await fetch(`${base}/`)).text();
    assert.doesNotMatch(html, /<script>(?!<)|<script(?![^>]*\bsrc=)[^>]*>|\bon[a-z]+="/, 'no inline script or handler');
  });

  it('loads with no console errors, logs in with a typed token, shows live venue state, equity and actors', async () => {
    const page = await browser.newPage();
    const problems = collectProblems(page);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await login(page, TOKENS.admin);
    assert.doesNotMatch(page.url(), /token/);
    assert.equal(await page.evaluate(`sessionStorage.getItem('bot4.token')`), TOKENS.admin);
    await page.waitForFunction(`document.querySelector('#venues tr[data-venue="sim-a"] .state')?.textContent === 'running'`, { timeout: 20_000 });
    await page.waitForFunction(`document.querySelector('#venues tr[data-venue="sim-b"] .breaker')?.textContent === 'closed'`, { timeout: 20_000 });
    await page.waitForFunction(`document.querySelectorAll('#strategies tr[data-strategy="mm-btc"] button').length === 2`, { timeout: 10_000 });
    await page.waitForFunction(`document.querySelectorAll('#mailboxes tbody tr').length > 0`, { timeout: 10_000 });
    await page.waitForFunction(`document.querySelectorAll('.uplot').length >= 6`, { timeout: 10_000 });
    // a reload keeps the session (sessionStorage), still without the token in the URL
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(`document.getElementById('who').textContent.startsWith('admin')`, { timeout: 10_000 });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('shows an order placed through the API in the blotter within 1 s, with decimal price and size', async () => {
    const page = await browser.newPage();
    const problems = collectProblems(page);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await login(page, TOKENS.admin);
    await page.waitForFunction(`document.querySelector('#venues tr[data-venue="sim-b"] .state')?.textContent === 'running'`, { timeout: 20_000 });
    const ins = (await api.request('instruments.get')).result as { venue: string; symbol: string; tickSize: string; lotSize: string }[];
    const btc = ins.find((i) => i.venue === 'sim-b' && i.symbol === 'BTC/USDT')!;
    assert.ok(btc, 'instruments.get lists sim-b BTC/USDT');
    // a buy 3 % below the market (inside the risk price band) rests on the book
    let mark: number | undefined;
    await until(async () => {
      const pos = (await api.request('positions.get')).result as { venue: string; symbol: string; markTicks?: number }[];
      mark = pos.find((p) => p.venue === 'sim-b' && p.symbol === 'BTC/USDT')?.markTicks;
      return mark !== undefined;
    }, 20_000, 'a mid price on sim-b BTC/USDT');
    const priceTicks = Math.floor(mark! * 0.97) + 7;
    const qtyLots = 25;
    const ack = await api.request('order.submit', { venue: 'sim-b', symbol: 'BTC/USDT', side: 'buy', type: 'limit', priceTicks, qtyLots, clientOrderId: 'dash-1' });
    assert.equal((ack.result as { accepted: boolean }).accepted, true, JSON.stringify(ack));
    const orderId = (ack.result as { orderId: string }).orderId;
    await page.waitForSelector(`#blotter tr[data-order-id="${orderId}"]`, { timeout: 1000 });
    const cells = await page.$eval(`#blotter tr[data-order-id="${orderId}"]`, (tr) => ({ price: tr.querySelector('.price')!.textContent, size: tr.querySelector('.size')!.textContent }));
    assert.deepEqual(cells, { price: decimal(priceTicks, btc.tickSize), size: decimal(qtyLots, btc.lotSize) });
    // filters: another venue hides it, its own shows it
    await page.select('#f-venue', 'sim-a');
    await page.waitForFunction(`document.querySelector('#blotter tr[data-order-id="${orderId}"]') === null`, { timeout: 2000 });
    await page.select('#f-venue', 'sim-b');
    await page.select('#f-status', 'open');
    await page.waitForSelector(`#blotter tr[data-order-id="${orderId}"]`, { timeout: 2000 });
    await page.select('#f-status', 'closed');
    await page.waitForFunction(`document.querySelector('#blotter tr[data-order-id="${orderId}"]') === null`, { timeout: 2000 });
    await page.select('#f-status', '');
    await page.select('#f-venue', '');
    // some trading to show, then the screenshot for the docs and the CI artifacts
    const shown = (await api.request('order.submit', { venue: 'sim-b', symbol: 'BTC/USDT', side: 'buy', type: 'market', priceTicks: mark!, qtyLots: 30 })).result as { orderId: string };
    // The screenshot once that order is on the page (not after a fixed sleep).
    await page.waitForSelector(`#blotter tr[data-order-id="${shown.orderId}"]`, { timeout: 10_000 });
    const dir = path.join(ROOT, '.bot4/artifacts');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, 'dashboard.png') as `${string}.png`, fullPage: true });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('halts the engine from the kill switch button after a confirmation, and shows it', async () => {
    const page = await browser.newPage();
    const problems = collectProblems(page);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await login(page, TOKENS.admin);
    await page.waitForFunction(`document.getElementById('ks-current').textContent === 'ACTIVE'`, { timeout: 10_000 });
    await page.click('.ks-btn[data-state="HALTED"]');
    // nothing happens before the confirmation
    await page.waitForSelector('#ks-confirm', { visible: true, timeout: 2000 });
    assert.equal(((await api.request('status.get')).result as { killSwitch: string }).killSwitch, 'ACTIVE');
    await page.click('#ks-confirm-yes');
    await page.waitForFunction(`document.getElementById('ks-current').textContent === 'HALTED'`, { timeout: 5000 });
    assert.equal(((await api.request('status.get')).result as { killSwitch: string }).killSwitch, 'HALTED');
    // a change made elsewhere (the API) reaches the page by the killswitch event
    await api.request('killSwitch.set', { state: 'ACTIVE' });
    await page.waitForFunction(`document.getElementById('ks-current').textContent === 'ACTIVE'`, { timeout: 5000 });
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('a read token sees the data but no controls, and the server refuses its control requests', async () => {
    const ctx = await browser.createBrowserContext();
    const page: Page = await ctx.newPage();
    const problems = collectProblems(page);
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await login(page, TOKENS.read);
    await page.waitForFunction(`document.querySelector('#venues tr[data-venue="sim-a"] .state')?.textContent === 'running'`, { timeout: 20_000 });
    await page.waitForFunction(`document.querySelectorAll('#strategies tr[data-strategy]').length > 0`, { timeout: 10_000 });
    assert.equal(await page.$('#ks-controls'), null, 'no kill switch controls');
    assert.equal(await page.$$eval('#strategies button', (b) => b.length), 0, 'no strategy buttons');
    assert.equal(await page.$$eval('button.ks-btn', (b) => b.length), 0);
    const reader = await TestClient.connect(d.urls.api!);
    await reader.request('authenticate', { token: TOKENS.read });
    assert.equal((await reader.request('killSwitch.set', { state: 'HALTED' })).error?.code, 'GW_FORBIDDEN');
    assert.equal((await reader.request('strategy.stop', { id: 'mm-btc' })).error?.code, 'GW_FORBIDDEN');
    reader.close();
    assert.deepEqual(problems, []);
    await ctx.close();
  });

  it('reads per-actor p50/p99 from Prometheus histogram buckets the way histogram_quantile does (prom.js, in the page)', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/`, { waitUntil: 'load' });
    const text = [
      '# TYPE bot4_actor_mailbox_wait_seconds histogram',
      'bot4_actor_mailbox_wait_seconds_bucket{le="0.00001",actor="risk"} 10',
      'bot4_actor_mailbox_wait_seconds_bucket{le="0.0001",actor="risk"} 90',
      'bot4_actor_mailbox_wait_seconds_bucket{le="0.001",actor="risk"} 100',
      'bot4_actor_mailbox_wait_seconds_bucket{le="+Inf",actor="risk"} 100',
      'bot4_actor_mailbox_wait_seconds_bucket{actor="a\\"b",le="+Inf"} 3',
      'bot4_actor_mailbox_wait_seconds_sum{actor="risk"} 0.004',
      'bot4_actor_handle_seconds_bucket{le="0.001",actor="risk"} 5',
    ].join('\n');
    const r = (await page.evaluate(`import('/dashboard/prom.js').then((m) => {
      const h = m.histograms(${JSON.stringify(text)}, 'bot4_actor_mailbox_wait_seconds', 'actor');
      const risk = h.get('risk');
      const before = [[0.00001, 10], [0.0001, 50], [0.001, 50], [Infinity, 50]];
      return { actors: [...h.keys()], p50: m.quantile(0.5, risk), p99: m.quantile(0.99, risk), p50d: m.quantile(0.5, m.delta(risk, before)), empty: m.quantile(0.5, []) === undefined, inf: m.quantile(0.99, [[0.001, 0], [Infinity, 4]]) };
    })`)) as { actors: string[]; p50: number; p99: number; p50d: number; empty: boolean; inf: number };
    assert.deepEqual(r.actors, ['risk', 'a\\"b']);
    // rank 50 of 100 lies in (10 µs, 100 µs] holding 80: 10 + 90 × 40/80 = 55 µs
    assert.ok(Math.abs(r.p50 - 0.000055) < 1e-12, String(r.p50));
    assert.ok(Math.abs(r.p99 - (0.0001 + 0.0009 * 0.9)) < 1e-12, String(r.p99));
    // the interval's 50 observations: 40 in (10, 100] µs, 10 in (100 µs, 1 ms]; rank 25 → 10 + 90 × 25/40
    assert.ok(Math.abs(r.p50d - (0.00001 + 0.00009 * (25 / 40))) < 1e-12, String(r.p50d));
    assert.equal(r.empty, true);
    assert.equal(r.inf, 0.001);
    await page.close();
  });

  it('refuses a wrong token on the login form and keeps nothing in sessionStorage', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.goto(`${base}/`, { waitUntil: 'load' });
    await page.type('#token', 'not-a-token-0123456789');
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(`document.getElementById('login-error').textContent.includes('GW_AUTH_FAILED')`, { timeout: 10_000 });
    assert.equal(await page.evaluate(`sessionStorage.getItem('bot4.token')`), null);
    assert.equal(await page.evaluate(`document.getElementById('app').hidden`), true);
    await ctx.close();
  });
});
