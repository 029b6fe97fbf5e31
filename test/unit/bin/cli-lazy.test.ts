import { strict as assert } from 'node:assert';
import { buildProgram, COMMANDS, commandsFor } from '../../../bin/cli.js';

/** `bot4 --help` lists every subcommand from bin/cli.ts's table without importing the modules. */
describe('bin/cli.ts: lazily loaded subcommands', () => {
  it('each description in the table is the one its module registers, in the same order', async () => {
    const full = await buildProgram();
    const stubs = await buildProgram([]);
    assert.deepEqual(full.commands.map((c) => c.name()), Object.keys(COMMANDS));
    assert.deepEqual(stubs.commands.map((c) => c.name()), Object.keys(COMMANDS));
    for (const c of full.commands) assert.equal(COMMANDS[c.name()]!.description, c.description(), `bin/cli.ts COMMANDS.${c.name()}.description`);
    for (const c of stubs.commands) assert.equal(c.commands.length + c.options.length, 0, `${c.name()} is a stub`);
  });

  it('only the command the line names is loaded (also through `bot4 help <cmd>`)', async () => {
    assert.deepEqual(commandsFor(['node', 'bot4', '--help']), []);
    assert.deepEqual(commandsFor(['node', 'bot4']), []);
    assert.deepEqual(commandsFor(['node', 'bot4', 'nosuch']), []);
    assert.deepEqual(commandsFor(['node', 'bot4', 'daemon', '--port', '0']), ['daemon']);
    assert.deepEqual(commandsFor(['node', 'bot4', 'help', 'config']), ['config']);
    assert.deepEqual(commandsFor(['node', 'bot4', 'constructor']), []);
    const p = await buildProgram(commandsFor(['node', 'bot4', 'config', 'check']));
    const config = p.commands.find((c) => c.name() === 'config')!;
    assert.deepEqual(config.commands.map((c) => c.name()), ['check']);
    assert.equal(p.commands.find((c) => c.name() === 'daemon')!.options.length, 0);
  });
});
