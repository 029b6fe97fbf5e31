// Worker thread for kill-switch.test.ts: opens the parent's counter block and halts trading from here.
import { parentPort, workerData } from 'node:worker_threads';
import { AtomicCounters } from '../../../../native/atomic-counters.js';
import { KillSwitch } from '../../../../actors/risk/kill-switch.js';
import { SimulatedClock } from '../../../../common/clock.js';

const { buffer, slot } = workerData as { buffer: SharedArrayBuffer; slot: number };
const ks = new KillSwitch({ counters: AtomicCounters.fromBuffer(buffer), slot, clock: new SimulatedClock() });
const before = ks.state;
const changed = ks.halt('halted from a worker thread');
parentPort!.postMessage({ before, changed, after: ks.state });
