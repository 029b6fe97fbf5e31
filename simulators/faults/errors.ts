import { Bot4Error } from '../../common/errors.js';

/**
 * Errors of the network-fault model. Each names the field, what was expected and what arrived
 * (the control API returns them as 400 replies with their `code`).
 */

/** A profile name that is not one of the built-in profiles. */
export class NetworkUnknownProfileError extends Bot4Error {
  static readonly code = 'B4_NET_UNKNOWN_PROFILE';
  readonly field: string;
  constructor(field: string, message: string) {
    super(NetworkUnknownProfileError.code, message, { field });
    this.field = field;
  }
}

/** A custom profile or the options of `setProfile` failed validation. */
export class NetworkInvalidProfileError extends Bot4Error {
  static readonly code = 'B4_NET_INVALID_PROFILE';
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(NetworkInvalidProfileError.code, message, { field }, options);
    this.field = field;
  }
}

/** An unknown outage mode, or parameters that do not fit the mode (missing, extra or out of range). */
export class NetworkInvalidOutageError extends Bot4Error {
  static readonly code = 'B4_NET_INVALID_OUTAGE';
  readonly field: string;
  constructor(field: string, message: string, options?: { cause?: unknown }) {
    super(NetworkInvalidOutageError.code, message, { field }, options);
    this.field = field;
  }
}

/** A link scope that is not `rest`, `stream`, `ws-api` (or `all` where allowed). */
export class NetworkInvalidScopeError extends Bot4Error {
  static readonly code = 'B4_NET_INVALID_SCOPE';
  readonly field: string;
  constructor(field: string, message: string) {
    super(NetworkInvalidScopeError.code, message, { field });
    this.field = field;
  }
}

/** A venue name or connection id that is empty, too long or has characters outside [A-Za-z0-9._:-]. */
export class NetworkInvalidNameError extends Bot4Error {
  static readonly code = 'B4_NET_INVALID_NAME';
  readonly field: string;
  constructor(field: string, message: string) {
    super(NetworkInvalidNameError.code, message, { field });
    this.field = field;
  }
}
