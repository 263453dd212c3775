// The storefront script (/v1/vouch.js) on a merchant's shop, in Debian's Chromium: a
// friend follows a referral link, the shop keeps the referral in a first-party cookie
// and localStorage, fills its form, tells Shopify's cart once, and the signup sent
// from the page is attributed to the advocate's click. Also: consent mode, expiry,
// the async queue, storage that throws, the script's size, and a holdout program that
// hides itself from customers of its control group.
//
// Usage: node storefront.mjs <vouch-base-url> <sk_…> <pk_…>
// With VOUCH_JS_FILE set, the shop serves that file itself (with data-api pointing at
// Vouch) instead of loading it from Vouch.
// Exits non-zero on the first failed check; prints a one-line JSON summary.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';

const [baseArg, sk, pk] = process.argv.slice(2);
assert.ok(
  baseArg && /^sk_/.test(sk || '') && /^pk_/.test(pk || ''),
  'usage: node storefront.mjs <vouch-base-url> <sk_…> <pk_…>',
);
const vouchBase = baseArg.replace(/\/+$/, '');
const jsFile = process.env.VOUCH_JS_FILE || null;
// A phone's own browser: Vouch counts headless Chromium's user agent as a bot.
const UA =
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';
const DAY = 86400;
const CLICK = /^clk_[A-Za-z0-9]{26}$/;
let checks = 0;
const ok = (cond, msg) => { assert.ok(cond, msg); checks++; };
const eq = (a, b, msg) => { assert.deepEqual(a, b, msg); checks++; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function api(method, path, body) {
  const res = await fetch(vouchBase + path, {
    method,
    headers: { authorization: `Bearer ${sk}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

// A fresh click, as a phone following the link would make: the redirect's query.
async function freshClick(code) {
  const res = await fetch(`${vouchBase}/r/${code}`, { redirect: 'manual', headers: { 'user-agent': UA } });
  assert.equal(res.status, 302, 'the link redirects');
  const q = new URL(res.headers.get('location')).searchParams;
  assert.match(q.get('vouch_click') || '', CLICK);
  return { code: q.get('ref'), click_id: q.get('vouch_click') };
}

// ---- The merchant's shop: another origin (localhost) than Vouch's (127.0.0.1). ----
let programId = '';
const carts = [];
function shopPage(title, { cart = false, consent = false, days = 30, head = '' } = {}) {
  const src = jsFile ? '/vouch.js' : `${vouchBase}/v1/vouch.js`;
  const tag =
    `<script async src="${src}" data-key="${pk}" data-program="${programId}" data-days="${days}"` +
    (jsFile ? ` data-api="${vouchBase}"` : '') +
    (cart ? ' data-shopify-cart' : '') +
    (consent ? ' data-consent="required"' : '') +
    '></script>';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>${head}${tag}</head>
<body><h1>${title}</h1><form action="/signup" method="post">
<label>Email <input name="email" type="email"></label>
<input type="hidden" name="ref" data-vouch="ref"><input type="hidden" name="click" data-vouch="click">
<button>Sign up</button></form>
<aside data-vouch="program" id="invite">Give 10, get 10: refer a friend</aside></body></html>`;
}
const pages = {
  '/landing': () => shopPage('Welcome', { cart: true }),
  '/other': () => shopPage('Another page'),
  '/consent': () => shopPage('Consent first', { cart: true, consent: true, days: 7 }),
  '/consent-other': () => shopPage('Consent, another page', { cart: true, consent: true, days: 7 }),
  '/long': () => shopPage('A long window', { days: 9999 }),
  '/queue': () =>
    shopPage('Queued calls', {
      head:
        '<script>window.vouch=window.vouch||[];vouch.push(function(v){window.got=v.referral()});' +
        "document.addEventListener('vouch:ready',function(e){window.readyDetail=typeof e.detail.signup})</script>",
    }),
  // Storage that throws, as in Safari's private mode or with cookies blocked.
  '/blocked': () =>
    shopPage('Blocked storage', {
      cart: true,
      head:
        "<script>(function(){function no(){throw new DOMException('blocked','SecurityError')}" +
        "Object.defineProperty(window,'localStorage',{get:no});" +
        "Object.defineProperty(document,'cookie',{get:no,set:no})})()</script>",
    }),
};
const shop = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/cart/update.js') {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      carts.push({ contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/vouch.js' && jsFile) {
    res.writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'no-store' });
    res.end(fs.readFileSync(jsFile));
    return;
  }
  const page = req.method === 'GET' && pages[url.pathname];
  if (!page) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page());
});
await new Promise((r) => shop.listen(0, '127.0.0.1', r));
const shopOrigin = `http://localhost:${shop.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
const errors = [];
async function newPage() {
  const context = await browser.newContext({ userAgent: UA, viewport: { width: 390, height: 780 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return { context, page };
}
// Loaded: the async script ran and any request it started has been answered.
async function ready(page) {
  await page.waitForFunction(() => window.vouch && typeof window.vouch.referral === 'function');
  await page.waitForLoadState('networkidle');
}
async function open(page, path) {
  await page.goto(shopOrigin + path);
  await ready(page);
}
const referral = (page) => page.evaluate(() => window.vouch.referral());
const stored = (page) => page.evaluate(() => localStorage.getItem('vouch_ref'));
async function cookie(context) {
  return (await context.cookies(shopOrigin)).find((c) => c.name === 'vouch_ref') || null;
}
async function fields(page) {
  return {
    code: await page.inputValue('[data-vouch="ref"]'),
    click_id: await page.inputValue('[data-vouch="click"]'),
  };
}
function expiresIn(seconds, days, what) {
  const want = Date.now() / 1000 + days * DAY;
  ok(Math.abs(seconds - want) < 300, `${what} expires in ${days} days: ${seconds} vs ${want}`);
}

try {
  // 1. A program sending friends to the shop, and an advocate.
  const program = await api('POST', '/api/v1/programs', {
    name: 'Storefront test',
    destination_url: `${shopOrigin}/landing`,
    referrer_reward: { kind: 'credit', amount: 1000, currency: 'USD' },
  });
  programId = program.id;
  const sara = await api('POST', `/api/v1/programs/${programId}/participants`, { email: 'sara@example.com', name: 'Sara' });
  const code = sara.referral_code;

  // 2. The friend follows the link and lands on the shop.
  const one = await newPage();
  let { context, page } = one;
  await page.goto(`${vouchBase}/r/${code}`);
  await ready(page);
  const landed = new URL(page.url());
  eq(landed.origin + landed.pathname, `${shopOrigin}/landing`, 'the link leads to the shop');
  const ref = { code: landed.searchParams.get('ref'), click_id: landed.searchParams.get('vouch_click') };
  eq(ref.code, code, 'with the code');
  ok(CLICK.test(ref.click_id), `and a click id: ${ref.click_id}`);
  eq(await referral(page), ref, 'vouch.referral() is the landing');
  eq(await fields(page), ref, 'the form fields are filled');

  const c = await cookie(context);
  ok(c, 'a vouch_ref cookie on the shop');
  const cv = JSON.parse(decodeURIComponent(c.value));
  eq({ code: cv.code, click_id: cv.click_id }, ref, 'the cookie holds the referral');
  ok(Math.abs(cv.at - Date.now()) < 60000, 'and when it came');
  eq([c.path, c.sameSite, c.secure], ['/', 'Lax', false], 'path=/, SameSite=Lax, not Secure on http');
  expiresIn(c.expires, 30, 'the cookie');
  const s = JSON.parse(await stored(page));
  eq({ code: s.code, click_id: s.click_id }, ref, 'localStorage holds the referral');
  expiresIn(s.exp / 1000, 30, 'the localStorage entry');

  await page.waitForFunction(() => localStorage.getItem('vouch_cart'));
  eq(carts.length, 1, 'one cart update');
  eq(carts[0].contentType, 'application/json', 'sent as JSON');
  eq(carts[0].body, { attributes: { ref: ref.code, vouch_click: ref.click_id } }, 'with the referral');
  await page.reload();
  await ready(page);
  eq(carts.length, 1, 'no second cart update after a reload');
  eq(JSON.parse(await stored(page)).exp, s.exp, 'a reload of the landing keeps its expiry');

  // 3. Later pages, and either store alone.
  await open(page, '/other');
  eq(await referral(page), ref, 'another page still knows the referral');
  eq(await fields(page), ref, 'and fills its form');
  await context.clearCookies();
  await open(page, '/other');
  eq(await referral(page), ref, 'from localStorage alone');
  ok(await cookie(context), 'which puts the cookie back');
  await page.evaluate(() => localStorage.clear());
  await open(page, '/other');
  eq(await referral(page), ref, 'from the cookie alone');
  eq(await fields(page), ref, 'fields from the cookie alone');
  ok(await stored(page), 'which puts localStorage back');

  // 4. The signup, sent from the page with the publishable key.
  const sent = page.waitForRequest((r) => r.url() === `${vouchBase}/api/v1/events` && r.method() === 'POST');
  const answer = await page.evaluate(() => window.vouch.signup({ email: 'friend@example.net' }));
  const request = await sent;
  eq(request.headers().authorization, `Bearer ${pk}`, 'the signup uses the publishable key');
  eq(
    request.postDataJSON(),
    { type: 'signup', program_id: programId, customer: { email: 'friend@example.net' }, click_id: ref.click_id, referral_code: ref.code },
    'exactly the documented fields',
  );
  // A publishable key is told only that the event was accepted, never the referral.
  eq([answer.type, answer.accepted], ['signup', true], `the answer: ${JSON.stringify(answer)}`);
  ok(/^evt_/.test(answer.id), 'with the event id');
  const list = await api('GET', `/api/v1/referrals?participant_id=${sara.id}&program_id=${programId}`);
  const r = list.data.find((x) => x.click_id === ref.click_id);
  ok(r, `Sara's referrals include one for the click: ${JSON.stringify(list.data)}`);
  eq([r.referrer_participant_id, r.source, r.status], [sara.id, 'click', 'signed_up'], 'signed up by the click');
  ok(r.signed_up_at, 'signed up');
  // That it is this friend's: their purchase later, with nothing else to go on, is
  // attributed to the same referral, which then names them.
  const bought = await api('POST', '/api/v1/events', {
    type: 'purchase',
    program_id: programId,
    customer: { email: 'friend@example.net' },
    order_id: `storefront-${Date.now()}`,
    amount: 5000,
    currency: 'USD',
  });
  eq(bought.referral && bought.referral.id, r.id, "the friend's purchase goes to the same referral");
  const friend = await api('GET', `/api/v1/participants/${bought.referral.referee_participant_id}`);
  eq(friend.email, 'friend@example.net', 'the referral is for that friend');
  const refused = await page.evaluate(() =>
    window.vouch.signup({}).then(
      () => null,
      (e) => ({ isError: e instanceof Error, status: e.status, code: e.body && e.body.code }),
    ),
  );
  ok(refused && refused.isError && refused.status >= 400 && typeof refused.code === 'string',
    `a refused signup rejects with the answer: ${JSON.stringify(refused)}`);

  // Last click wins: a newer landing replaces the referral and tells the cart again.
  const newer = await freshClick(code);
  await open(page, `/landing?ref=${newer.code}&vouch_click=${newer.click_id}`);
  eq(await referral(page), newer, 'a newer landing replaces the referral');
  await open(page, '/other');
  eq(await referral(page), newer, 'and is the one kept');
  eq(carts.length, 2, 'a new referral updates the cart once more');
  eq(carts[1].body.attributes.vouch_click, newer.click_id, 'with the new click');
  // Values of the wrong shape are someone else's and change nothing.
  await open(page, '/other?ref=bad%20code!&vouch_click=clk_short');
  eq(await referral(page), newer, 'invalid query values are ignored');
  await one.context.close();

  // 5. Consent mode: nothing written until the page says so.
  ({ context, page } = await newPage());
  const third = await freshClick(code);
  const before = carts.length;
  await open(page, `/consent?ref=${third.code}&vouch_click=${third.click_id}`);
  eq(await referral(page), third, 'before consent: vouch.referral() works');
  eq(await fields(page), third, 'and the fields are filled');
  eq(await cookie(context), null, 'no cookie');
  eq(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
  eq(carts.length, before, 'no cart update');
  eq(await page.evaluate(() => window.vouch.consent()), false, 'consent not given yet');
  await page.evaluate(() => window.vouch.consent(true));
  await page.waitForFunction(() => localStorage.getItem('vouch_cart'));
  const cc = await cookie(context);
  ok(cc, 'consent writes the cookie');
  expiresIn(cc.expires, 7, 'data-days="7": the cookie');
  ok(await stored(page), 'and localStorage');
  eq(await page.evaluate(() => localStorage.getItem('vouch_consent')), '1', 'and remembers the consent');
  eq(carts.length, before + 1, 'and updates the cart');
  eq(carts.at(-1).body, { attributes: { ref: third.code, vouch_click: third.click_id } }, 'with the referral');
  await open(page, '/consent-other');
  eq(await referral(page), third, 'a later page needs no new consent');
  eq(await fields(page), third, 'and fills its form');
  eq(carts.length, before + 1, 'nor updates the cart again');
  await page.evaluate(() => window.vouch.consent(false));
  eq(await cookie(context), null, 'withdrawn: the cookie is gone');
  eq(await stored(page), null, 'and the localStorage entry');
  eq(await page.evaluate(() => localStorage.getItem('vouch_consent')), null, 'and the consent');
  await open(page, '/consent-other');
  eq(await referral(page), null, 'nothing left on a later page');

  // 6. Expiry: an old entry counts for nothing and is removed.
  await open(page, '/other');
  await page.evaluate((r) => {
    localStorage.setItem('vouch_ref', JSON.stringify({ ...r, at: Date.now() - 31 * 864e5, exp: Date.now() - 1000 }));
  }, third);
  eq(await cookie(context), null, 'no cookie');
  await open(page, '/other');
  eq(await referral(page), null, 'an expired entry is no referral');
  eq(await stored(page), null, 'and is removed');
  // A cookie older than data-days (the window got shorter) is expired too.
  await context.addCookies([{
    name: 'vouch_ref',
    value: encodeURIComponent(JSON.stringify({ ...third, at: Date.now() - 31 * 864e5 })),
    url: shopOrigin,
    expires: Date.now() / 1000 + DAY,
  }]);
  await open(page, '/other');
  eq(await referral(page), null, 'an expired cookie is no referral');
  eq(await cookie(context), null, 'and is removed');
  // data-days is clamped to 365.
  await open(page, `/long?ref=${third.code}&vouch_click=${third.click_id}`);
  expiresIn((await cookie(context)).expires, 365, 'data-days="9999": the cookie');

  // 7. Calls queued before the async script loaded.
  await open(page, `/queue?ref=${third.code}&vouch_click=${third.click_id}`);
  await page.waitForFunction(() => window.got !== undefined);
  eq(await page.evaluate(() => window.got), third, 'a queued function ran with the API');
  eq(await page.evaluate(() => window.readyDetail), 'function', 'vouch:ready carries the API');
  eq(
    await page.evaluate(() => { let now; window.vouch.push((v) => { now = v.referral(); }); return now; }),
    third,
    'a later push runs at once',
  );

  // Storage that throws: the page still works from memory, and nothing is thrown.
  const cartsBefore = carts.length;
  await open(page, `/blocked?ref=${third.code}&vouch_click=${third.click_id}`);
  eq(await referral(page), third, 'blocked storage: the referral from the URL');
  eq(await fields(page), third, 'and the fields');
  await sleep(200);
  ok(carts.length <= cartsBefore + 1, 'at most one cart update without storage');
  await context.close();
  eq(errors, [], 'nothing thrown into the pages');

  // 8. A program holding half its customers out: the shop says who is signed in, and
  // the program's invitation disappears for the control group only.
  const held = await api('POST', '/api/v1/programs', {
    name: 'Storefront holdout',
    destination_url: `${shopOrigin}/landing`,
    referrer_reward: { kind: 'credit', amount: 1000, currency: 'USD' },
    holdout_percent: 50,
  });
  const groups = {};
  for (let i = 0; !(groups.control && groups.exposed); i++) {
    const email = `shopper${i}@example.com`;
    const g = await api('GET', `/api/v1/programs/${held.id}/holdout?email=${encodeURIComponent(email)}`);
    groups[g.group] = groups[g.group] || email;
  }
  programId = held.id;
  for (const [want, email] of Object.entries(groups)) {
    const { context: c, page: p } = await newPage();
    await open(p, '/other');
    ok(await p.isVisible('#invite'), 'the program shows before the customer is known');
    const got = await p.evaluate((e) => window.vouch.identify({ email: e }), email);
    eq(got, want, `${email} is in the ${want} group, as the API says`);
    eq(await p.evaluate(() => window.vouch.group()), want, 'and vouch.group() says so');
    eq(await p.isVisible('#invite'), want === 'exposed', `the invitation is shown to ${want} only`);
    eq(
      await p.evaluate(() => document.documentElement.getAttribute('data-vouch-group')),
      want === 'control' ? 'control' : null,
      'the page is marked for the control group',
    );
    await c.close();
  }
  eq(errors, [], 'nothing thrown into the holdout pages');

  // 9. Small enough to load on every page of a shop.
  const jsUrl = jsFile ? `${shopOrigin}/vouch.js` : `${vouchBase}/v1/vouch.js`;
  const js = await fetch(jsUrl);
  eq(js.status, 200, `${jsUrl} is served`);
  ok(/javascript/.test(js.headers.get('content-type') || ''), 'as JavaScript');
  const gz = zlib.gzipSync(Buffer.from(await js.arrayBuffer()), { level: 9 }).length;
  ok(gz < 5120, `under 5 KB gzipped: ${gz}`);

  console.log(JSON.stringify({ ok: true, checks, program: programId, code, click: ref.click_id, referral: r.id, gzip_bytes: gz, served_from: jsFile ? 'VOUCH_JS_FILE' : 'vouch' }));
} finally {
  await browser.close();
  shop.close();
}
