// map.js - the Leaflet map: offline Natural Earth basemap, quake markers, rings, legend,
// popups. Leaflet (L) and topojson-client (topojson) are globals served by sismo itself.

import { CLASSES, classOf, fmtDepth, fmtLocal, fmtMag, fmtUTC, h, radius, safeUrl } from './format.js';

const HOUR = 3600e3;
const COLORS = { ocean: '#0c1a27', land: '#1b2a39', border: '#3a5166', graticule: '#16283a' };

/** The popup's content, built as DOM nodes (data is never parsed as HTML). */
function popupContent(f) {
  const p = f.properties;
  const cls = classOf(p.mag);
  const url = safeUrl(p.url);
  const kind = [p.magType, p.type && p.type !== 'earthquake' ? p.type : null, p.status]
    .filter(Boolean).join(' · ');
  const alert = p.alert
    ? h('span', { class: `badge badge-${p.alert}` }, p.alert)
    : h('span', { class: 'badge badge-none' }, 'none');
  return h('div', { class: 'pop', dataset: { id: f.id } },
    h('div', { class: 'pop-head' },
      h('span', { class: `pop-mag ${cls.key}` }, `M ${fmtMag(p.mag)}`),
      h('span', { class: 'pop-kind' }, kind)),
    h('h3', { class: 'pop-place' }, p.place || 'Unknown location'),
    h('dl', {},
      h('dt', {}, 'UTC'), h('dd', {}, fmtUTC(p.time)),
      h('dt', {}, 'Local'), h('dd', {}, fmtLocal(p.time)),
      h('dt', {}, 'Depth'), h('dd', {}, fmtDepth(p.depth)),
      h('dt', {}, 'Tsunami'), h('dd', {}, p.tsunami
        ? h('span', { class: 'badge badge-tsunami' }, 'flagged') : 'no'),
      h('dt', {}, 'PAGER alert'), h('dd', {}, alert),
      h('dt', {}, 'Position'), h('dd', {},
        `${f.geometry.coordinates[1].toFixed(3)}°, ${f.geometry.coordinates[0].toFixed(3)}°`)),
    url ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, 'USGS event page ↗') : null);
}

function legendControl() {
  const c = L.control({ position: 'bottomleft' });
  c.onAdd = () => {
    const el = h('div', { class: 'legend', role: 'img', 'aria-label':
      'Legend: marker colour and size by magnitude class; a ring marks events under one hour old' },
      h('h3', {}, 'Magnitude'),
      CLASSES.map((k) => {
        const r = Math.round(radius(Math.max(k.min === -Infinity ? 1.5 : k.min, 0)));
        return h('div', { class: 'legend-row' },
          h('span', { class: 'legend-swatch' },
            Object.assign(h('i'), { style: `width:${2 * r}px;height:${2 * r}px;background:${k.color}` })),
          `${k.label}`);
      }),
      h('div', { class: 'legend-row legend-ring' },
        h('span', { class: 'legend-swatch' }, h('i')), 'under 1 hour old'));
    L.DomEvent.disableClickPropagation(el);
    return el;
  };
  return c;
}

function graticule() {
  const lines = [];
  for (let lon = -180; lon <= 180; lon += 30) lines.push([[-85, lon], [85, lon]]);
  for (let lat = -60; lat <= 60; lat += 30) lines.push([[lat, -180], [lat, 180]]);
  return L.polyline(lines, { color: COLORS.graticule, weight: 1, interactive: false });
}

// Natural Earth rings that cross the antimeridian jump from +180 to -180, which a flat map
// would draw as a line across the whole world. Unwrap them (continue past 180 instead), and
// close rings that circle a pole (Antarctica) through that pole.
function unwrap(points, closeAtPole) {
  let off = 0;
  const out = points.map(([x, y], i) => {
    if (i) {
      const px = points[i - 1][0];
      if (x - px > 180) off -= 360;
      else if (px - x > 180) off += 360;
    }
    return [x + off, y];
  });
  if (closeAtPole && off !== 0) {
    const pole = out.reduce((s, p) => s + p[1], 0) < 0 ? -90 : 90;
    out.push([out[out.length - 1][0], pole], [out[0][0], pole]);
  }
  return out;
}

