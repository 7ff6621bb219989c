// chart.js - events per 5-minute window (bars) and the largest magnitude in each window
// (line), from the `sismos-stats` results. Plain SVG, drawn to the element's pixel size.

import { classOf, fmtMag } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const M = { left: 38, right: 38, top: 12, bottom: 24 };

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text != null) el.textContent = text;
  return el;
}

/** A top for the count axis that gives four integer ticks: 4, 8, 12, 20, 40, 100, ... */
function niceMax(v) {
  const step = Math.max(1, Math.ceil(v / 4));
  const p = 10 ** Math.floor(Math.log10(step));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= step && Number.isInteger(s));
  return 4 * (nice || step);
}

const pad = (n) => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A tick interval giving at most one label per ~80 px. */
function tickStep(span, width) {
  const H = 3600e3;
  const most = Math.max(2, Math.floor(width / 80));
  for (const s of [5 * 60e3, 10 * 60e3, 15 * 60e3, 30 * 60e3, H, 2 * H, 3 * H, 6 * H, 12 * H, 24 * H, 48 * H]) {
    if (span / s <= most) return s;
  }
  return 96 * H;
}

function tickLabel(t, step) {
  const d = new Date(t);
  if (step >= 24 * 3600e3) return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  if (d.getUTCHours() === 0 && d.getUTCMinutes() === 0) return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

const WINDOW = 5 * 60e3;

/** The bucket width: 5 minutes, or a multiple when bars would be narrower than 3 px. */
export function bucketSize(span, width) {
  for (const b of [WINDOW, 15 * 60e3, 30 * 60e3, 3600e3, 2 * 3600e3, 6 * 3600e3]) {
    if (span / b <= width / 3) return b;
  }
  return 24 * 3600e3;
}

function combine(windows, size) {
  const out = new Map();
  for (const w of windows) {
    const start = Math.floor(w.start / size) * size;
    let b = out.get(start);
    if (!b) {
      b = { start, end: start + size, count: 0, max: null, sum: 0, withMag: 0, final: true, windows: 0 };
      out.set(start, b);
    }
    b.count += w.count;
    b.windows++;
    b.final = b.final && w.final;
    if (w.max != null && (b.max == null || w.max > b.max)) b.max = w.max;
    if (w.avg != null && w.count) { b.sum += w.avg * w.count; b.withMag += w.count; }
  }
  return [...out.values()].map((b) => ({ ...b, avg: b.withMag ? b.sum / b.withMag : null }));
}

const hm = (t) => {
  const d = new Date(t);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
};

export class WindowChart {
  constructor(el, tip) {
    this.el = el;
    this.tip = tip;
    this.last = null;
    new ResizeObserver(() => this.last && this.render(...this.last)).observe(el);
  }

  /** windows: sorted by start; [from, to): the time range shown. */
  render(windows, from, to) {
    this.last = [windows, from, to];
    const W = Math.max(this.el.clientWidth, 200);
    const H = Math.max(this.el.clientHeight, 120);
    const inRange = windows.filter((w) => w.end > from && w.start < to);
    // One bar per 5-minute window while bars stay at least 3 px wide; beyond that (a week)
    // consecutive windows are combined into wider buckets: counts add up, the largest
    // magnitude is the largest of the bucket.
    const step = bucketSize(to - from, W - M.left - M.right);
    const shown = step === WINDOW ? inRange : combine(inRange, step);
    if (this.onBucket) this.onBucket(step);
    const root = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img' });
    const x = (t) => M.left + ((t - from) / (to - from)) * (W - M.left - M.right);
    const maxCount = niceMax(Math.max(0, ...shown.map((w) => w.count)));
    const mags = shown.map((w) => w.max).filter((v) => v != null);
    const magTop = 4 * Math.ceil(Math.max(1, ...mags) / 4); // 4 or 8: integer ticks
    const yc = (c) => H - M.bottom - (c / maxCount) * (H - M.top - M.bottom);
    const ym = (m) => H - M.bottom - (Math.max(m, 0) / magTop) * (H - M.top - M.bottom);

    const grid = svg('g', { class: 'grid' });
    const axis = svg('g', { class: 'axis' });
    for (let i = 0; i <= 4; i++) {
      const c = (maxCount * i) / 4;
      const y = yc(c);
      grid.append(svg('line', { x1: M.left, x2: W - M.right, y1: y, y2: y }));
      axis.append(svg('text', { x: M.left - 6, y: y + 4, 'text-anchor': 'end' }, String(c)));
      axis.append(svg('text', { x: W - M.right + 6, y: y + 4 }, `M${(magTop * i) / 4}`));
    }
    const tstep = tickStep(to - from, W - M.left - M.right);
    for (let t = Math.ceil(from / tstep) * tstep; t < to - tstep / 4; t += tstep) {
      axis.append(svg('text', { x: x(t), y: H - 6, 'text-anchor': 'middle' }, tickLabel(t, tstep)));
    }
    axis.append(svg('text', { x: W - M.right + 6, y: H - 6, opacity: 0.7 }, 'UTC'));
    root.append(grid, axis);
    // Bars and line stay inside the plot: the current window ends after "now".
    const defs = svg('defs');
    const clip = svg('clipPath', { id: 'chart-plot' });
    clip.append(svg('rect', { x: M.left, y: 0, width: W - M.left - M.right, height: H }));
    defs.append(clip);
    root.append(defs);
    const plot = svg('g', { 'clip-path': 'url(#chart-plot)' });

    if (!shown.length) {
      root.append(svg('text', { class: 'chart-empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' },
        'No window statistics in this range yet (they come from `sismo stats`).'));
      root.setAttribute('aria-label', 'No window statistics in this range');
      this.el.replaceChildren(root);
      return;
    }

    const bars = svg('g');
    for (const w of shown) {
      const x0 = Math.max(x(w.start), M.left), x1 = Math.min(x(w.end), W - M.right);
      const bw = Math.max(1, x1 - x0 - (x1 - x0 > 3 ? 1 : 0));
      const y = yc(w.count);
      bars.append(svg('rect', { class: 'bar', x: x0, y, width: bw, height: H - M.bottom - y, 'data-start': w.start }));
    }
    plot.append(bars);

    // The largest magnitude per window: a line through consecutive windows and a dot per
    // window coloured by class (smaller when there are many, so that lone windows show).
    let d = '';
    let prevEnd = null;
    for (const w of shown) {
      if (w.max == null) { prevEnd = null; continue; }
      const px = (x(w.start) + x(w.end)) / 2, py = ym(w.max);
      d += `${prevEnd === w.start ? 'L' : 'M'}${px.toFixed(1)},${py.toFixed(1)}`;
      prevEnd = w.end;
    }
    plot.append(svg('path', { class: 'maxline', d }));
    const dots = svg('g');
    const r = shown.length <= 120 ? 3 : 1.8;
    for (const w of shown) {
      if (w.max == null) continue;
      dots.append(svg('circle', {
        class: 'maxdot', cx: (x(w.start) + x(w.end)) / 2, cy: ym(w.max), r, fill: classOf(w.max).color,
      }));
    }
    plot.append(dots);
    root.append(plot);

    const total = shown.reduce((s, w) => s + w.count, 0);
    const peak = shown.reduce((a, w) => (w.count > a.count ? w : a), shown[0]);
    root.setAttribute('aria-label', `${shown.length} five-minute windows, ${total} events; ` +
      `busiest window ${hm(peak.start)} UTC with ${peak.count} events`);

    root.addEventListener('pointermove', (e) => this.hover(e, shown, x, root));
    root.addEventListener('pointerleave', () => { this.tip.hidden = true; });
    this.el.replaceChildren(root);
  }

  hover(e, shown, x, root) {
    const r = root.getBoundingClientRect();
    const px = e.clientX - r.left;
    const w = shown.find((v) => px >= x(v.start) - 1 && px <= x(v.end) + 1);
    root.querySelectorAll('.bar.hot').forEach((b) => b.classList.remove('hot'));
    if (!w) { this.tip.hidden = true; return; }
    root.querySelector(`.bar[data-start="${w.start}"]`)?.classList.add('hot');
    const parts = [`${hm(w.start)}–${hm(w.end)} UTC`, `${w.count} event${w.count === 1 ? '' : 's'}`];
    if (w.max != null) parts.push(`max M ${fmtMag(w.max)}`);
    if (w.avg != null) parts.push(`avg ${w.avg.toFixed(2)}`);
    if (!w.final) parts.push('open');
    this.tip.textContent = parts.join(' · ');
    this.tip.hidden = false;
    const host = this.el.parentElement.getBoundingClientRect();
    const left = Math.min(e.clientX - host.left + 12, host.width - this.tip.offsetWidth - 8);
    this.tip.style.left = `${Math.max(8, left)}px`;
    this.tip.style.top = `${e.clientY - host.top - 36}px`;
  }
}
