/* global document, sessionStorage */
// The dashboard: one /ws connection (token in the first message), live events into bounded
// state, a render loop that redraws only what changed (tables ≤ 2.5×/s, charts 1×/s).
// Over ~400 lines on purpose: the page's state and its renderers share one bounded state object;
// the /ws client (api.js), charts (charts.js) and quantile maths (prom.js) are their own modules.
import { Api } from './api.js';
import { LiveChart } from './charts.js';
import { parseStep, shorten, sum, times } from './decimal.js';
import { delta, histograms, quantile } from './prom.js';
import { Ring } from './ring.js';

const TOKEN_KEY = 'bot4.token';
/** Orders kept in the blotter (closed ones are evicted first), rows drawn, chart points kept. */
const MAX_ORDERS = 1000;
const MAX_ROWS = 100;
const CHART_POINTS = 600;
const CLOSED = new Set(['denied', 'rejected', 'filled', 'canceled', 'expired']);
const VENUE_LEVEL = { halted: 0, disconnected: 1, connecting: 2, syncing: 3, degraded: 4, running: 5 };
const VENUE_NAMES = Object.fromEntries(Object.entries(VENUE_LEVEL).map(([k, v]) => [v, k]));
const BREAKER_LEVEL = { open: 0, 'half-open': 1, closed: 2 };
const BREAKER_NAMES = Object.fromEntries(Object.entries(BREAKER_LEVEL).map(([k, v]) => [v, k]));

const $ = (id) => document.getElementById(id);

/** Everything the page knows, bounded. */
const S = {
  api: null,
  admin: false,
  instruments: new Map(),
  orders: new Map(),
  venues: new Map(),
  strategies: [],
  mailboxes: {},
  denials: new Ring(50),
  positions: [],
  balances: [],
  killSwitch: '–',
  ksDetail: '',
  engineState: '–',
  seenVenues: new Set(),
  seenStrategies: new Set(),
  lastLatency: null,
  dirty: new Set(),
  timers: [],
  charts: null,
  pendingKs: null,
  events: 0,
  eventsShown: 0,
  /** Latency histograms from /metrics: whether the daemon serves them, the last scrape, the point to draw. */
  prom: { available: undefined, prev: null, point: null, skip: 0 },
};

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function hhmmss(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

// ---------------------------------------------------------------- login -----------------------

function showLogin(message) {
  $('login').hidden = false;
  $('app').hidden = true;
  $('logout').hidden = true;
  $('login-error').textContent = message ?? '';
}

async function start(token) {
  $('login-error').textContent = '';
  const api = new Api(token, { onEvent, onState });
  let p;
  try {
    p = await api.connect();
  } catch (e) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin(e.code ? `${e.code}: ${e.message}` : e.message);
    return;
  }
  S.api = api;
  S.admin = p.roles.includes('admin');
  $('who').textContent = `${p.name} (${p.roles.join('+')})`;
  $('login').hidden = true;
  $('app').hidden = false;
  $('logout').hidden = false;
  // controls exist only for admins (the server refuses them to others anyway)
  for (const x of document.querySelectorAll('.admin-only')) x.hidden = !S.admin;
  if (!S.admin) $('ks-controls').remove();
  S.charts ??= makeCharts();
  await loadInitial();
  S.timers.push(setInterval(() => void poll(), 1000), setInterval(() => void pollSlow(), 2000), setInterval(() => void pollLatency(), 2000), setInterval(render, 400), setInterval(tickCharts, 1000));
}

function onState(state, detail) {
  const c = $('conn');
  c.textContent = detail ? `${state} (${detail})` : state;
  c.className = `badge ${state === 'connected' ? 'on' : 'off'}`;
  if (state === 'connected' && detail === 'reconnected') void loadInitial();
}

function logout() {
  for (const t of S.timers.splice(0)) clearInterval(t);
  S.api?.close();
  S.api = null;
  sessionStorage.removeItem(TOKEN_KEY);
  showLogin('logged out');
  onState('disconnected');
}

// ---------------------------------------------------------------- data ------------------------

