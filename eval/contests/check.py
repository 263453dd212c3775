#!/usr/bin/env python3
"""Independent checker for the contests feature. Stdlib only."""
import json, os, re, subprocess, sys, tempfile, time, uuid, threading
import urllib.request, urllib.error
from datetime import datetime, timezone, timedelta

BIN = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("VOUCH_BIN", "target/debug/vouch")
RESULTS = []  # (scenario, ok, message)
LOG = []


def rec(scn, ok, msg):
    RESULTS.append((scn, ok, msg))
    print(("PASS " if ok else "FAIL ") + f"[{scn}] {msg}", flush=True)


def start_server():
    d = tempfile.mkdtemp(prefix="vouch-contest-")
    env = dict(os.environ, VOUCH_LOG="warn")
    p = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", d],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    sk, base = None, None
    deadline = time.time() + 60
    while time.time() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(r"\b(sk_[A-Za-z0-9]+)", line)
        if m and not sk:
            sk = m.group(1)
        m = re.match(r"\s*Vouch is running on (http://127\.0\.0\.1:\d+)", line)
        if m:
            base = m.group(1)
            break
    if not (sk and base):
        p.kill()
        raise SystemExit("could not start server")
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    return p, base + "/api/v1", sk, d


class API:
    def __init__(self, base, sk):
        self.base, self.sk = base, sk

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.sk)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw, st, ct = r.read(), r.status, r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            raw, st, ct = e.read(), e.code, e.headers.get("Content-Type", "")
        try:
            js = json.loads(raw) if raw else None
        except ValueError:
            js = raw.decode(errors="replace")
        LOG.append((method, path, body, st, js))
        return st, js, ct


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    proc, base, sk, ddir = start_server()
    print(f"server {base} data {ddir}", flush=True)
    api = API(base, sk)
    try:
        run(api)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except Exception:
            proc.kill()
    nf = sum(1 for r in RESULTS if not r[1])
    print(f"\nSUMMARY: {len(RESULTS) - nf} passed, {nf} failed")
    for s, ok, m in RESULTS:
        if not ok:
            print(f"  FAIL [{s}] {m}")
    return 1 if nf else 0


def mk_program(api, name):
    st, js, _ = api.call("POST", "/programs", {
        "name": name, "destination_url": "https://shop.example.com/",
        "referrer_reward": {"kind": "credit", "amount": 100, "currency": "USD"},
        "hold_days": 0,
        "fraud": {"max_referrals_per_hour": 1000, "max_referrals_per_day": 1000,
                  "max_code_referrals_per_day": 1000, "max_code_referrals_per_week": 1000}})
    assert st == 201, (st, js)
    return js["id"]


def mk_part(api, pid, tag):
    st, js, _ = api.call("POST", f"/programs/{pid}/participants",
                         {"email": f"{tag}-{uuid.uuid4().hex[:8]}@adv.example.com", "name": tag})
    assert st == 201, (st, js)
    time.sleep(0.02)  # make enrolment order unambiguous
    return js


def purchase(api, pid, code, amount, email=None):
    oid = "ord_" + uuid.uuid4().hex[:12]
    email = email or f"friend-{uuid.uuid4().hex[:10]}@friends.example.com"
    st, js, _ = api.call("POST", "/events", {
        "type": "purchase", "program_id": pid, "order_id": oid, "amount": amount,
        "currency": "USD", "referral_code": code, "customer": {"email": email}})
    if st != 201:
        rec("events", False, f"purchase returned {st} {js}")
    return oid, email


def refund(api, pid, oid):
    st, js, _ = api.call("POST", "/events", {"type": "refund", "program_id": pid,
                                             "order_id": oid, "refund_id": "rf_" + uuid.uuid4().hex[:12]})
    if st != 201:
        rec("events", False, f"refund returned {st} {js}")


def block(api, part_id, scn):
    st, js, _ = api.call("POST", f"/participants/{part_id}/block", {})
    rec(scn, st in (200, 201, 204), f"POST /participants/{part_id}/block -> {st} {js if st >= 300 else ''}")


