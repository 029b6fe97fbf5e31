import { Bot4Error } from '../common/errors.js';

/** A scenario file or built-in name that does not exist, or a file that is not YAML. */
export class ChaosScenarioError extends Bot4Error {
  static readonly code = 'B4_CHAOS_SCENARIO';
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(ChaosScenarioError.code, message, details, options);
  }
}

/** The engine child process of a chaos run failed: it exited before its ready line, or did not settle. */
export class ChaosEngineError extends Bot4Error {
  static readonly code = 'B4_CHAOS_ENGINE';
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(ChaosEngineError.code, message, details, options);
  }
}

/** The simulator's control API refused an injected fault (the message carries its reply). */
export class ChaosInjectError extends Bot4Error {
  static readonly code = 'B4_CHAOS_INJECT';
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(ChaosInjectError.code, message, details, options);
  }
}
