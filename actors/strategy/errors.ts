import { Bot4Error } from '../../common/errors.js';

/**
 * Errors of the strategy area. Each class has a stable code listed in docs/errors.md. Bad parameters
 * are `ConfigError` (`B4_CONFIG_INVALID`, naming the field); these cover what `loadStrategy`
 * cannot resolve or load.
 */

/** `kind` is neither a built-in strategy name nor a module path. */
export class StrategyUnknownError extends Bot4Error {
  static readonly code = 'B4_STRATEGY_UNKNOWN';
  constructor(id: string, kind: string, builtins: readonly string[]) {
    super(
      StrategyUnknownError.code,
      `strategies.${id}.kind: expected a built-in strategy (${builtins.join(', ')}) or a module path (./x.ts, /abs/x.js), got ${JSON.stringify(kind)}`,
      { id, kind },
    );
  }
}

/** A strategy module path could not be imported (missing file, syntax error, a throw at import). */
export class StrategyLoadError extends Bot4Error {
  static readonly code = 'B4_STRATEGY_LOAD_FAILED';
  constructor(id: string, path: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(StrategyLoadError.code, `strategies.${id}.kind: cannot import strategy module ${path}: ${why}`, { id, path }, { cause });
  }
}

/** A strategy module imported, but its default export is not a factory or the factory returned no strategy. */
export class StrategyModuleError extends Bot4Error {
  static readonly code = 'B4_STRATEGY_MODULE_INVALID';
  constructor(id: string, path: string, problem: string) {
    super(StrategyModuleError.code, `strategies.${id}.kind: strategy module ${path}: ${problem}`, { id, path });
  }
}
