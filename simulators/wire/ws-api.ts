import type { EngineListener, ExecType, Rejection } from '../venue/matching-engine.js';
import type { SimFill, SimOrder } from '../venue/order.js';
import type { VenueCore } from '../venue/venue.js';
import { verifyHmacHex, type ApiUser, AUTH_REJECT, MAX_RECV_WINDOW } from './auth.js';
import { intParam, mandatory, parseOrderParams, type Params } from './order-params.js';
import { renderAccount, renderAccountPosition, renderCancel, renderExecutionReport, renderNewOrderJson, renderQuery } from './render.js';
import type { WireConn } from './streams.js';
import { parseFrame, scanFrame } from './ws-frame.js';
import { SimulatorStoreError } from '../errors.js';
import { wsApiServerSpan } from './server-span.js';

const TIMESTAMP = /^\d{1,16}$/;

/** A success frame: `{id, status: 200, result, rateLimits: []}` with `id` and `result` already JSON. */
function okFrame(id: string, result: string): string {
  return `{"id":${id},"status":200,"result":${result},"rateLimits":[]}`;
}

/** An error frame: `{id, status, error: {code, msg}, rateLimits: []}` with `id` already JSON. */
function errFrame(id: string, r: Rejection, status = 400): string {
  return `{"id":${id},"status":${status},"error":{"code":${r.code},"msg":${JSON.stringify(r.msg)}},"rateLimits":[]}`;
}

const STORE_DOWN_REJECTION: Rejection = { ok: false, code: -1007, msg: 'Timeout waiting for response from backend server. Send status unknown; execution status unknown.' };

interface UserSub {
  conn: WireConn;
  subscriptionId: number;
}

/**
 * Binance's WebSocket API (`/ws-api/v3`) for one venue: `ping`, `time`, `order.place`,
 * `order.test`, `order.cancel`, `order.status`, `openOrders.status`, `account.status`,
 * `userDataStream.subscribe.signature` (then `executionReport` and `outboundAccountPosition`
 * events as `{subscriptionId, event}`) and `userDataStream.unsubscribe`. Every request is signed
 * per request (HMAC-SHA256 over the sorted parameters), like Binance's per-request signing.
 */
export class WsApiHub implements EngineListener {
  private readonly userSubs = new Map<string, UserSub[]>();
  private readonly byConn = new Map<WireConn, { account: string; subscriptionId: number }[]>();
  private nextSubscriptionId = 0;
  /** `origClientOrderId → cancel request's newClientOrderId` for the executionReport of a cancel. */
  private cancelIds = new Map<number, string>();

  constructor(private readonly venue: VenueCore) {
    venue.addListener(this);
  }

  /** Forgets everything (server stop). */
  stop(): void {
    this.venue.removeListener(this);
    this.userSubs.clear();
    this.byConn.clear();
  }

  /** Forgets a closed connection's user-data subscriptions. */
  closed(conn: WireConn): void {
    const subs = this.byConn.get(conn);
    if (subs === undefined) return;
    for (const s of subs) {
      const list = this.userSubs.get(s.account);
      if (list !== undefined) this.userSubs.set(s.account, list.filter((u) => u.conn !== conn));
    }
    this.byConn.delete(conn);
  }

  /** Handles one request frame; returns the response frame. `traceparent` is the connection's upgrade header. */
  handleFrame(conn: WireConn, text: string, traceparent: string | undefined): string {
    // The plain frames clients send are read in one pass; anything else goes through JSON.parse.
    const f = scanFrame(text) ?? parseFrame(text);
    if (f === null) return JSON.stringify({ id: null, status: 400, error: { code: -1102, msg: 'Malformed request: invalid JSON' } });
    const id = f.id;
    const method = f.method;
    switch (method) {
      case 'ping':
        return okFrame(id, '{}');
      case 'time':
        return okFrame(id, `{"serverTime":${this.venue.serverTime('ws-api')}}`);
      case 'exchangeInfo':
        return okFrame(id, JSON.stringify(this.venue.exchangeInfo(this.venue.instruments.list.map((i) => i.symbol))));
      default:
        break;
    }
    const p = f.params;
    const payload = f.payload;
    const tp = p.get('traceparent') ?? traceparent;
    const user = this.auth(payload, p);
    if ('ok' in user) return errFrame(id, user, user.status);
    const mutates = method === 'order.place' || method === 'order.cancel';
    if (mutates && this.venue.storeError !== undefined) return errFrame(id, STORE_DOWN_REJECTION, 503);
    const span = mutates && tp !== undefined ? wsApiServerSpan(method, tp, p.get('newClientOrderId') ?? p.get('origClientOrderId')) : undefined;
    try {
      return this.dispatch(method, id, conn, p, user, tp);
    } catch (e) {
      span?.end(e instanceof Error ? e.message : String(e));
      if (e instanceof SimulatorStoreError) return errFrame(id, STORE_DOWN_REJECTION, 503);
      throw e;
    } finally {
      span?.end();
    }
  }

