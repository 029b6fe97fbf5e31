import type { Instrument } from '../../actors/orders/instrument.js';
import type { OrderIntent } from '../../actors/orders/intent.js';
import { isTerminal, type Order, type OrderHistoryEntry, type OrderState } from '../../actors/orders/order-state.js';
import type { Portfolio } from '../../actors/orders/portfolio.js';
import { HOUSE_PREFIX, type LedgerOrder, type LedgerSnapshot } from '../../simulators/venue/ledger.js';
import { addDec, dec, eqDec, formatDec, mulDec, parseDecimalExact, subDec, toSteps, type Decimal } from './decimal.js';
import { LedgerCheckInputError } from './errors.js';
import { countField, type LedgerAnomaly, type LedgerCheckCounts } from './report.js';

/** How engine balances are compared with the venue's (see `LedgerCheckOptions.balances`). */
export type BalanceMode = 'total' | 'trading' | 'off';

/**
 * What the ledger check reads of an engine order: an {@link Order} is one, and so is a compact
 * record rebuilt for the check (the throughput bench keeps millions of those instead of the orders).
 * `history` is read only for whether it ever entered `unknown`; `intent` only for these fields.
 */
export type LedgerEngineOrder = Pick<Order, 'clientOrderId' | 'venueOrderId' | 'intentKey' | 'state' | 'filledLots' | 'cumTickLots' | 'fees'> & {
  readonly intent: Readonly<Pick<OrderIntent, 'venue' | 'symbol' | 'side' | 'type' | 'qtyLots' | 'priceTicks'>>;
  readonly history: readonly Pick<OrderHistoryEntry, 'to'>[];
};

/** Everything the check of one venue needs. */
export interface VenueCheckInput {
  venue: string;
  account: string;
  ledger: LedgerSnapshot;
  /** Engine orders on this venue, in journal order; iterated once (each order may be built on the fly and dropped after). */
  orders: Iterable<LedgerEngineOrder>;
  portfolio: Portfolio | undefined;
  /** Engine instruments of this venue, by venue symbol (`BTCUSDT`). */
  instruments: ReadonlyMap<string, Instrument>;
  healed: boolean;
  balances: BalanceMode;
  counts: LedgerCheckCounts;
  anomalies: LedgerAnomaly[];
}

/** Venue status → the engine state that agrees with it. */
const STATE_OF_STATUS: Readonly<Record<string, OrderState>> = Object.freeze({
  NEW: 'accepted',
  PARTIALLY_FILLED: 'partially-filled',
  FILLED: 'filled',
  CANCELED: 'canceled',
  EXPIRED: 'expired',
  // expired by self-trade prevention: an expiry to the engine (ccxt maps it to 'expired' too)
  EXPIRED_IN_MATCH: 'expired',
  REJECTED: 'rejected',
});

const TYPE_OF: Readonly<Record<string, string>> = Object.freeze({ limit: 'LIMIT', market: 'MARKET', 'limit-maker': 'LIMIT_MAKER' });

/** Engine states that claim the order never reached the venue. */
const NOT_SENT: ReadonlySet<OrderState> = new Set<OrderState>(['initialized', 'denied']);
/** Engine states that do not know the outcome yet; after healing each is a mismatch. */
const UNRESOLVED: ReadonlySet<OrderState> = new Set<OrderState>(['submitted', 'unknown']);

/**
 * Checks one venue: classifies every engine order, finds phantoms and duplicates, compares
 * positions and balances. Appends to `input.anomalies` and `input.counts`.
 */