async function loadInitial() {
  const api = S.api;
  const [ins, orders] = await Promise.all([api.request('instruments.get'), api.request('orders.get', { status: 'all', limit: 500 })]);
  for (const i of ins) S.instruments.set(`${i.venue}:${i.symbol}`, { ...i, tick: parseStep(i.tickSize), lot: parseStep(i.lotSize) });
  for (const o of orders) upsertOrder({ ...o, seenMs: Date.now() });
  // the first /metrics scrape decides where the latency charts come from before they draw
  await Promise.all([poll(), pollSlow(), pollLatency()]);
}

async function poll() {
  if (S.api === null) return;
  try {
    const st = await S.api.request('status.get');
    S.engineState = st.state;
    S.killSwitch = st.killSwitch;
    for (const [name, v] of Object.entries(st.venues ?? {})) {
      const cur = S.venues.get(name) ?? { sinceMs: Date.now() };
      if (cur.state !== v.state) cur.sinceMs = Date.now();
      S.venues.set(name, { ...cur, ...v });
      S.seenVenues.add(name);
    }
    S.strategies = st.strategies ?? [];
    for (const s of S.strategies) S.seenStrategies.add(s.id);
    S.mailboxes = st.mailboxes ?? {};
    markDirty('header', 'venues', 'strategies', 'mailboxes', 'filters');
  } catch {
    /* the connection badge shows why */
  }
}

async function pollSlow() {
  if (S.api === null) return;
  try {
    const [pos, bal] = await Promise.all([S.api.request('positions.get'), S.api.request('balances.get')]);
    S.positions = pos;
    S.balances = bal;
    markDirty('positions');
  } catch {
    /* the connection badge shows why */
  }
}

/**
 * p50/p99 of mailbox wait and handling per actor over the last interval, from the daemon's
 * `/metrics` histograms (`bot4_actor_mailbox_wait_seconds`, `bot4_actor_handle_seconds`): the
 * bucket counts of two scrapes. Without those families (an engine without histograms) the
 * latency charts show what the `actors.latency` event carries; the page looks again every 30 s.
 */
async function pollLatency() {
  const P = S.prom;
  if (P.available === false && ++P.skip % 15 !== 0) return;
  let text;
  try {
    const r = await fetch('/metrics', { cache: 'no-store' });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    text = await r.text();
  } catch {
    P.available = false;
    return;
  }
  const wait = histograms(text, 'bot4_actor_mailbox_wait_seconds', 'actor');
  const handle = histograms(text, 'bot4_actor_handle_seconds', 'actor');
  if (wait.size === 0 || handle.size === 0) {
    P.available = false;
    P.prev = null;
    return;
  }
  P.available = true;
  const prev = P.prev;
  P.prev = { wait, handle };
  if (prev === null) return;
  const busiest = [...handle]
    .map(([actor, b]) => [actor, delta(b, prev.handle.get(actor))])
    .filter(([, d]) => d.length > 0 && d[d.length - 1][1] > 0)
    .sort((x, y) => y[1][y[1].length - 1][1] - x[1][x[1].length - 1][1])
    .slice(0, 6);
  const us = (s) => (s === undefined ? null : Math.round(s * 1e7) / 10);
  const point = { wait: {}, handle: {} };
  for (const [actor, dh] of busiest) {
    const dw = delta(wait.get(actor) ?? [], prev.wait.get(actor));
    point.wait[`${actor} p50`] = us(quantile(0.5, dw));
    point.wait[`${actor} p99`] = us(quantile(0.99, dw));
    point.handle[`${actor} p50`] = us(quantile(0.5, dh));
    point.handle[`${actor} p99`] = us(quantile(0.99, dh));
  }
  P.point = point;
}

function markDirty(...parts) {
  for (const p of parts) S.dirty.add(p);
}

