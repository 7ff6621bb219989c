// 0406-dashboard-browser.mjs - drives Debian's chromium (headless, through playwright-core)
// against a running `sismo dashboard`; run by 0406-dashboard-browser.sh, which says what
// must hold. Every expectation comes from tests/tools/dashexpect.py (EXPECT), never from
// the page's own code. Exits non-zero on the first failed check.
//
// env: DASH (base URL), EXPECT (dashexpect JSON), WINDOWS_IN_DAY (expected chart bars),
//      OUT (screenshots), KPRODUCE (produce command prefix, space separated), LIVE_TSV
//      (the live event to produce), LIVE_ID, LIVE_TIME (its origin, ms), RESTART (command that restarts the dashboard
//      on the same port), DASH_PID, STATUS_KPRODUCE (produce command prefix for the status topic; records on stdin).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { chromium } = require(`${process.env.ROOT}/node_modules/playwright-core`);

const env = process.env;
const exp = JSON.parse(readFileSync(env.EXPECT, 'utf8'));
const base = env.DASH;
const HOUR = 3600e3, DAY = 86400e3, WEEK = 7 * DAY;
let failures = 0;

function check(cond, what) {
  if (!cond) {
    console.error(`FAIL: ${what}`);
    failures++;
    throw new Error(what);
  }
  console.log(`ok ${what}`);
}

// Independent re-statement of the rules: magnitude rounded to one decimal, five classes.
const mag1 = (m) => (m == null ? null : Math.floor(m * 10 + 0.5) / 10);
const classOf = (m) => {
  const r = mag1(m);
  if (r == null || r < 2.5) return 'c1';
  return r >= 7 ? 'c5' : r >= 5 ? 'c4' : r >= 4 ? 'c3' : 'c2';
};
const inRange = (span) => exp.order.filter((id) => exp.features[id].time >= exp.now - span);

