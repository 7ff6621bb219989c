// list.js - the sortable event list, synced with the map through the selection.

import { classOf, fmtAgo, fmtDepth, fmtMag, fmtUTC, h } from './format.js';

const SORTERS = {
  mag: (a, b) => (a.properties.mag ?? -99) - (b.properties.mag ?? -99),
  place: (a, b) => (a.properties.place || '').localeCompare(b.properties.place || ''),
  time: (a, b) => a.properties.time - b.properties.time,
  depth: (a, b) => (a.properties.depth ?? -99) - (b.properties.depth ?? -99),
};

export class QuakeList {
  /** onSelect(id, 'list') when a row is activated (click, Enter or Space on its button). */
  constructor(root, onSelect) {
    this.tbody = root.querySelector('#quake-rows');
    this.heads = [...root.querySelectorAll('th[data-sort]')];
    this.more = root.querySelector('#list-more');
    this.count = root.querySelector('#list-count');
    this.scroller = root.querySelector('.list-scroll');
    this.sort = { key: 'time', dir: -1 };
    this.limit = 50;
    this.onSelect = onSelect;
    this.onChange = () => {};
    for (const th of this.heads) {
      th.querySelector('button').addEventListener('click', () => {
        const key = th.dataset.sort;
        if (this.sort.key === key) this.sort.dir = -this.sort.dir;
        else this.sort = { key, dir: key === 'place' ? 1 : -1 };
        this.onChange();
      });
    }
    this.more.addEventListener('click', () => {
      this.limit += 50;
      this.onChange();
    });
    this.tbody.addEventListener('click', (e) => {
      const tr = e.target.closest('tr[data-id]');
      if (tr) this.onSelect(tr.dataset.id, 'list');
    });
  }

  render(features, { now, selected, fresh }) {
    const cmp = SORTERS[this.sort.key];
    const sorted = features.slice().sort((a, b) => this.sort.dir * cmp(a, b) ||
      b.properties.time - a.properties.time);
    const shown = sorted.slice(0, this.limit);
    for (const th of this.heads) {
      th.setAttribute('aria-sort', th.dataset.sort !== this.sort.key ? 'none'
        : this.sort.dir > 0 ? 'ascending' : 'descending');
    }
    const frag = document.createDocumentFragment();
    for (const f of shown) {
      const p = f.properties;
      const cls = classOf(p.mag);
      frag.append(h('tr', {
        dataset: { id: f.id }, 'aria-selected': f.id === selected ? 'true' : 'false',
        class: fresh.has(f.id) ? 'fresh' : null,
      },
      h('td', {}, h('span', { class: `mag-pill ${cls.key}` }, fmtMag(p.mag))),
      h('td', {}, h('button', { type: 'button', class: 'place-btn',
        'aria-label': `M ${fmtMag(p.mag)}, ${p.place || 'unknown location'}: show on map` },
      p.place || 'Unknown location')),
      h('td', { class: 'time-cell', title: fmtUTC(p.time) }, fmtAgo(p.time, now)),
      h('td', { class: 'depth-cell' }, fmtDepth(p.depth))));
    }
    this.tbody.replaceChildren(frag);
    this.count.textContent = features.length > shown.length
      ? `${shown.length} of ${features.length}` : `${features.length}`;
    this.more.hidden = features.length <= shown.length;
  }

  /** Scrolls the selected row into view (after a click on the map). */
  reveal(id) {
    const tr = this.tbody.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
    if (tr) tr.scrollIntoView({ block: 'nearest' });
    return !!tr;
  }
}