function onEvent(topic, d) {
  S.events++;
  switch (topic) {
    case 'orders': {
      // `type` of an event is the event's type (order.update), not the order's: keep the order's
      const { type: _event, ...u } = d;
      upsertOrder({ ...u, orderId: d.orderId ?? d.clientOrderId, status: d.status ?? d.state, seenMs: Date.now() });
      return;
    }
    case 'fills':
      return;
    case 'positions': {
      const p = S.positions.find((x) => x.venue === d.venue && x.symbol === d.symbol);
      if (p !== undefined) Object.assign(p, d);
      markDirty('positions');
      return;
    }
    case 'killswitch':
      S.killSwitch = d.state;
      S.ksDetail = `${d.previous ?? ''} → ${d.state}${d.trigger ? ` (${d.trigger}${d.reason ? `: ${d.reason}` : ''})` : ''}`;
      markDirty('header');
      return;
    case 'breakers': {
      const v = S.venues.get(d.name) ?? { sinceMs: Date.now() };
      S.venues.set(d.name, { ...v, breaker: d.state });
      markDirty('venues');
      return;
    }
    case 'status':
      if (d.type === 'venue.state') {
        const v = S.venues.get(d.venue) ?? {};
        S.venues.set(d.venue, { ...v, state: d.state, sinceMs: Date.now() });
        markDirty('venues');
      }
      return;
    case 'risk.denials':
      S.denials.push({ ...d, seenMs: Date.now() });
      markDirty('denials');
      return;
    case 'actors.latency':
      S.lastLatency = d.actors ?? {};
      return;
    default:
  }
}

function upsertOrder(o) {
  if (typeof o.orderId !== 'string') return;
  const prev = S.orders.get(o.orderId);
  if (prev !== undefined) S.orders.delete(o.orderId); // re-insert: Map order = last update order
  S.orders.set(o.orderId, prev === undefined ? o : { ...prev, ...o });
  if (o.venue) S.seenVenues.add(o.venue);
  if (o.strategy && S.seenStrategies.size < 100) S.seenStrategies.add(o.strategy);
  if (S.orders.size > MAX_ORDERS) evictOrders();
  markDirty('blotter', 'filters');
}

function evictOrders() {
  for (const [id, o] of S.orders) {
    if (S.orders.size <= MAX_ORDERS) return;
    if (CLOSED.has(o.status)) S.orders.delete(id);
  }
  for (const id of S.orders.keys()) {
    if (S.orders.size <= MAX_ORDERS) return;
    S.orders.delete(id);
  }
}

// ---------------------------------------------------------------- rendering -------------------

function px(o) {
  const i = S.instruments.get(`${o.venue}:${o.symbol}`);
  return i === undefined ? `${o.priceTicks} ticks` : times(o.priceTicks, i.tick);
}

function qty(o, lots) {
  const i = S.instruments.get(`${o.venue}:${o.symbol}`);
  return i === undefined ? `${lots} lots` : times(lots, i.lot);
}

function render() {
  const d = S.dirty;
  if (d.size === 0) return;
  S.dirty = new Set();
  if (d.has('header')) renderHeader();
  if (d.has('venues')) renderVenues();
  if (d.has('filters')) renderFilters();
  if (d.has('blotter')) renderBlotter();
  if (d.has('positions')) renderPositions();
  if (d.has('strategies')) renderStrategies();
  if (d.has('mailboxes')) renderMailboxes();
  if (d.has('denials')) renderDenials();
}

function renderHeader() {
  const ks = $('ks-state');
  ks.textContent = `kill switch ${S.killSwitch}`;
  ks.className = `badge ${S.killSwitch === 'ACTIVE' ? 'on' : 'off'}`;
  $('ks-current').textContent = S.killSwitch;
  $('ks-current').className = S.killSwitch === 'ACTIVE' ? 'ok' : S.killSwitch === 'REDUCING' ? 'warn' : 'bad';
  $('ks-detail').textContent = S.ksDetail;
  $('engine-state').textContent = `engine ${S.engineState}`;
  for (const b of document.querySelectorAll('.ks-btn')) b.disabled = b.dataset.state === S.killSwitch;
}

function replaceBody(table, rows) {
  const tb = document.createElement('tbody');
  for (const r of rows) tb.appendChild(r);
  $(table).tBodies[0].replaceWith(tb);
}

