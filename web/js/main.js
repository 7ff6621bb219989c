// main.js - the dashboard page: state, filters, stat cards, and the glue between the feed,
// the map, the list and the chart. Everything is re-derived from one state on each render
// (scheduled once per animation frame), so the views cannot drift apart.

import { WindowChart } from './chart.js';
import { Feed } from './feed.js';
import { CLASSES, RANGES, classOf, fmtInt, fmtMag, fmtUTC, h, mag1 } from './format.js';
import { QuakeList } from './list.js';
import { QuakeMap } from './map.js';

const SLIDER_MIN = -1;
const FRESH_MS = 4000;

const state = {
  quakes: new Map(),      // id -> GeoJSON feature
  windows: new Map(),     // window start -> window
  clock: 'wall',          // 'wall' | 'event' (server's choice)
  serverNow: Date.now(),  // server clock at the last message
  skew: 0,                // serverNow - Date.now() at that moment (wall clock)
  range: 'day',
  minmag: SLIDER_MIN,
  classes: new Set(CLASSES.map((c) => c.key)),
  selected: null,
  fresh: new Map(),       // id -> time it arrived live (animations)
  feed: null,             // the live feed's health (/api/status "status"), for the banner
  loaded: false,
};

const $ = (sel) => document.querySelector(sel);

/** The dashboard's "now": the wall clock, or the newest event time on a replay. */
function now() {
  if (state.clock === 'event') return state.serverNow ?? Date.now();
  return Date.now() + state.skew;
}

/** The server's clock only moves forward; null means "no event yet" (event clock). */
function setServerNow(t) {
  if (typeof t !== 'number') return;
  state.serverNow = state.clock === 'event' && state.serverNow != null ? Math.max(state.serverNow, t) : t;
  state.skew = t - Date.now();
}

/** Events in the range and passing the filters. */
function visible() {
  const from = now() - RANGES[state.range];
  const out = [];
  const perClass = Object.fromEntries(CLASSES.map((c) => [c.key, 0]));
  for (const f of state.quakes.values()) {
    const p = f.properties;
    if (p.time < from) continue;
    const m = mag1(p.mag);
    if (state.minmag > SLIDER_MIN && (m == null || m < state.minmag)) continue;
    const cls = classOf(p.mag);
    perClass[cls.key]++;
    if (state.classes.has(cls.key)) out.push(f);
  }
  return { list: out, perClass, from };
}

// ---- stat cards ----

function setCard(id, value, text, note) {
  const card = document.getElementById(id);
  const v = value == null ? '' : String(value);
  if (card.dataset.value !== v && state.loaded) {
    card.classList.remove('bump');
    void card.offsetWidth; // restart the animation
    card.classList.add('bump');
  }
  card.dataset.value = v;
  card.querySelector('.stat-value').textContent = text;
  if (note != null) card.querySelector('.stat-note').textContent = note;
}

function renderStats(list) {
  const t = now();
  let withMag = 0, sum = 0, max = null, m45 = 0, hour = 0, tsunami = 0;
  for (const f of list) {
    const p = f.properties;
    if (p.time >= t - RANGES.hour) hour++;
    if (p.tsunami) tsunami++;
    if (p.mag == null) continue;
    withMag++;
    sum += p.mag;
    if (!max || p.mag > max.properties.mag) max = f;
    if (mag1(p.mag) >= 4.5) m45++;
  }
  const avg = withMag ? sum / withMag : null;
  setCard('stat-total', list.length, fmtInt(list.length), `in the last ${state.range}`);
  setCard('stat-max', max ? max.properties.mag : null, max ? `M ${fmtMag(max.properties.mag)}` : '–',
    max ? max.properties.place || max.id : 'no magnitude');
  setCard('stat-avg', avg, avg == null ? '–' : avg.toFixed(2), `over ${fmtInt(withMag)} magnitudes`);
  setCard('stat-m45', m45, fmtInt(m45), 'M 4.5 and above');
  setCard('stat-hour', hour, fmtInt(hour), 'events in the last hour');
  setCard('stat-tsunami', tsunami, fmtInt(tsunami), tsunami === 1 ? 'event flagged' : 'events flagged');
}

