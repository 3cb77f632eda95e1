// Drives Debian's Chromium through the clew UI of a running server filled by `clew demo`.
//
//   node ui.test.mjs --url http://127.0.0.1:16686 --otlp http://127.0.0.1:4318 --screenshots DIR
//   node ui.test.mjs ... --only big-trace      just the 100,000-span trace (the benchmark)
//
// Each check prints one line; the first failure stops the run with exit code 1.
import { chromium } from 'playwright-core';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bigTrace } from './bigtrace.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, index, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[index + 1]?.startsWith('--') ? 'true' : all[index + 1] ?? 'true']);
  return pairs;
}, []));
const url = args.url ?? 'http://127.0.0.1:16686';
const otlp = args.otlp ?? 'http://127.0.0.1:4318';
const screenshots = args.screenshots ?? 'target/ui-screenshots';
const executablePath = args.chromium ?? '/usr/bin/chromium';
mkdirSync(screenshots, { recursive: true });
// Firefox's screenshots (firefox.test.mjs, run beside this) are its own to clear.
for (const file of readdirSync(screenshots)) if (file.endsWith('.png') && !file.startsWith('firefox-')) rmSync(join(screenshots, file));

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(screenshots, `${name}.png`) });
}

const tests = [];
function test(name, body) { tests.push({ name, body }); }

test('search shows the demo traces, a scatter plot and the result details', async (page) => {
  await page.goto(`${url}/#/search?range=2h&limit=50`);
  await page.waitForSelector('.result');
  const results = await page.locator('.result').count();
  check(results > 1, `the search lists ${results} traces`);
  check(await page.locator('.scatter .dot').count() === results, 'the scatter plot has one dot per trace');
  const first = page.locator('.result').first();
  check(/\d+ spans/.test(await first.locator('.span-count').innerText()), 'a result shows its span count');
  check(await first.locator('.service-segment').count() >= 1, 'a result shows a bar of the services it touched');
  check(await page.locator('.result .error-count').count() > 0, 'failed orders show their error count');
  const services = await page.locator('select[name=service] option').allInnerTexts();
  check(services.includes('payments') && services.includes('checkout'), 'the service filter lists the demo services');
  await shot(page, 'search');
});

test('the slowest trace opens, shows where its time went, and its link reopens it', async (page) => {
  await page.goto(`${url}/#/search?range=2h&limit=200&sort=slowest`);
  await page.waitForSelector('.result');
  const durations = await page.locator('.result .duration-text').allInnerTexts();
  check(durations.length > 2, 'slowest-first search has results');
  const traceId = await page.locator('.result').first().getAttribute('data-trace-id');
  await page.locator('.result-link').first().click();
  await page.waitForSelector('.wf-row');
  check(page.url().includes(`#/trace/${traceId}`), 'the URL names the trace');
  check((await page.locator('.trace-duration').innerText()) === durations[0], `the trace header shows the same duration (${durations[0]})`);
  check(await page.locator('.highlight-slow button').count() === 1, 'the header names the span with the most self time');
  check(await page.locator('.wf-row.is-critical').count() >= 1, 'the critical path is highlighted');
  await page.locator('.highlight-slow button').click();
  await page.waitForSelector('.span-panel');
  const slowName = await page.locator('.highlight-slow button').getAttribute('data-span-id');
  check(page.url().includes(`span=${slowName}`), 'selecting a span puts it in the URL');
  check(await page.locator(`.wf-row.is-selected[data-span-id="${slowName}"]`).count() === 1, 'the selected span is marked in the waterfall');
  await shot(page, 'trace');
  // A shared link opens the same trace and span.
  const link = page.url();
  const other = await page.context().newPage();
  await other.goto(link);
  await other.waitForSelector('.span-panel');
  check(await other.locator(`.wf-row.is-selected[data-span-id="${slowName}"]`).count() === 1, 'the shared link reopens the trace with the span selected');
  await other.close();
});

