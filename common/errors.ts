/**
 * Base error of every bot4 error. Each area keeps its own subclasses in one `errors.ts`
 * (fastify/undici style); every code is stable, never reused, and listed in docs/errors.md's
 * error table (a test checks that).
 */
export class Bot4Error extends Error {
  /** Stable machine-readable code, e.g. `B4_CONFIG_INVALID`. */
  readonly code: string;
  /** Structured details for logs and API replies. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details === undefined ? undefined : Object.freeze({ ...details });
  }

  /** A JSON-safe view for API replies and logs. */
  toJSON(): { code: string; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: { ...this.details } };
  }
}

/** An option or config value failed validation. The message names field, expectation and value. */
export class ConfigError extends Bot4Error {
  static readonly code = 'B4_CONFIG_INVALID';
  readonly field: string;
  constructor(field: string, message: string, details?: Record<string, unknown>) {
    super(ConfigError.code, message, { field, ...details });
    this.field = field;
  }
}

/** A function argument was invalid (wrong type, range, shape). */
export class InvalidArgumentError extends Bot4Error {
  static readonly code = 'B4_INVALID_ARGUMENT';
  constructor(message: string, details?: Record<string, unknown>) {
    super(InvalidArgumentError.code, message, details);
  }
}
