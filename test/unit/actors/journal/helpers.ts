import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OrderJournal, type OrderJournalDeps } from '../../../../actors/journal/order-journal.js';
import type { JournalOptionsInput } from '../../../../actors/journal/options.js';
import { serializeOrderBook, type OrderBookState } from '../../../../actors/journal/order-records.js';
import { SimulatedClock } from '../../../../common/clock.js';
import { SeededRandom } from '../../../../common/random.js';
import { INSTRUMENTS, workloadStep } from '../../../fixtures/journal/workload.js';

/** A fresh temp directory and its remover. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'b4-journal-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Opens with test defaults: simulated clock, fixture instruments, no restart marking. */
export function open(options: JournalOptionsInput, deps: Partial<OrderJournalDeps> = {}): Promise<OrderJournal> {
  return OrderJournal.open(options, { clock: new SimulatedClock(), instruments: INSTRUMENTS, markInFlightUnknown: false, ...deps });
}

/** Canonical string of a state, to compare two states. */
export function digest(s: OrderBookState): string {
  return JSON.stringify(serializeOrderBook(s));
}

/** Runs `n` seeded workload steps sequentially on a journal; returns the digest after. */
export async function runWorkload(j: OrderJournal, n: number, seed: number): Promise<string> {
  const rng = new SeededRandom(seed);
  for (let i = 0; i < n; i++) await workloadStep(j, rng);
  return digest(j.state);
}
