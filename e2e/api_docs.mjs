// The interactive API reference (/api/docs, Scalar's vendored bundle) in Debian's
// Chromium, against a running Vouch: the page comes with its CSP and renders the
// operations of /api/openapi.json with request examples; nothing it loads or sends
// leaves the server's origin, and the CSP reports nothing but the bundle's harmless
// eval probe; the try-it console sends an authenticated request to this server and
// shows the answer.
//
// Usage: node api_docs.mjs <base-url> <secret-key sk_…>   (screenshot in $SHOTS, default /tmp)
// Exits non-zero on the first failed check; prints a one-line JSON summary.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';

const [base, sk] = process.argv.slice(2);
assert.ok(base && /^https?:\/\//.test(base), 'usage: node api_docs.mjs <base-url> <sk_…>');
assert.ok(sk && sk.startsWith('sk_'), 'the second argument is a secret key (sk_…)');
const origin = new URL(base).origin;
const docs = `${origin}/api/docs`;
const shots = process.env.SHOTS || '/tmp';

// The policy the server promises for /api/docs (crates/vouch-server/src/api/docs.rs).
const CSP = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'font-src': "'self'",
  'connect-src': "'self'",
  'frame-src': 'blob:',
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};
const parseCsp = (header) => Object.fromEntries(header.split(';').map((d) => d.trim()).filter(Boolean)
  .map((d) => { const [name, ...values] = d.split(/\s+/); return [name.toLowerCase(), values.join(' ')]; }));

// Directives whose violation means something was (or would have been) loaded or sent
// against the policy; any other violation is reported in the summary only.
const FATAL = /^(script-src|connect-src|font-src|img-src)(-elem|-attr)?$/;
// Scalar's bundle carries Zod v4, which probes `new Function('')` once to decide
// whether it may compile validators; without 'unsafe-eval' the probe throws, Zod
// falls back to its interpreter, and Chromium still reports the blocked eval.
const isEvalProbe = (v) => v.directive.startsWith('script-src') && v.blocked === 'eval'
  && v.source.endsWith('/api/docs/scalar.standalone.js');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
  headless: true,
});

