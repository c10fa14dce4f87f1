// retry.cjs BASE_URL USER PASSWORD DOMAIN OUT_DIR: an admin's Retry button in a real
// browser. The list page offers "Retry all delivery"; the destination's page offers "Retry
// delivery", which arms on the first click and sends on the second (fetch, JSON, the
// X-Mxwatch-Request header), then shows the job's result.
'use strict';
const { launch, check } = require('./lib.cjs');

const [base, user, password, domain, out] = process.argv.slice(2);

(async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ httpCredentials: { username: user, password },
      viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => { problems.push('dialog ' + d.message()); d.dismiss(); });
    await page.goto(base + '/');
    check(await page.$('button[data-retry-all]') !== null, 'the admin sees "Retry all delivery"');
    await page.screenshot({ path: out + '/list.png' });
    await page.goto(base + '/destinations/' + domain);
    const button = page.locator('button[data-retry]');
    check(await button.textContent() === 'Retry delivery', 'the destination page has "Retry delivery"');
    await button.click();
    check(await button.textContent() === 'Click again to confirm', 'the first click only arms it');
    await button.click();
    await page.waitForFunction(() => /scheduled for delivery now|failed|refused/.test(
      document.getElementById('retry-status').textContent), null, { timeout: 20000 });
    const said = await page.textContent('#retry-status');
    check(said.includes('Retry of ' + domain + ': 1 of 1 deferred message scheduled for delivery now'),
      'the page reports the job: ' + said);
    await page.screenshot({ path: out + '/retry.png' });
    check(problems.length === 0, 'no script errors or dialogs: ' + problems.join('; '));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
