/**
 * The `traceparent` contexts this process made last, with their ids as 32-bit words: a child
 * span whose parent context is one of them takes the parent's words by string identity instead
 * of reading the context's 55 characters again (a read costs ~120 ns and flattens the
 * concatenated string first; a hit on the newest entries ~10 ns), and the trace id's hex as
 * the string it was made from (slicing it out of the context would flatten the context too). Contexts that arrive from
 * elsewhere (the wire, user code) are not here and are read and checked in full
 * (`readTraceparent`).
 */

/** Contexts remembered (a sampled order's spans are made and handled within a few of each other). */
const SIZE = 16;
/** Words per entry: trace id 4, span id 2. */
const W = 6;

export class RecentContexts {
  private readonly tps: string[] = new Array<string>(SIZE).fill('');
  private readonly traces: string[] = new Array<string>(SIZE).fill('');
  private readonly words = new Int32Array(SIZE * W);
  /** Slot of the newest entry. */
  private newest = SIZE - 1;

  /** Remembers a context made here: its trace id (hex, and words `t0..t3`) and span id words `s0, s1`. */
  add(tp: string, traceId: string, t0: number, t1: number, t2: number, t3: number, s0: number, s1: number): void {
    const i = this.newest === SIZE - 1 ? 0 : this.newest + 1;
    this.newest = i;
    this.tps[i] = tp;
    this.traces[i] = traceId;
    const w = this.words;
    const o = i * W;
    w[o] = t0;
    w[o + 1] = t1;
    w[o + 2] = t2;
    w[o + 3] = t3;
    w[o + 4] = s0;
    w[o + 5] = s1;
  }

  /**
   * When `tp` is one of the remembered contexts (newest first), writes its trace id words to
   * `out[at..at+3]` and its span id, the child's parent, to `out[at+6..at+7]` (the layout of
   * `readTraceparent`) and returns its trace id's hex; else writes nothing and returns ''.
   */
  read(tp: string, out: Int32Array, at: number): string {
    const tps = this.tps;
    let i = this.newest;
    for (let n = 0; n < SIZE; n++) {
      if (tps[i] === tp) {
        const w = this.words;
        const o = i * W;
        out[at] = w[o]!;
        out[at + 1] = w[o + 1]!;
        out[at + 2] = w[o + 2]!;
        out[at + 3] = w[o + 3]!;
        out[at + 6] = w[o + 4]!;
        out[at + 7] = w[o + 5]!;
        return this.traces[i]!;
      }
      i = i === 0 ? SIZE - 1 : i - 1;
    }
    return '';
  }

  /** Forgets every entry. */
  clear(): void {
    this.tps.fill('');
    this.traces.fill('');
  }
}
