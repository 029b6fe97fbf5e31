/**
 * Mocha root hooks (registered by `.mocharc.json` `require`): keeps the test output free of the
 * in-process logger's lines unless a test fails.
 *
 * The process logger (`common/log.ts`, pino) is pointed at an in-memory buffer of the current
 * test's lines; when a test (or a hook) fails, its lines are printed to stderr after it, otherwise
 * they are dropped. `BOT4_TEST_LOGS=1` leaves the logger alone (every line, live). The swap uses
 * pino's public `pino.symbols.streamSym`, which child loggers inherit, so children made before or
 * after this file loads follow it. Loggers that tests inject to read their own logs are separate
 * pino instances and are not touched; child processes log per the env the tests give them.
 */
import { pino } from 'pino';
import { logger } from '../common/log.js';

/** Lines kept per test: the tail is what explains a failure, and memory stays bounded. */
const MAX_LINES = 5000;

const lines: string[] = [];
let dropped = 0;

const capture = {
  write(line: string): void {
    if (lines.length >= MAX_LINES) {
      lines.shift();
      dropped++;
    }
    lines.push(line);
  },
};

function reset(): void {
  lines.length = 0;
  dropped = 0;
}

function flush(title: string): void {
  if (lines.length === 0) return;
  const head = `--- log of failed test "${title}"${dropped > 0 ? ` (first ${dropped} lines dropped)` : ''} ---\n`;
  process.stderr.write(head + lines.join('') + '--- end of log ---\n');
}

const live = process.env.BOT4_TEST_LOGS === '1';
if (!live) (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] = capture;

/** Root hooks: each test starts with an empty buffer; a failure prints what it logged. */
export const mochaHooks = live
  ? {}
  : {
      beforeEach(): void {
        reset();
      },
      afterEach(this: Mocha.Context): void {
        const t = this.currentTest;
        if (t?.state === 'failed') flush(t.fullTitle());
        reset();
      },
    };
