import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The lint errors of `code` as if it were the file `file` of the repo. */
async function restricted(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: ROOT });
  const [r] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('architecture: one-way imports (eslint no-restricted-imports, part of npm test)', function () {
  this.timeout(60_000);
  const cases: [string, string, boolean][] = [
    ['actors/risk/x.ts', '../../gateway/server.js', true],
    ['actors/exchange/binance/x.ts', '../../../daemon/daemon.js', true],
    ['actors/engine/x.ts', '../../simulators/simulator.js', true],
    ['actors/engine/x.ts', '../../chaos/runner.js', true],
    ['actors/engine/x.ts', '../../bench/report.js', true],
    ['simulators/venue/x.ts', '../../actors/orders/instrument.js', true],
    ['simulators/x.ts', '../chaos/ledger-check/ledger-check.js', true],
    ['gateway/x.ts', '../actors/engine/engine.js', true],
    ['common/x.ts', '../actors/messages.js', true],
    ['bin/commands/x.ts', '../../bench/report.js', true],
    ['actors/runtime/x.ts', '../../cluster/remote-transport.js', true],
    ['common/x.ts', '../cluster/codec.js', true],
    ['cluster/x.ts', '../daemon/daemon.js', true],
    ['cluster/x.ts', '../simulators/simulator.js', true],
    // the allowed directions
    ['actors/engine/x.ts', '../risk/risk-engine.js', false],
    ['actors/engine/x.ts', '../../common/clock.js', false],
    ['daemon/x.ts', '../gateway/server.js', false],
    ['daemon/x.ts', '../actors/engine/engine.js', false],
    ['chaos/x.ts', '../simulators/simulator.js', false],
    ['bin/commands/x.ts', '../../daemon/daemon.js', false],
    ['cluster/x.ts', '../actors/runtime/index.js', false],
    ['cluster/x.ts', '../common/errors.js', false],
    ['daemon/x.ts', '../cluster/index.js', false],
  ];
  for (const [file, spec, refused] of cases) {
    it(`${file} importing ${spec}: ${refused ? 'refused' : 'allowed'}`, async () => {
      const msgs = await restricted(file, `import * as m from '${spec}';\nexport const n = Object.keys(m).length;\n`);
      assert.equal(msgs.length > 0, refused, msgs.join('; '));
    });
  }
});