function unwrapGeometry(g) {
  switch (g.type) {
    case 'Polygon': return { ...g, coordinates: g.coordinates.map((r) => unwrap(r, true)) };
    case 'MultiPolygon': return { ...g, coordinates: g.coordinates.map((p) => p.map((r) => unwrap(r, true))) };
    case 'LineString': return { ...g, coordinates: unwrap(g.coordinates, false) };
    case 'MultiLineString': return { ...g, coordinates: g.coordinates.map((l) => unwrap(l, false)) };
    default: return g;
  }
}

function unwrapAll(geo) {
  if (geo.type === 'FeatureCollection') return { ...geo, features: geo.features.map(unwrapAll) };
  if (geo.type === 'Feature') return { ...geo, geometry: unwrapGeometry(geo.geometry) };
  return unwrapGeometry(geo);
}

async function offlineBasemap(group, renderer) {
  const r = await fetch('/vendor/world-atlas/countries-50m.json');
  if (!r.ok) throw new Error(`basemap: HTTP ${r.status}`);
  const topo = await r.json();
  const land = unwrapAll(topojson.feature(topo, topo.objects.land));
  const borders = unwrapAll(topojson.mesh(topo, topo.objects.countries, (a, b) => a !== b));
  L.geoJSON(land, {
    renderer, interactive: false,
    style: { stroke: false, fill: true, fillColor: COLORS.land, fillOpacity: 1 },
  }).addTo(group);
  L.geoJSON(borders, {
    renderer, interactive: false,
    style: { color: COLORS.border, weight: 0.7, opacity: 0.9, fill: false },
  }).addTo(group);
}