// ---- filters ----

function buildClassChips() {
  const box = $('#class-list');
  for (const c of CLASSES) {
    const input = h('input', { type: 'checkbox', checked: true, value: c.key, id: `class-${c.key}` });
    input.addEventListener('change', () => {
      if (input.checked) state.classes.add(c.key);
      else state.classes.delete(c.key);
      schedule();
    });
    box.append(h('label', { class: 'chip', for: `class-${c.key}` }, input,
      h('span', {}, Object.assign(h('i'), { style: `background:${c.color}` }), c.label,
        h('span', { class: 'chip-n', dataset: { class: c.key } }, ''))));
  }
  const setAll = (on) => {
    for (const c of CLASSES) {
      $(`#class-${c.key}`).checked = on;
      if (on) state.classes.add(c.key);
      else state.classes.delete(c.key);
    }
    schedule();
  };
  $('#classes-all').addEventListener('click', () => setAll(true));
  $('#classes-none').addEventListener('click', () => setAll(false));
}

function bindControls() {
  const slider = $('#minmag'), out = $('#minmag-out');
  const showSlider = () => {
    state.minmag = Number(slider.value);
    out.textContent = state.minmag <= SLIDER_MIN ? 'all' : `≥ ${state.minmag.toFixed(1)}`;
  };
  slider.addEventListener('input', () => { showSlider(); schedule(); });
  showSlider();
  for (const b of document.querySelectorAll('.range button')) {
    b.addEventListener('click', () => setRange(b.dataset.range));
    b.addEventListener('keydown', (e) => {
      const keys = Object.keys(RANGES);
      const i = keys.indexOf(state.range);
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown') setRange(keys[(i + 1) % keys.length], true);
      if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') setRange(keys[(i + keys.length - 1) % keys.length], true);
    });
  }
}

function setRange(r, focus = false) {
  state.range = r;
  for (const b of document.querySelectorAll('.range button')) {
    const on = b.dataset.range === r;
    b.setAttribute('aria-checked', on ? 'true' : 'false');
    b.tabIndex = on ? 0 : -1;
    if (on && focus) b.focus();
  }
  schedule();
}

// ---- connection status ----

