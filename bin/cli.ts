import { Command, CommanderError } from 'commander';
import { Bot4Error } from '../common/errors.js';

/**
 * The `bot4` command line. Each area registers its own subcommand from its own module, so this
 * file only wires them together.
 */
export function buildProgram(): Command {
  const program = new Command('bot4')
    .description('bot4: low-latency actor-model crypto trading engine')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  // Subcommands are registered here, one line per area (sim, daemon, status, chaos, ...).
  return program;
}

/** Runs the CLI; typed bot4 errors print their code and exit 2, other failures exit 1. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof Bot4Error) {
      process.stderr.write(`bot4: ${e.code}: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
}