function renderVenues() {
  const rows = [];
  for (const [name, v] of [...S.venues].sort()) {
    const tr = el('tr');
    tr.dataset.venue = name;
    tr.append(
      el('td', name),
      el('td', v.state ?? '–', `state ${v.state === 'running' ? 'ok' : v.state === 'degraded' || v.state === 'syncing' ? 'warn' : 'bad'}`),
      el('td', v.breaker ?? '–', `breaker ${v.breaker === 'closed' ? 'ok' : v.breaker === 'half-open' ? 'warn' : 'bad'}`),
      el('td', v.submitted ?? '', 'num'),
      el('td', v.accepted ?? '', 'num'),
      el('td', v.rejected ?? '', 'num'),
      el('td', v.sinceMs ? hhmmss(v.sinceMs) : ''),
    );
    rows.push(tr);
  }
  replaceBody('venues', rows);
}

function syncOptions(select, values) {
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of [...values].sort()) if (!have.has(v)) select.appendChild(el('option', v)).value = v;
}

function renderFilters() {
  syncOptions($('f-venue'), S.seenVenues);
  syncOptions($('f-strategy'), S.seenStrategies);
}

function renderBlotter() {
  const fv = $('f-venue').value;
  const fs = $('f-strategy').value;
  const fst = $('f-status').value;
  const rows = [];
  let matched = 0;
  const all = [...S.orders.values()];
  for (let k = all.length - 1; k >= 0; k--) {
    const o = all[k];
    if (fv && o.venue !== fv) continue;
    if (fs && o.strategy !== fs) continue;
    if (fst === 'open' && CLOSED.has(o.status)) continue;
    if (fst === 'closed' && !CLOSED.has(o.status)) continue;
    matched++;
    if (rows.length >= MAX_ROWS) continue;
    const tr = el('tr');
    tr.dataset.orderId = o.orderId;
    if (o.clientOrderId || o.apiClientOrderId) tr.dataset.clientOrderId = o.clientOrderId ?? o.apiClientOrderId;
    tr.append(
      el('td', hhmmss(o.seenMs)),
      el('td', o.orderId),
      el('td', o.strategy ?? ''),
      el('td', o.venue),
      el('td', o.symbol),
      el('td', o.side, `side-${o.side}`),
      el('td', o.type ?? ''),
      el('td', px(o), 'num price'),
      el('td', qty(o, o.qtyLots), 'num size'),
      el('td', qty(o, o.filledLots ?? 0), 'num'),
      el('td', o.status, `status ${CLOSED.has(o.status) ? 'muted' : 'ok'}`),
      el('td', o.reason ?? '', 'muted wrap'),
    );
    rows.push(tr);
  }
  replaceBody('blotter', rows);
  $('blotter-count').textContent = `${matched} of ${S.orders.size} kept${matched > MAX_ROWS ? `, newest ${MAX_ROWS} shown` : ''}`;
}

/** Equity and PnL per quote asset (decimal strings), and floats for the chart. */
function totals() {
  const realized = S.positions.map((p) => p.realizedPnl);
  const unrealized = S.positions.map((p) => p.unrealizedPnl);
  const pnl = sum([...realized, ...unrealized]);
  // equity: every balance in the quote asset, base assets marked at the last mid
  const marks = new Map();
  for (const p of S.positions) {
    const i = S.instruments.get(`${p.venue}:${p.symbol}`);
    if (i !== undefined && p.markTicks !== undefined) marks.set(`${p.venue}:${i.base}`, { px: times(p.markTicks, i.tick), quote: i.quote });
  }
  let equity = 0;
  let quote = '';
  for (const b of S.balances) {
    const total = Number(b.total);
    if (!Number.isFinite(total)) continue;
    const m = marks.get(`${b.venue}:${b.asset}`);
    if (m !== undefined) {
      equity += total * Number(m.px);
      quote = m.quote;
    } else if (![...S.instruments.values()].some((i) => i.venue === b.venue && i.base === b.asset)) {
      equity += total;
      quote ||= b.asset;
    }
  }
  return { pnl, equity, quote };
}