test('spans fold, unfold and are chosen with the mouse and the keyboard', async (page) => {
  await page.goto(`${url}/#/search?range=2h&service=checkout&limit=5`);
  await page.waitForSelector('.result');
  await page.locator('.result-link').first().click();
  await page.waitForSelector('.wf-row');
  const all = await page.locator('.wf-row').count();
  check(all > 3, `the waterfall shows ${all} spans`);
  await page.locator('.wf-row').first().locator('.wf-toggle').click();
  check(await page.locator('.wf-row').count() === 1, 'collapsing the root leaves one row');
  await page.locator('.wf-row').first().locator('.wf-toggle').click();
  check(await page.locator('.wf-row').count() === all, 'expanding it shows every span again');
  const second = page.locator('.wf-row').nth(1);
  const secondName = await second.locator('.wf-operation').innerText();
  await second.click();
  await page.waitForSelector('.span-panel');
  check((await page.locator('.span-panel .panel-title').innerText()) === secondName, 'clicking a span opens its details');
  check(await page.locator('.span-panel summary', { hasText: 'Attributes' }).count() === 1, 'the details list its attributes');
  check(await page.locator('.span-panel summary', { hasText: 'Resource' }).count() === 1, 'the details list its resource');
  await page.locator('.wf-scroll').focus();
  await page.keyboard.press('ArrowDown');
  const thirdName = await page.locator('.wf-row').nth(2).locator('.wf-operation').innerText();
  check((await page.locator('.span-panel .panel-title').innerText()) === thirdName, 'ArrowDown selects the next span');
  await page.keyboard.press('ArrowUp');
  check((await page.locator('.span-panel .panel-title').innerText()) === secondName, 'ArrowUp selects the previous span');
  await page.keyboard.press('/');
  await page.keyboard.type('charge');
  await page.keyboard.press('Enter');
  check((await page.locator('.find-count').innerText()).includes('match'), 'find in trace counts its matches');
  check(await page.locator('.wf-row.is-selected.is-match').count() === 1, 'Enter in find selects a match');
});

test('a failed order shows which service failed', async (page) => {
  await page.goto(`${url}/#/search?range=2h&service=payments&errors=true&limit=5`);
  await page.waitForSelector('.result');
  await page.locator('.result-link').first().click();
  await page.waitForSelector('.wf-row');
  const failed = await page.locator('.highlight-error').first().innerText();
  check(failed.includes('payments'), `the header names the failing service (${failed.trim()})`);
  check(await page.locator('.wf-row.is-error').count() >= 1, 'error spans are marked in the waterfall');
  check(Number(await page.locator('.trace-error-count').innerText()) >= 1, 'the header counts the errors');
  // Red means an error: no service is drawn in a red, or a healthy service would look failed.
  const reds = await page.locator('.chip').evaluateAll((chips) => chips.flatMap((chip) => {
    const [r, g, b] = getComputedStyle(chip).backgroundColor.match(/[\d.]+/g).map(Number);
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    if (max === min) return [];
    const hue = max === r ? (60 * ((g - b) / (max - min)) + 360) % 360
      : max === g ? 60 * ((b - r) / (max - min)) + 120 : 60 * ((r - g) / (max - min)) + 240;
    return hue > 320 || hue < 25 ? [`${chip.parentElement.innerText.trim()} (hue ${Math.round(hue)})`] : [];
  }));
  check(await page.locator('.chip').count() >= 5 && reds.length === 0, `no service is drawn in red (${reds.join(', ')})`);
  await shot(page, 'trace-error');
  await page.locator('.tabs button', { hasText: 'Flame graph' }).click();
  await page.waitForSelector('.flame-canvas');
  await shot(page, 'flame-order');
});

test('a dot of the scatter plot opens its trace', async (page) => {
  await page.goto(`${url}/#/search?range=2h&limit=30`);
  await page.waitForSelector('.scatter .dot');
  const dot = page.locator('.scatter .dot').last();
  const traceId = await dot.getAttribute('data-trace-id');
  await dot.click();
  await page.waitForSelector('.wf-row');
  check(page.url().includes(`#/trace/${traceId}`), 'clicking a dot opens that trace');
});

test('an agent session shows its trace-level events and its own attributes', async (page) => {
  await page.goto(`${url}/#/search?range=2h&service=support-agent&limit=5`);
  await page.waitForSelector('.result');
  await page.locator('.result-link').first().click();
  await page.waitForSelector('.wf-row');
  const events = await page.locator('.wf-event').count();
  check(events > 0, `the trace-events lane shows ${events} events`);
  const header = (await page.locator('.trace-stats').innerText()).toLowerCase();
  check(header.includes('project') && header.includes('proj-demo'), 'the header shows the project id');
  check(header.includes('request') && header.includes('req-'), 'the header shows the request id');
  await page.locator('.wf-event').first().click();
  check((await page.locator('.span-panel .panel-service').innerText()).includes('Trace event'), 'clicking an event shows its details');
  await shot(page, 'trace-events');
  await page.locator('.tabs button', { hasText: 'Flame graph' }).click();
  await page.waitForSelector('.flame-canvas');
  check(page.url().includes('view=flame'), 'the flame graph has its own URL');
  await shot(page, 'flame');
  await page.locator('.tabs button', { hasText: 'Statistics' }).click();
  const rows = await page.locator('.stats-table tbody tr').count();
  check(rows > 1, `the statistics table has ${rows} rows`);
  await shot(page, 'statistics');
});