export function checkVenue(input: VenueCheckInput): void {
  const { venue, account, ledger, counts } = input;
  const report = (a: LedgerAnomaly): void => {
    input.anomalies.push(a);
    counts[countField(a.kind)]++;
  };
  if (ledger.reconciled !== true) {
    report({ kind: 'LEDGER_UNRECONCILED', venue, clientOrderId: null, detail: `venue ledger ${ledger.venue} does not reconcile (sum of balances != net deposits)` });
  }

  const mine: LedgerOrder[] = [];
  for (const o of ledger.orders) {
    if (o.account === account) mine.push(o);
    else if (o.account.startsWith(HOUSE_PREFIX)) counts.ignoredHouse++;
    else counts.ignoredForeign++;
  }
  const byClient = new Map<string, LedgerOrder[]>();
  for (const o of mine) {
    const list = byClient.get(o.clientOrderId);
    if (list === undefined) byClient.set(o.clientOrderId, [o]);
    else list.push(o);
  }

  /** Client ids of the engine's orders that the venue's ledger holds (the phantom test needs no others: a bench run has millions). */
  const known = new Set<string>();
  /** Orders by intent key (only those with one), for {@link checkIntentKeys}. */
  const groups = new Map<string, LedgerEngineOrder[]>();
  for (const o of input.orders) {
    if (byClient.has(o.clientOrderId)) known.add(o.clientOrderId);
    if (o.intentKey !== undefined) {
      const g = groups.get(o.intentKey);
      if (g === undefined) groups.set(o.intentKey, [o]);
      else g.push(o);
    }
    counts.orders++;
    const found = checkOrder(input, o, byClient.get(o.clientOrderId) ?? [], report);
    if (found === 'anomalous') counts.anomalous++;
    else counts[found]++;
  }

  for (const o of mine) {
    if (known.has(o.clientOrderId)) continue;
    report({
      kind: 'PHANTOM',
      venue,
      clientOrderId: o.clientOrderId,
      symbol: input.instruments.get(o.symbol)?.symbol ?? o.symbol,
      venueOrderIds: [o.orderId],
      ledger: o.status,
      detail: `venue order ${o.orderId} (${o.side} ${o.origQty} ${o.symbol}, ${o.status}) of account ${account} is unknown to the engine`,
    });
  }

  checkIntentKeys(input, groups, byClient, report);
  if (input.portfolio === undefined || !input.healed) return;
  checkPositions(input, mine, input.portfolio, report);
  if (input.balances !== 'off') checkBalances(input, input.portfolio, report);
}

type OrderClass = 'ok' | 'failed' | 'unknownResolved' | 'indeterminate' | 'anomalous';