function renderPositions() {
  const rows = [];
  for (const p of S.positions) {
    const i = S.instruments.get(`${p.venue}:${p.symbol}`);
    const tr = el('tr');
    tr.append(
      el('td', p.venue),
      el('td', p.symbol),
      el('td', p.qty ?? qty(p, p.qtyLots), 'num'),
      el('td', p.markTicks !== undefined && i ? times(p.markTicks, i.tick) : '–', 'num'),
      el('td', shorten(p.realizedPnl ?? '0', 4), 'num'),
      el('td', shorten(p.unrealizedPnl ?? '–', 4), 'num'),
    );
    rows.push(tr);
  }
  replaceBody('positions', rows);
  const t = totals();
  $('equity').textContent = `${t.equity.toFixed(2)} ${t.quote}`;
  $('pnl').textContent = shorten(t.pnl, 4);
}

function renderStrategies() {
  const rows = [];
  for (const s of S.strategies) {
    const tr = el('tr');
    tr.dataset.strategy = s.id;
    tr.append(el('td', s.id), el('td', s.mode ?? ''), el('td', s.lifecycle ?? s.state ?? ''));
    if (S.admin) {
      const td = el('td');
      for (const action of ['start', 'stop']) {
        const b = el('button', action);
        b.type = 'button';
        b.addEventListener('click', () => void strategyControl(s.id, action, b));
        td.appendChild(b);
      }
      tr.appendChild(td);
    }
    rows.push(tr);
  }
  replaceBody('strategies', rows);
}

function renderMailboxes() {
  const rows = Object.entries(S.mailboxes)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, 12)
    .map(([actor, depth]) => {
      const tr = el('tr');
      tr.append(el('td', actor), el('td', depth, `num ${depth > 1000 ? 'bad' : depth > 0 ? 'warn' : ''}`));
      return tr;
    });
  replaceBody('mailboxes', rows);
}

function renderDenials() {
  const rows = S.denials.latest(20).map((d) => {
    const tr = el('tr');
    const i = d.intent ?? {};
    tr.append(el('td', hhmmss(d.seenMs)), el('td', d.source ?? ''), el('td', d.code ?? '', 'bad'), el('td', d.orderId ?? `${i.strategy ?? ''} ${i.side ?? ''} ${i.symbol ?? ''}`), el('td', d.detail ?? '', 'muted wrap'));
    return tr;
  });
  replaceBody('denials', rows);
}

// ---------------------------------------------------------------- charts ----------------------

function makeCharts() {
  const fmt = (names) => (v) => names[v] ?? '';
  return {
    venues: new LiveChart($('chart-venues'), { title: 'venue state', capacity: CHART_POINTS, height: 170, stepped: true, yRange: [-0.5, 5.5], yValues: fmt(VENUE_NAMES) }),
    breakers: new LiveChart($('chart-venues'), { title: 'breaker state', capacity: CHART_POINTS, height: 120, stepped: true, yRange: [-0.5, 2.5], yValues: fmt(BREAKER_NAMES) }),
    equity: new LiveChart($('chart-pnl'), { title: 'equity', capacity: CHART_POINTS, height: 140 }),
    pnl: new LiveChart($('chart-pnl'), { title: 'PnL (realized + unrealized)', capacity: CHART_POINTS, height: 140 }),
    wait: new LiveChart($('chart-wait'), { title: 'mailbox wait (µs)', capacity: CHART_POINTS, height: 150 }),
    handle: new LiveChart($('chart-handle'), { title: 'handling (µs)', capacity: CHART_POINTS, height: 150 }),
  };
}

/** Picks what the `actors.latency` event carries: p50/p99 when present, else mean handling and max wait. */
function latencyPoint(actors) {
  const wait = {};
  const handle = {};
  const top = Object.entries(actors)
    .sort((a, b) => (b[1].envelopes ?? 0) - (a[1].envelopes ?? 0))
    .slice(0, 6);
  let quantiles = false;
  for (const [name, a] of top) {
    if (a.waitP50Us !== undefined || a.handleP50Us !== undefined) {
      quantiles = true;
      wait[`${name} p50`] = a.waitP50Us ?? null;
      wait[`${name} p99`] = a.waitP99Us ?? null;
      handle[`${name} p50`] = a.handleP50Us ?? null;
      handle[`${name} p99`] = a.handleP99Us ?? null;
    } else {
      wait[`${name} max`] = a.maxWaitUs ?? null;
      handle[`${name} mean`] = a.meanHandleUs ?? null;
    }
  }
  $('latency-note').textContent = quantiles ? 'p50 and p99 per actor (busiest 6)' : 'per actor (busiest 6): mean handling and longest mailbox wait, as the actors.latency event reports them';
  return { wait, handle };
}

