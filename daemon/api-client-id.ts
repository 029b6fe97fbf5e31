import type { Order } from '../actors/orders/order-state.js';

/**
 * Intent-key prefix of API orders: an order the gateway submits with the caller's
 * `clientOrderId` X carries intent key `api.X` in its own journal record (`order.submit`, field
 * `k`), so the mapping is durable exactly when the order is and is rebuilt by replay and kept in
 * snapshots with the order. Reserved for the gateway: strategies must not use it.
 */
export const API_INTENT_PREFIX = 'api.';

/** The caller's `clientOrderId` of an API order, from its intent key (undefined for other orders). */
export function apiClientOrderId(o: Pick<Order, 'intentKey'>): string | undefined {
  return o.intentKey !== undefined && o.intentKey.startsWith(API_INTENT_PREFIX) ? o.intentKey.slice(API_INTENT_PREFIX.length) : undefined;
}
