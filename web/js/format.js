// format.js - magnitude classes and display formats shared by every view.

// The five classes of the course's reference page. Magnitudes are compared as displayed,
// rounded to one decimal (USGS's own precision), so a 3.96 shown as "4.0" is in 4-4.9.
export const CLASSES = [
  { key: 'c5', min: 7, label: '≥ 7', name: 'Major', color: '#e8313b' },
  { key: 'c4', min: 5, label: '5 – 6.9', name: 'Strong', color: '#f4743b' },
  { key: 'c3', min: 4, label: '4 – 4.9', name: 'Moderate', color: '#f7b23b' },
  { key: 'c2', min: 2.5, label: '2.5 – 3.9', name: 'Light', color: '#ecdf5a' },
  { key: 'c1', min: -Infinity, label: '< 2.5', name: 'Minor', color: '#43c6a3' },
];

export const RANGES = { hour: 3600e3, day: 86400e3, week: 7 * 86400e3 };

/** Magnitude rounded to one decimal, or null when unknown. */
export function mag1(m) {
  return m == null ? null : Math.floor(m * 10 + 0.5) / 10;
}

/** The class of a magnitude (unknown magnitudes go with the smallest class). */
export function classOf(m) {
  const r = mag1(m);
  if (r == null) return CLASSES[CLASSES.length - 1];
  return CLASSES.find((c) => r >= c.min);
}

/** Marker radius in pixels: grows linearly with magnitude (energy is shown by colour). */
export function radius(m) {
  return 3 + 1.9 * Math.max(m ?? 0, 0);
}

export function fmtMag(m) {
  return m == null ? '?' : mag1(m).toFixed(1);
}

const pad = (n) => String(n).padStart(2, '0');

export function fmtUTC(ms) {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

const localFmt = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric',
  hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short',
});

export function fmtLocal(ms) {
  return localFmt.format(new Date(ms));
}

/** "just now", "42 s ago", "5 min ago", "3 h 10 min ago", "2 d ago". */
export function fmtAgo(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min ago` : `${h} h ago`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h ago` : `${d} d ago`;
}

export function fmtDepth(d) {
  return d == null ? '–' : `${d.toFixed(d < 10 && d > -10 ? 1 : 0)} km`;
}

const intFmt = new Intl.NumberFormat('en-US');
export function fmtInt(n) {
  return intFmt.format(n);
}

/** Only http(s) links from the data are ever made clickable. */
export function safeUrl(u) {
  return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : null;
}

/** Creates an element with attributes and children (strings become text nodes). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
