// The friend page in Debian's Chromium, in English and Arabic, on a phone-sized
// screen: the advocate's name and the offer, the email form, the coupon shown with a
// copy button that copies it, and the button carrying the coupon on to the shop.
//
// Usage: node friend_page.mjs <base-url> <referral-code> <screenshot-dir>
// Exits non-zero on the first failed check.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const axeSource = readFileSync(axePath, 'utf8');

// axe-core's checks on the page as it is: no serious or critical violation. It is
// evaluated through the DevTools protocol, which the page's Content-Security-Policy
// (no inline scripts but its own, by hash) rightly does not let a <script> tag do.
async function accessible(page, what) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `accessibility of ${what}`,
  );
}

const [base, code, shots] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });

async function run(lang, email) {
  // A phone's own browser: headless Chromium announces itself as automated, which
  // the fraud rules rightly hold for review.
  const context = await browser.newContext({
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    viewport: { width: 390, height: 780 },
    deviceScaleFactor: 1,
    locale: lang === 'ar' ? 'ar-SA' : 'en-US',
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const refused = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  const resp = await page.goto(`${base}/r/${code}?lang=${lang}`);
  assert.equal(resp.status(), 200, 'the link shows the friend page');
  const csp = resp.headers()['content-security-policy'] || '';
  assert.match(csp, /script-src 'sha256-/, `a strict CSP: ${csp}`);
  assert.ok(!csp.includes('unsafe-inline'), csp);
  assert.equal(await page.getAttribute('html', 'dir'), lang === 'ar' ? 'rtl' : 'ltr');
  const heading = await page.textContent('h1');
  assert.ok(heading.includes('Sara'), `the advocate's first name: ${heading}`);
  if (lang === 'ar') assert.match(heading, /يدعوك/, heading);
  else assert.match(heading, /invited you/, heading);
  const lead = await page.textContent('.lead');
  assert.ok(lead.includes('20%'), `the offer: ${lead}`);
  await accessible(page, `the ${lang} form`);
  await page.screenshot({ path: `${shots}/friend-page-${lang}-form.png`, fullPage: true });

  await page.fill('#email', email);
  await Promise.all([page.waitForNavigation(), page.click('#claim')]);
  const coupon = await page.inputValue('#coupon');
  assert.match(coupon, /^[A-Z0-9-]{6,}$/, `a coupon code: ${coupon}`);
  await page.click('#copy');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, coupon, 'the copy button copies the code');
  const label = await page.textContent('#copy');
  assert.equal(label, lang === 'ar' ? 'تم النسخ!' : 'Copied!');
  const href = await page.getAttribute('#shop', 'href');
  const url = new URL(href);
  assert.equal(url.host, 'shop.example.com');
  assert.equal(url.searchParams.get('coupon'), coupon, `the shop link carries it: ${href}`);
  assert.equal(url.searchParams.get('ref'), code.toUpperCase());
  assert.ok(url.searchParams.get('vouch_click'), 'and the click');
  // Nothing spills out of a phone's width.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  assert.equal(overflow, false, 'no horizontal scrolling');
  await accessible(page, `the ${lang} coupon`);
  await page.screenshot({ path: `${shots}/friend-page-${lang}-coupon.png`, fullPage: true });
  assert.deepEqual(refused, [], 'nothing on the page was refused by its CSP');
  await context.close();
  return coupon;
}

try {
  const en = await run('en', 'lina@example.net');
  const ar = await run('ar', 'omar@example.net');
  assert.notEqual(en, ar, 'each friend gets their own code');
  console.log(JSON.stringify({ en, ar }));
} finally {
  await browser.close();
}
