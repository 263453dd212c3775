/*! Vouch storefront script: keeps a referral (?ref=…&vouch_click=…) on the shop's
 * own domain until the friend signs up or checks out.
 * <script async src="https://VOUCH_HOST/v1/vouch.js" data-key="pk_…" data-program="prg_…"></script>
 * Options: data-days (cookie life, 1–365, default 30), data-api, data-shopify-cart,
 * data-consent="required".
 * vouch.identify({email}) asks which holdout group the signed-in customer is in; for
 * the control group it hides every element marked data-vouch="program" and sets
 * data-vouch-group="control" on <html>. */
(() => {
  'use strict';
  const w = window;
  const d = document;
  const KEY = 'vouch_ref';
  const CART = 'vouch_cart';
  const CONSENT = 'vouch_consent';
  const queued = w.vouch;
  // Pasted twice: the first copy already captured the referral and owns window.vouch.
  if (queued && typeof queued.referral === 'function') return;

  // Storage and cookies throw in Safari's private mode, sandboxed frames and when the
  // visitor blocks them: a referral lost is better than a broken shop.
  const safe = (f, dflt) => {
    try {
      return f();
    } catch (e) {
      return dflt;
    }
  };

  // async scripts still have currentScript while they run; the selector covers
  // loaders that inject the tag and run it later.
  const tag = d.currentScript || d.querySelector('script[src$="/v1/vouch.js"]');
  const attr = (n) => (tag && tag.getAttribute('data-' + n)) || null;
  const api = (attr('api') || safe(() => new URL(tag.src).origin, '')).replace(/\/+$/, '');
  const pk = attr('key');
  const program = attr('program');
  let days = parseInt(attr('days'), 10);
  days = Math.min(365, Math.max(1, isNaN(days) ? 30 : days));
  const TTL = days * 864e5;
  const cart = !!tag && tag.hasAttribute('data-shopify-cart');

  // The same shapes the server gives and accepts; anything else in a URL or in
  // storage is someone else's parameter or a tampered value.
  const CODE = /^[A-Za-z0-9_-]{1,64}$/;
  const CLICK = /^clk_[A-Za-z0-9]{26}$/;
  const valid = (v, re) => (typeof v === 'string' && re.test(v) ? v : null);

  const lsGet = (k) => safe(() => w.localStorage.getItem(k), null);
  const lsSet = (k, v) => safe(() => w.localStorage.setItem(k, v));
  const lsDel = (k) => safe(() => w.localStorage.removeItem(k));
  const cookieGet = () =>
    safe(() => {
      const m = d.cookie.match(/(?:^|;\s*)vouch_ref=([^;]*)/);
      return m ? decodeURIComponent(m[1]) : null;
    }, null);
  const cookieSet = (v, maxAge) =>
    safe(() => {
      d.cookie =
        KEY + '=' + encodeURIComponent(v) + ';path=/;max-age=' + maxAge + ';SameSite=Lax' +
        (location.protocol === 'https:' ? ';Secure' : '');
    });

  // A stored referral: {code, click_id, at}, plus exp in localStorage. The cookie
  // has no expiry of its own to read back, so it counts from `at`.
  const parse = (raw) => {
    const o = safe(() => JSON.parse(raw), null);
    if (!o || typeof o !== 'object') return null;
    const r = { code: valid(o.code, CODE), click_id: valid(o.click_id, CLICK), at: +o.at || 0 };
    r.exp = +o.exp || r.at + TTL;
    return r.code || r.click_id ? r : null;
  };

  // Either store alone is enough: Safari's ITP shortens script-set cookies and
  // clears storage on its own schedule, and visitors clear one or the other.
  const read = () => {
    const now = Date.now();
    let s = parse(lsGet(KEY));
    let c = parse(cookieGet());
    if (s && s.exp <= now) {
      lsDel(KEY);
      s = null;
    }
    if (c && c.exp <= now) {
      cookieSet('', 0);
      c = null;
    }
    return s && c ? (c.at > s.at ? c : s) : s || c;
  };

  const write = (r) => {
    const v = { code: r.code, click_id: r.click_id, at: r.at };
    cookieSet(JSON.stringify(v), Math.max(0, Math.round((r.exp - Date.now()) / 1000)));
    v.exp = r.exp;
    lsSet(KEY, JSON.stringify(v));
  };

  const forget = () => {
    cookieSet('', 0);
    [KEY, CART, CONSENT].forEach(lsDel);
  };

  let granted = attr('consent') !== 'required' || lsGet(CONSENT) === '1';

  // This page's landing, if any: kept in memory so it works before consent.
  let mem = null;
  safe(() => {
    const q = new URLSearchParams(location.search);
    const code = valid(q.get('ref'), CODE);
    const click = valid(q.get('vouch_click'), CLICK);
    const now = Date.now();
    if (code || click) mem = { code, click_id: click, at: now, exp: now + TTL };
  });
  const old = read();
  // A reload of the landing URL is the same click: its window still counts from
  // the first visit. A different one replaces it (last click wins).
  if (mem && old && mem.code === old.code && mem.click_id === old.click_id) mem = old;

  const current = () => mem || read();

  const referral = () => {
    const r = current();
    return r ? { code: r.code, click_id: r.click_id } : null;
  };

  const fill = () => {
    const r = current();
    if (!r) return;
    [['ref', r.code], ['click', r.click_id]].forEach(([k, v]) => {
      // Never blank a field: it may hold a code the visitor typed.
      if (v) safe(() => d.querySelectorAll('[data-vouch="' + k + '"]').forEach((el) => { el.value = v; }));
    });
  };

  // Shopify carries cart attributes through checkout onto the order, so the
  // order webhook names the referral. Posted once per referral, not on every page view.
  let pending = null;
  const sync = () => {
    const r = current();
    if (!cart || !granted || !r) return;
    const id = (r.code || '') + '|' + (r.click_id || '');
    if (pending === id || lsGet(CART) === id) return;
    pending = id;
    const root = safe(() => w.Shopify.routes.root, null) || '/';
    safe(() =>
      fetch(root + 'cart/update.js', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        // An empty string clears an attribute a previous referral set.
        body: JSON.stringify({ attributes: { ref: r.code || '', vouch_click: r.click_id || '' } }),
      }).then(
        (res) => { if (res.ok) lsSet(CART, id); else pending = null; },
        () => { pending = null; }
      )
    );
  };

  const persist = () => {
    const r = current();
    if (granted && r) write(r);
    sync();
  };

  const consent = (yes) => {
    if (yes === undefined) return granted;
    granted = !!yes;
    if (granted) {
      lsSet(CONSENT, '1');
      persist();
      fill();
    } else {
      // This page's referral stays usable in memory, as before consent.
      forget();
    }
    return granted;
  };

  const signup = (who) =>
    Promise.resolve().then(() => {
      who = who || {};
      const r = current() || {};
      const customer = {};
      if (who.email != null) customer.email = String(who.email);
      if (who.external_id != null) customer.external_id = String(who.external_id);
      // Only the fields the API knows: it refuses unknown ones.
      const body = { type: 'signup', program_id: program, customer };
      if (r.click_id) body.click_id = r.click_id;
      if (r.code) body.referral_code = r.code;
      return fetch(api + '/api/v1/events', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + pk, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then((res) =>
        res.text().then((t) => {
          const answer = safe(() => JSON.parse(t), t || null);
          if (res.ok) return answer;
          const e = new Error('Vouch: ' + ((answer && (answer.detail || answer.title)) || 'HTTP ' + res.status));
          e.status = res.status;
          e.body = answer;
          throw e;
        })
      );
    });

  // The program's holdout: a control customer is not shown the program, so that what
  // it adds can be measured. Unknown until the shop says who the customer is.
  let group = null;
  const hide = () => {
    if (group !== 'control') return;
    safe(() => {
      d.documentElement.setAttribute('data-vouch-group', 'control');
      d.querySelectorAll('[data-vouch="program"]').forEach((el) => {
        el.hidden = true;
        el.style.display = 'none';
      });
    });
  };
  const identify = (who) =>
    Promise.resolve().then(() => {
      who = who || {};
      const q = new URLSearchParams();
      if (who.email != null) q.set('email', String(who.email));
      if (who.external_id != null) q.set('external_id', String(who.external_id));
      return fetch(api + '/api/v1/programs/' + encodeURIComponent(program || '') + '/holdout?' + q, {
        headers: { Authorization: 'Bearer ' + pk },
      }).then((res) =>
        res.text().then((t) => {
          const answer = safe(() => JSON.parse(t), null);
          if (!res.ok || !answer) {
            const e = new Error('Vouch: ' + ((answer && (answer.detail || answer.title)) || 'HTTP ' + res.status));
            e.status = res.status;
            e.body = answer;
            throw e;
          }
          group = answer.group === 'control' ? 'control' : 'exposed';
          hide();
          return group;
        })
      );
    });

  const run = (f) => {
    // A merchant's callback failing is theirs to see, not ours to break on.
    try {
      if (typeof f === 'function') f(vouch);
    } catch (e) {
      safe(() => console.error(e));
    }
  };
  const vouch = { referral, signup, consent, fill, identify, group: () => group, push: run };

  persist();
  if (d.readyState === 'loading') {
    d.addEventListener('DOMContentLoaded', fill);
    // An answer that came before the page finished still hides what follows.
    d.addEventListener('DOMContentLoaded', hide);
  } else fill();
  w.vouch = vouch;
  if (Array.isArray(queued)) queued.forEach(run);
  safe(() => d.dispatchEvent(new CustomEvent('vouch:ready', { detail: vouch })));
})();
