// Drives the dashboard in Debian's Chromium (playwright-core, no downloaded browser) against a
// running actor's API server and checks that it shows the live state and that its controls
// act on the actor:
//   node web/tests/dashboard_test.mjs <base-url> [screenshot.png]
// Prints one JSON object (what was seen); exits 1 naming the first check that failed.
// Run by the C++ end-to-end test CollectE2eTest.ActorCliServesTheDashboardInChromium.
import { openPage, runTest, until as waitUntil } from './browser.mjs';

const [base, screenshot] = process.argv.slice(2);
if (!base) {
  console.error('usage: dashboard_test.mjs <base-url> [screenshot.png]');
  process.exit(2);
}

await runTest(async (browser, seen) => {
  const page = await openPage(browser, seen.console_errors);  // accepts the kill confirmation
  await page.goto(base, { waitUntil: 'load' });
  const until = (what, fn, arg) => waitUntil(page, what, fn, arg);
  const text = (sel) => page.locator(sel).first().textContent();
  const rows = (sel) => page.locator(`${sel} tbody tr`).count();

  // The live feed and the polled views fill in.
  await until('the /rl/ws connection', () =>
    document.getElementById('connection').dataset.state === 'open');
  await until('decisions', () => Number(document.getElementById('decisions').textContent) > 0);
  await until('decision rows', () => document.querySelectorAll('#actions tbody tr').length > 0);
  await until('markets', () => document.querySelectorAll('#markets tbody tr').length > 0);
  await until('an order book', () => document.querySelectorAll('#book tbody tr').length > 0);
  await until('positions', () => document.querySelectorAll('#positions tbody tr').length > 0);
  await until('two P&L points', () =>
    Number(document.getElementById('pnl-chart').dataset.points) >= 2);
  seen.mode = await text('#mode');
  seen.decisions = Number(await text('#decisions'));
  seen.decision_rows = await rows('#actions');
  seen.market_rows = await rows('#markets');
  seen.position_rows = await rows('#positions');
  seen.book_rows = await rows('#book');
  seen.pnl_points = Number(await page.locator('#pnl-chart').getAttribute('data-points'));
  seen.pnl_text = await text('#pnl');
  seen.chart_canvas = await page.locator('#pnl-chart canvas').count();

  // Another market's book, by clicking its row.
  const lastMarket = page.locator('#markets tbody tr').last();
  const ticker = await lastMarket.getAttribute('data-ticker');
  await lastMarket.click();
  await until('the clicked market\'s book', (t) =>
    document.getElementById('book-ticker').textContent === t, ticker);
  seen.book_ticker = ticker;

  // Controls: pause and resume, the kill switch and its release, a selector switch; each is
  // checked in the page and against the API's own /rl/status.
  const status = () => page.evaluate(async () => (await fetch('/rl/status')).json());
  await page.click('#pause');
  await until('paused', () => document.getElementById('run-state').textContent === 'paused');
  seen.paused_api = (await status()).paused;
  await page.click('#resume');
  await until('trading', () => document.getElementById('run-state').textContent === 'trading');
  seen.resumed_api = !(await status()).paused;
  await page.click('#kill');
  await until('the kill switch', () =>
    document.getElementById('kill-state').textContent.startsWith('engaged'));
  seen.kill_api = (await status()).kill_switch.engaged;
  await page.click('#release');
  await until('the kill switch released', () =>
    document.getElementById('kill-state').textContent === 'off');
  seen.released_api = !(await status()).kill_switch.engaged;
  await page.selectOption('#selector-choice', 'disabled');
  await page.click('#switch');
  await until('the disabled selector', () =>
    document.getElementById('selector').textContent === 'disabled');
  seen.selector_api = (await status()).selector;

  if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
});