function setStatus({ state: s, detail }) {
  const el = $('#conn-status');
  el.dataset.state = s;
  const text = { live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline', connecting: 'Connecting…' }[s];
  el.querySelector('.conn-text').textContent = detail && s !== 'live' ? `${text} (${detail})` : text;
}

// ---- live feed banner: the ingester's status, judged by the server (dash_status.h) ----

/** "20:41 UTC", or with the date when it is not today (UTC). */
function fmtSince(ms) {
  const full = fmtUTC(ms);
  return full.slice(0, 10) === fmtUTC(Date.now()).slice(0, 10) ? `${full.slice(11, 16)} UTC` : `${full.slice(0, 16)} UTC`;
}

function fmtInterval(ms) {
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function renderBanner() {
  const el = $('#feed-banner');
  const st = state.feed;
  const ing = st && st.ingest;
  let text = null;
  if (st && st.state === 'error') {
    text = `USGS feed unreachable since ${fmtSince(st.since)}: ${ing.error || 'unknown error'}; ` +
      'showing stored data, retrying.';
  } else if (st && st.state === 'silent') {
    text = `Ingest silent: no word from the ingester since ${fmtSince(st.since)} ` +
      `(it reports every ${fmtInterval(st.interval_ms)}); showing stored data.` +
      (ing && ing.estado === 'error' && ing.error ? ` Last error: ${ing.error}` : '');
  }
  el.dataset.state = st ? st.state : 'unknown';
  el.hidden = text == null;
  $('#feed-banner-text').textContent = text ?? '';
}

function renderClockNote() {
  const note = $('#clock-note');
  note.textContent = state.clock === 'event'
    ? `Replay: clock at the newest event, ${fmtUTC(now())}`
    : 'USGS events via Kafka, updated live';
}

// ---- toasts for significant new events ----

function toast(f) {
  const box = $('#toasts');
  const p = f.properties;
  const cls = classOf(p.mag);
  const el = h('button', { type: 'button', class: 'toast', style: `border-left-color:${cls.color}` },
    h('strong', {}, `M ${fmtMag(p.mag)}`), p.place || 'new event');
  el.addEventListener('click', () => { select(f.id, 'toast'); el.remove(); });
  box.prepend(el);
  while (box.children.length > 3) box.lastChild.remove();
  setTimeout(() => el.remove(), 8000);
}

// ---- selection: list <-> map ----

let map, list, chart;

function select(id, from) {
  state.selected = id;
  if (from !== 'map') map.focus(id);
  else map.highlight(id);
  for (const tr of document.querySelectorAll('#quake-rows tr[aria-selected="true"]')) {
    tr.setAttribute('aria-selected', 'false');
  }
  const tr = document.querySelector(`#quake-rows tr[data-id="${CSS.escape(id)}"]`);
  if (tr) tr.setAttribute('aria-selected', 'true');
  if (from === 'map') list.reveal(id);
}

// ---- rendering ----

let pending = false;
function schedule() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(render);
}

function render() {
  pending = false;
  const t = now();
  for (const [id, at] of state.fresh) if (Date.now() - at > FRESH_MS) state.fresh.delete(id);
  const { list: shown, perClass, from } = visible();
  const byMag = shown.slice().sort((a, b) => (a.properties.mag ?? -9) - (b.properties.mag ?? -9));
  const freshIds = new Set(state.fresh.keys());
  map.sync(byMag, freshIds, t);
  list.render(shown, { now: t, selected: state.selected, fresh: freshIds });
  renderStats(shown);
  for (const el of document.querySelectorAll('.chip-n')) el.textContent = fmtInt(perClass[el.dataset.class]);
  $('#map-empty').hidden = shown.length > 0 || !state.loaded;
  const windows = [...state.windows.values()].sort((a, b) => a.start - b.start);
  chart.render(windows, from, t);
  renderClockNote();
  document.body.dataset.markers = String(map.count());
}

// ---- feed ----

function applySnapshot({ quakes, stats, status }) {
  state.clock = quakes.metadata.clock;
  state.serverNow = null; // a reload may come from a restarted server: take its clock as is
  setServerNow(quakes.metadata.now);
  state.quakes = new Map(quakes.features.map((f) => [f.id, f]));
  state.windows = new Map(stats.windows.map((w) => [w.start, w]));
  state.feed = status.status;
  renderBanner();
  state.loaded = true;
  document.body.dataset.loaded = 'true';
  schedule();
}

function applyEvent({ type, data }) {
  setServerNow(data.now);
  if (type === 'new' || type === 'revised') {
    const f = data.feature;
    const known = state.quakes.has(f.id);
    state.quakes.set(f.id, f);
    if (type === 'new' && !known) {
      state.fresh.set(f.id, Date.now());
      if (mag1(f.properties.mag) >= 4.5 && f.properties.time >= now() - RANGES.day) toast(f);
    }
  } else if (type === 'removed') {
    state.quakes.delete(data.id);
    if (state.selected === data.id) state.selected = null;
  } else if (type === 'window') {
    state.windows.set(data.window.start, data.window);
  } else if (type === 'status') {
    state.feed = data.status;
    renderBanner();
  }
  schedule();
}

function main() {
  map = new QuakeMap($('#map'), select);
  list = new QuakeList($('.list-card'), select);
  list.onChange = schedule;
  chart = new WindowChart($('#chart'), $('#chart-tip'));
  chart.onBucket = (size) => {
    const min = size / 60e3;
    $('#chart-title').textContent = min === 5 ? 'Activity per 5-minute window'
      : `Activity per ${min < 60 ? `${min} minutes` : min === 60 ? 'hour' : `${min / 60} hours`} (5-minute windows combined)`;
  };
  buildClassChips();
  bindControls();
  setRange(state.range);
  const feed = new Feed();
  feed.addEventListener('snapshot', (e) => applySnapshot(e.detail));
  feed.addEventListener('event', (e) => applyEvent(e.detail));
  feed.addEventListener('status', (e) => setStatus(e.detail));
  feed.start();
  // Relative times, rings and the range edge move with the clock.
  setInterval(schedule, 15000);
}

main();
