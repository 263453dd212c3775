// Every email in Debian's Chromium, in English and Arabic, as the preview API renders
// it: the page's direction, a single column no wider than 600 pixels that fits a
// phone without sideways scrolling, the main action a real link, the unsubscribe link
// in the footer, and no serious accessibility problem (axe-core). Screenshots of each
// go to <screenshot-dir>/email-<kind>-<lang>.png.
//
// Usage: node emails.mjs <base-url> <secret-key> <screenshot-dir>
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const [base, sk, shots] = process.argv.slice(2);
const kinds = ['welcome', 'invitation', 'friend_signed_up', 'friend_purchased',
  'reward_available', 'payout_sent', 'share_reminder', 'friend_reward'];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'],
});
const phone = await browser.newPage({ viewport: { width: 390, height: 780 } });
const desktop = await browser.newPage({ viewport: { width: 900, height: 900 } });

for (const kind of kinds) {
  for (const lang of ['en', 'ar']) {
    const resp = await fetch(`${base}/api/v1/email-templates/${kind}/${lang}/preview`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sk}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(resp.status, 200, `preview ${kind} ${lang}`);
    const mail = await resp.json();
    const what = `${kind} (${lang})`;
    for (const page of [phone, desktop]) {
      await page.setContent(mail.html, { waitUntil: 'load' });
      const dir = lang === 'ar' ? 'rtl' : 'ltr';
      assert.equal(await page.getAttribute('html', 'dir'), dir, what);
      assert.equal(await page.getAttribute('body', 'dir'), dir, what);
      const layout = await page.evaluate(() => {
        const column = document.querySelector('table table');
        return {
          column: column.getBoundingClientRect().width,
          direction: getComputedStyle(column).direction,
          overflow: document.documentElement.scrollWidth - window.innerWidth,
          links: [...document.querySelectorAll('a')].map((a) => a.href),
        };
      });
      assert.ok(layout.column <= 600, `${what}: column ${layout.column}px`);
      assert.equal(layout.direction, dir, what);
      assert.ok(layout.overflow <= 0, `${what}: scrolls sideways by ${layout.overflow}px`);
      assert.ok(layout.links.some((h) => h.includes('/unsubscribe/')), `${what}: unsubscribe link`);
      assert.ok(layout.links.length >= 2, `${what}: the action is a link`);
    }
    await desktop.addScriptTag({ path: axePath });
    const result = await desktop.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${v.id}: ${v.help}`), [], `accessibility of ${what}`);
    await phone.setContent(mail.html, { waitUntil: 'load' });
    await phone.screenshot({ path: `${shots}/email-${kind}-${lang}.png`, fullPage: true });
  }
}
await browser.close();
console.log('ok');