function checkOrder(input: VenueCheckInput, o: LedgerEngineOrder, vs: readonly LedgerOrder[], report: (a: LedgerAnomaly) => void): OrderClass {
  const { venue } = input;
  const id = o.clientOrderId;
  const symbol = o.intent.symbol;
  const es = o.state;
  const wasUnknown = o.history.some((h) => h.to === 'unknown');
  const agreed: OrderClass = wasUnknown ? 'unknownResolved' : 'ok';

  if (vs.length > 1) {
    report({
      kind: 'DUPLICATE',
      venue,
      clientOrderId: id,
      symbol,
      venueOrderIds: vs.map((v) => v.orderId),
      detail: `client order id ${id} names ${vs.length} venue orders (${vs.map((v) => `${v.orderId} ${v.status}`).join(', ')})`,
    });
    return 'anomalous';
  }
  const v = vs[0];
  if (!input.healed && !isTerminal(es)) return 'indeterminate';

  if (v === undefined && compactedAtVenue(input, o)) {
    // The venue folded this closed order into its running sums (retention): its totals count in the
    // position and balance checks; only a closed engine state agrees with it.
    if (isTerminal(es) && es !== 'rejected' && !NOT_SENT.has(es)) return agreed;
    report({ kind: 'STATE_MISMATCH', venue, clientOrderId: id, symbol, engine: es, ledger: 'compacted', detail: `engine "${es}" but the venue compacted order ${o.venueOrderId} (it compacts closed orders only)` });
    return 'anomalous';
  }
  if (v === undefined) {
    if (NOT_SENT.has(es) || es === 'rejected') return wasUnknown ? 'unknownResolved' : 'failed';
    if (UNRESOLVED.has(es)) {
      report({ kind: 'STATE_MISMATCH', venue, clientOrderId: id, symbol, engine: es, ledger: 'absent', detail: `engine still "${es}" after healing; the venue has no such order (it should have been reconciled to rejected)` });
    } else {
      report({ kind: 'LOST', venue, clientOrderId: id, symbol, engine: es, ledger: 'absent', detail: `engine has the order "${es}" but the venue has no order with this client id` });
    }
    return 'anomalous';
  }

  let clean = true;
  const flag = (a: Omit<LedgerAnomaly, 'venue' | 'clientOrderId' | 'symbol'>): void => {
    clean = false;
    report({ venue, clientOrderId: id, symbol, venueOrderIds: [v.orderId], ...a });
  };
  const ins = instrumentOf(input, v);
  const vState = STATE_OF_STATUS[v.status];
  if (vState === undefined) throw new LedgerCheckInputError(`ledger ${input.ledger.venue}: order ${v.orderId} has unknown status ${JSON.stringify(v.status)}`, { orderId: v.orderId });

  if (NOT_SENT.has(es)) {
    flag({ kind: 'STATE_MISMATCH', engine: es, ledger: v.status, detail: `engine says "${es}" (never sent) but the venue has order ${v.orderId} ${v.status}` });
    return 'anomalous';
  }
  if (es !== vState) {
    flag({ kind: 'STATE_MISMATCH', engine: es, ledger: v.status, detail: `engine "${es}" vs venue ${v.status} (agreeing engine state: "${vState}")` });
  }
  if (vState === 'rejected') return clean ? (wasUnknown ? 'unknownResolved' : 'failed') : 'anomalous';

  // Intent: what was sent is what the venue holds.
  const i = o.intent;
  const diffs: string[] = [];
  if (ins.symbol !== i.symbol) diffs.push(`symbol ${i.symbol} vs ${ins.symbol}`);
  if (v.side !== i.side.toUpperCase()) diffs.push(`side ${i.side} vs ${v.side}`);
  if (v.type !== TYPE_OF[i.type]) diffs.push(`type ${i.type} vs ${v.type}`);
  const lot = parseDecimalExact(ins.lotSize, 'lotSize');
  const tick = parseDecimalExact(ins.tickSize, 'tickSize');
  const origLots = toSteps(parseDecimalExact(v.origQty, `order ${v.orderId}.origQty`), lot, `order ${v.orderId}.origQty`);
  if (origLots !== BigInt(i.qtyLots)) diffs.push(`qty ${lotsToQty(BigInt(i.qtyLots), lot)} vs ${formatDec(parseDecimalExact(v.origQty, 'origQty'))}`);
  if (i.type !== 'market' && v.type !== 'MARKET') {
    const ticks = toSteps(parseDecimalExact(v.price, `order ${v.orderId}.price`), tick, `order ${v.orderId}.price`);
    if (ticks !== BigInt(i.priceTicks)) diffs.push(`price ${formatDec(mulDec(dec(BigInt(i.priceTicks), 0), tick))} vs ${formatDec(parseDecimalExact(v.price, 'price'))}`);
  }
  if (diffs.length > 0) flag({ kind: 'INTENT_MISMATCH', detail: `venue order ${v.orderId} differs from the engine's intent: ${diffs.join('; ')} (engine vs venue)` });

  // Fills: only once the engine claims to know them (not while the outcome is unresolved).
  if (!UNRESOLVED.has(es)) {
    const vLots = toSteps(parseDecimalExact(v.executedQty, `order ${v.orderId}.executedQty`), lot, `order ${v.orderId}.executedQty`);
    if (vLots !== BigInt(o.filledLots)) {
      flag({ kind: 'FILL_MISMATCH', engine: lotsToQty(BigInt(o.filledLots), lot), ledger: lotsToQty(vLots, lot), detail: `executed quantity: engine ${o.filledLots} lots, venue ${vLots} lots` });
    }
    const eQuote = mulDec(mulDec(dec(o.cumTickLots, 0), tick), lot);
    const vQuote = parseDecimalExact(v.cummulativeQuoteQty, `order ${v.orderId}.cummulativeQuoteQty`);
    if (!eqDec(eQuote, vQuote)) {
      flag({ kind: 'FILL_MISMATCH', engine: formatDec(eQuote), ledger: formatDec(vQuote), detail: `executed quote amount (Σ price × qty): engine ${formatDec(eQuote)}, venue ${formatDec(vQuote)}` });
    }
    if (input.portfolio !== undefined) checkFees(input.portfolio, o, v, flag);
  }
  return clean ? agreed : 'anomalous';
}

/** Whether the venue's ledger says it compacted `o` (retention): its venue id is at or below the compacted mark and the account has compacted orders. */
function compactedAtVenue(input: VenueCheckInput, o: LedgerEngineOrder): boolean {
  const c = input.ledger.compacted;
  if (c === undefined || o.venueOrderId === undefined || (c.accounts[input.account]?.orders ?? 0) === 0) return false;
  const id = Number(o.venueOrderId);
  return Number.isSafeInteger(id) && id > 0 && id <= c.throughOrderId;
}

