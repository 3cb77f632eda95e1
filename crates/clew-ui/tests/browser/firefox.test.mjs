// Drives Debian's Firefox ESR through the clew UI over WebDriver BiDi (puppeteer-core), a
// smoke test beside the full run in Chromium (ui.test.mjs): search, open a trace and see its
// rows, and the operations page. Playwright's Firefox is a patched build of its own, which
// only its download site has; puppeteer speaks the standard protocol to a stock Firefox.
//
//   node firefox.test.mjs --url http://127.0.0.1:16686 --screenshots DIR [--firefox /usr/bin/firefox-esr]
//
// Each check prints one line; a failure ends the run with exit code 1.
import puppeteer from 'puppeteer-core';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, index, all) => {
  if (arg.startsWith('--')) pairs.push([arg.slice(2), all[index + 1]?.startsWith('--') ? 'true' : all[index + 1] ?? 'true']);
  return pairs;
}, []));
const url = args.url ?? 'http://127.0.0.1:16686';
const screenshots = args.screenshots ?? 'target/ui-screenshots';
mkdirSync(screenshots, { recursive: true });
for (const file of readdirSync(screenshots)) if (file.startsWith('firefox-') || file === 'failed-firefox.png') rmSync(join(screenshots, file));

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
  console.log(`ok - ${message}`);
}

const count = (page, selector) => page.$$eval(selector, (elements) => elements.length);
const text = (page, selector) => page.$eval(selector, (element) => element.textContent.trim());

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: args.firefox ?? '/usr/bin/firefox-esr',
  headless: true,
  defaultViewport: { width: 1440, height: 900 },
});
let failed = false;
const page = await browser.newPage();
const errors = [];
page.on('pageerror', (error) => errors.push(error.message));
try {
  console.log('# Firefox: search, a trace, the operations page');
  console.log(`# ${await browser.version()}`);
  await page.goto(`${url}/#/search?range=2h&service=checkout&limit=20`);
  await page.waitForSelector('.result');
  const results = await count(page, '.result');
  check(results > 1, `the search lists ${results} traces`);
  check(await count(page, '.scatter .dot') === results, 'the scatter plot has one dot per trace');
  await page.screenshot({ path: join(screenshots, 'firefox-search.png') });

  const traceId = await page.$eval('.result', (element) => element.dataset.traceId);
  await page.click('.result-link');
  await page.waitForSelector('.wf-row');
  check(page.url().includes(`#/trace/${traceId}`), 'a result opens its trace');
  const rows = await count(page, '.wf-row');
  check(rows > 3 && String(rows) === await text(page, '.trace-span-count'), `the waterfall shows all ${rows} spans`);
  await (await page.$$('.wf-row'))[1].click();
  await page.waitForSelector('.span-panel');
  check(await text(page, '.span-panel .panel-title') !== '', 'clicking a span opens its details');
  await page.screenshot({ path: join(screenshots, 'firefox-trace.png') });

  await page.goto(`${url}/#/operations?range=2h`);
  await page.waitForSelector('.operation-row');
  check(await count(page, '.operation-row svg.time-chart') === 3 * await count(page, '.operation-row'), 'every operation has its three charts');
  await page.screenshot({ path: join(screenshots, 'firefox-operations.png') });
  check(errors.length === 0, `the pages threw nothing${errors.length ? ` (${errors.join('; ')})` : ''}`);
} catch (error) {
  failed = true;
  console.log(`not ok - Firefox: ${error.message}`);
  await page.screenshot({ path: join(screenshots, 'failed-firefox.png') }).catch(() => {});
} finally {
  await browser.close();
}
console.log(failed ? 'the Firefox smoke test failed' : 'all Firefox checks passed');
process.exit(failed ? 1 : 0);
