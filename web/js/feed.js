// feed.js - the page's only data source: sismo's API (never USGS directly).
//
// 1. GET /api/quakes, /api/stats and /api/status (snapshots, each stamped with the id of the
//    last stream event it reflects);
// 2. EventSource /api/stream?last_event_id=<the older stamp>: the server replays every change
//    made after the snapshots, then streams live. Events carry whole features, so applying
//    one twice is harmless.
// 3. On a network error EventSource reconnects by itself and sends Last-Event-ID, which
//    resumes without a gap; if the server cannot resume (restarted, or the client was away
//    too long) it sends `reset` and we reload the snapshots.
//
// Emits: 'snapshot' {quakes, stats, status}, 'event' {type, data}, 'status' {state, detail}
// (the connection to sismo; the live feed's health arrives as 'event' of type 'status').

const RETRY_MS = 3000;

function seqOf(id) {
  const m = /^([0-9a-f]{8})-(\d+)$/.exec(id || '');
  return m ? { inst: m[1], seq: Number(m[2]) } : null;
}

/** The oldest of event ids from one server instance; the first if they differ in instance. */
function oldestId(first, ...ids) {
  let best = first;
  for (const id of ids) {
    const x = seqOf(best), y = seqOf(id);
    if (x && y && x.inst === y.inst && y.seq < x.seq) best = id;
  }
  return best;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: 'no-store' });
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return r.json();
}

export class Feed extends EventTarget {
  constructor() {
    super();
    this.es = null;
    this.lastId = null;
    this.retryTimer = null;
    this.received = 0;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  status(state, detail = '') {
    this.state = state;
    this.emit('status', { state, detail });
  }

  async start() {
    this.close();
    try {
      const [quakes, stats, status] = await Promise.all(
        [getJSON('/api/quakes'), getJSON('/api/stats'), getJSON('/api/status')]);
      this.lastId = oldestId(quakes.metadata.last_event_id, stats.last_event_id, status.last_event_id);
      this.emit('snapshot', { quakes, stats, status });
      this.open();
    } catch (err) {
      this.status('offline', 'server unreachable');
      this.retryTimer = setTimeout(() => this.start(), RETRY_MS);
    }
  }

  close() {
    clearTimeout(this.retryTimer);
    if (this.es) this.es.close();
    this.es = null;
  }

  open() {
    const url = `/api/stream?last_event_id=${encodeURIComponent(this.lastId || '')}`;
    const es = new EventSource(url);
    this.es = es;
    es.onopen = () => this.status('live');
    es.onerror = () => {
      if (es !== this.es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The server refused the stream (e.g. 503): start over after a pause.
        this.status('offline', 'stream refused');
        this.close();
        this.retryTimer = setTimeout(() => this.start(), RETRY_MS);
      } else {
        this.status('reconnecting');
      }
    };
    for (const type of ['new', 'revised', 'removed', 'window', 'status']) {
      es.addEventListener(type, (e) => {
        this.lastId = e.lastEventId || this.lastId;
        this.received++;
        let data;
        try {
          data = JSON.parse(e.data);
        } catch {
          return; // never produced by sismo; ignore rather than break the page
        }
        this.emit('event', { type, data });
      });
    }
    es.addEventListener('reset', () => {
      this.status('reconnecting', 'reloading');
      this.start();
    });
  }
}
