// What the cluster integration tests share: one simulator and one nats-server per file, daemons
// started from a YAML text with an admin /ws client each, and everything stopped and removed after
// the file's tests (registered as mocha hooks by `useClusterRig`).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { Simulator, type SimulatorOptions } from '../../../simulators/index.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import { startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

/** The admin token's upgrade headers. */
export const ADMIN = { headers: { authorization: `Bearer ${TOKENS.admin}` } };

export interface ClusterRig {
  readonly sim: Simulator;
  readonly nats: NatsServerHandle;
  /**
   * Starts `bot4 daemon` on `yaml` and connects an admin client: after `/health` answers 200 when
   * `healthy` names the daemon (in the wait's message), subscribed to `topics` when given.
   */
  daemon(yaml: string, o: { env: Record<string, string>; topics?: string[]; healthy?: string }): Promise<{ d: DaemonChild; c: TestClient }>;
}

/** Registers `before`/`after` hooks that start a simulator (`sim` options) and nats-server, and stop them with every daemon and client. */
export function useClusterRig(sim: SimulatorOptions): ClusterRig {
  let s: Simulator | undefined;
  let n: NatsServerHandle | undefined;
  const daemons: DaemonChild[] = [];
  const clients: TestClient[] = [];
  before(async () => {
    s = await Simulator.start(sim);
    n = await startNatsServer();
  });
  after(async () => {
    for (const c of clients) c.ws.close();
    for (const d of daemons) await stopDaemon(d).catch(() => undefined);
    await n?.dispose();
    await s?.stop();
    for (const d of daemons) rmSync(d.dir, { recursive: true, force: true });
  });
  return {
    get sim(): Simulator {
      return s!;
    },
    get nats(): NatsServerHandle {
      return n!;
    },
    async daemon(yaml, o) {
      const d = await startDaemon(yaml, { env: o.env });
      daemons.push(d);
      if (o.healthy !== undefined) await until(async () => (await fetch(d.urls.health!)).status === 200, 60_000, `${o.healthy} /health 200`);
      const c = await TestClient.connect(d.urls.api!, ADMIN);
      clients.push(c);
      if (o.topics !== undefined) assert.equal((await c.request('subscribe', { topics: o.topics })).ok, true);
      return { d, c };
    },
  };
}