  /** A signed request of `method`; `id` is the request id already rendered as JSON. */
  private dispatch(method: unknown, id: string, conn: WireConn, p: Params, user: ApiUser, tp: string | undefined): string {
    switch (method) {
      case 'userDataStream.subscribe.signature': {
        const subscriptionId = this.nextSubscriptionId++;
        const list = this.userSubs.get(user.account) ?? [];
        list.push({ conn, subscriptionId });
        this.userSubs.set(user.account, list);
        const c = this.byConn.get(conn) ?? [];
        c.push({ account: user.account, subscriptionId });
        this.byConn.set(conn, c);
        return okFrame(id, `{"subscriptionId":${subscriptionId}}`);
      }
      case 'order.place':
      case 'order.test': {
        p.delete('apiKey');
        const r = parseOrderParams(p, this.venue.instruments, user.account, this.venue.newClientOrderId, tp);
        if ('ok' in r) return errFrame(id, r);
        if (method === 'order.test') return okFrame(id, '{}');
        const res = this.venue.engine.place(r);
        if (!res.ok) return errFrame(id, res);
        return okFrame(id, renderNewOrderJson(this.venue.instruments.get(r.symbol)!, res.order, p.get('newOrderRespType') ?? 'FULL', this.venue.engine.lastPrevented));
      }
      case 'order.cancel': {
        const symbol = p.get('symbol');
        if (!symbol) return errFrame(id, mandatory('symbol'));
        const oid = intParam(p, 'orderId');
        const cid = p.get('origClientOrderId');
        if (oid === null) return errFrame(id, { ok: false, code: -1100, msg: "Illegal characters found in parameter 'orderId'." });
        if (oid === undefined && !cid) return errFrame(id, { ok: false, code: -1102, msg: "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!" });
        const target = oid !== undefined ? this.venue.engine.getById(user.account, oid) : this.venue.engine.getByClientId(user.account, symbol, cid!);
        const newId = p.get('newClientOrderId') || this.venue.newClientOrderId();
        if (target !== undefined) this.cancelIds.set(target.orderId, newId);
        const res = this.venue.engine.cancel(user.account, symbol, oid, oid === undefined ? cid : undefined);
        if (target !== undefined) this.cancelIds.delete(target.orderId);
        if (!res.ok) return errFrame(id, res);
        return okFrame(id, JSON.stringify(renderCancel(this.venue.instruments.get(symbol)!, res.order, newId, this.venue.serverTime('ws-api'))));
      }
      case 'order.status': {
        const symbol = p.get('symbol');
        if (!symbol) return errFrame(id, mandatory('symbol'));
        const oid = intParam(p, 'orderId');
        const cid = p.get('origClientOrderId');
        const o = typeof oid === 'number' ? this.venue.engine.getById(user.account, oid) : cid ? this.venue.engine.getByClientId(user.account, symbol, cid) : undefined;
        if (o === undefined || o.symbol !== symbol) return errFrame(id, { ok: false, code: -2013, msg: 'Order does not exist.' });
        return okFrame(id, JSON.stringify(renderQuery(this.venue.instruments.get(symbol)!, o)));
      }
      case 'openOrders.status': {
        const symbol = p.get('symbol');
        return okFrame(id, JSON.stringify(this.venue.engine.openOrders(user.account, symbol).map((o) => renderQuery(this.venue.instruments.get(o.symbol)!, o))));
      }
      case 'account.status':
        return okFrame(id, JSON.stringify(renderAccount(this.venue.accounts, user.account, this.venue.assets, this.venue.serverTime('ws-api'), this.venue.fees, this.venue.canWithdraw)));
      case 'userDataStream.unsubscribe': {
        this.closed(conn);
        return okFrame(id, '{}');
      }
      default:
        return errFrame(id, { ok: false, code: -1102, msg: `Unknown method: ${String(method)}` });
    }
  }

  private auth(payload: string, p: Params): ApiUser | (Rejection & { status: number }) {
    const key = p.get('apiKey');
    if (!key) return AUTH_REJECT.keyFormat;
    const user = this.venue.users.get(key);
    if (user === undefined) return AUTH_REJECT.keyInvalid;
    const ts = p.get('timestamp');
    if (ts === undefined || !TIMESTAMP.test(ts)) return { ...mandatory('timestamp'), status: 400 };
    const sig = p.get('signature');
    if (!sig) return { ...mandatory('signature'), status: 400 };
    const rw = p.has('recvWindow') ? Number(p.get('recvWindow')) : 5000;
    if (!(rw >= 0) || rw > MAX_RECV_WINDOW) return AUTH_REJECT.recvWindow;
    if (!verifyHmacHex(user.apiSecret, payload, sig)) return AUTH_REJECT.signature;
    const now = this.venue.serverTime('ws-api');
    const t = Number(ts);
    if (t >= now + 1000) return AUTH_REJECT.ahead;
    if (now - t > rw) return AUTH_REJECT.outside;
    return user;
  }

  onOrderEvent(order: SimOrder, exec: ExecType, fill: SimFill | undefined): void {
    const subs = this.userSubs.get(order.account);
    if (subs === undefined || subs.length === 0) return;
    const ins = this.venue.instruments.get(order.symbol)!;
    const ev = JSON.stringify(renderExecutionReport(ins, order, exec, fill, this.venue.serverTime('ws-api'), this.cancelIds.get(order.orderId)));
    for (const s of subs) s.conn.send(`{"subscriptionId":${s.subscriptionId},"event":${ev}}`);
  }

  onBalances(account: string, assets: readonly string[]): void {
    const subs = this.userSubs.get(account);
    if (subs === undefined || subs.length === 0) return;
    const ev = JSON.stringify(renderAccountPosition(this.venue.accounts, account, assets, this.venue.serverTime('ws-api')));
    for (const s of subs) s.conn.send(`{"subscriptionId":${s.subscriptionId},"event":${ev}}`);
  }

  onTrade(): void {}
}
