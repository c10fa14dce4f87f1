// Shared by the browser tests: Debian's chromium, headless, driven by playwright-core
// (installed into .cache/npm by tests/lib/deps.sh; NODE_PATH points there). Every page
// gets hooks that record script errors, console errors and dialogs, so a test can assert
// that nothing ran that should not have.
'use strict';
const { chromium } = require('playwright-core');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: FLAGS, timeout: 30000 });
}

async function watchedPage(browser, viewport) {
  const page = await browser.newPage({ viewport: viewport || { width: 1280, height: 800 } });
  page.problems = [];
  page.dialogs = [];
  page.on('pageerror', (e) => page.problems.push('pageerror: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.problems.push('console: ' + m.text()); });
  page.on('dialog', async (d) => { page.dialogs.push(d.type() + ': ' + d.message()); await d.dismiss(); });
  page.setDefaultTimeout(15000);
  return page;
}

function check(cond, what) {
  if (!cond) throw new Error('FAIL: ' + what);
  console.log('ok   ' + what);
}

async function rows(page) {
  return page.$$eval('table.dests tbody tr:not(.empty) th a', (as) => as.map((a) => a.textContent));
}

module.exports = { launch, watchedPage, check, rows };
