// Shared by the dashboard's browser tests: Debian's Chromium through playwright-core (no
// downloaded browser), and a page that records every page error and failed HTTP response.
import { chromium } from 'playwright-core';

/// Launches /usr/bin/chromium (or $KF_CHROMIUM) headless with the flags this machine needs
/// (root, no outside network): see the env notes.
export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.KF_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/// A new page whose errors (script errors, console errors, HTTP >= 400) go to `errors`;
/// dialogs (confirmations) are accepted.
export async function openPage(browser, errors) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('dialog', (d) => d.accept());
  return page;
}

/// Waits until `fn(arg)` is truthy in the page (polling every 100 ms), else throws naming
/// `what`.
export function until(page, what, fn, arg, timeout = 20000) {
  return page.waitForFunction(fn, arg, { timeout, polling: 100 }).catch(() => {
    throw new Error(`timed out waiting for ${what}`);
  });
}

/// Runs `body(seen)`, prints `seen` as one JSON object (with `failure` when it threw) and sets
/// the exit code; closes the browser.
export async function runTest(body) {
  const seen = { console_errors: [] };
  let browser;
  try {
    browser = await launchChromium();
    await body(browser, seen);
    if (seen.console_errors.length > 0) throw new Error(`page errors: ${seen.console_errors[0]}`);
    process.exitCode = 0;
  } catch (e) {
    seen.failure = String(e.message ?? e);
    process.exitCode = 1;
  } finally {
    console.log(JSON.stringify(seen));
    if (browser) await browser.close();
  }
}
