import { Command, CommanderError } from 'commander';
import { Bot4Error } from '../common/errors.js';
import { register as registerChaos } from './commands/chaos.js';
import { register as registerSim } from './commands/sim.js';
import { register as registerDaemon } from './commands/daemon.js';
import { register as registerStatus } from './commands/status.js';
import { register as registerOrders } from './commands/orders.js';
import { register as registerPositions } from './commands/positions.js';
import { register as registerKill } from './commands/kill.js';
import { register as registerVenue } from './commands/venue.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerOrder } from './commands/order.js';
import { register as registerStrategy } from './commands/strategy.js';
import { register as registerInstruments } from './commands/instruments.js';
import { register as registerEvents } from './commands/events.js';

/** Commander error codes that mean "the command line was wrong": exit 2 like a bad option value. */
const USAGE_ERRORS = new Set(['commander.unknownOption', 'commander.unknownCommand', 'commander.missingArgument', 'commander.optionMissingArgument', 'commander.invalidArgument', 'commander.excessArguments', 'commander.missingMandatoryOptionValue']);

/**
 * The `bot4` command line. Each area registers its own subcommand from its own module
 * (`bin/commands/<name>.ts` exporting `register(program: Command): void`), so this file only
 * wires them together: one import and one registration line per command.
 */
export function buildProgram(): Command {
  const program = new Command('bot4')
    .description('bot4: low-latency actor-model crypto trading engine')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  // Subcommands, one line per area (sim, daemon, status, chaos, ...).
  registerSim(program);
  registerDaemon(program);
  registerStatus(program);
  registerOrders(program);
  registerOrder(program);
  registerInstruments(program);
  registerEvents(program);
  registerStrategy(program);
  registerPositions(program);
  registerKill(program);
  registerVenue(program);
  registerConfig(program);
  registerChaos(program);
  return program;
}

/** Runs the CLI; usage errors and typed bot4 errors exit 2 (bot4 errors print their code), other failures exit 1. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = USAGE_ERRORS.has(e.code) ? 2 : e.exitCode;
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