export class QuakeMap {
  /** onSelect(id) is called when the user clicks a marker. */
  constructor(el, onSelect) {
    this.onSelect = onSelect;
    this.markers = new Map(); // id -> {marker, ring, feature}
    this.selected = null;
    const map = L.map(el, {
      minZoom: 0, maxZoom: 12, worldCopyJump: false,
      maxBounds: [[-89, -240], [89, 240]], maxBoundsViscosity: 0.7, zoomSnap: 0.25,
    });
    this.map = map;
    map.fitBounds([[-58, -170], [78, 190]]);
    const base = L.canvas({ padding: 0.3 });
    const offline = L.layerGroup([graticule()]);
    offline.getAttribution = () => 'Basemap: <a href="https://www.naturalearthdata.com/">Natural Earth</a> (offline)';
    offline.addTo(map);
    offlineBasemap(offline, base).catch((e) => console.warn(e));
    // Online tiles only if the user picks them: nothing is fetched from the internet before.
    // OpenStreetMap's tile policy requires a Referer, which the page's no-referrer policy
    // would withhold (tiles come back "Access blocked"): send the origin, for tiles only.
    const osm = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      referrerPolicy: 'strict-origin-when-cross-origin',
      maxZoom: 19, attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
    });
    L.control.layers({ 'Offline world (Natural Earth)': offline, 'OpenStreetMap (online)': osm },
      null, { position: 'topright' }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    map.attributionControl.addAttribution('Events: <a href="https://earthquake.usgs.gov/">USGS</a>');
    legendControl().addTo(map);
    L.control.scale({ position: 'bottomright', imperial: false }).addTo(map);
    // One popup, anchored at the event (a vector layer's own popup would open where the
    // pointer was), reused for every event.
    this.popup = L.popup({ maxWidth: 320, autoPanPadding: [40, 40] });
    this.popupId = null;
    this.ringLayer = L.layerGroup().addTo(map);
    this.markerLayer = L.layerGroup().addTo(map);
  }

  style(f) {
    const cls = classOf(f.properties.mag);
    return {
      radius: radius(f.properties.mag), color: '#0a1119', weight: 1, opacity: 0.9,
      fillColor: cls.color, fillOpacity: 0.85,
    };
  }

  /**
   * Shows exactly `features` (sorted by ascending magnitude so big events are drawn on top).
   * `fresh`: ids that just arrived live (animated in). `now`: the dashboard clock.
   */
  sync(features, fresh, now) {
    const keep = new Set();
    const added = [];
    for (const f of features) {
      keep.add(f.id);
      let m = this.markers.get(f.id);
      const latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      if (!m) {
        const marker = L.circleMarker(latlng, { ...this.style(f), className: 'quake-marker' });
        marker.on('click', () => {
          this.openPopup(f.id);
          this.onSelect(f.id, 'map');
        });
        m = { marker, ring: null, feature: f };
        this.markers.set(f.id, m);
        marker.addTo(this.markerLayer);
        const el = marker.getElement();
        el.dataset.id = f.id;
        el.setAttribute('aria-label', `M ${fmtMag(f.properties.mag)} ${f.properties.place || ''}`);
        added.push(m);
        if (fresh.has(f.id)) {
          el.classList.add('quake-enter');
          el.addEventListener('animationend', () => el.classList.remove('quake-enter'), { once: true });
        }
      } else if (m.feature !== f) {
        m.feature = f;
        m.marker.setLatLng(latlng);
        m.marker.setStyle(this.style(f));
        m.marker.setRadius(radius(f.properties.mag));
        if (this.popupId === f.id && this.popup.isOpen()) {
          this.popup.setLatLng(latlng).setContent(popupContent(f));
        }
      }
      // A ring on events under one hour old (by the dashboard clock).
      const young = now - f.properties.time < HOUR && f.properties.time <= now + 60e3;
      if (young && !m.ring) {
        m.ring = L.circleMarker(latlng, {
          radius: radius(f.properties.mag) + 6, className: 'quake-ring', interactive: false,
          color: classOf(f.properties.mag).color, weight: 2, fill: false,
        }).addTo(this.ringLayer);
      } else if (!young && m.ring) {
        m.ring.remove();
        m.ring = null;
      } else if (m.ring) {
        m.ring.setLatLng(latlng);
      }
    }
    for (const [id, m] of this.markers) {
      if (keep.has(id)) continue;
      if (this.popupId === id) this.map.closePopup(this.popup);
      m.marker.remove();
      if (m.ring) m.ring.remove();
      this.markers.delete(id);
    }
    // New markers were appended on top; keep larger ones above smaller ones.
    if (added.length) {
      added.sort((a, b) => (a.feature.properties.mag ?? -9) - (b.feature.properties.mag ?? -9));
      for (const m of added) if ((m.feature.properties.mag ?? 0) >= 4) m.marker.bringToFront();
    }
    this.highlight(this.selected);
  }

  highlight(id) {
    if (this.selected && this.markers.has(this.selected)) {
      this.markers.get(this.selected).marker.getElement()?.classList.remove('selected');
    }
    this.selected = id;
    const m = id && this.markers.get(id);
    if (m) {
      m.marker.getElement()?.classList.add('selected');
      m.marker.bringToFront();
    }
  }

  openPopup(id) {
    const m = this.markers.get(id);
    if (!m) return;
    this.popupId = id;
    this.popup.setLatLng(m.marker.getLatLng()).setContent(popupContent(m.feature)).openOn(this.map);
  }

  /** Flies to an event and opens its popup. */
  focus(id) {
    const m = this.markers.get(id);
    if (!m) return false;
    this.highlight(id);
    const target = m.marker.getLatLng();
    const zoom = Math.max(this.map.getZoom(), 5);
    let opened = false;
    const open = () => {
      if (!opened && this.markers.get(id) === m) this.openPopup(id);
      opened = true;
    };
    this.map.once('moveend', open);
    setTimeout(open, 1500); // flyTo to where the map already is may not fire moveend
    this.map.flyTo(target, zoom, { duration: 0.8 });
    return true;
  }

  count() {
    return this.markers.size;
  }
}
