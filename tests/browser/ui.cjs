// ui.cjs BASE_URL OUT_DIR: the status page on the demo world (deploy/demo/world.sh) in a real
// browser: rows, default and clicked sorting, the filter and the status choice, an
// auto-refresh that keeps them, status badges with symbol and word, the detail page with
// its sections, MX records, addresses and chart, a phone-sized layout, no script errors;
// screenshots in OUT_DIR (status-page.png is the one the README shows). Exits non-zero at the first failed check.
'use strict';
const { launch, watchedPage, check, rows } = require('./lib.cjs');

const [base, out] = process.argv.slice(2);
const ALL = ['alpha.test', 'beta.test', 'dane.test', 'greylist.test', 'implicit.test',
  'nullmx.test', 'nxdomain.test', 'refused.test', 'silent.test', 'sts.test', 'throttled.test'];
const DOWN = ['greylist.test', 'nullmx.test', 'nxdomain.test', 'refused.test', 'silent.test',
  'throttled.test'];

async function sortChecks(page) {
  check((await rows(page)).join() === ALL.join(),
    'default sort: active recipients (all zero) then destination');
  check(await page.getAttribute('th[aria-sort]', 'aria-sort') === 'descending' &&
    (await page.textContent('th[aria-sort]')).includes('Active Recipients'),
    'Active Recipients is the sorted column, descending');
  await page.click('th >> text=Destination');
  await page.waitForURL(/sort=domain&order=asc/);
  check((await rows(page)).join() === ALL.join(), 'Destination ascending');
  await page.click('th >> text=Destination');
  await page.waitForURL(/sort=domain&order=desc/);
  await page.waitForFunction(() => document.querySelector('table.dests tbody th a').textContent === 'throttled.test');
  check((await rows(page)).join() === ALL.slice().reverse().join(), 'Destination descending');
  await page.click('th >> text=Latest Host Status');
  await page.waitForURL(/sort=status&order=desc/);
  await page.waitForFunction(() => document.querySelector('table.dests tbody th a').textContent === 'greylist.test');
  const st = await page.$$eval('table.dests tbody td[data-label="Latest Host Status"] .st', (b) => b.map((x) => x.textContent.trim()));
  check(st.slice(0, DOWN.length).every((s) => s === '\u2716 down') &&
    st.slice(DOWN.length).every((s) => s === '\u2714 up'),
    'status sort puts the ' + DOWN.length + ' down destinations first; badges read "\u2716 down" / "\u2714 up"');
}

async function filterChecks(page) {
  await page.fill('#filter', 'al');
  await page.waitForFunction(() => document.querySelectorAll('table.dests tbody tr').length === 1);
  check((await rows(page)).join() === 'alpha.test', 'filter "al" leaves alpha.test');
  check(page.url().includes('q=al') && page.url().includes('sort=status'), 'the URL holds the filter and the sort');
  const before = await page.textContent('#updated');
  await page.waitForFunction((b) => document.getElementById('updated').textContent !== b, before, { timeout: 16000 });
  check((await rows(page)).join() === 'alpha.test' && await page.inputValue('#filter') === 'al',
    'auto-refresh ran and kept the filter and its rows');
  await page.fill('#filter', '');
  await page.selectOption('select[name=status]', 'down');
  await page.waitForFunction((n) => document.querySelectorAll('table.dests tbody tr').length === n, DOWN.length);
  check((await rows(page)).sort().join() === DOWN.join(), 'status "Down" shows the down destinations');
  await page.selectOption('select[name=status]', '');
  await page.waitForFunction((n) => document.querySelectorAll('table.dests tbody tr').length === n, ALL.length);
}

async function detailChecks(page) {
  await page.goto(base + '/?sort=domain&order=asc');
  await page.click('text=alpha.test');
  await page.waitForURL(/\/destinations\/alpha\.test$/);
  check(await page.textContent('h1') === 'alpha.test', 'detail page of alpha.test');
  check((await page.textContent('.titlebar .st')).includes('up'), 'its status badge says up');
  const body = await page.textContent('main');
  for (const w of ['Soft Bounced Events', 'Completed Recipients', 'Hard Bounced Recipients',
    'DNS Hard Bounces', '5XX Hard Bounces', 'Filter Hard Bounces', 'Expired Hard Bounces',
    'Other Hard Bounces', 'Delivered Recipients', 'Deleted Recipients', 'Active Recipients',
    'Unattempted Recipients', 'Attempted Recipients', 'Current Outbound Connections',
    'Pending Outbound Connections', 'Oldest Message', 'Last Activity'])
    check(body.includes(w), 'detail page shows "' + w + '"');
  const mx = await page.$$eval('section:has(h2:text("MX records")) tbody tr', (r) => r.map((x) => x.textContent));
  check(mx.length === 2 && mx[0].includes('10') && mx[0].includes('mx1.alpha.test') && mx[1].includes('mx2.alpha.test') && /(5m|4m \d+s|4m)/.test(mx[0]),
    'MX records: mx1 (10) and mx2 (20) with their TTL (300 s, less its age in the agent\'s DNS cache)');
  const outcomes = await page.$$eval('table.addrs tr.addr td[data-label="Outcome"]', (t) => t.map((x) => x.textContent.trim()));
  check(outcomes.length === 2 && outcomes.every((o) => o === '\u2714 ok'), 'both addresses: \u2714 ok');
  check((await page.textContent('table.addrs')).includes('220 mx.test ESMTP'), 'the banner is shown');
  check((await page.textContent('table.addrs')).includes('TLSv1.3'), 'the TLS version is shown');
  check(await page.$('svg.chart path.c-line') !== null && await page.$('svg.chart rect.c-up') !== null,
    'the history chart has the active-recipients line and an "up" band');
  check((await page.textContent('pre.transcript')).includes('EHLO mxwatch.demo.test'), 'the last SMTP conversation is shown');
  await page.screenshot({ path: out + '/detail.png', fullPage: true });
  await page.goto(base + '/destinations/refused.test');
  check((await page.textContent('.titlebar .st')).includes('down'), 'refused.test is down');
  check(await page.$('svg.chart rect.c-down') !== null, 'its chart has a "down" band');
}

(async () => {
  const browser = await launch();
  try {
    const page = await watchedPage(browser);
    const resp = await page.goto(base + '/');
    const csp = resp.headers()['content-security-policy'] || '';
    check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), 'CSP forbids inline script');
    check(await page.textContent('h1') === 'Outgoing destinations', 'the list page');
    check((await rows(page)).length === ALL.length, ALL.length + ' rows');
    await sortChecks(page);
    await filterChecks(page);
    await page.goto(base + '/?sort=domain&order=asc');
    await page.screenshot({ path: out + '/list.png', fullPage: true });
    // The README's picture (docs/img/status-page.png): the down destinations first, with
    // their reasons, as an operator opens the page when mail piles up.
    await page.goto(base + '/?sort=status&order=desc');
    await page.waitForFunction(() => document.querySelector('table.dests tbody th a').textContent === 'greylist.test');
    await page.screenshot({ path: out + '/status-page.png', fullPage: true });
    await detailChecks(page);
    const phone = await watchedPage(browser, { width: 390, height: 844 });
    await phone.goto(base + '/?sort=status');
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    check(width <= 390, 'on a phone the page needs no horizontal scrolling (' + width + 'px)');
    await phone.screenshot({ path: out + '/phone.png' });
    for (const p of [page, phone])
      check(p.problems.length === 0 && p.dialogs.length === 0, 'no script errors or dialogs: ' + p.problems.concat(p.dialogs).join('; '));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
