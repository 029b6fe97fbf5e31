// Fixed-capacity buffers: the page holds a bounded amount of data however long it stays open.

/** Columns of numbers for a uPlot chart: x (epoch seconds) plus one column per series, at most `capacity` rows. */
export class SeriesRing {
  constructor(capacity, series) {
    this.capacity = capacity;
    this.names = [...series];
    this.cols = [[], ...this.names.map(() => [])];
  }

  /** Adds a series (filled with nulls for the rows already there); returns its column index. */
  addSeries(name) {
    this.names.push(name);
    this.cols.push(new Array(this.cols[0].length).fill(null));
    return this.cols.length - 1;
  }

  /** Appends one row: `values` by series name (missing ones are null). */
  push(t, values) {
    this.cols[0].push(t);
    for (let k = 0; k < this.names.length; k++) {
      const v = values[this.names[k]];
      this.cols[k + 1].push(v === undefined ? null : v);
    }
    if (this.cols[0].length > this.capacity) for (const c of this.cols) c.splice(0, c.length - this.capacity);
  }

  get length() {
    return this.cols[0].length;
  }
}

/** The newest `capacity` items, oldest first. */
export class Ring {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = [];
  }

  push(x) {
    this.items.push(x);
    if (this.items.length > this.capacity * 1.25) this.items.splice(0, this.items.length - this.capacity);
  }

  /** Newest first, at most `n`. */
  latest(n) {
    const out = [];
    for (let i = this.items.length - 1; i >= 0 && out.length < n; i--) out.push(this.items[i]);
    return out;
  }
}