def balance(api, part_id):
    st, js, _ = api.call("GET", f"/participants/{part_id}")
    bal = {}
    for b in (js or {}).get("balance", []) or []:
        if b.get("currency") == "USD":
            bal = b
    return bal.get("available", 0) or 0, bal.get("pending", 0) or 0, js


def mk_contest(api, pid, name, rank_by, prizes, ends_in):
    now = datetime.now(timezone.utc)
    body = {"program_id": pid, "name": name, "starts_at": iso(now - timedelta(minutes=10)),
            "ends_at": iso(now + timedelta(seconds=ends_in)), "rank_by": rank_by,
            "prizes": [{"kind": "credit", "amount": a, "currency": "USD"} for a in prizes]}
    st, js, _ = api.call("POST", "/contests", body)
    return st, js, body


def run(api):
    # ---------------- Scenario A: conversions, tie, blocked leader, fewer eligible than prizes
    pa = mk_program(api, "Contest A program")
    A = {t: mk_part(api, pa, t) for t in ["A1", "A2", "A3", "A4", "A5"]}
    # A1: 2 conversions; A2: 3 (then blocked); A3: 2 (tie with A1, enrolled later);
    # A4: 0; A5: 1 conversion + 1 repeat purchase by same friend.
    for _ in range(2): purchase(api, pa, A["A1"]["referral_code"], 1000)
    for _ in range(3): purchase(api, pa, A["A2"]["referral_code"], 1000)
    for _ in range(2): purchase(api, pa, A["A3"]["referral_code"], 1000)
    o, e = purchase(api, pa, A["A5"]["referral_code"], 1000)
    purchase(api, pa, A["A5"]["referral_code"], 4000, email=e)
    block(api, A["A2"]["id"], "A")
    expA = [(1, "A1", 2, 5000), (2, "A3", 2, 3000), (3, "A5", 1, 1000)]

    # ---------------- Scenario B: revenue with refunds; ranking differs from conversions
    pb = mk_program(api, "Contest B program")
    B = {t: mk_part(api, pb, t) for t in ["B1", "B2", "B3", "B4", "B5"]}
    # B1: 3 conv x 1000, 2 refunded -> net 1000 (most conversions)
    oids = [purchase(api, pb, B["B1"]["referral_code"], 1000)[0] for _ in range(3)]
    refund(api, pb, oids[0]); refund(api, pb, oids[1])
    # B2: 1 conv 2500 -> 2500
    purchase(api, pb, B["B2"]["referral_code"], 2500)
    # B3: 2 conv (1000 + 1000) + repeat purchase 500 -> 2500 (tie with B2, enrolled later)
    purchase(api, pb, B["B3"]["referral_code"], 1000)
    o, e = purchase(api, pb, B["B3"]["referral_code"], 1000)
    purchase(api, pb, B["B3"]["referral_code"], 500, email=e)
    # B4: 1 conv 800, fully refunded -> 0 -> ineligible
    o, _ = purchase(api, pb, B["B4"]["referral_code"], 800)
    refund(api, pb, o)
    # B5: 5000 then blocked
    purchase(api, pb, B["B5"]["referral_code"], 5000)
    block(api, B["B5"]["id"], "B")
    expB = [(1, "B2", 1, 2500, 7000), (2, "B3", 2, 2500, 4000), (3, "B1", 3, 1000, 2000)]

    time.sleep(2.0)  # let referral rewards settle before snapshotting balances
    snapA = {t: balance(api, p["id"])[:2] for t, p in A.items()}
    snapB = {t: balance(api, p["id"])[:2] for t, p in B.items()}
    print("balance snapshots A", snapA, "B", snapB, flush=True)

    # ---------------- Validation: ends_at in the past
    now = datetime.now(timezone.utc)
    st, js, _ = api.call("POST", "/contests", {
        "program_id": pa, "name": "past", "starts_at": iso(now - timedelta(hours=2)),
        "ends_at": iso(now - timedelta(hours=1)), "rank_by": "conversions",
        "prizes": [{"kind": "credit", "amount": 100, "currency": "USD"}]})
    rec("V", 400 <= st < 500, f"ends_at in past -> {st} code={js.get('code') if isinstance(js, dict) else js} field={js.get('field') if isinstance(js, dict) else None}")

    # ---------------- Create contests
    stA, cA, bodyA = mk_contest(api, pa, "Contest A", "conversions", [5000, 3000, 1000, 500], 8)
    stB, cB, bodyB = mk_contest(api, pb, "Contest B", "revenue", [7000, 4000, 2000], 8)
    stC, cC, bodyC = mk_contest(api, pa, "Contest C (cancelled)", "conversions", [9999, 8888], 8)
    for scn, st, c, body in (("A", stA, cA, bodyA), ("B", stB, cB, bodyB), ("C", stC, cC, bodyC)):
        ok = st == 201 and isinstance(c, dict) and c.get("status") == "open"
        rec(scn, ok, f"create -> {st} status={c.get('status') if isinstance(c, dict) else c}")
        if isinstance(c, dict):
            rec(scn, c.get("closes_at") is not None and _ts(c.get("closes_at")) == _ts(body["ends_at"]),
                f"closes_at={c.get('closes_at')} ends_at={body['ends_at']}")
            rec(scn, "tie_rule" in c, f"tie_rule={c.get('tie_rule')!r}")
    if stA != 201 or stB != 201:
        return

    # standings while open
    for scn, c, exp, parts in (("A", cA, [("A1",), ("A3",), ("A5",)], A), ("B", cB, [("B2",), ("B3",), ("B1",)], B)):
        st, g, _ = api.call("GET", f"/contests/{c['id']}")
        stand = g.get("standings") if isinstance(g, dict) else None
        rev = {p["id"]: t for t, p in parts.items()}
        got = [rev.get(s.get("participant_id"), s.get("participant_id")) for s in (stand or [])]
        want = [e[0] for e in exp]
        rec(scn, got == want, f"open standings: expected {want}, got {got}; raw={json.dumps(stand)}")

    # cancel C
    st, js, _ = api.call("POST", f"/contests/{cC['id']}/cancel", {})
    rec("C", st == 200 and isinstance(js, dict) and js.get("status") == "cancelled",
        f"cancel open -> {st} status={js.get('status') if isinstance(js, dict) else js}")

    # wait for A and B to close
    closed = {}
    t0 = time.time()
    while time.time() - t0 < 40 and len(closed) < 2:
        for scn, c in (("A", cA), ("B", cB)):
            if scn in closed:
                continue
            st, g, _ = api.call("GET", f"/contests/{c['id']}")
            if isinstance(g, dict) and g.get("status") == "closed":
                closed[scn] = (g, time.time())
        time.sleep(1)
    endt = _ts(bodyA["ends_at"])
    for scn in ("A", "B"):
        if scn not in closed:
            rec(scn, False, "contest not closed within 40 s of polling")
        else:
            rec(scn, True, f"closed ~{closed[scn][1] - endt:.1f}s after ends_at")

    # contest A winners
    def check_winners(scn, g, exp, parts, rank_by):
        rev = {p["id"]: t for t, p in parts.items()}
        wins = g.get("winners") or []
        print(f"[{scn}] raw winners: {json.dumps(wins)}", flush=True)
        got = [(w.get("place"), rev.get(w.get("participant_id"), w.get("participant_id"))) for w in wins]
        want = [(e[0], e[1]) for e in exp]
        rec(scn, got == want, f"winners (place, advocate): expected {want}, got {got}")
        byplace = {w.get("place"): w for w in wins}
        for e in exp:
            w = byplace.get(e[0])
            if not w:
                continue
            rec(scn, w.get("conversions") == e[2], f"place {e[0]} conversions expected {e[2]} got {w.get('conversions')}")
            if rank_by == "revenue":
                nr = w.get("net_revenue")
                rec(scn, nr == e[3], f"place {e[0]} net_revenue expected {e[3]} (cents) got {nr!r}")
            else:
                print(f"  [{scn}] place {e[0]} net_revenue={w.get('net_revenue')!r}")
            prize = e[-1]
            rid = w.get("reward_id")
            if not rid:
                rec(scn, False, f"place {e[0]} has no reward_id")
                continue
            st, r, _ = api.call("GET", f"/rewards/{rid}")
            ok = (st == 200 and r.get("amount") == prize and r.get("status") == "approved"
                  and r.get("participant_id") == w.get("participant_id") and r.get("trigger") == f"contest:{e[0]}")
            rec(scn, ok, f"place {e[0]} reward {rid}: expected amount={prize} status=approved trigger=contest:{e[0]}; "
                         f"got {st} amount={r.get('amount') if isinstance(r, dict) else r} status={r.get('status') if isinstance(r, dict) else ''} "
                         f"trigger={r.get('trigger') if isinstance(r, dict) else ''} participant={rev.get(r.get('participant_id')) if isinstance(r, dict) else ''}")
        rids = [w.get("reward_id") for w in wins]
        rec(scn, len(rids) == len(set(rids)), f"reward ids distinct: {rids}")

    if "A" in closed:
        check_winners("A", closed["A"][0], expA, A, "conversions")
    if "B" in closed:
        check_winners("B", closed["B"][0], [(p, t, c, n, z) for p, t, c, n, z in expB], B, "revenue")

    # cancelled contest C after A/B closed (C's ends_at equals theirs)
    time.sleep(2)
    st, g, _ = api.call("GET", f"/contests/{cC['id']}")
    rec("C", isinstance(g, dict) and g.get("status") == "cancelled" and not g.get("winners"),
        f"after ends_at: status={g.get('status') if isinstance(g, dict) else g} winners={g.get('winners') if isinstance(g, dict) else None}")
    st, js, _ = api.call("POST", f"/contests/{cC['id']}/cancel", {})
    print(f"  [C] cancel again -> {st} {js}")

    # cancel closed A -> 409 contest_closed
    st, js, ct = api.call("POST", f"/contests/{cA['id']}/cancel", {})
    rec("A", st == 409 and isinstance(js, dict) and js.get("code") == "contest_closed" and "problem+json" in ct,
        f"cancel closed -> {st} code={js.get('code') if isinstance(js, dict) else js} ct={ct}")
    st, g, _ = api.call("GET", f"/contests/{cA['id']}")
    rec("A", isinstance(g, dict) and g.get("status") == "closed", f"still closed after cancel attempt: {g.get('status') if isinstance(g, dict) else g}")

    # balances: delta = prize, once (worker given extra time to double pay)
    time.sleep(6)
    prizeA = {e[1]: e[3] for e in expA}
    prizeB = {e[1]: e[4] for e in expB}
    for scn, parts, snap, prize in (("A", A, snapA, prizeA), ("B", B, snapB, prizeB)):
        for t, p in parts.items():
            av, pe, raw = balance(api, p["id"])
            dav, dpe = av - snap[t][0], pe - snap[t][1]
            want = prize.get(t, 0)
            rec(scn, dav + dpe == want and dav == want,
                f"{t} balance delta expected available+{want}; got available {snap[t][0]}->{av} (+{dav}), pending {snap[t][1]}->{pe} (+{dpe})")

    # second look: winners stable
    for scn, c in (("A", cA), ("B", cB)):
        if scn in closed:
            st, g, _ = api.call("GET", f"/contests/{c['id']}")
            same = [(w["place"], w["participant_id"], w.get("reward_id")) for w in g.get("winners") or []] == \
                   [(w["place"], w["participant_id"], w.get("reward_id")) for w in closed[scn][0].get("winners") or []]
            rec(scn, same, "winners unchanged on re-read")


def _ts(s):
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    except Exception:
        return None


if __name__ == "__main__":
    sys.exit(main())
