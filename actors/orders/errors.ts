import { Bot4Error } from '../../common/errors.js';

/**
 * Errors of the orders area (lifecycle, client order ids, order table, portfolio). Each class has a
 * stable code listed in docs/errors.md. These are broken invariants or caller bugs, never business
 * rejections: a risk denial is an `order.denied` event, not one of these.
 */

/** An event is not allowed in the order's current state (see the transition table). */
export class InvalidTransitionError extends Bot4Error {
  static readonly code = 'B4_ORDER_INVALID_TRANSITION';
  constructor(clientOrderId: string, from: string, event: string, reason?: string) {
    super(
      InvalidTransitionError.code,
      `order ${clientOrderId}: event "${event}" is not allowed in state "${from}"${reason ? ` (${reason})` : ''}`,
      { clientOrderId, from, event },
    );
  }
}

/** A fill would take the filled quantity past the order quantity, or is malformed. */
export class InvalidFillError extends Bot4Error {
  static readonly code = 'B4_ORDER_INVALID_FILL';
  constructor(clientOrderId: string, message: string, details?: Record<string, unknown>) {
    super(InvalidFillError.code, `order ${clientOrderId}: ${message}`, { clientOrderId, ...details });
  }
}

/** A fill with a trade id already applied to this order (venues resend fills after reconnects). */
export class DuplicateFillError extends Bot4Error {
  static readonly code = 'B4_ORDER_DUPLICATE_FILL';
  constructor(clientOrderId: string, tradeId: string) {
    super(DuplicateFillError.code, `order ${clientOrderId}: trade ${tradeId} was already applied`, { clientOrderId, tradeId });
  }
}

/** A client order id cannot be built (bad strategy prefix, or the id would not fit 36 characters). */
export class ClientOrderIdError extends Bot4Error {
  static readonly code = 'B4_ORDER_CLIENT_ID_INVALID';
  constructor(message: string, details?: Record<string, unknown>) {
    super(ClientOrderIdError.code, message, details);
  }
}

/** An order with this client order id (or venue order id) is already in the table. */
export class DuplicateOrderError extends Bot4Error {
  static readonly code = 'B4_ORDER_DUPLICATE';
  constructor(id: string, kind: 'clientOrderId' | 'venueOrderId' = 'clientOrderId') {
    super(DuplicateOrderError.code, `an order with ${kind} ${id} already exists`, { [kind]: id });
  }
}

/** No order with this client order id is known. */
export class OrderNotFoundError extends Bot4Error {
  static readonly code = 'B4_ORDER_NOT_FOUND';
  constructor(clientOrderId: string) {
    super(OrderNotFoundError.code, `no order with clientOrderId ${clientOrderId}`, { clientOrderId });
  }
}

/**
 * Refused re-submission: an earlier attempt for the same intent key is still in flight or its outcome
 * is unknown. Sending it again under a new id could double the position; reconcile first.
 */
export class OutcomeUnknownError extends Bot4Error {
  static readonly code = 'B4_ORDER_OUTCOME_UNKNOWN';
  constructor(intentKey: string, clientOrderId: string, state: string) {
    super(
      OutcomeUnknownError.code,
      `intent ${intentKey}: attempt ${clientOrderId} is "${state}"; it must be reconciled before a new attempt is sent`,
      { intentKey, clientOrderId, state },
    );
  }
}

/** The portfolio was asked about an instrument or venue/symbol it was not given. */
export class UnknownInstrumentError extends Bot4Error {
  static readonly code = 'B4_ORDER_UNKNOWN_INSTRUMENT';
  constructor(venue: string, symbol: string) {
    super(UnknownInstrumentError.code, `unknown instrument ${symbol} on venue ${venue}`, { venue, symbol });
  }
}
