// xss.cjs BASE_URL OUT_DIR: strangers' text on the status page stays text. The agent
// watches evil.test, whose MX name (from DNS) and banner, EHLO reply and so the SMTP
// conversation (from mxw-smtpd's banner= option) carry <script> and event-handler markup. The
// page must show them literally, run none of them (no dialog, no console error, no
// marker set), add no element, and be sent with a CSP that forbids inline script.
'use strict';
const { launch, watchedPage, check } = require('./lib.cjs');

const [base, out] = process.argv.slice(2);

async function noScriptRan(page, what) {
  const found = await page.evaluate(() => ({
    scripts: Array.from(document.scripts).map((s) => s.getAttribute('src')),
    handlers: document.querySelectorAll('[onload],[onerror],[onclick],img,iframe,object,embed,svg:not(.chart)').length,
    marker: window.__xss === undefined ? 'unset' : 'SET',
  }));
  check(found.scripts.length === 1 && /^\/static\/app\.js\?v=/.test(found.scripts[0]),
    what + ': the only script is our own file (' + found.scripts.join(',') + ')');
  check(found.handlers === 0, what + ': no injected element or event handler');
  check(found.marker === 'unset', what + ': the hostile code did not run');
  check(page.dialogs.length === 0, what + ': no dialog opened (' + page.dialogs.join('; ') + ')');
}

(async () => {
  const browser = await launch();
  try {
    const page = await watchedPage(browser);
    const resp = await page.goto(base + '/destinations/evil.test');
    const h = resp.headers();
    check((h['content-security-policy'] || '').includes("script-src 'self'"), 'CSP header present');
    check((h['content-security-policy'] || '').includes("frame-ancestors 'none'") && h['x-frame-options'] === 'DENY',
      'framing is forbidden');
    const text = await page.textContent('main');
    check(text.includes('<script>alert(3)</script>'), 'the hostile banner is shown as text');
    check(text.includes('<img src=x onerror=window.__xss=1>'), 'the event-handler markup is shown as text');
    check(text.includes('<script>alert'), 'the hostile MX name is shown as text');
    await page.click('summary >> text=EHLO reply');
    await noScriptRan(page, 'detail page');
    await page.screenshot({ path: out + '/xss-detail.png', fullPage: true });
    await page.goto(base + '/?q=%3Cscript%3Ealert(4)%3C%2Fscript%3E%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(5)%3E');
    check(await page.inputValue('#filter') === '<script>alert(4)</script>"><img src=x onerror=alert(5)>',
      'a hostile filter comes back as the input\'s value only');
    await noScriptRan(page, 'list page with a hostile filter');
    check(page.problems.length === 0, 'no script errors: ' + page.problems.join('; '));
    await page.goto(base + '/destinations/%3Cscript%3Ealert(6)%3C%2Fscript%3E');
    check((await page.textContent('main')).includes('<script>alert(6)</script>'), 'a hostile unknown destination is echoed as text');
    await noScriptRan(page, 'not-found page');
    const errors = page.problems.filter((p) => !p.includes('status of 404'));
    check(errors.length === 0, 'no script errors on the not-found page: ' + errors.join('; '));
  } finally {
    await browser.close();
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
