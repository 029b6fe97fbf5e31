// Old `<journal.dir>/term-<n>` directories: after a successful takeover only the current and the
// previous term's directories stay (cluster/failover.ts pruneTermDirs), on a real nats-server.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { LiveClock } from '../../../common/clock.js';
import { pruneTermDirs, startFailoverNode, termDir, type FailoverNode } from '../../../cluster/failover.js';
import { parseClusterOptions } from '../../../cluster/replication-options.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { until } from '../daemon/harness.js';

const clock = new LiveClock();

describe('cluster/failover: old term directories are deleted after a takeover', function () {
  this.timeout(60_000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'bot4-term-dirs-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('pruneTermDirs keeps the current and the previous term (every attempt of each), and anything that is not a term directory', () => {
    for (const t of [3, 7, 12, 40]) mkdirSync(termDir(root, t), { recursive: true });
    mkdirSync(termDir(root, 12, 1));
    mkdirSync(termDir(root, 3, 2));
    mkdirSync(path.join(root, 'sim'));
    writeFileSync(path.join(root, 'term-0000000001'), 'a file, not a directory');
    writeFileSync(path.join(termDir(root, 7), 'journal.seg'), 'x');
    const deleted = pruneTermDirs(root, 40);
    assert.deepEqual(deleted, ['term-0000000003', 'term-0000000003-2', 'term-0000000007']);
    assert.deepEqual(readdirSync(root).sort(), ['sim', 'term-0000000001', 'term-0000000012', 'term-0000000012-1', 'term-0000000040']);
    // the first term of the account: nothing older, nothing deleted
    assert.deepEqual(pruneTermDirs(root, 12), []);
    // a missing root is not an error
    assert.deepEqual(pruneTermDirs(path.join(root, 'none'), 5), []);
  });

  describe('on a real nats-server', () => {
    let nats: NatsServerHandle;
    let node: FailoverNode | undefined;
    const journals: OrderJournal[] = [];
    before(async () => {
      nats = await startNatsServer();
    });
    after(async () => {
      await node?.close(500).catch(() => undefined);
      for (const j of journals) await j.close().catch(() => undefined);
      await nats?.dispose();
    });

    it('three successive owners on one journal root: after the third takeover the first term directory is gone, the last two stay', async () => {
      const cluster = parseClusterOptions({
        enabled: true,
        nodeId: 'n1',
        servers: [nats.url],
        reconnectWaitMs: 50,
        replication: { stream: 'TERM_DIRS', subject: 'term.dirs.log', ack: 'sync', retryMs: 50 },
        lease: { enabled: true, takeover: true, key: 'term-dirs', ttlMs: 1500, renewMs: 200, marginMs: 300 },
      });
      const terms: number[] = [];
      for (let i = 0; i < 3; i++) {
        let current: OrderJournal | undefined;
        node = startFailoverNode(cluster, root, clock, {
          openEngine: async (dir) => {
            current = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments: [], markInFlightUnknown: false });
            journals.push(current);
            return current;
          },
          resume: async () => undefined,
          deactivate: async () => {
            await current?.close();
          },
        });
        await until(() => node!.status().role === 'owner', 20_000, `owner #${i + 1} (${JSON.stringify(node!.status())})`);
        const st = node.status();
        terms.push(st.lease!.term!);
        if (i < 2) assert.deepEqual(st.takeovers.at(-1)!.pruned, [], `takeover #${i + 1} deletes nothing`);
        else assert.deepEqual(st.takeovers.at(-1)!.pruned, [path.basename(termDir(root, terms[0]!))], 'the third takeover deletes the first term');
        // a graceful close releases the lease: the next start takes a new term at once
        await node.close(1000);
        node = undefined;
      }
      assert.ok(terms[0]! < terms[1]! && terms[1]! < terms[2]!, `new terms: ${terms.join(',')}`);
      assert.deepEqual(readdirSync(root).sort(), [termDir(root, terms[1]!), termDir(root, terms[2]!)].map((d) => path.basename(d)));
    });
  });
});