try {
  // Service workers would take requests out of sight of the routing below.
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, serviceWorkers: 'block' });

  // 2. Every request is recorded; one to another origin is aborted and fails the test
  // (asserted after each step, since a route handler cannot throw into the test).
  const requests = [];
  const foreign = [];
  context.on('request', (r) => requests.push(r));
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    const url = new URL(ws.url());
    // ws(s)://host is this origin only if http(s)://host is.
    if (`${url.protocol.replace('ws', 'http')}//${url.host}` === origin) return ws.connectToServer();
    foreign.push(ws.url());
    return ws.close();
  });
  const staysHome = (step) => assert.deepEqual(foreign, [], `requests to other origins (${step})`);

  // CSP violations as the page sees them (securitypolicyviolation events).
  const violations = [];
  await context.exposeBinding('__cspViolation', (_source, v) => violations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolation({
      directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample,
    }));
  });
  const noFatalViolation = (step) => assert.deepEqual(
    violations.filter((v) => FATAL.test(v.directive) && !isEvalProbe(v)), [], `CSP violations (${step})`);

  const page = await context.newPage();

  // 1. The page, with its CSP, renders the reference of the real document.
  const resp = await page.goto(docs);
  assert.equal(resp.status(), 200, 'GET /api/docs');
  const csp = resp.headers()['content-security-policy'];
  assert.ok(csp, '/api/docs has a Content-Security-Policy header');
  assert.deepEqual(parseCsp(csp), CSP, `the CSP of /api/docs: ${csp}`);
  assert.equal(await page.title(), 'Vouch API');
  await page.getByText('Vouch API').first().waitFor({ timeout: 30000 });

  // Scalar renders operations lazily; each has a hash route (#tag/TAG/METHOD/PATH,
  // what a sidebar click sets) and, once rendered, a "Test Request (method path)"
  // button inside the operation's request example block (`.examples`).
  async function operation(tag, method, path) {
    await page.goto(`${docs}#tag/${tag}/${method}${path}`);
    const button = page.getByRole('button', { name: `Test Request (${method.toLowerCase()} ${path})` });
    await button.waitFor({ timeout: 30000 });
    const example = button.locator('xpath=ancestor::*[contains(@class,"examples")][1]');
    return { button, example: await example.innerText() };
  }
  const rendered = [];
  for (const [tag, method, path] of [
    ['events', 'POST', '/api/v1/events'],
    ['programs', 'GET', '/api/v1/programs'],
    ['integrations', 'POST', '/api/v1/integrations'],
  ]) {
    const { example } = await operation(tag, method, path);
    // The example block heads with the operation: "POST/api/v1/events" (no space in the text).
    assert.ok(example.replace(/\s+/g, '').includes(`${method}${path}`), `${method} ${path} is rendered: ${example.slice(0, 120)}`);
    rendered.push(`${method} ${path}`);
  }
  staysHome('rendering');
  noFatalViolation('rendering');

  // 3. A request example: the default client is curl (index.html), with this server's
  // URL (server "/"), the method and the bearer header.
  const { example: curl } = await operation('events', 'POST', '/api/v1/events');
  assert.ok(curl.includes(`curl ${origin}/api/v1/events`), `the curl example calls this server: ${curl.slice(0, 300)}`);
  assert.match(curl, /--request POST/, 'the curl example posts');
  assert.match(curl, /--header 'Authorization: Bearer /, 'the curl example authenticates');

  // 4. The try-it console against the server: GET /api/v1/programs with the sk as bearer token.
  const { button } = await operation('programs', 'GET', '/api/v1/programs');
  await button.click();
  const client = page.locator('[role="dialog"]').first();
  await client.waitFor({ timeout: 20000 });
  await client.getByPlaceholder('Token').fill(sk);
  // The send button's label reads "Send get request to <url>"; registering the wait
  // before the click so a fast answer is not missed.
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/programs'
    && r.request().method() === 'GET', { timeout: 20000 });
  await client.getByRole('button', { name: /^Send get request/ }).click();
  const apiResp = await answered;
  // What went over the wire: this origin, the path, the bearer token.
  const sent = apiResp.request();
  assert.equal(new URL(sent.url()).origin, origin, 'the console sends to this server');
  assert.equal(new URL(sent.url()).pathname, '/api/v1/programs');
  assert.equal((await sent.allHeaders()).authorization, `Bearer ${sk}`, 'the console sends the bearer token');
  assert.equal(apiResp.status(), 200, 'GET /api/v1/programs answers 200');
  // What the console shows: the status and the body.
  const shown = client.locator('section[aria-label="Response"]');
  await shown.getByText('200 OK').waitFor({ timeout: 20000 });
  await shown.getByText('"data"').first().waitFor({ timeout: 20000 });
  const shownText = await shown.innerText();
  assert.match(shownText, /Status:\s*200 OK/, `the console shows the status: ${shownText.slice(0, 200)}`);
  assert.ok(shownText.includes('"data"'), `the console shows the body: ${shownText.slice(0, 400)}`);
  // index.html sets persistAuth: false: the secret key stays in memory, not in the
  // browser's storage for the next visitor of this machine.
  const stored = await page.evaluate((key) => [
    ...Object.keys(localStorage).filter((k) => localStorage.getItem(k).includes(key)).map((k) => `localStorage ${k}`),
    ...Object.keys(sessionStorage).filter((k) => sessionStorage.getItem(k).includes(key)).map((k) => `sessionStorage ${k}`),
    ...(document.cookie.includes(key) ? ['cookie'] : []),
  ], sk);
  assert.deepEqual(stored, [], 'the secret key is not stored by the page');

  // 5. The console with its answer, over the reference.
  // animations finished, so the response heading is not caught mid-fade.
  await page.screenshot({ path: `${shots}/api-docs.png`, animations: 'disabled' });

  // Late requests (lazy chunks, anything fired after the answer) count too.
  await page.waitForLoadState('networkidle');
  staysHome('whole visit');
  noFatalViolation('whole visit');
  const otherViolations = violations.filter((v) => !isEvalProbe(v))
    .map((v) => `${v.directive} blocked ${v.blocked} (${v.source}:${v.line})`);
  console.log(JSON.stringify({
    ok: true,
    base: origin,
    rendered,
    console: { status: apiResp.status(), authorization: 'Bearer sk_…' },
    requests: requests.length,
    request_paths: [...new Set(requests.map((r) => `${r.method()} ${new URL(r.url()).pathname}`))],
    eval_probes: violations.filter(isEvalProbe).length,
    other_csp_violations: otherViolations,
    screenshot: `${shots}/api-docs.png`,
  }));
} finally {
  await browser.close();
}
