// ccxt's error classes without evaluating every ccxt exchange (see actors/exchange/binance/client.ts)
import { ccxtErrors as ccxt } from '../actors/exchange/binance/client.js';

/**
 * ccxt.pro's WebSocket client rejects every pending future of a connection when the socket fails
 * (`Client.reset` from `onError` / `onClose` / the connection and ping-pong timeouts) or is closed
 * (`Exchange.close()` sets `ExchangeClosedByUser` on every client and closes it), including futures
 * nobody awaits. During a refuse outage that is an unhandled `NetworkError` ("connect ECONNREFUSED",
 * "socket hang up"); at the engine's stop it is `ExchangeClosedByUser` ("binance closedByUser");
 * either would end the process. Those, and only those, are counted and reported (`REJECTION`
 * lines, report.json `engine.unhandledRejections`): a ccxt `NetworkError` (any subclass:
 * `RequestTimeout`, `ExchangeNotAvailable`, …) created inside ccxt's WebSocket client (`base/ws/`
 * in its stack), or a ccxt `ExchangeClosedByUser` (ccxt creates it only when it closes WebSocket
 * clients). Anything else, including a ccxt error from a REST call somebody forgot to await, is an
 * engine bug: it is printed and ends the process (exit 70), which fails the run.
 */
export function isCcxtWsRejection(reason: unknown): reason is Error {
  if (!(reason instanceof ccxt.NetworkError || reason instanceof ccxt.ExchangeClosedByUser)) return false;
  const stack = (reason.stack ?? '').replaceAll('\\', '/');
  if (!stack.includes('/ccxt/')) return false;
  return reason instanceof ccxt.ExchangeClosedByUser || stack.includes('/base/ws/');
}