test('two traces are compared', async (page) => {
  await page.goto(`${url}/#/search?range=2h&service=checkout&limit=10`);
  await page.waitForSelector('.result');
  await page.locator('.compare-pick').nth(0).check();
  await page.locator('.compare-pick').nth(1).check();
  await page.locator('.compare-button').click();
  await page.waitForSelector('.compare-table');
  const rows = await page.locator('.compare-table tbody tr').count();
  check(rows > 2, `the comparison lists ${rows} spans`);
  check(page.url().includes('#/compare?a='), 'the comparison has its own URL');
  check((await page.locator('.compare-summary').innerText()).includes('matched'), 'the comparison says how many spans matched');
  await shot(page, 'compare');
});

test('the service map shows the demo services and their calls', async (page) => {
  await page.goto(`${url}/#/map?range=1h`);
  await page.waitForSelector('.service-map');
  const nodes = await page.locator('.service-map .node').count();
  check(nodes >= 6, `the map shows ${nodes} services`);
  check(await page.locator('.service-map .edge').count() >= 5, 'the map shows the calls between them');
  check(await page.locator('.service-map .edge-error').count() >= 1, 'failing calls are marked');
  const latencies = await page.locator('.service-map .edge-latency').allTextContents();
  check(latencies.length === await page.locator('.service-map .edge').count(), `every call shows its latency (${latencies[0]})`);
  check(latencies.every((text) => /^p50 [0-9.]+(ns|µs|ms|s) · p95 [0-9.]+(ns|µs|ms|s) · p99 [0-9.]+(ns|µs|ms|s)$/.test(text)), 'the latency is p50, p95 and p99');
  const payments = page.locator('.edges-table .edge-row[data-parent="checkout"][data-child="payments"]');
  check(await payments.count() === 1 && /[0-9.]+(µs|ms|s)$/.test(await payments.locator('.edge-p99').innerText()), 'the table of calls gives checkout → payments its p99');
  await shot(page, 'service-map');
});

test('the operations page shows each operation\'s rate, errors and latency, and links to its traces', async (page) => {
  await page.goto(`${url}/#/operations?range=2h`);
  await page.waitForSelector('.operation-row');
  const rows = await page.locator('.operation-row').count();
  check(rows >= 10, `the page lists ${rows} operations`);
  const services = new Set((await page.locator('.operation-row .col-service').allInnerTexts()).map((text) => text.trim()));
  const demo = ['web-frontend', 'checkout', 'inventory', 'payments', 'fraud-check', 'notifications', 'support-agent'];
  check(demo.every((service) => services.has(service)), `the demo's services are listed (${[...services].join(', ')})`);
  const operations = await page.locator('.operation-row .operation-name').allInnerTexts();
  check(operations.includes('POST /orders') && operations.includes('GET /checkout'), 'the demo\'s operations are listed');
  const rates = await page.locator('.operation-row .rate-value').allInnerTexts();
  check(rates.every((text) => /^[0-9.]+\/(s|min|h)$/.test(text) && text !== '0/s'), `every operation has a rate (${rates.slice(0, 3).join(', ')}…)`);
  for (const column of ['p50', 'p95', 'p99']) {
    const values = await page.locator(`.operation-row .col-${column}`).allInnerTexts();
    check(values.every((text) => /^[0-9.]+(ns|µs|ms|s)$/.test(text)), `every operation has a ${column} latency`);
  }
  const place = page.locator('.operation-row[data-service="checkout"][data-operation="POST /orders"]');
  check(await place.count() === 1, 'checkout POST /orders has one row');
  check(/^[0-9.]+%$/.test(await place.locator('.error-rate').innerText()) && (await place.locator('.error-rate').innerText()) !== '0%', 'declined orders give POST /orders an error rate above 0%');
  check(await place.locator('svg.time-chart').count() === 3, 'the row charts rate, error rate and latency over time');
  check(await place.locator('.col-rate .bar').count() > 1, 'the rate chart has a bar per bucket with spans');
  check(await place.locator('.col-latency path.series-p99').count() === 1, 'the latency chart draws p99');
  await place.locator('.operation-toggle').click();
  check(await page.locator('.operation-detail svg.with-axes').count() === 3, 'opening an operation shows larger charts with axes');
  await page.locator('.operations-table th.col-p99 button').click();
  const p99s = await page.locator('.operation-row .col-p99').allInnerTexts();
  check(page.url().includes('sort=p99') && p99s.length === rows, 'sorting by p99 keeps every row and puts the sort in the URL');
  await shot(page, 'operations');
  await place.locator('.traces-link').click();
  await page.waitForSelector('.result');
  check(page.url().includes('service=checkout') && page.url().includes('operation=POST+%2Forders') && page.url().includes('range=2h'), 'the traces link opens a search for that operation in the same range');
  check(await page.locator('.result').count() >= 1, `the search finds ${await page.locator('.result').count()} traces`);
  await page.goBack();
  await page.waitForSelector('.operation-row');
  await page.locator('.operation-row[data-service="payments"] .errors-link').first().click();
  await page.waitForSelector('.result');
  check(page.url().includes('errors=true'), 'the failed-traces link searches errors only');
  const errorCounts = await page.locator('.result .error-count').count();
  check(errorCounts === await page.locator('.result').count(), 'every trace it finds has errors');
});

