// Drives the dashboard in Debian's Chromium against `kalshiflow serve` (no actor): only the
// registry is shown, and its Deploy buttons promote models through PUT /rl/models/{id}:
//   node web/tests/registry_test.mjs <base-url> <first-model-id> <second-model-id>
// Both models must be `ready` versions of one name. Prints one JSON object (what was seen);
// exits 1 naming the first check that failed. Run by ModelsCliTest.ServeExposesTheRegistryOverHttp.
import { openPage, runTest, until as waitUntil } from './browser.mjs';

const [base, first, second] = process.argv.slice(2);
if (!base || !first || !second) {
  console.error('usage: registry_test.mjs <base-url> <first-model-id> <second-model-id>');
  process.exit(2);
}

await runTest(async (browser, seen) => {
  const page = await openPage(browser, seen.console_errors);
  await page.goto(base, { waitUntil: 'load' });
  const until = (what, fn, arg) => waitUntil(page, what, fn, arg);
  const rowStatus = (id) => page.locator(`#models tr[data-model-id="${id}"] td`).nth(5)
    .textContent();

  await until('serve mode', () => document.getElementById('mode').textContent === 'serve');
  await until('the models', () => document.querySelectorAll('#models tbody tr').length >= 2);
  seen.model_rows = await page.locator('#models tbody tr').count();
  seen.actor_panels_hidden = !(await page.locator('#controls').isVisible()) &&
                             !(await page.locator('#positions').isVisible());

  const deploy = async (id) => {
    await page.locator(`#models tr[data-model-id="${id}"] button.model-deployed`).click();
    await until(`model ${id} deployed`, (i) => {
      const row = document.querySelector(`#models tr[data-model-id="${i}"]`);
      return row !== null && row.cells[5].textContent === 'deployed';
    }, id);
  };
  await deploy(first);
  seen.first_after_deploy = await rowStatus(first);
  await deploy(second);  // demotes the first
  await until(`model ${first} demoted`, (i) =>
    document.querySelector(`#models tr[data-model-id="${i}"]`).cells[5].textContent === 'ready',
    first);
  seen.first_after_second = await rowStatus(first);
  const api = (id) => page.evaluate(async (i) => (await fetch(`/rl/models/${i}`)).json(), id);
  seen.first_api = (await api(first)).status;
  seen.second_api = (await api(second)).status;
});