function checkFees(p: Portfolio, o: LedgerEngineOrder, v: LedgerOrder, flag: (a: Omit<LedgerAnomaly, 'venue' | 'clientOrderId' | 'symbol'>) => void): void {
  const venueFees = new Map<string, Decimal>();
  for (const [k, f] of v.fills.entries()) {
    const c = parseDecimalExact(f.commission, `order ${v.orderId}.fills[${k}].commission`);
    venueFees.set(f.commissionAsset, addDec(venueFees.get(f.commissionAsset) ?? dec(0n, 0), c));
  }
  const assets = new Set([...Object.keys(o.fees), ...venueFees.keys()]);
  for (const asset of [...assets].sort()) {
    const e = dec(o.fees[asset] ?? 0n, p.assetDecimals(asset));
    const l = venueFees.get(asset) ?? dec(0n, 0);
    if (!eqDec(e, l)) flag({ kind: 'FEE_MISMATCH', asset, engine: formatDec(e), ledger: formatDec(l), detail: `fees in ${asset}: engine ${formatDec(e)}, venue ${formatDec(l)}` });
  }
}

/** One logical intent (engine `intentKey`) must not take effect at the venue more than once. */
function checkIntentKeys(input: VenueCheckInput, groups: ReadonlyMap<string, readonly LedgerEngineOrder[]>, byClient: ReadonlyMap<string, LedgerOrder[]>, report: (a: LedgerAnomaly) => void): void {  for (const [key, attempts] of groups) {
    if (attempts.length < 2) continue;
    const effective: { id: string; v: LedgerOrder }[] = [];
    for (const a of attempts) for (const v of byClient.get(a.clientOrderId) ?? []) if (tookEffect(v)) effective.push({ id: a.clientOrderId, v });
    if (effective.length < 2) continue;
    const last = effective[effective.length - 1]!;
    report({
      kind: 'DUPLICATE',
      venue: input.venue,
      clientOrderId: last.id,
      symbol: attempts[0]!.intent.symbol,
      venueOrderIds: effective.map((e) => e.v.orderId),
      detail: `intent ${key} took effect ${effective.length} times at the venue (${effective.map((e) => `${e.id}: order ${e.v.orderId} ${e.v.status} executed ${e.v.executedQty}`).join(', ')})`,
    });
  }
}

/** Open, filled, or closed with some quantity executed: the order did (or can still) trade. */
function tookEffect(v: LedgerOrder): boolean {
  if (v.status === 'NEW' || v.status === 'PARTIALLY_FILLED' || v.status === 'FILLED') return true;
  return parseDecimalExact(v.executedQty, `order ${v.orderId}.executedQty`).units !== 0n;
}

function checkPositions(input: VenueCheckInput, mine: readonly LedgerOrder[], p: Portfolio, report: (a: LedgerAnomaly) => void): void {
  const venueLots = new Map<string, bigint>();
  for (const v of mine) {
    const ins = instrumentOf(input, v);
    const lot = parseDecimalExact(ins.lotSize, 'lotSize');
    let sum = venueLots.get(ins.symbol) ?? 0n;
    for (const [k, f] of v.fills.entries()) {
      const lots = toSteps(parseDecimalExact(f.qty, `order ${v.orderId}.fills[${k}].qty`), lot, `order ${v.orderId}.fills[${k}].qty`);
      sum += v.side === 'BUY' ? lots : -lots;
    }
    venueLots.set(ins.symbol, sum);
  }
  // Orders the venue compacted count through its running sums.
  for (const [vsym, f] of Object.entries(input.ledger.compacted?.accounts[input.account]?.symbols ?? {})) {
    const ins = input.instruments.get(vsym);
    if (ins === undefined) throw new LedgerCheckInputError(`venue ${input.venue}: no instrument maps venue symbol ${vsym} (compacted orders); pass it in options.instruments`, { venue: input.venue, symbol: vsym });
    const lot = parseDecimalExact(ins.lotSize, 'lotSize');
    const net = toSteps(parseDecimalExact(f.boughtQty, `compacted ${vsym}.boughtQty`), lot, `compacted ${vsym}.boughtQty`) - toSteps(parseDecimalExact(f.soldQty, `compacted ${vsym}.soldQty`), lot, `compacted ${vsym}.soldQty`);
    venueLots.set(ins.symbol, (venueLots.get(ins.symbol) ?? 0n) + net);
  }
  const engineLots = new Map<string, bigint>();
  for (const { venue, symbol, position } of p.allPositions()) if (venue === input.venue) engineLots.set(symbol, position.qtyLots);
  const symbols = [...new Set([...venueLots.keys(), ...engineLots.keys()])].sort();
  for (const symbol of symbols) {
    const e = engineLots.get(symbol) ?? 0n;
    const l = venueLots.get(symbol) ?? 0n;
    if (e === l) continue;
    const lot = parseDecimalExact(p.instrument(input.venue, symbol).lotSize, 'lotSize');
    report({
      kind: 'POSITION_MISMATCH',
      venue: input.venue,
      clientOrderId: null,
      symbol,
      engine: lotsToQty(e, lot),
      ledger: lotsToQty(l, lot),
      detail: `position in ${symbol}: engine ${lotsToQty(e, lot)}, Σ signed venue fills ${lotsToQty(l, lot)}`,
    });
  }
}