test('the errors page groups the demo\'s failures and opens their traces', async (page) => {
  await page.goto(`${url}/#/errors?range=2h`);
  await page.waitForSelector('.error-group');
  const groups = await page.locator('.error-group').count();
  check(groups >= 4, `the page shows ${groups} error groups`);
  const declined = page.locator('.error-group[data-service="payments"]', { hasText: 'card declined' });
  check(await declined.count() === 1, 'payments\' declined cards are one group');
  const count = Number(await declined.locator('.error-total').innerText());
  check(count >= 1, `the group counts ${count} error spans`);
  const links = await declined.locator('.trace-link').count();
  check(links >= 1 && links <= Math.min(count, 5), `the group links to its newest traces (${links}), at most five`);
  check(/ago$/.test(await declined.locator('.col-first').innerText()) && /ago$/.test(await declined.locator('.col-last').innerText()), 'the group says when it was first and last seen');
  const failing = new Set((await page.locator('.error-group .col-service').allInnerTexts()).map((text) => text.trim()));
  check(['web-frontend', 'checkout', 'payments'].every((service) => failing.has(service)), `the failing services are listed (${[...failing].join(', ')})`);
  const totals = (await page.locator('.error-group .error-total').allInnerTexts()).map(Number);
  check(totals.every((total, index) => index === 0 || totals[index - 1] >= total), 'the most frequent group comes first');
  await shot(page, 'errors');
  const traceId = (await declined.locator('.trace-link').first().getAttribute('href')).replace('#/trace/', '');
  await declined.locator('.trace-link').first().click();
  await page.waitForSelector('.wf-row');
  check(page.url().includes(`#/trace/${traceId}`), 'a trace link opens that trace');
  check(await page.locator('.wf-row.is-error', { hasText: 'payments' }).count() >= 1, 'the trace has an error span of payments');
  await page.goBack();
  await page.waitForSelector('.error-group');
  await page.locator('.error-group[data-service="payments"]', { hasText: 'card declined' }).locator('.search-link').click();
  await page.waitForSelector('.result');
  check(page.url().includes('service=payments') && page.url().includes('errors=true'), 'the search link searches that failure');
});

test('the operations and errors pages explain a time range with no spans and a server that fails', async (page) => {
  const long = new Date(Date.now() - 400 * 86400e3).toISOString().slice(0, 19);
  const longer = new Date(Date.now() - 399 * 86400e3).toISOString().slice(0, 19);
  await page.goto(`${url}/#/operations?range=custom&start=${long}&end=${longer}`);
  await page.waitForSelector('.notice-empty');
  check((await page.locator('.notice-empty').innerText()).includes('No spans in this time range'), 'an empty range is explained on the operations page');
  await page.goto(`${url}/#/errors?range=custom&start=${long}&end=${longer}`);
  await page.waitForSelector('.notice-empty');
  check((await page.locator('.notice-empty').innerText()).includes('No errors in this time range'), 'an empty range is explained on the errors page');
  await page.route((address) => address.pathname === '/api/v1/errors', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"the store is closed"}' }));
  await page.goto(`${url}/#/errors?range=1h`);
  await page.waitForSelector('.notice-error');
  check((await page.locator('.notice-error').innerText()).includes('the store is closed'), 'an error answer is shown with its message');
  await page.route((address) => address.pathname === '/api/v1/services', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"services":[]}' }));
  await page.goto(`${url}/#/operations`);
  await page.waitForSelector('.notice-empty');
  const empty = await page.locator('.notice-empty').innerText();
  check(empty.includes('No traces yet') && empty.includes('-- demo'), 'a server with no data says how to send some');
});

