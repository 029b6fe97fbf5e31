import ccxt from 'ccxt';
import type { VenueUrls } from '../../../simulators/index.js';
import { DEMO_API_KEY, DEMO_API_SECRET } from '../../../simulators/index.js';

/** ccxt's binance class pointed at a simulator venue, configured as RECIPES.md says. */
export function restClient(v: VenueUrls, over: { apiKey?: string; secret?: string; timeout?: number } = {}): InstanceType<typeof ccxt.binance> {
  return new ccxt.binance({
    apiKey: over.apiKey ?? DEMO_API_KEY,
    secret: over.secret ?? DEMO_API_SECRET,
    enableRateLimit: false,
    timeout: over.timeout ?? 5000,
    urls: { api: { public: v.rest, private: v.rest } },
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  });
}

/** ccxt.pro's binance pointed at a simulator venue (REST + streams + WS-API). */
export async function proClient(v: VenueUrls, over: { timeout?: number } = {}): Promise<InstanceType<typeof ccxt.pro.binance>> {
  const ex = new ccxt.pro.binance({
    apiKey: DEMO_API_KEY,
    secret: DEMO_API_SECRET,
    enableRateLimit: false,
    timeout: over.timeout ?? 5000,
    urls: {
      api: {
        public: v.rest,
        private: v.rest,
        ws: { spot: v.ws, 'ws-api': { spot: v.wsApi } },
      },
    },
    options: { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false },
  });
  await ex.loadHttpProxyAgent();
  return ex;
}

/**
 * `p`, or a rejection naming `what` after `ms` of wall time (the timer is cleared either way), so a
 * watch call that never resolves fails the test with a reason instead of hanging until mocha's timeout.
 */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export { ccxt };
