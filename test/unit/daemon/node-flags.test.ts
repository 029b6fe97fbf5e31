import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DAEMON_NODE_FLAGS } from '../../../daemon/node-flags.js';

/** `npm start` runs the daemon with the V8 flags its memory figures were measured with (issue 16). */
describe('daemon node flags', () => {
  it('npm start passes every flag of DAEMON_NODE_FLAGS to node, before the entry script', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const start = pkg.scripts.start!.split(/\s+/);
    const node = start.indexOf('node');
    const entry = start.indexOf('bin/bot4.js');
    assert.ok(node >= 0 && entry > node, pkg.scripts.start);
    assert.ok(DAEMON_NODE_FLAGS.length > 0);
    for (const f of DAEMON_NODE_FLAGS) assert.ok(start.slice(node + 1, entry).includes(f), `${f} missing from scripts.start: ${pkg.scripts.start}`);
  });
});
