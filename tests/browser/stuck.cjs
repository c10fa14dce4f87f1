// The status page of `make run` with its private Postfix (tests/integration/demo_run.sh),
// as an operator opens it when mail piles up: logged in as the printed admin, sorted by
// active recipients, the destinations the MTA cannot deliver to show their waiting
// recipients, refused.test its down status; refused.test's page shows the MTA's last
// delivery attempt and the admin's Retry button. Screenshots: OUT_DIR/stuck.png and
// OUT_DIR/stuck-detail.png.
//   node stuck.cjs BASE_URL OUT_DIR USER PASSWORD
'use strict';
const { launch, check } = require('./lib.cjs');

const [base, out, username, password] = process.argv.slice(2);
const STUCK = ['greylist.test', 'refused.test', 'silent.test', 'throttled.test'];

(async () => {
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, httpCredentials: { username, password } });
    page.setDefaultTimeout(15000);
    const problems = [];
    page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
    await page.goto(base + '/?sort=active&order=desc');
    const table = await page.$$eval('table.dests tbody tr:not(.empty)', (trs) => trs.map((tr) => [
      tr.querySelector('th a').textContent,
      Number(tr.querySelector('td[data-label="Active Recipients"]').textContent.replace(/[^0-9]/g, ''))]));
    const active = Object.fromEntries(table);
    check(STUCK.every((d) => active[d] > 0), 'recipients wait for ' + STUCK.map((d) => d + ' (' + active[d] + ')').join(', '));
    check(table.every((r, i) => i === 0 || table[i - 1][1] >= r[1]), 'the rows are sorted by active recipients, largest first');
    const refusedClass = await page.$eval('table.dests tbody tr:has(th a[href$="/refused.test"])', (tr) => tr.className);
    check(refusedClass === 'row-down', 'refused.test shows down (' + refusedClass + ')');
    await page.screenshot({ path: out + '/stuck.png', fullPage: true });
    await page.goto(base + '/destinations/refused.test');
    check((await page.textContent('body')).includes('Last delivery attempt'), "refused.test's page shows the MTA's last delivery attempt");
    check(await page.$('button.retry[data-retry="refused.test"]') !== null, 'the admin sees the Retry button');
    await page.screenshot({ path: out + '/stuck-detail.png', fullPage: true });
    check(problems.length === 0, 'no script errors: ' + problems.join('; '));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