// A fresh profile directory (playwright passes it as --user-data-dir).
const ctx = await chromium.launchPersistentContext(env.PROFILE, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
  viewport: { width: 1440, height: 900 },
  timezoneId: 'America/Santiago',
});
let restarted = null;
try {
  const page = ctx.pages()[0] || await ctx.newPage();
  const foreign = [], errors = [];
  page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) foreign.push(r.url()); });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  const markers = () => page.locator('path.quake-marker').count();
  const card = (id) => page.locator(`#${id}`).getAttribute('data-value');
  const waitMarkers = async (n, what) => {
    try {
      await page.waitForFunction((k) => document.querySelectorAll('path.quake-marker').length === k, n, { timeout: 5000 });
    } catch { /* reported by the check */ }
    check((await markers()) === n, `${what}: ${n} markers (got ${await markers()})`);
  };

  await page.goto(base + '/');
  await page.waitForSelector('body[data-loaded="true"]', { timeout: 10000 });
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.waitForSelector('#conn-status[data-state="live"]', { timeout: 5000 });
  check(true, 'page loaded, stream live');
  check(await page.locator('#feed-banner').isHidden(), 'no feed banner before any status record');
  // Overview (docs/img/dashboard.png is one of these): the day's largest event opened.
  const largest = exp.summary.day.max_id;
  if (largest) {
    await page.locator(`path.quake-marker[data-id="${largest}"]`).dispatchEvent('click');
    await page.waitForSelector(`.leaflet-popup .pop[data-id="${largest}"]`, { timeout: 3000 });
    await page.waitForTimeout(600);
  }
  await page.screenshot({ path: `${env.OUT}/dashboard-overview.png`, fullPage: true });
  await page.keyboard.press('Escape');

  // Ranges: markers and stat cards against the expectation.
  for (const [range, span] of [['day', DAY], ['hour', HOUR], ['week', WEEK]]) {
    await page.click(`.range button[data-range="${range}"]`);
    const ids = inRange(span);
    await waitMarkers(ids.length, `range ${range}`);
    const s = exp.summary[range];
    check(Number(await card('stat-total')) === s.count, `${range}: Events card = ${s.count}`);
    check(Number(await card('stat-m45')) === s.m45, `${range}: M4.5+ card = ${s.m45}`);
    check(Number(await card('stat-tsunami')) === s.tsunami, `${range}: Tsunami card = ${s.tsunami}`);
    check(Number(await card('stat-hour')) === exp.summary.hour.count, `${range}: Last hour card = ${exp.summary.hour.count}`);
    const max = await card('stat-max'), avg = await card('stat-avg');
    check(s.max == null ? max === '' : Number(max) === s.max, `${range}: Largest card = ${s.max}`);
    check(s.avg == null ? avg === '' : Math.abs(Number(avg) - s.avg) < 1e-9, `${range}: Average card = ${s.avg}`);
    // What a person reads, not only the data attributes.
    const shown = async (id) => (await page.locator(`#${id} .stat-value`).textContent()).trim();
    check(await shown('stat-total') === s.count.toLocaleString('en-US'), `${range}: Events card reads ${s.count}`);
    check(await shown('stat-max') === (s.max == null ? '–' : `M ${mag1(s.max).toFixed(1)}`), `${range}: Largest card reads M ${s.max}`);
    check(await shown('stat-avg') === (s.avg == null ? '–' : s.avg.toFixed(2)), `${range}: Average card reads ${s.avg}`);
    check(await shown('stat-m45') === String(s.m45) && await shown('stat-tsunami') === String(s.tsunami),
      `${range}: M4.5+ and Tsunami cards read ${s.m45} and ${s.tsunami}`);
    const listed = await page.locator('#quake-rows tr').count();
    check(listed === Math.min(50, ids.length), `${range}: list shows ${Math.min(50, ids.length)} rows`);
    if (ids.length) {
      check(await page.locator('#quake-rows tr').first().getAttribute('data-id') === ids[0],
        `${range}: first row is the newest event ${ids[0]}`);
    }
  }
  await page.click('.range button[data-range="day"]');
  const day = inRange(DAY);
  await waitMarkers(day.length, 'back to day');

  // Filters.
  const m45 = day.filter((id) => mag1(exp.features[id].mag) >= 4.5);
  await page.locator('#minmag').fill('4.5');
  await waitMarkers(m45.length, 'slider at 4.5');
  check(Number(await card('stat-total')) === m45.length, `slider at 4.5: Events card = ${m45.length}`);
  await page.locator('#minmag').fill('-1');
  await waitMarkers(day.length, 'slider back to all');
  await page.click('#classes-none');
  await waitMarkers(0, 'classes: none');
  check(await page.locator('#quake-rows tr').count() === 0, 'classes: none empties the list');
  check(await page.locator('#map-empty').isVisible(), 'classes: none shows the empty-map notice');
  await page.click('#classes-all');
  await waitMarkers(day.length, 'classes: all');
  const minor = day.filter((id) => classOf(exp.features[id].mag) === 'c1').length;
  await page.click('label[for="class-c1"]');
  await waitMarkers(day.length - minor, `class < 2.5 off (${minor} fewer)`);
  for (const c of ['c1', 'c2', 'c3', 'c4', 'c5']) {
    const n = day.filter((id) => classOf(exp.features[id].mag) === c).length;
    check(Number(await page.locator(`.chip-n[data-class="${c}"]`).textContent()) === n, `chip ${c} counts ${n}`);
  }
  await page.click('label[for="class-c1"]');
  await waitMarkers(day.length, 'class < 2.5 back on');

  // Marker styling: colour and radius grow with magnitude.
  const biggest = [...day].sort((a, b) => (exp.features[b].mag ?? -9) - (exp.features[a].mag ?? -9))[0];
  const smallest = [...day].sort((a, b) => (exp.features[a].mag ?? 99) - (exp.features[b].mag ?? 99))[0];
  const sizeOf = async (id) => (await page.locator(`path.quake-marker[data-id="${id}"]`).boundingBox()).width;
  check(await sizeOf(biggest) > await sizeOf(smallest), `marker of ${biggest} larger than ${smallest}`);
  const fills = await page.$$eval('path.quake-marker', (els) => new Set(els.map((e) => e.getAttribute('fill'))).size);
  const classes = new Set(day.map((id) => classOf(exp.features[id].mag))).size;
  check(fills === classes, `${classes} marker colours for ${classes} classes present`);

  // Sorting.
  await page.click('th[data-sort="mag"] button');
  await page.waitForSelector('th[data-sort="mag"][aria-sort="descending"]', { timeout: 2000 });
  const top = await page.locator('#quake-rows tr').first().getAttribute('data-id');
  check(mag1(exp.features[top].mag) === mag1(exp.summary.day.max), `sort by magnitude: first row is M${exp.summary.day.max}`);
  check(await page.locator('th[data-sort="mag"]').getAttribute('aria-sort') === 'descending', 'aria-sort on the sorted column');
  await page.click('th[data-sort="time"] button'); // time, newest first
  await page.waitForSelector('th[data-sort="time"][aria-sort="descending"]', { timeout: 2000 });
  await page.click('th[data-sort="time"] button');
  await page.waitForSelector('th[data-sort="time"][aria-sort="ascending"]', { timeout: 2000 });
  check(await page.locator('#quake-rows tr').first().getAttribute('data-id') === day[day.length - 1],
    'sort by time, ascending: first row is the oldest of the day');
  await page.click('th[data-sort="time"] button');
  await page.waitForSelector('th[data-sort="time"][aria-sort="descending"]', { timeout: 2000 });

  // List -> map: activating a row flies to the event and opens its popup.
  const row = page.locator('#quake-rows tr').nth(2);
  const rid = await row.getAttribute('data-id');
  await row.locator('button.place-btn').click();
  await page.waitForSelector(`.leaflet-popup .pop[data-id="${rid}"]`, { timeout: 4000 });
  const popup = await page.locator('.leaflet-popup .pop').innerText();
  const f = exp.features[rid];
  check(popup.includes(f.place ?? 'Unknown location'), `popup of ${rid} shows its place`);
  check(popup.includes('UTC') && popup.includes('Local') && popup.includes('Depth') && popup.includes('Tsunami')
    && popup.includes('PAGER'), 'popup shows UTC and local time, depth, tsunami flag, PAGER alert');
  check(await page.locator('.leaflet-popup a[href^="https://earthquake.usgs.gov/"]').count() === (f.url ? 1 : 0), 'popup links to USGS');
  check(await page.locator(`path.quake-marker.selected[data-id="${rid}"]`).count() === 1, 'list click selects the marker');
  await page.waitForTimeout(900); // the fly-to animation
  const mapBox = await page.locator('#map').boundingBox();
  const mk = await page.locator(`path.quake-marker[data-id="${rid}"]`).boundingBox();
  const dx = Math.abs(mk.x + mk.width / 2 - (mapBox.x + mapBox.width / 2));
  const dy = Math.abs(mk.y + mk.height / 2 - (mapBox.y + mapBox.height / 2));
  check(dx < mapBox.width / 3 && dy < mapBox.height / 2.5, `map flew to ${rid} (marker ${dx.toFixed(0)},${dy.toFixed(0)} px from centre)`);

  // Map -> list: clicking a marker selects its row.
  const other = await page.locator('#quake-rows tr').nth(5).getAttribute('data-id');
  await page.locator(`path.quake-marker[data-id="${other}"]`).dispatchEvent('click');
  await page.waitForSelector(`#quake-rows tr[data-id="${other}"][aria-selected="true"]`, { timeout: 3000 });
  check(true, `marker click selects row ${other}`);

  // Keyboard: a row's button is reachable and Enter opens the popup.
  await page.keyboard.press('Escape');
  const kid = await page.locator('#quake-rows tr').nth(1).getAttribute('data-id');
  await page.locator('#quake-rows tr').nth(1).locator('button').focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.leaflet-popup .pop[data-id="${kid}"]`, { timeout: 4000 });
  check(true, 'keyboard: Enter on a list row opens its popup');
  await page.locator('.range button[aria-checked="true"]').focus();
  await page.keyboard.press('ArrowRight');
  check(await page.locator('.range button[data-range="week"]').getAttribute('aria-checked') === 'true', 'keyboard: arrow keys move the range');
  await page.keyboard.press('ArrowLeft');

  // Chart: one bar per window in the day range.
  await page.waitForFunction((n) => document.querySelectorAll('#chart rect.bar').length === n,
    Number(env.WINDOWS_IN_DAY), { timeout: 3000 }).catch(() => {});
  const bars = await page.locator('#chart rect.bar').count();
  check(bars === Number(env.WINDOWS_IN_DAY), `chart: ${env.WINDOWS_IN_DAY} window bars (got ${bars})`);

  // Live: a new event appears without a reload within 2 s.
  await page.click('.range button[data-range="day"]');
  // The event clock moves to the live event's time: the day and hour windows move with it.
  const liveNow = Number(env.LIVE_TIME);
  const dayAfter = exp.order.filter((id) => exp.features[id].time >= liveNow - DAY).length + 1;
  const hourAfter = exp.order.filter((id) => exp.features[id].time >= liveNow - HOUR).length + 1;
  const [cmd, ...args] = env.KPRODUCE.split(' ');
  execFileSync(cmd, [...args, env.LIVE_TSV], { stdio: ['ignore', 'ignore', 'inherit'] });
  const t0 = Date.now();
  await page.waitForSelector(`path.quake-marker[data-id="${env.LIVE_ID}"]`, { timeout: 2000, state: 'attached' });
  const ms = Date.now() - t0;
  check(ms < 2000, `live event ${env.LIVE_ID} on the map ${ms} ms after it was produced`);
  check(await page.evaluate(() => window.__sameDocument === true), 'no reload happened');
  await page.waitForFunction((n) => Number(document.getElementById('stat-total').dataset.value) === n, dayAfter, { timeout: 2000 })
    .catch(() => {});
  check(Number(await card('stat-total')) === dayAfter, `Events card went to ${dayAfter}`);
  check(await page.locator('#quake-rows tr').first().getAttribute('data-id') === env.LIVE_ID, 'live event heads the list');
  check(await page.locator('path.quake-ring').count() === hourAfter, `${hourAfter} under-one-hour rings, the live event's included`);
  check(await page.locator('.toast').count() >= 1, 'a significant live event raises a notice');
  // Its place holds markup: shown as text everywhere, never turned into an element.
  const place = 'Live test <img src=x id=xss1>event, South Pacific Ocean';
  check((await page.locator('#quake-rows tr').first().textContent()).includes(place), 'markup in a place name is listed as text');
  check((await page.locator('.toast').first().textContent()).includes(place), 'markup in a place name is shown as text in the notice');
  await page.locator(`path.quake-marker[data-id="${env.LIVE_ID}"]`).dispatchEvent('click');
  await page.waitForSelector(`.leaflet-popup .pop[data-id="${env.LIVE_ID}"]`, { timeout: 3000 });
  check((await page.locator('.leaflet-popup .pop-place').textContent()) === place, 'markup in a place name is shown as text in the popup');
  check(await page.evaluate(() => document.getElementById('xss1') === null && !document.querySelector('img[src="x"]')),
    'no element made from a place name');
  await page.waitForTimeout(1800); // let the entry animation finish before the screenshot
  await page.keyboard.press('Escape');
  await page.screenshot({ path: `${env.OUT}/dashboard.png`, fullPage: true });

  // The live feed banner: status records of the ingester, produced here with emitido = now.
  const [scmd, ...sargs] = env.STATUS_KPRODUCE.split(' ');
  const iso = (ms) => new Date(ms).toISOString();
  const status = (estado, error) => {
    const t = Date.now();
    const v = { componente: 'ingest', fuente: 'https://earthquake.usgs.gov/earthquakes/feed/v1.0/summary/all_hour.geojson',
      estado, error, ultimo_ok: null, emitido: iso(t), nuevos: 0, revisados: 0 };
    execFileSync(scmd, [...sargs, '-'], { input: `ingest\t${JSON.stringify(v)}\n`, stdio: ['pipe', 'ignore', 'inherit'] });
    return t;
  };
  const reason = "GET 'https://earthquake.usgs.gov/...': Couldn't resolve host <b id=xss2>x</b>";
  const tErr = status('error', reason);
  const t1 = Date.now();
  await page.waitForSelector('#feed-banner[data-state="error"]:not([hidden])', { timeout: 2000 });
  check(true, `feed error: banner shown ${Date.now() - t1} ms after the status record was produced`);
  const banner = await page.locator('#feed-banner-text').textContent();
  const hhmm = new Date(tErr).toISOString().slice(11, 16);
  check(banner.includes(`unreachable since ${hhmm} UTC`) && banner.includes(reason) && banner.includes('showing stored data'),
    `banner names the failure time, the reason (as text) and says stored data is shown: "${banner}"`);
  check(await page.evaluate(() => document.getElementById('xss2') === null), 'no element made from the reason');
  await page.screenshot({ path: `${env.OUT}/dashboard-banner.png` });
  status('ok', null);
  const t2 = Date.now();
  await page.waitForSelector('#feed-banner[hidden]', { state: 'attached', timeout: 2000 });
  check(true, `feed ok again: banner hidden ${Date.now() - t2} ms after the record was produced`);
  await page.waitForSelector('#feed-banner[data-state="silent"]:not([hidden])', { timeout: 3 * 2000 + 4000 });
  check((await page.locator('#feed-banner-text').textContent()).includes('Ingest silent'),
    `no record for 3 intervals: "ingest silent" banner after ${Date.now() - t2} ms`);

  // Reconnect: the server goes away, the page says so, comes back by itself.
  process.kill(Number(env.DASH_PID), 'SIGTERM');
  await page.waitForSelector('#conn-status:not([data-state="live"])', { timeout: 5000 });
  check(true, `server stopped: status ${await page.locator('#conn-status').getAttribute('data-state')}`);
  for (let i = 0; i < 100; i++) { // the old process must be gone before its port is reused
    try { process.kill(Number(env.DASH_PID), 0); } catch { break; }
    await new Promise((r) => setTimeout(r, 100));
  }
  restarted = spawn('/bin/sh', ['-c', env.RESTART], { stdio: 'ignore' });
  await page.waitForSelector('#conn-status[data-state="live"]', { timeout: 20000 });
  await waitMarkers(dayAfter, 'after the server restart (reset + reload)');
  check(await page.evaluate(() => window.__sameDocument === true), 'reconnected without a reload');

  // Phone-sized screen: one column, nothing wider than the screen.
  const phone = await ctx.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(base + '/');
  await phone.waitForSelector('body[data-loaded="true"]', { timeout: 10000 });
  await phone.waitForTimeout(800);
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
  check(overflow <= 390, `phone: page is ${overflow} px wide (screen 390)`);
  const mapW = (await phone.locator('#map').boundingBox()).width;
  check(mapW > 330, `phone: map spans the screen (${mapW.toFixed(0)} px)`);
  await phone.screenshot({ path: `${env.OUT}/dashboard-phone.png`, fullPage: true });

  // The online layer, picked by hand: its tile requests carry the page's origin as Referer
  // (OpenStreetMap's tile policy; the page itself sends no referrer). Answered locally.
  const tileReferers = [];
  await phone.route('https://tile.openstreetmap.org/**', (route) => {
    tileReferers.push(route.request().headers().referer ?? null);
    route.fulfill({ status: 204 });
  });
  await phone.locator('.leaflet-control-layers').hover();
  await phone.getByLabel('OpenStreetMap (online)').check();
  for (let i = 0; i < 30 && tileReferers.length === 0; i++) await phone.waitForTimeout(100);
  check(tileReferers.length > 0 && tileReferers.every((r) => r === `${base}/`),
    `OpenStreetMap tiles are requested with Referer ${base}/ (got ${tileReferers.length}: ${tileReferers.slice(0, 2)})`);

  check(foreign.length === 0, `every request stayed on ${base} (${foreign.slice(0, 3).join(', ')})`);
  check(errors.length === 0, `no page errors (${errors.slice(0, 3).join(' | ')})`);
} catch (e) {
  if (!failures) console.error(`FAIL: ${e.message}`);
  failures = failures || 1;
} finally {
  await ctx.close();
  if (restarted) restarted.kill('SIGTERM');
}
process.exit(failures ? 1 : 0);