function tickCharts() {
  const c = S.charts;
  if (c === null) return;
  const t = Date.now() / 1000;
  const rate = $('ev-rate');
  rate.textContent = `${S.events - S.eventsShown} ev/s`;
  rate.dataset.total = String(S.events);
  S.eventsShown = S.events;
  const vs = {};
  const bs = {};
  for (const [name, v] of S.venues) {
    if (v.state !== undefined) vs[name] = VENUE_LEVEL[v.state] ?? null;
    if (v.breaker !== undefined) bs[name] = BREAKER_LEVEL[v.breaker] ?? null;
  }
  c.venues.push(t, vs);
  c.breakers.push(t, bs);
  const tot = totals();
  const pnl = Number(tot.pnl);
  c.equity.push(t, { [`equity ${tot.quote}`]: tot.equity });
  c.pnl.push(t, { [`PnL ${tot.quote}`]: Number.isFinite(pnl) ? pnl : null });
  if (S.prom.available === true) {
    if (S.prom.point !== null) {
      c.wait.push(t, S.prom.point.wait);
      c.handle.push(t, S.prom.point.handle);
      S.prom.point = null;
      $('latency-note').textContent = 'p50 and p99 per actor over each 2 s (the 6 busiest), from the /metrics histograms';
    }
  } else if (S.prom.available === false && S.lastLatency !== null) {
    const p = latencyPoint(S.lastLatency);
    S.lastLatency = null;
    c.wait.push(t, p.wait);
    c.handle.push(t, p.handle);
  }
  for (const ch of Object.values(c)) ch.redraw();
}

// ---------------------------------------------------------------- controls --------------------

function askKillSwitch(state) {
  S.pendingKs = state;
  $('ks-confirm-text').textContent = `Set the kill switch to ${state}?${state === 'HALTED' ? ' Open orders are canceled and nothing trades.' : state === 'REDUCING' ? ' Only orders that reduce positions pass.' : ''}`;
  $('ks-confirm').hidden = false;
}

async function confirmKillSwitch() {
  const state = S.pendingKs;
  S.pendingKs = null;
  $('ks-confirm').hidden = true;
  if (state === null || S.api === null) return;
  try {
    const r = await S.api.request('killSwitch.set', { state });
    S.killSwitch = r.state;
    $('ks-result').textContent = `${r.previous} → ${r.state}`;
    markDirty('header');
  } catch (e) {
    $('ks-result').textContent = `${e.code ?? 'error'}: ${e.message}`;
  }
}

async function strategyControl(id, action, button) {
  button.disabled = true;
  try {
    const r = await S.api.request(`strategy.${action}`, { id });
    button.title = r.ok ? `${r.state}` : `${r.reason ?? 'refused'}`;
  } catch (e) {
    button.title = `${e.code ?? 'error'}: ${e.message}`;
  } finally {
    button.disabled = false;
    void poll();
  }
}

// ---------------------------------------------------------------- wiring ----------------------

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const token = $('token').value.trim();
  $('token').value = '';
  if (token === '') return;
  sessionStorage.setItem(TOKEN_KEY, token);
  void start(token);
});
$('logout').addEventListener('click', logout);
for (const b of document.querySelectorAll('.ks-btn')) b.addEventListener('click', () => askKillSwitch(b.dataset.state));
$('ks-confirm-yes').addEventListener('click', () => void confirmKillSwitch());
$('ks-confirm-no').addEventListener('click', () => {
  S.pendingKs = null;
  $('ks-confirm').hidden = true;
});
for (const id of ['f-venue', 'f-strategy', 'f-status']) $(id).addEventListener('change', () => markDirty('blotter'));

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void start(saved);
else showLogin();