test('an unreachable server and a missing trace are explained', async (page) => {
  await page.route('**/api/v1/**', (route) => route.abort());
  await page.goto(`${url}/#/search`);
  await page.waitForSelector('.notice-error');
  check((await page.locator('.notice-error').innerText()).includes('cannot be reached'), 'an unreachable server is explained');
  await shot(page, 'unreachable');
  await page.unroute('**/api/v1/**');
  await page.goto(`${url}/#/trace/0123456789abcdef0123456789abcdef`);
  await page.waitForSelector('.notice');
  check((await page.locator('.notice').innerText()).includes('Trace not found'), 'a missing trace is explained');
});

test('big-trace: a trace of 100,000 spans opens and scrolls, rendering only visible rows', async (page) => {
  const spanCount = Number(args.spans ?? 100000);
  const { traceId, lastSpanId } = await bigTrace(otlp, spanCount);
  const started = performance.now();
  await page.goto(`${url}/#/trace/${traceId}`);
  await page.waitForSelector('.wf-row', { timeout: 120000 });
  const firstRender = performance.now() - started;
  // Where the time went, from the page's marks (trace.js) and the resource timing of the
  // trace's request; every figure is milliseconds since the navigation started.
  const at = await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => {
    const mark = (name) => performance.getEntriesByName(name)[0]?.startTime ?? NaN;
    const request = performance.getEntriesByType('resource').find((entry) => entry.name.includes('/api/v1/traces/'));
    resolve({
      requested: mark('clew:trace-requested'), firstByte: request?.responseStart ?? NaN, received: request?.responseEnd ?? NaN,
      loaded: mark('clew:trace-loaded'), modelled: mark('clew:trace-modelled'), rendered: mark('clew:trace-rendered'), painted: performance.now(),
    });
  }))));
  const phase = (from, to) => Math.round(at[to] - at[from]);
  console.log(`benchmark: ${spanCount} spans, time to first render ${Math.round(firstRender)} ms`
    + ` (page and modules ${Math.round(at.requested)}, server answer ${phase('requested', 'firstByte')}, download ${phase('firstByte', 'received')},`
    + ` JSON parse ${phase('received', 'loaded')}, model ${phase('loaded', 'modelled')}, rows ${phase('modelled', 'rendered')}, paint ${phase('rendered', 'painted')})`);
  check(await page.locator('.trace-span-count').innerText() === String(spanCount), `the header counts ${spanCount} spans`);
  const rendered = await page.locator('.wf-row').count();
  check(rendered > 10 && rendered < 200, `only the visible rows are in the page (${rendered})`);
  await page.locator('.wf-scroll').evaluate((element) => { element.scrollTop = element.scrollHeight; });
  await page.waitForSelector(`.wf-row[data-span-id="${lastSpanId}"]`, { state: 'attached' });
  const lastInView = await page.locator('.wf-scroll').evaluate((scroller, spanId) => {
    const row = scroller.querySelector(`.wf-row[data-span-id="${spanId}"]`).getBoundingClientRect();
    const frame = scroller.getBoundingClientRect();
    return row.height > 0 && row.top >= frame.top && row.bottom <= frame.bottom + 1;
  }, lastSpanId);
  check(lastInView, `scrolling to the end shows the last span (${lastSpanId}) in view`);
  check(await page.locator('.wf-row').count() < 200, 'still only the visible rows after scrolling');
  await shot(page, 'big-trace');
});

const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failures = 0;
try {
  for (const { name, body } of tests) {
    if (args.only && !name.startsWith(args.only)) continue;
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    console.log(`# ${name}`);
    try {
      await body(page);
      if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
    } catch (error) {
      failures += 1;
      console.log(`not ok - ${name}: ${error.message}`);
      await shot(page, `failed-${name.slice(0, 30).replace(/\W+/g, '-')}`).catch(() => {});
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(failures === 0 ? 'all browser checks passed' : `${failures} browser test(s) failed`);
process.exit(failures === 0 ? 0 : 1);
