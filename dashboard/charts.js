/* global ResizeObserver */
import uPlot from '/dashboard/uplot/uPlot.esm.js';
import { SeriesRing } from './ring.js';

const PALETTE = ['#58a6ff', '#3fb950', '#d29922', '#f85149', '#bc8cff', '#39c5cf', '#ff9bce', '#e3b341', '#8b949e', '#56d364', '#79c0ff', '#ffa657'];

/**
 * A uPlot time chart over a {@link SeriesRing}: points are appended as they come, the chart is
 * redrawn by {@link redraw} (the caller throttles it), series can be added while it runs.
 */
export class LiveChart {
  /**
   * @param {HTMLElement} el container
   * @param {{ title: string, capacity: number, height?: number, stepped?: boolean, maxSeries?: number, yValues?: (v: number) => string, yRange?: [number, number] }} o
   */
  constructor(el, o) {
    this.el = el;
    this.o = o;
    this.ring = new SeriesRing(o.capacity, []);
    this.index = new Map();
    this.dirty = false;
    const axisY = { stroke: '#8a96a3', grid: { stroke: '#26313c' }, size: 96 };
    if (o.yValues) {
      axisY.values = (_u, ticks) => ticks.map((t) => o.yValues(t));
      // one tick per whole level: the levels are names (running, closed...), not quantities
      if (o.yRange) axisY.splits = () => Array.from({ length: Math.floor(o.yRange[1]) - Math.ceil(o.yRange[0]) + 1 }, (_, k) => Math.ceil(o.yRange[0]) + k);
    }
    this.u = new uPlot(
      {
        title: o.title,
        width: Math.max(300, el.clientWidth || 440),
        height: o.height ?? 160,
        series: [{}],
        scales: o.yRange ? { x: { time: true }, y: { range: o.yRange } } : { x: { time: true } },
        axes: [{ stroke: '#8a96a3', grid: { stroke: '#26313c' } }, axisY],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      this.ring.cols,
      el,
    );
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        const w = Math.max(300, el.clientWidth);
        if (Math.abs(w - this.u.width) > 4) this.u.setSize({ width: w, height: this.u.height });
      }).observe(el);
    }
  }

  /** Appends one row at `t` (epoch seconds); unknown names become new series (up to `maxSeries`). */
  push(t, values) {
    for (const name of Object.keys(values)) {
      if (this.index.has(name)) continue;
      if (this.index.size >= (this.o.maxSeries ?? 12)) {
        delete values[name];
        continue;
      }
      const idx = this.ring.addSeries(name);
      this.index.set(name, idx);
      const s = { label: name, stroke: PALETTE[(idx - 1) % PALETTE.length], width: 1.5, spanGaps: true };
      if (this.o.stepped) s.paths = uPlot.paths.stepped({ align: 1 });
      this.u.addSeries(s, idx);
    }
    this.ring.push(t, values);
    this.dirty = true;
  }

  /** Draws the points appended since the last call. */
  redraw() {
    if (!this.dirty) return;
    this.dirty = false;
    this.u.setData(this.ring.cols);
  }
}
