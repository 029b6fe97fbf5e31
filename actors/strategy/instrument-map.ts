/**
 * Values keyed by (venue, symbol) in two levels, so a per-tick lookup builds no `venue:symbol`
 * string. Insertion order is kept by {@link values}.
 */
export class InstrumentMap<T> {
  private readonly byVenue = new Map<string, Map<string, T>>();
  private readonly all: T[] = [];

  get(venue: string, symbol: string): T | undefined {
    return this.byVenue.get(venue)?.get(symbol);
  }

  has(venue: string, symbol: string): boolean {
    return this.byVenue.get(venue)?.has(symbol) ?? false;
  }

  /** Adds a value; a second value for the same instrument is ignored (returns false). */
  add(venue: string, symbol: string, value: T): boolean {
    let m = this.byVenue.get(venue);
    if (m === undefined) {
      m = new Map();
      this.byVenue.set(venue, m);
    }
    if (m.has(symbol)) return false;
    m.set(symbol, value);
    this.all.push(value);
    return true;
  }

  /** Values in insertion order. */
  values(): readonly T[] {
    return this.all;
  }

  get size(): number {
    return this.all.length;
  }
}