function checkBalances(input: VenueCheckInput, p: Portfolio, report: (a: LedgerAnomaly) => void): void {
  const { venue, account, ledger } = input;
  const row = ledger.balances[account] ?? {};
  const deposits = new Map<string, Decimal>();
  if (input.balances === 'trading') {
    // Deposits carry order id 0 in the ledger (initial balances included).
    for (const e of ledger.entries) {
      if (e.account !== account || e.orderId !== 0) continue;
      const d = addDec(parseDecimalExact(e.freeDelta, `entry ${e.seq}.freeDelta`), parseDecimalExact(e.lockedDelta, `entry ${e.seq}.lockedDelta`));
      deposits.set(e.asset, addDec(deposits.get(e.asset) ?? dec(0n, 0), d));
    }
    // Deposits among the entries the venue compacted (retention).
    for (const [asset, b] of Object.entries(ledger.compacted?.accounts[account]?.entries ?? {})) {
      deposits.set(asset, addDec(deposits.get(asset) ?? dec(0n, 0), parseDecimalExact(b.deposits, `compacted entries ${asset}.deposits`)));
    }
  }
  const engine = new Map<string, { total: bigint; locked: bigint }>();
  for (const b of p.allBalances()) if (b.venue === venue) engine.set(b.asset, b.balance);
  // Assets the engine trades on this venue (its instruments' base and quote) or holds: a venue asset
  // no instrument uses is outside the engine's books and is not judged.
  const traded = new Set<string>(engine.keys());
  for (const i of input.instruments.values()) {
    traded.add(i.base);
    traded.add(i.quote);
  }
  const assets = [...traded].sort();
  for (const asset of assets) {
    const d = p.assetDecimals(asset);
    const eb = engine.get(asset) ?? { total: 0n, locked: 0n };
    const vb = row[asset] ?? { free: '0', locked: '0' };
    const vLocked = parseDecimalExact(vb.locked, `balances.${asset}.locked`);
    let vTotal = addDec(parseDecimalExact(vb.free, `balances.${asset}.free`), vLocked);
    if (input.balances === 'trading') vTotal = subDec(vTotal, deposits.get(asset) ?? dec(0n, 0));
    const pairs: [string, Decimal, Decimal][] = [
      [input.balances === 'trading' ? 'total change since deposits' : 'total', dec(eb.total, d), vTotal],
      ['locked', dec(eb.locked, d), vLocked],
    ];
    for (const [what, e, l] of pairs) {
      if (eqDec(e, l)) continue;
      report({ kind: 'BALANCE_MISMATCH', venue, clientOrderId: null, asset, engine: formatDec(e), ledger: formatDec(l), detail: `${asset} ${what}: engine ${formatDec(e)}, venue ${formatDec(l)}` });
    }
  }
}

function instrumentOf(input: VenueCheckInput, v: LedgerOrder): Instrument {
  const ins = input.instruments.get(v.symbol);
  if (ins === undefined) {
    throw new LedgerCheckInputError(`venue ${input.venue}: no instrument maps venue symbol ${v.symbol} (order ${v.orderId}); pass it in options.instruments`, { venue: input.venue, symbol: v.symbol });
  }
  return ins;
}

function lotsToQty(lots: bigint, lot: Decimal): string {
  return formatDec(mulDec(dec(lots, 0), lot));
}
