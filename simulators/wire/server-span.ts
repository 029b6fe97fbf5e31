/**
 * The simulator's SERVER spans (service `bot4-sim`): a request that arrives with a sampled W3C
 * `traceparent` (REST header, WS-API upgrade header or `traceparent` parameter) is timed as a
 * SERVER span, child of the caller's CLIENT span, through the `sim` span sink the tracing adapter
 * registers when tracing is on (`common/span-sink.ts`). No sink, no header or an unsampled
 * one: nothing is made (one property read). The simulator never starts a trace of its own.
 */
import { SpanKind, spanSink, type LiveSpan } from '../../common/span-sink.js';

/** `newClientOrderId` / `origClientOrderId` of a form- or query-encoded request, or ''. */
function clientOrderIdOf(text: string): string {
  const m = /(?:^|&)(?:newClientOrderId|origClientOrderId)=([^&]*)/.exec(text);
  if (m === null) return '';
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return '';
  }
}

/** SERVER span of a REST request, or undefined (not traced). */
export function restServerSpan(method: string, path: string, traceparent: string | undefined, query: string, body: string, clientAddress: string): LiveSpan | undefined {
  if (traceparent === undefined) return undefined;
  const sink = spanSink('sim');
  if (sink === undefined) return undefined;
  const route = `/api/v3${path}`;
  const span = sink.start(`${method} ${route}`, SpanKind.SERVER, traceparent);
  if (!span.recording) return undefined;
  span.setAttribute('http.request.method', method);
  span.setAttribute('http.route', route);
  span.setAttribute('url.path', route);
  span.setAttribute('client.address', clientAddress);
  const id = clientOrderIdOf(body) || clientOrderIdOf(query);
  if (id !== '') span.setAttribute('bot4.order.client_id', id);
  return span;
}

/** Ends a REST SERVER span with the reply's status (5xx: error). */
export function endRestSpan(span: LiveSpan, status: number, dropped = false): void {
  span.setAttribute('http.response.status_code', status);
  if (dropped) span.end('reply dropped by the network model');
  else span.end(status >= 500 ? `HTTP ${status}` : undefined);
}

/** SERVER span of a WS-API request (`order.place`, `order.cancel`), or undefined. */
export function wsApiServerSpan(method: string, traceparent: string | undefined, clientOrderId: string | undefined): LiveSpan | undefined {
  if (traceparent === undefined) return undefined;
  const sink = spanSink('sim');
  if (sink === undefined) return undefined;
  const span = sink.start(method, SpanKind.SERVER, traceparent);
  if (!span.recording) return undefined;
  span.setAttribute('rpc.system', 'binance.ws-api');
  span.setAttribute('rpc.method', method);
  if (clientOrderId !== undefined && clientOrderId !== '') span.setAttribute('bot4.order.client_id', clientOrderId);
  return span;
}
