#!/usr/bin/env python3
"""Independent traffic generator and checker for Vouch's holdout-lift report.

Each run starts a fresh server, creates a program with a holdout, simulates a
shop's customers (with a treatment effect chosen for the run), sends the traffic
through the public API in time order, and then checks GET /analytics/holdout
against a ground truth computed only from what was sent:

1. exact check: per-group totals and means against the report;
2. the true (population) effect implied by the simulation parameters, and
   whether the report's 95% interval contains it;
3. refusals: control customers who try to join get 409 holdout_control,
   exposed customers never do.

Standard library only.  Usage:

    python3 eval/lift/traffic.py --bin target/debug/vouch --runs 40 --seed 1
"""

import argparse
import gzip
import http.client
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import defaultdict
from datetime import datetime, timedelta, timezone

Z95 = 1.959963984540054
HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = ["conversions", "revenue", "own_purchases", "own_revenue"]
TOTAL_FIELDS = ["customers", "converting_customers", "conversions", "revenue",
                "own_purchases", "own_revenue"]
HOLDOUTS = [10, 20, 50]
EFFECTS = ["zero", "small", "medium", "large"]
# Friends an advocate brings (0, 1, several; a few "viral" advocates).
FRIEND_COUNTS = [0, 1, 2, 3, 4, 6, 9]
FRIEND_PROBS = [0.35, 0.30, 0.15, 0.10, 0.05, 0.03, 0.02]
OWN_CAP = 8       # at most 8 repeat purchases per customer (keeps runs bounded)
FRIEND_CAP = 4    # at most 4 purchases after a friend's first

FIRST_NAMES = ["sara", "omar", "li", "maria", "john", "aisha", "kenji", "lena", "raj",
               "fatima", "noah", "emma", "yusuf", "chloe", "ivan", "zoe", "mateo", "nina"]
LAST_NAMES = ["smith", "alharbi", "chen", "garcia", "okafor", "mueller", "tanaka",
              "rossi", "khan", "dubois", "silva", "novak", "kim", "haddad"]
DOMAINS = ["gmail.example", "outlook.example", "yahoo.example", "icloud.example",
           "proton.example", "corp-mail.example", "uni.example.edu"]


# --------------------------------------------------------------------------
# Server and HTTP
# --------------------------------------------------------------------------

class Server:
    """Starts the binary on a random port with a fresh data dir."""

    def __init__(self, binpath, timeout=20.0):
        self.dir = tempfile.mkdtemp(prefix="vouch-lift-")
        env = dict(os.environ, VOUCH_LOG="warn")
        self.proc = subprocess.Popen(
            [binpath, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.dir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
        self.lines = []
        self._t = threading.Thread(target=self._reader, daemon=True)
        self._t.start()
        self.port = self.sk = self.pk = None
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in list(self.lines):
                m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
                if m and self.port is None:
                    self.port = int(m.group(1))
                m = re.search(r"\b(sk_[A-Za-z0-9_]+)", line)
                if m and self.sk is None:
                    self.sk = m.group(1)
                m = re.search(r"\b(pk_[A-Za-z0-9_]+)", line)
                if m and self.pk is None:
                    self.pk = m.group(1)
            if self.port and self.sk and self.pk:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        out = "".join(self.lines)
        self.stop()
        raise RuntimeError("server did not print address and keys:\n" + out)

    def _reader(self):
        for line in self.proc.stdout:
            self.lines.append(line)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Resp:
    def __init__(self, status, body, headers, raw):
        self.status = status
        self.body = body
        self.headers = headers
        self.raw = raw


class Client:
    def __init__(self, port, key):
        self.port = port
        self.key = key
        self.conn = None
        self.count = 0
        self.net_retries = 0

    def call(self, method, path, body=None, extra_headers=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": "Bearer " + self.key, "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if extra_headers:
            headers.update(extra_headers)
        last = None
        for attempt in range(4):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                self.conn.request(method, "/api/v1" + path, body=data, headers=headers)
                r = self.conn.getresponse()
                raw = r.read()
                self.count += 1
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                try:
                    parsed = json.loads(raw) if raw else None
                except ValueError:
                    parsed = None
                return Resp(r.status, parsed, hdrs, raw.decode("utf-8", "replace"))
            except (http.client.HTTPException, OSError) as e:
                last = e
                self.net_retries += 1
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                time.sleep(0.2 * (attempt + 1))
        raise RuntimeError("network failure on %s %s: %r" % (method, path, last))


def parse_ts(s):
    """RFC 3339 from the server (Z, 0-9 fraction digits) -> aware datetime."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.(\d+))?(Z|[+-]\d\d:\d\d)$", s)
    if not m:
        raise ValueError("bad timestamp " + s)
    base = datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    frac = (m.group(3) or "0")[:6].ljust(6, "0")
    dt = base.replace(microsecond=int(frac))
    tz = m.group(4)
    if tz == "Z":
        return dt.replace(tzinfo=timezone.utc)
    sign = 1 if tz[0] == "+" else -1
    off = timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    return (dt - sign * off).replace(tzinfo=timezone.utc)


def fmt_ts(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        "%03dZ" % (dt.microsecond // 1000)


# --------------------------------------------------------------------------
# Scenario and the analytic expectation
# --------------------------------------------------------------------------

def make_scenario(rng, run_index):
    s = {}
    s["holdout"] = HOLDOUTS[run_index % len(HOLDOUTS)]
    s["effect"] = EFFECTS[run_index % len(EFFECTS)]
    # who the customers are
    s["p_ext"] = rng.uniform(0.08, 0.20)       # known only by the shop's customer id
    s["p_both"] = rng.uniform(0.05, 0.12)      # email and customer id
    s["p_case"] = rng.uniform(0.15, 0.40)      # an event types the email in another case
    s["p_both_ext_only_event"] = 0.15          # a later event of such a customer carries only the id
    # baskets: log-normal, a few big ones, per-customer spend level
    s["mu"] = math.log(rng.uniform(2500, 7000))
    s["sigma"] = rng.uniform(0.6, 1.1)
    s["s_cust"] = rng.uniform(0.2, 0.5)
    s["p_big"] = rng.uniform(0.01, 0.04)
    # repeat buying: one-and-done vs repeaters with a per-customer continuation prob
    s["pi_rep"] = rng.uniform(0.30, 0.55)
    s["pi_rep_ext"] = min(0.9, s["pi_rep"] * rng.uniform(1.1, 1.4))   # app customers
    s["beta_a"] = rng.uniform(0.8, 2.0)
    s["beta_b"] = rng.uniform(1.6, 4.0)
    # refunds (each purchase, first ones included)
    s["rho_full"] = rng.uniform(0.01, 0.04)
    s["rho_part"] = rng.uniform(0.01, 0.04)
    s["p_split"] = 0.25                        # a partial refund sent as two refunds
    s["p_replay"] = rng.uniform(0.01, 0.03)    # webhook retries of a purchase
    s["p_other"] = rng.uniform(0.05, 0.15)     # also buys in another program
    # advocacy
    s["j_c"] = rng.uniform(0.02, 0.08)         # control customers who try to join anyway
    s["p_rejoin"] = 0.05
    # two behaviours switched on in alternate blocks of runs, so that runs
    # without them check everything else exactly
    s["early_joiners"] = (run_index // 4) % 2 == 0
    s["code_later"] = (run_index // 8) % 2 == 1
    s["p_early"] = 0.15 if s["early_joiners"] else 0.0   # joins before their own first purchase
    s["p_code_later"] = rng.uniform(0.03, 0.08) if s["code_later"] else 0.0   # existing customer uses a code
    s["p_pre"] = 0.35                          # ...and such a friend buys before it
    s["friend_ext"] = 0.15
    s["friend_code_again"] = 0.30
    s["friend_signup"] = 0.30
    s["nonbuyer_signup"] = 0.50
    s["p_friend_joins"] = 0.10                 # a buying friend becomes an advocate
    s["fbeta_a"] = 1.0
    s["fbeta_b"] = 2.5
    eff = s["effect"]
    if eff == "zero":
        s.update(p_nudge=0.0, delta=0.0, j_e=rng.uniform(0.05, 0.15), c_f=0.0)
    elif eff == "small":
        s.update(p_nudge=rng.uniform(0.005, 0.02), delta=0.0,
                 j_e=rng.uniform(0.03, 0.08), c_f=rng.uniform(0.2, 0.4))
    elif eff == "medium":
        s.update(p_nudge=rng.uniform(0.02, 0.06), delta=rng.uniform(0.02, 0.06),
                 j_e=rng.uniform(0.08, 0.18), c_f=rng.uniform(0.3, 0.6))
    else:
        s.update(p_nudge=rng.uniform(0.06, 0.12), delta=rng.uniform(0.06, 0.12),
                 j_e=rng.uniform(0.18, 0.35), c_f=rng.uniform(0.5, 0.8))
    return s


def capped_geom_mean(a, b, delta, cap):
    """E[min(G, cap)] where G counts successes before the first failure, success
    prob q' = 1 - (1 - delta)(1 - q), q ~ Beta(a, b).  = sum_k E[q'^k]."""
    def e_r(j):                   # E[(1-q)^j], 1-q ~ Beta(b, a)
        p = 1.0
        for t in range(j):
            p *= (b + t) / (a + b + t)
        return p
    total = 0.0
    for k in range(1, cap + 1):
        total += sum(math.comb(k, j) * (-(1.0 - delta)) ** j * e_r(j) for j in range(k + 1))
    return total


def expected_outcomes(s):
    """Expected per-customer outcomes in each group implied by the parameters."""
    e_amount = 100 + math.exp(s["mu"] + s["sigma"] ** 2 / 2) * (1 + s["p_big"] * (5.5 - 1))
    net = e_amount * (1 - s["rho_full"] - 0.5 * s["rho_part"])
    pi_mix = s["p_ext"] * s["pi_rep_ext"] + (1 - s["p_ext"]) * s["pi_rep"]
    k_c = pi_mix * capped_geom_mean(s["beta_a"], s["beta_b"], 0.0, OWN_CAP)
    k_e = pi_mix * capped_geom_mean(s["beta_a"], s["beta_b"], s["delta"], OWN_CAP) + s["p_nudge"]
    e_f = sum(n * p for n, p in zip(FRIEND_COUNTS, FRIEND_PROBS))
    e_l = capped_geom_mean(s["fbeta_a"], s["fbeta_b"], 0.0, FRIEND_CAP)
    friends = (1 - s["p_ext"]) * s["j_e"] * e_f * s["c_f"] * (1 - s["p_early"] * s["p_pre"])
    control = {"own_purchases": k_c, "own_revenue": k_c * net,
               "conversions": k_c, "revenue": k_c * net}
    exposed = {"own_purchases": k_e, "own_revenue": k_e * net,
               "conversions": k_e + friends,
               "revenue": k_e * net + friends * (1 + e_l) * net}
    return exposed, control, {"e_amount": e_amount, "net_per_purchase": net,
                              "e_friends_converted": friends, "e_friend_later": e_l}


def est_requests_per_customer(s):
    h = s["holdout"] / 100
    pi_mix = s["p_ext"] * s["pi_rep_ext"] + (1 - s["p_ext"]) * s["pi_rep"]
    own = pi_mix * capped_geom_mean(s["beta_a"], s["beta_b"], s["delta"], OWN_CAP) + s["p_nudge"]
    ref = s["rho_full"] + s["rho_part"] * (1 + s["p_split"])
    per_purchase = 1 + ref + s["p_replay"]
    p_mail = 1 - s["p_ext"]
    per = 1.0 + 0.1 + s["p_both"] + (1 + own) * per_purchase + s["p_other"]
    per += p_mail * ((1 - h) * s["j_e"] + h * s["j_c"]) * (1 + s["p_rejoin"])
    e_f = sum(n * p for n, p in zip(FRIEND_COUNTS, FRIEND_PROBS))
    e_l = capped_geom_mean(s["fbeta_a"], s["fbeta_b"], 0.0, FRIEND_CAP)
    fr = p_mail * (1 - h) * s["j_e"] * e_f
    per += fr * (s["c_f"] * ((1 + e_l) * per_purchase + s["friend_signup"])
                 + (1 - s["c_f"]) * s["nonbuyer_signup"])
    return per


# --------------------------------------------------------------------------
# Simulation: people and their actions (in simulated days)
# --------------------------------------------------------------------------

def case_variant(rng, email):
    local, dom = email.split("@")
    choice = rng.randrange(5)
    if choice == 0:
        return local.capitalize() + "@" + dom
    if choice == 1:
        return email.upper()
    if choice == 2:
        return local + "@" + dom.upper()
    if choice == 3:
        return local.title() + "@" + dom.capitalize()
    v = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in email)
    return v if v != email else email.upper()


class Person:
    def __init__(self, kind, idx, email, ext, name, friend_of=None):
        self.kind = kind            # "email", "ext" or "both"
        self.idx = idx
        self.email = email          # canonical lower case, or None
        self.ext = ext
        self.name = name
        self.friend_of = friend_of  # advocate Person for friends
        self.group = None
        self.ext_group = None
        self.skip = False

    @property
    def key(self):
        return ("email:" + self.email) if self.email else ("ext:" + self.ext)


class Sim:
    def __init__(self, rng, s, tag):
        self.rng = rng
        self.s = s
        self.tag = tag
        self.actions = []
        self.seq = 0
        self.norder = 0
        self.nrefund = 0

    def act(self, t, kind, **kw):
        self.seq += 1
        a = {"t": t, "seq": self.seq, "kind": kind}
        a.update(kw)
        self.actions.append(a)
        return a

    def amount(self, m):
        rng, s = self.rng, self.s
        x = rng.lognormvariate(s["mu"], s["sigma"]) * m
        if rng.random() < s["p_big"]:
            x *= rng.uniform(3.0, 8.0)
        return 100 + int(round(x))

    def refunds_for(self, amount):
        rng, s = self.rng, self.s
        u = rng.random()
        if u < s["rho_full"]:
            return [None]
        if u < s["rho_full"] + s["rho_part"]:
            r = max(1, int(round(amount * rng.uniform(0.1, 0.9))))
            if r >= 2 and rng.random() < s["p_split"]:
                r1 = max(1, int(r * rng.uniform(0.3, 0.7)))
                return [r1, r - r1]
            return [r]
        return []

    def purchase(self, t, person, m, program="A", code_from=None, role="",
                 latest=None, ext_only=False):
        """A purchase plus its refunds and webhook retries.  latest: refunds must
        happen before this time (for friends who buy before their advocate)."""
        rng, s = self.rng, self.s
        self.norder += 1
        oid = "%s-o%05d" % (self.tag, self.norder)
        amt = self.amount(m)
        p = self.act(t, "purchase", program=program, person=person, order_id=oid,
                     amount=amt, code_from=code_from, role=role, ext_only=ext_only,
                     sent_body=None)
        if program == "A" and rng.random() < s["p_replay"]:
            self.act(t + 1e-4, "replay", program=program, person=person, original=p)
        refunds = self.refunds_for(amt)
        if program != "A":
            refunds = []
        rt = t
        for r in refunds:
            if latest is not None:
                rt = rt + (latest - rt) * rng.uniform(0.05, 0.5)
            else:
                rt = rt + 0.01 + rng.expovariate(1 / 4.0)
            self.nrefund += 1
            ra = self.act(rt, "refund", program="A", person=person, order_id=oid,
                          amount=r, refund_id="%s-r%05d" % (self.tag, self.nrefund), sent_body=None)
            if rng.random() < s["p_replay"]:
                self.act(rt + 1e-5, "replay", program="A", person=person, original=ra)
        return p


def build_people(rng, s, n, tag):
    people = []
    for i in range(n):
        u = rng.random()
        kind = "ext" if u < s["p_ext"] else ("both" if u < s["p_ext"] + s["p_both"] else "email")
        fn, ln = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = None
        if kind != "ext":
            email = "%s.%s%d@%s" % (fn, ln, i, rng.choice(DOMAINS))
        ext = "CUST-%s-%05d" % (tag, i) if kind != "email" else None
        people.append(Person(kind, i, email, ext, "%s %s" % (fn.title(), ln.title())))
    return people


def simulate(rng, s, people, tag):
    """All actions of the customers (groups already known) and of their friends."""
    sim = Sim(rng, s, tag)
    nfriend = 0
    for c in people:
        exposed = c.group == "exposed"
        t0 = rng.uniform(0.0, 30.0)
        c.t0 = t0
        m = rng.lognormvariate(-s["s_cust"] ** 2 / 2, s["s_cust"])
        sim.purchase(t0, c, m, role="first")
        # repeat purchases
        pi = s["pi_rep_ext"] if c.kind == "ext" else s["pi_rep"]
        k = 0
        if rng.random() < pi:
            q = rng.betavariate(s["beta_a"], s["beta_b"])
            if exposed:
                q = 1 - (1 - s["delta"]) * (1 - q)
            while k < OWN_CAP and rng.random() < q:
                k += 1
        gap = rng.uniform(4.0, 25.0)
        t = t0
        for _ in range(k):
            t += 0.01 + rng.expovariate(1 / gap)
            ext_only = c.kind == "both" and rng.random() < s["p_both_ext_only_event"]
            p = sim.purchase(t, c, m, role="repeat", ext_only=ext_only)
            p["any_code"] = rng.random() < s["p_code_later"]
        if exposed and rng.random() < s["p_nudge"]:
            p = sim.purchase(t0 + 0.01 + rng.expovariate(1 / 10.0), c, m, role="nudged")
            p["any_code"] = rng.random() < s["p_code_later"]
        if rng.random() < s["p_other"]:
            sim.purchase(t0 + rng.uniform(-10.0, 20.0), c, m, program="B", role="other_program")
        if c.kind == "ext":
            continue            # no email: cannot join as an advocate
        if not exposed:
            if rng.random() < s["j_c"]:
                early = rng.random() < s["p_early"]
                tj = t0 - 0.01 - rng.expovariate(1 / 3.0) if early else t0 + 0.01 + rng.expovariate(1 / 3.0)
                sim.act(tj, "join", person=c, expect="control")
                if rng.random() < s["p_rejoin"]:
                    sim.act(tj + 0.01 + rng.expovariate(1 / 5.0), "join", person=c, expect="control")
            continue
        if rng.random() >= s["j_e"]:
            continue
        early = rng.random() < s["p_early"]
        tj = t0 - 0.01 - rng.expovariate(1 / 3.0) if early else t0 + 0.01 + rng.expovariate(1 / 3.0)
        c.joined_early = early
        sim.act(tj, "join", person=c, expect="exposed")
        if rng.random() < s["p_rejoin"]:
            sim.act(tj + 0.01 + rng.expovariate(1 / 5.0), "join", person=c, expect="exposed")
        nf = rng.choices(FRIEND_COUNTS, FRIEND_PROBS)[0]
        for _ in range(nf):
            nfriend += 1
            pre = early and rng.random() < s["p_pre"]
            fn, ln = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if rng.random() < s["friend_ext"]:
                f = Person("ext", nfriend, None, "FRND-%s-%05d" % (tag, nfriend),
                           "%s %s" % (fn.title(), ln.title()), friend_of=c)
            else:
                f = Person("email", nfriend, "%s_%s.f%d@%s" % (fn, ln, nfriend, rng.choice(DOMAINS)),
                           None, "%s %s" % (fn.title(), ln.title()), friend_of=c)
            f.pre = pre
            buys = rng.random() < s["c_f"]
            if pre:
                lo, hi = tj, t0          # all of this friend's activity before the advocate's first purchase
                tc = lo + (hi - lo) * rng.uniform(0.1, 0.5)
            else:
                tc = max(tj, t0) + 0.01 + rng.expovariate(1 / 7.0)
            if not buys:
                if rng.random() < s["nonbuyer_signup"]:
                    sim.act(tc, "signup", person=f, code_from=c)
                continue
            if rng.random() < s["friend_signup"]:
                sim.act(tc - (tc - tj) * 0.5, "signup", person=f, code_from=c)
            fm = rng.lognormvariate(-s["s_cust"] ** 2 / 2, s["s_cust"])
            latest = t0 if pre else None
            sim.purchase(tc, f, fm, code_from=c, role="friend_first", latest=latest)
            q = rng.betavariate(s["fbeta_a"], s["fbeta_b"])
            nl = 0
            while nl < FRIEND_CAP and rng.random() < q:
                nl += 1
            if pre:
                times = sorted(tc + (t0 - tc) * rng.uniform(0.05, 0.6) for _ in range(nl))
            else:
                times, tt = [], tc
                for _ in range(nl):
                    tt += 0.01 + rng.expovariate(1 / 15.0)
                    times.append(tt)
            for tt in times:
                again = c if rng.random() < s["friend_code_again"] else None
                sim.purchase(tt, f, fm, code_from=again, role="friend_repeat", latest=latest)
            if f.email and not pre and rng.random() < s["p_friend_joins"]:
                # the friend becomes an advocate too (their own group decides)
                tfj = tc + 0.01 + rng.expovariate(1 / 2.0)
                sim.act(tfj, "join", person=f, expect="lookup")
                for _ in range(rng.choice([0, 1, 1, 2])):
                    nfriend += 1
                    fn, ln = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    gf = Person("email", nfriend, "%s.%s.g%d@%s" % (fn, ln, nfriend, rng.choice(DOMAINS)),
                                None, "%s %s" % (fn.title(), ln.title()), friend_of=f)
                    gf.pre = False
                    if rng.random() < 0.5:
                        gm = rng.lognormvariate(-s["s_cust"] ** 2 / 2, s["s_cust"])
                        sim.purchase(tfj + 0.01 + rng.expovariate(1 / 7.0), gf, gm, code_from=f,
                                     role="friend_of_friend")
    sim.actions.sort(key=lambda a: (a["t"], a["seq"]))
    return sim.actions


# --------------------------------------------------------------------------
# Ground truth from what was accepted
# --------------------------------------------------------------------------

DEFAULT_OPTS = {
    "friend_rev": "all",            # all | first | with_code
    "friend_conv_excl_refunded": False,
    "own_conv_excl_refunded": False,
    "friends_no_window": False,
    "ignore_refunds": False,
    "identity": "canonical",        # canonical | sent_key | case_sensitive
    "both_group": "email",          # email | ext
    "exclude_code_later": False,    # drop customers who later bought with a code
    "exclude_code_later_anytime": False,   # ...even when that purchase is after the report's end
}

ALTERNATIVES = {
    "friend revenue = first purchase only": {"friend_rev": "first"},
    "friend revenue = only purchases carrying the code": {"friend_rev": "with_code"},
    "fully refunded friend not a conversion": {"friend_conv_excl_refunded": True},
    "fully refunded own purchase not a conversion": {"own_conv_excl_refunded": True},
    "friends counted even before the advocate's first purchase": {"friends_no_window": True},
    "refunds ignored": {"ignore_refunds": True},
    "identity = key as sent (id-only events of email customers separate)": {"identity": "sent_key"},
    "identity = email as typed (case-sensitive)": {"identity": "case_sensitive"},
    "email+id customers grouped by external id": {"both_group": "ext"},
    "customers who later bought with someone's code left out": {"exclude_code_later": True},
    "customers who bought with someone's code at any time (even after the report's end) left out":
        {"exclude_code_later_anytime": True},
}


def ident(e, opts):
    if opts["identity"] == "sent_key":
        return e["sent_key"]
    if opts["identity"] == "case_sensitive":
        return e["sent_key_cs"]
    return e["who"]


def truth(log, end, groups, opts=None):
    """Per-customer outcomes for events log[:end] (accepted events of program A, in
    send order).  groups: identity -> group.  Returns (per-group dict of lists of
    per-customer outcome dicts, population identities)."""
    o = dict(DEFAULT_OPTS)
    if opts:
        o.update(opts)
    ev = log[:end]
    first = {}                  # identity -> (pos, code_owner)
    purchases = defaultdict(list)
    orders = {}
    refunded = defaultdict(int)
    full_refunded = set()
    for pos, e in enumerate(ev):
        who = ident(e, o)
        if e["type"] == "purchase":
            orders[e["order_id"]] = e
            purchases[who].append((pos, e))
            if who not in first:
                first[who] = (pos, e["code_owner"])
        elif e["type"] == "refund":
            amt = e["amount"] if e["amount"] is not None else orders[e["order_id"]]["amount"]
            refunded[e["order_id"]] += amt
            if refunded[e["order_id"]] >= orders[e["order_id"]]["amount"]:
                full_refunded.add(e["order_id"])

    def net(e):
        if o["ignore_refunds"]:
            return e["amount"]
        return e["amount"] - refunded.get(e["order_id"], 0)

    code_users_anytime = set()
    if o["exclude_code_later_anytime"]:
        seen = set()
        for e in log:
            if e["type"] != "purchase":
                continue
            who = ident(e, o)
            if who in seen and e["code_owner"] is not None:
                code_users_anytime.add(who)
            seen.add(who)
    friends_of = defaultdict(list)      # advocate identity -> friend identities
    for who, (pos, owner) in first.items():
        if owner is not None:
            friends_of[owner].append(who)
    out = {"exposed": [], "control": []}
    pop = []
    for who, (pos0, owner) in first.items():
        if owner is not None:
            continue
        g = groups.get(who)
        if g is None:
            g = "unknown"
        own = [e for p, e in purchases[who] if p > pos0]
        if o["exclude_code_later"] and any(e["code_owner"] is not None for e in own):
            continue
        if who in code_users_anytime:
            continue
        pop.append(who)
        own_n = sum(1 for e in own if not (o["own_conv_excl_refunded"] and e["order_id"] in full_refunded))
        own_rev = sum(net(e) for e in own)
        conv_friends = 0
        frev = 0
        for f in friends_of.get(who, []):
            fpos, _ = first[f]
            if fpos < pos0 and not o["friends_no_window"]:
                fp = [(p, e) for p, e in purchases[f] if p > pos0]
            else:
                fp = purchases[f]
                fe = purchases[f][0][1]
                if not (o["friend_conv_excl_refunded"] and fe["order_id"] in full_refunded):
                    conv_friends += 1
            for p, e in fp:
                if o["friend_rev"] == "first" and p != fpos:
                    continue
                if o["friend_rev"] == "with_code" and e["code_owner"] is None:
                    continue
                frev += net(e)
        rec = {"who": who, "conversions": own_n + conv_friends, "revenue": own_rev + frev,
               "own_purchases": own_n, "own_revenue": own_rev}
        out.setdefault(g, []).append(rec)
    return out, pop


def totals(recs):
    t = {"customers": len(recs)}
    t["converting_customers"] = sum(1 for r in recs if r["conversions"] > 0)
    for m in METRICS:
        t[m] = sum(r[m] for r in recs)
    return t


def welch(xe, xc):
    ne, nc = len(xe), len(xc)
    if ne < 2 or nc < 2:
        return None
    me, mc = sum(xe) / ne, sum(xc) / nc
    se = math.sqrt(statistics.variance(xe) / ne + statistics.variance(xc) / nc)
    d = me - mc
    return d, d - Z95 * se, d + Z95 * se


def close(a, b, rel=1e-9, abs_=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def compare(report, by_group):
    """Exact comparison of totals and means.  Returns list of mismatch dicts."""
    mism = []
    tot = {g: totals(by_group.get(g, [])) for g in ("exposed", "control")}
    for g in ("exposed", "control"):
        for f in TOTAL_FIELDS:
            if report[g].get(f) != tot[g][f]:
                mism.append({"what": "%s.%s" % (g, f), "mine": tot[g][f], "report": report[g].get(f)})
    for m in METRICS:
        L = report["lift"][m]
        ne, nc = tot["exposed"]["customers"], tot["control"]["customers"]
        me = tot["exposed"][m] / ne if ne else None
        mc = tot["control"][m] / nc if nc else None
        ab = me - mc if (me is not None and mc is not None) else None
        checks = [("exposed_mean", me), ("control_mean", mc), ("absolute", ab)]
        if ab is not None and mc:
            checks.append(("relative", ab / mc))
        if ab is not None:
            checks.append(("incremental", ab * ne))
        for name, mine in checks:
            if not close(mine, L.get(name)):
                mism.append({"what": "lift.%s.%s" % (m, name), "mine": mine, "report": L.get(name)})
    return mism


# --------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------

def program_body(name, holdout):
    return {"name": name, "destination_url": "https://shop.example.com/",
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            "referee_reward": {"kind": "credit", "amount": 500, "currency": "USD"},
            "holdout_percent": holdout}


def report_path(pid, to=None):
    q = {"program_id": pid, "currency": "USD"}
    if to:
        q["to"] = to
    return "/analytics/holdout?" + urllib.parse.urlencode(q)


class Run:
    def __init__(self, args, run_index, base_seed):
        self.args = args
        self.run_index = run_index
        self.run_seed = base_seed * 1000 + run_index
        self.rng = random.Random(self.run_seed)
        self.tag = "s%dr%d" % (base_seed, run_index)
        self.http_errors = []
        self.anomalies = []
        self.sent = []            # every request sent (for the log file)

    def err(self, what, req, resp):
        rec = {"what": what, "request": req, "status": resp.status, "body": resp.raw[:2000]}
        self.http_errors.append(rec)

    def customer_obj(self, p, ext_only=False, variant=True):
        if p.kind == "ext" or (ext_only and p.ext):
            # an id-only event of an email+id customer is still that customer
            return {"external_id": p.ext}, p.key, "ext:" + p.ext
        em = p.email
        if variant and self.rng.random() < self.s["p_case"]:
            em = case_variant(self.rng, p.email)
        obj = {"email": em}
        if p.kind == "both":
            obj["external_id"] = p.ext
        return obj, "email:" + p.email, "email:" + em

    def lookup_group(self, c, pid, q):
        path = "/programs/%s/holdout?%s" % (pid, urllib.parse.urlencode(q))
        r = self.cl.call("GET", path)
        if r.status != 200 or not isinstance(r.body, dict) or r.body.get("group") not in ("exposed", "control"):
            self.err("group lookup", {"GET": path}, r)
            return None
        return r.body["group"]

    def execute(self):
        args = self.args
        rng = self.rng
        s = self.s = make_scenario(rng, self.run_index)
        per = est_requests_per_customer(s)
        n = int(max(150, min(1100, (args.budget - 60) / per)))
        s["n_customers"] = n
        exp_e, exp_c, aux = expected_outcomes(s)
        true_eff = {m: exp_e[m] - exp_c[m] for m in METRICS}
        t_start = time.time()
        srv = Server(args.bin)
        try:
            self.cl = Client(srv.port, srv.sk)
            res = self._drive(srv, s, n)
        finally:
            srv.stop()
        res.update({
            "run": self.run_index, "run_seed": self.run_seed, "tag": self.tag,
            "scenario": {k: (round(v, 6) if isinstance(v, float) else v) for k, v in s.items()},
            "expected": {"exposed": exp_e, "control": exp_c, **aux},
            "true_effect": true_eff,
            "requests": self.cl.count, "network_retries": self.cl.net_retries,
            "seconds": round(time.time() - t_start, 1),
            "http_errors": self.http_errors, "anomalies": self.anomalies,
        })
        cov = {}
        for m in METRICS:
            L = res["report"]["lift"][m] if res.get("report") else {}
            lo, hi = L.get("absolute_low"), L.get("absolute_high")
            cov[m] = {"true": true_eff[m], "absolute": L.get("absolute"), "low": lo, "high": hi,
                      "covered": (lo <= true_eff[m] <= hi) if lo is not None and hi is not None else None}
            rel_true = true_eff[m] / exp_c[m] if exp_c[m] else None
            rlo, rhi = L.get("relative_low"), L.get("relative_high")
            cov[m]["relative_true"] = rel_true
            cov[m]["relative"] = L.get("relative")
            cov[m]["relative_low"], cov[m]["relative_high"] = rlo, rhi
            cov[m]["relative_covered"] = (rlo <= rel_true <= rhi) if (rlo is not None and rhi is not None
                                                                     and rel_true is not None) else None
            mw = res["my_welch"].get(m)
            if mw:
                cov[m]["my_absolute"] = mw[0]
                if L.get("absolute") is not None:
                    cov[m]["report_minus_contract_absolute"] = L["absolute"] - mw[0]
                cov[m]["my_welch_low"], cov[m]["my_welch_high"] = mw[1], mw[2]
                cov[m]["my_covered"] = mw[1] <= true_eff[m] <= mw[2]
                if lo is not None:
                    hw_r = (hi - lo) / 2
                    hw_m = (mw[2] - mw[1]) / 2
                    cov[m]["halfwidth_ratio_report_over_mine"] = hw_r / hw_m if hw_m else None
        res["coverage"] = cov
        return res

    def _drive(self, srv, s, n):
        cl, rng = self.cl, self.rng
        r = cl.call("POST", "/programs", program_body("Lift test A", s["holdout"]))
        if r.status != 201:
            self.err("create program A", program_body("Lift test A", s["holdout"]), r)
            raise RuntimeError("cannot create program: %s" % r.raw)
        pid = r.body["id"]
        r = cl.call("POST", "/programs", program_body("Other program B", 30))
        pid_b = r.body["id"] if r.status == 201 else None
        if r.status != 201:
            self.err("create program B", {}, r)

        people = build_people(rng, s, n, self.tag)
        groups = {}           # canonical identity -> group
        alt_groups = {}       # for alternative identities
        inconsistent = []
        for c in people:
            if c.kind == "ext":
                g = self.lookup_group(c, pid, {"external_id": c.ext})
            else:
                em = c.email if rng.random() < 0.5 else case_variant(rng, c.email)
                g = self.lookup_group(c, pid, {"email": em})
                if rng.random() < 0.1:
                    g2 = self.lookup_group(c, pid, {"email": case_variant(rng, c.email)})
                    if g2 != g:
                        inconsistent.append({"email": c.email, "groups": [g, g2]})
            if c.kind == "both":
                c.ext_group = self.lookup_group(c, pid, {"external_id": c.ext})
                alt_groups["ext:" + c.ext] = c.ext_group
            if g is None:
                g = "exposed"
                self.anomalies.append({"what": "no group for customer; treated as exposed", "who": c.key})
            c.group = g
            groups[c.key] = g
        if inconsistent:
            self.anomalies.append({"what": "group differs between letter cases of one email",
                                   "cases": inconsistent[:10], "count": len(inconsistent)})

        actions = simulate(rng, s, people, self.tag)
        cut_at = int(len(actions) * rng.uniform(0.35, 0.75))
        log = []              # accepted events of program A in send order
        codes = {}            # advocate identity -> referral code
        joins = []
        cut = None
        for i, a in enumerate(actions):
            if i == cut_at:
                last_ts = log[-1]["ts"] if log else None
                time.sleep(0.2)
                if last_ts:
                    cut = {"to": fmt_ts(last_ts + timedelta(milliseconds=80)), "end": len(log)}
            self._send(a, pid, pid_b, log, codes, joins)

        # reports
        final = cl.call("GET", report_path(pid))
        if final.status != 200:
            self.err("holdout report", {"GET": report_path(pid)}, final)
            raise RuntimeError("report failed: %s" % final.raw)
        rep = final.body
        cut_rep = None
        if cut:
            cr = cl.call("GET", report_path(pid, cut["to"]))
            if cr.status != 200:
                self.err("holdout report with to", {"GET": report_path(pid, cut["to"])}, cr)
            else:
                cut_rep = cr.body

        by_group, pop = truth(log, len(log), groups)
        mism = compare(rep, by_group)
        res = {"program_id": pid, "report": rep}
        res["mine"] = {g: totals(by_group.get(g, [])) for g in ("exposed", "control")}
        if "unknown" in by_group:
            self.anomalies.append({"what": "population customers without a looked-up group",
                                   "who": [r["who"] for r in by_group["unknown"]][:10]})
        res["exact_mismatches"] = mism
        res["my_welch"] = {}
        for m in METRICS:
            w = welch([x[m] for x in by_group.get("exposed", [])], [x[m] for x in by_group.get("control", [])])
            res["my_welch"][m] = w
        if cut and cut_rep:
            cbg, _ = truth(log, cut["end"], groups)
            cm = compare(cut_rep, cbg)
            res["cut"] = {"to": cut["to"], "events_before": cut["end"], "events_total": len(log),
                          "mismatches": cm,
                          "explained_by": self._explain(pid, log, cut["end"], groups, alt_groups, cut_rep,
                                                        allow_lookups=False) if cm else None,
                          "mine": {g: totals(cbg.get(g, [])) for g in ("exposed", "control")},
                          "report": {g: cut_rep[g] for g in ("exposed", "control")}}
        # refusals
        ref = {"control_attempts": 0, "control_refused": 0, "exposed_attempts": 0, "exposed_accepted": 0,
               "friend_control_attempts": 0, "friend_control_refused": 0,
               "friend_exposed_attempts": 0, "friend_exposed_accepted": 0, "wrong": []}
        for j in joins:
            pre = "friend_" if j["role"] == "friend" else ""
            if j["expect"] == "control":
                ref[pre + "control_attempts"] += 1
                if j["status"] == 409 and j["code"] == "holdout_control":
                    ref[pre + "control_refused"] += 1
                else:
                    ref["wrong"].append(j)
            else:
                ref[pre + "exposed_attempts"] += 1
                if j["status"] in (200, 201) and j.get("referral_code"):
                    ref[pre + "exposed_accepted"] += 1
                else:
                    ref["wrong"].append(j)
        res["refusals"] = ref
        ne = sum(1 for c in people if c.group == "exposed")
        nc = n - ne
        res["assignment"] = {"exposed": ne, "control": nc, "control_share": nc / n,
                             "z_vs_holdout": (nc / n - s["holdout"] / 100) /
                             math.sqrt(s["holdout"] / 100 * (1 - s["holdout"] / 100) / n)}
        res["traffic"] = self._traffic_stats(log, actions, joins)
        # diagnosis
        if mism or (res.get("cut") and res["cut"]["mismatches"]):
            res["diagnosis"] = self._diagnose(pid, log, groups, alt_groups, rep, by_group)
        if (self.args.keep_logs or (self.args.save_logs and (mism or self.http_errors or ref["wrong"]
                                                              or (res.get("cut") and res["cut"]["mismatches"])))):
            os.makedirs(os.path.join(HERE, "logs"), exist_ok=True)
            path = os.path.join(HERE, "logs", "%s.json.gz" % self.tag)
            with gzip.open(path, "wt") as fh:
                json.dump({"tag": self.tag, "program_id": pid, "groups": groups, "alt_groups": alt_groups,
                           "codes": codes, "joins": joins, "cut": cut, "events": [
                               {k: (fmt_ts(v) if k == "ts" else v) for k, v in e.items()} for e in log],
                           "report": rep, "cut_report": cut_rep}, fh, separators=(",", ":"))
            res["log_file"] = os.path.relpath(path, HERE)
        return res

    def _traffic_stats(self, log, actions, joins):
        st = defaultdict(int)
        for e in log:
            st[e["type"] + ("_" + e["role"] if e.get("role") else "")] += 1
            if e["type"] == "refund":
                st["refund_full" if e["amount"] is None else "refund_partial"] += 1
            if e.get("case_changed"):
                st["email_case_changed"] += 1
        for a in actions:
            if a["kind"] in ("replay", "signup"):
                st[a["kind"]] += 1
            if a["kind"] == "replay" and a.get("replay_status"):
                st["replay_%s_answered_%d" % (a["original"]["kind"], a["replay_status"])] += 1
            if a["kind"] == "purchase" and a["program"] == "B":
                st["purchase_program_B"] += 1
        st["join_attempts"] = len(joins)
        for j in joins:
            st["join_%s_%s_%s" % (j["role"], j["expect"], j["status"])] += 1
        amts = [e["amount"] for e in log if e["type"] == "purchase"]
        if amts:
            st["amount_median"] = statistics.median(amts)
            st["amount_mean"] = round(statistics.mean(amts), 1)
            st["amount_max"] = max(amts)
        return dict(st)

    def _send(self, a, pid, pid_b, log, codes, joins):
        cl, kind = self.cl, a["kind"]
        p = a["person"]
        if p.friend_of is not None and p.friend_of.key not in codes:
            # the advocate never got a code: the friend cannot use it
            if not p.skip:
                p.skip = True
                if getattr(p.friend_of, "join_expect", "exposed") == "exposed":
                    self.anomalies.append({"what": "friend skipped: advocate has no code", "friend": p.key,
                                           "advocate": p.friend_of.key})
            return
        if kind == "join":
            if a["expect"] == "lookup":
                g = self.lookup_group(p, pid, {"email": p.email})
                a["expect"] = g or "exposed"
            p.join_expect = a["expect"]
            em = p.email if self.rng.random() < 0.5 else case_variant(self.rng, p.email)
            body = {"email": em, "name": p.name}
            if p.kind == "both":
                body["external_id"] = p.ext
            r = cl.call("POST", "/programs/%s/participants" % pid, body)
            rec = {"who": p.key, "role": "friend" if p.friend_of else "customer",
                   "expect": a["expect"], "body": body,
                   "status": r.status, "code": (r.body or {}).get("code") if r.status >= 400 else None,
                   "referral_code": (r.body or {}).get("referral_code") if r.status < 300 else None}
            joins.append(rec)
            if r.status in (200, 201) and rec["referral_code"]:
                codes.setdefault(p.key, rec["referral_code"])
                if p.key in codes and codes[p.key] != rec["referral_code"]:
                    self.anomalies.append({"what": "second join gave another code", "who": p.key})
            if not ((a["expect"] == "control" and r.status == 409) or
                    (a["expect"] == "exposed" and r.status in (200, 201))):
                self.err("join (%s customer)" % a["expect"], body, r)
            return
        if kind == "replay":
            orig = a["original"]
            body = orig["sent_body"]
            if body is None or orig.get("accepted_id") is None:
                return
            r = cl.call("POST", "/events", body)
            if r.status not in (200, 201):
                self.err("%s replay" % body["type"], body, r)
            elif (r.body or {}).get("id") != orig["accepted_id"]:
                self.anomalies.append({"what": "replay created a different event", "body": body,
                                       "first_id": orig["accepted_id"], "replay_id": (r.body or {}).get("id")})
            else:
                a["replay_status"] = r.status
            return
        if kind == "signup":
            cust, who, sk = self.customer_obj(p)
            body = {"type": "signup", "program_id": pid, "customer": cust,
                    "referral_code": codes[a["code_from"].key]}
            r = cl.call("POST", "/events", body, {"Idempotency-Key": "%s-su-%d" % (self.tag, a["seq"])})
            if r.status not in (200, 201):
                self.err("signup", body, r)
            return
        if kind == "purchase":
            prog = pid if a["program"] == "A" else pid_b
            if prog is None:
                return
            cust, who, sk = self.customer_obj(p, ext_only=a.get("ext_only"))
            body = {"type": "purchase", "program_id": prog, "order_id": a["order_id"],
                    "amount": a["amount"], "currency": "USD", "customer": cust}
            owner = None
            if a["code_from"] is not None:
                body["referral_code"] = codes[a["code_from"].key]
                owner = a["code_from"].key
            elif a.get("any_code"):
                # an existing customer found some advocate's code (not their own)
                others = sorted(k for k in codes if k != p.key)
                if others:
                    owner = self.rng.choice(others)
                    body["referral_code"] = codes[owner]
                    a["role"] = a["role"] + "_with_someones_code"
            r = cl.call("POST", "/events", body)
            a["sent_body"] = body
            if r.status != 201:
                self.err("purchase", body, r)
                return
            a["accepted_id"] = r.body.get("id")
            if a["program"] != "A":
                return
            sent_key = "ext:" + p.ext if "email" not in cust else who
            log.append({"type": "purchase", "who": who, "sent_key": sent_key,
                        "sent_key_cs": sk, "order_id": a["order_id"], "amount": a["amount"],
                        "code_owner": owner, "role": a["role"], "ts": parse_ts(r.body["occurred_at"]),
                        "body": body, "case_changed": ("email" in cust and cust["email"] != p.email),
                        "referral_in_answer": (r.body.get("referral") or {}).get("status")})
            return
        if kind == "refund":
            body = {"type": "refund", "program_id": pid, "order_id": a["order_id"], "refund_id": a["refund_id"]}
            if a["amount"] is not None:
                body["amount"] = a["amount"]
                body["currency"] = "USD"
            r = cl.call("POST", "/events", body)
            a["sent_body"] = body
            if r.status != 201:
                self.err("refund", body, r)
                return
            a["accepted_id"] = r.body.get("id")
            who = "email:" + p.email if p.email else "ext:" + p.ext
            log.append({"type": "refund", "who": who, "sent_key": who, "sent_key_cs": who,
                        "order_id": a["order_id"], "amount": a["amount"], "code_owner": None,
                        "role": "", "ts": parse_ts(r.body["occurred_at"]), "body": body})
            return
        raise ValueError(kind)

    # ---- diagnosis --------------------------------------------------------
    def _explain(self, pid, log, end, groups, alt_groups, rep, allow_lookups=True):
        """Smallest combinations (up to 3) of alternative readings whose totals
        equal the report's in both groups."""
        import itertools
        names = list(ALTERNATIVES)
        found = []
        cache = {}
        for size in (1, 2, 3):
            for combo in itertools.combinations(names, size):
                if any(set(f) <= set(combo) for f in found):
                    continue
                opts = {}
                for nm in combo:
                    opts.update(ALTERNATIVES[nm])
                if len(opts) < sum(len(ALTERNATIVES[nm]) for nm in combo):
                    continue            # two values for one option
                gmap = dict(groups)
                gmap.update(alt_groups)
                if opts.get("both_group") == "ext":
                    gmap = self._groups_by_ext(groups, alt_groups, log)
                if opts.get("identity") == "case_sensitive":
                    if not allow_lookups:
                        continue
                    if "cs" not in cache:
                        cache["cs"] = self._groups_case_sensitive(pid, log, gmap)
                    gmap = dict(cache["cs"], **gmap)
                bg, _ = truth(log, end, gmap, opts)
                tot = {g: totals(bg.get(g, [])) for g in ("exposed", "control")}
                if all(rep[g][f] == tot[g][f] for g in ("exposed", "control") for f in TOTAL_FIELDS):
                    found.append(combo)
            if found:
                break
        return [list(c) for c in found]

    def _diagnose(self, pid, log, groups, alt_groups, rep, by_group):
        d = {"explained_by": self._explain(pid, log, len(log), groups, alt_groups, rep)}
        if not d["explained_by"]:
            d["bisect"] = self._bisect(pid, log, groups)
        d["instances"] = self._instances(log, groups)
        return d

    def _instances(self, log, groups, limit=5):
        """Concrete customers behind the known kinds of difference."""
        first = {}
        for pos, e in enumerate(log):
            if e["type"] == "purchase" and e["who"] not in first:
                first[e["who"]] = (pos, e)
        pre, code_later = [], []
        for who, (pos, e) in first.items():
            if e["code_owner"] is not None:
                apos = first.get(e["code_owner"])
                if apos and pos < apos[0]:
                    pre.append({"friend": who, "friend_first_purchase": e["order_id"],
                                "friend_ts": fmt_ts(e["ts"]), "amount": e["amount"],
                                "advocate": e["code_owner"], "advocate_group": groups.get(e["code_owner"]),
                                "advocate_first_purchase": apos[1]["order_id"],
                                "advocate_ts": fmt_ts(apos[1]["ts"])})
        for pos, e in enumerate(log):
            if e["type"] == "purchase" and e["code_owner"] is not None and e["who"] in first \
                    and first[e["who"]][1]["code_owner"] is None and first[e["who"]][0] < pos:
                code_later.append({"customer": e["who"], "group": groups.get(e["who"]),
                                   "order_id": e["order_id"], "amount": e["amount"],
                                   "code_of": e["code_owner"], "ts": fmt_ts(e["ts"]),
                                   "answer_referral_status": e.get("referral_in_answer")})
        return {"friend_converted_before_advocates_first_purchase": {"count": len(pre), "first": pre[:limit]},
                "existing_customer_bought_with_a_code": {"count": len(code_later), "first": code_later[:limit]}}

    def _groups_by_ext(self, groups, alt_groups, log):
        gmap = dict(groups)
        gmap.update(alt_groups)
        both = {}
        for e in log:
            b = e.get("body") or {}
            cust = b.get("customer") or {}
            if "email" in cust and "external_id" in cust:
                both[e["who"]] = "ext:" + cust["external_id"]
        for who, ek in both.items():
            if ek in alt_groups:
                gmap[who] = alt_groups[ek]
        return gmap

    def _groups_case_sensitive(self, pid, log, gmap):
        out = dict(gmap)
        asked = 0
        for e in log:
            k = e["sent_key_cs"]
            if k not in out and k.startswith("email:") and asked < 200:
                asked += 1
                out[k] = self.lookup_group(None, pid, {"email": k[6:]})
        return out

    def _bisect(self, pid, log, groups, max_calls=16):
        """Find the first prefix of the event log at which the report (with `to`)
        disagrees with the truth.  Boundaries lie between events >= 2 ms apart."""
        bounds = []
        for p in range(1, len(log)):
            if (log[p]["ts"] - log[p - 1]["ts"]) >= timedelta(milliseconds=2):
                bounds.append(p)
        calls = [0]

        def check(p):
            to = fmt_ts(log[p - 1]["ts"] + timedelta(milliseconds=1))
            r = self.cl.call("GET", report_path(pid, to))
            calls[0] += 1
            if r.status != 200:
                return None, to, None
            bg, _ = truth(log, p, groups)
            return compare(r.body, bg), to, r.body

        lo, hi = 0, len(bounds) - 1
        m_hi, to_hi, body_hi = check(bounds[hi]) if bounds else (None, None, None)
        if not m_hi:
            return {"note": "last boundary agrees (mismatch only at the very end or not splittable)",
                    "calls": calls[0]}
        good = None
        while lo < hi and calls[0] < max_calls:
            mid = (lo + hi) // 2
            mm, to, body = check(bounds[mid])
            if mm is None:
                break
            if mm:
                hi, m_hi, to_hi, body_hi = mid, mm, to, body
            else:
                good = bounds[mid]
                lo = mid + 1
        start = good if good is not None else 0
        end = bounds[hi]
        window = [{k: (fmt_ts(v) if k == "ts" else v) for k, v in e.items()} for e in log[start:end]]
        return {"first_bad_prefix": end, "last_good_prefix": good, "to_first_bad": to_hi,
                "mismatches_at_first_bad": m_hi, "events_between": window[-12:],
                "n_events_between": len(window), "calls": calls[0]}


# --------------------------------------------------------------------------
# Probes: small hand-written cases whose answer the contract leaves open or
# that a random run hits only rarely.  Informational, except for refusals.
# --------------------------------------------------------------------------

def run_probes(binpath, seed):
    out = []
    srv = Server(binpath)
    try:
        cl = Client(srv.port, srv.sk)
        rng = random.Random(seed)
        tag = "probe%d" % seed
        n = [0]

        def new_program(h=50):
            r = cl.call("POST", "/programs", program_body("probe %d" % len(out), h))
            return r.body["id"]

        def find(pid, group, prefix):
            while True:
                n[0] += 1
                em = "%s.%s.%d@probe.example" % (prefix, tag, n[0])
                r = cl.call("GET", "/programs/%s/holdout?%s" % (pid, urllib.parse.urlencode({"email": em})))
                if r.body["group"] == group:
                    return em

        def buy(pid, em, amount, code=None, currency="USD", ext=None):
            n[0] += 1
            body = {"type": "purchase", "program_id": pid, "order_id": "%s-%d" % (tag, n[0]),
                    "amount": amount, "currency": currency,
                    "customer": {"email": em} if em else {"external_id": ext}}
            if code:
                body["referral_code"] = code
            r = cl.call("POST", "/events", body)
            ref = (r.body or {}).get("referral") if r.status < 300 else None
            return body["order_id"], {"request": body, "status": r.status,
                                      "referral_status": ref and ref.get("status"),
                                      "referrer": ref and ref.get("referrer_participant_id"),
                                      "error": r.raw[:300] if r.status >= 300 else None}

        def join(pid, em):
            r = cl.call("POST", "/programs/%s/participants" % pid, {"email": em, "name": "P"})
            return {"request": {"email": em}, "status": r.status, "code": (r.body or {}).get("code"),
                    "referral_code": (r.body or {}).get("referral_code"), "participant": (r.body or {}).get("id")}

        def report(pid):
            r = cl.call("GET", report_path(pid))
            b = r.body or {}
            return {g: b.get(g) for g in ("exposed", "control")} if r.status == 200 else {"status": r.status, "body": r.raw[:300]}

        # 1. an existing control-group customer later buys with an exposed advocate's code, then joins
        pid = new_program()
        x, c, g = find(pid, "exposed", "adv"), find(pid, "control", "ctl"), find(pid, "exposed", "frd")
        e = find(pid, "exposed", "exi")
        steps = []
        steps.append(("X buys 5000 (first, no code)", buy(pid, x, 5000)[1]))
        jx = join(pid, x)
        steps.append(("X joins", jx))
        steps.append(("E (exposed, not an advocate) buys 4500 (first, no code)", buy(pid, e, 4500)[1]))
        steps.append(("E buys 1500 without a code", buy(pid, e, 1500)[1]))
        steps.append(("E buys 2500 with X's code", buy(pid, e, 2500, jx["referral_code"])[1]))
        steps.append(("C (control) buys 4000 (first, no code)", buy(pid, c, 4000)[1]))
        steps.append(("C buys 3000 with X's code", buy(pid, c, 3000, jx["referral_code"])[1]))
        jc = join(pid, c)
        steps.append(("C joins (contract: 409 holdout_control)", jc))
        if jc.get("referral_code"):
            steps.append(("G (new) buys 2000 with C's code", buy(pid, g, 2000, jc["referral_code"])[1]))
        out.append({"probe": "existing control customer referred later, then joins",
                    "contract": "C is a control customer: join refused 409; C's 3000 purchase is C's own later purchase; "
                                "C and E are not new friends of X (their first purchases had no code)",
                    "expected_by_contract": {"exposed": {"customers": 2, "conversions": 2, "revenue": 4000},
                                             "control": {"customers": 1, "conversions": 1, "revenue": 3000}},
                    "refusal_ok": jc["status"] == 409 and jc["code"] == "holdout_control",
                    "steps": steps, "report": report(pid)})

        # 2. a brand-new control-group friend converts with a code, then joins
        pid = new_program()
        x, f = find(pid, "exposed", "adv"), find(pid, "control", "frd")
        steps = [("X buys 5000", buy(pid, x, 5000)[1])]
        jx = join(pid, x)
        steps.append(("X joins", jx))
        steps.append(("F (control by lookup) buys 2500 with X's code", buy(pid, f, 2500, jx["referral_code"])[1]))
        jf = join(pid, f)
        steps.append(("F joins (contract: 409 holdout_control)", jf))
        out.append({"probe": "control-group referred friend joins",
                    "refusal_ok": jf["status"] == 409 and jf["code"] == "holdout_control",
                    "steps": steps, "report": report(pid)})

        # 3. a friend signs up with the code, then buys without it
        pid = new_program()
        x, f = find(pid, "exposed", "adv"), find(pid, "exposed", "frd")
        steps = [("X buys 5000", buy(pid, x, 5000)[1])]
        jx = join(pid, x)
        steps.append(("X joins", jx))
        r = cl.call("POST", "/events", {"type": "signup", "program_id": pid, "customer": {"email": f},
                                        "referral_code": jx["referral_code"]})
        steps.append(("F signs up with X's code", {"status": r.status}))
        steps.append(("F buys 2500 without a code", buy(pid, f, 2500)[1]))
        steps.append(("F buys 1500 without a code", buy(pid, f, 1500)[1]))
        out.append({"probe": "friend signs up with the code, first purchase without it",
                    "note": "the contract says the population is first purchases 'without a referral (no referral_code)'",
                    "steps": steps, "report": report(pid)})

        # 4. a later purchase in another currency
        pid = new_program()
        a = find(pid, "exposed", "cur")
        steps = [("A buys 5000 USD", buy(pid, a, 5000)[1]), ("A buys 7000 EUR", buy(pid, a, 7000, currency="EUR")[1]),
                 ("A buys 1000 USD", buy(pid, a, 1000)[1])]
        b = find(pid, "exposed", "eur")
        steps += [("B buys 3000 EUR (first)", buy(pid, b, 3000, currency="EUR")[1]),
                  ("B buys 2000 USD", buy(pid, b, 2000)[1])]
        out.append({"probe": "purchases in EUR (revenue is USD only)",
                    "note": "A: USD first, EUR and USD later. B: EUR first, USD later. Literal contract: "
                            "customers 2, conversions 3 (A: 2 later purchases, B: 1), revenue 1000+2000",
                    "steps": steps, "report": report(pid)})

        # 5. partial refund, then a refund without amount
        pid = new_program()
        a = find(pid, "exposed", "ref")
        steps = [("A buys 5000", buy(pid, a, 5000)[1])]
        oid, st = buy(pid, a, 6000)
        steps.append(("A buys 6000", st))
        for rid, amt in (("r1", 1000), ("r2", None)):
            body = {"type": "refund", "program_id": pid, "order_id": oid, "refund_id": tag + rid}
            if amt:
                body.update(amount=amt, currency="USD")
            r = cl.call("POST", "/events", body)
            steps.append(("refund %s" % (amt or "whole order"), {"request": body, "status": r.status,
                                                                 "error": r.raw[:300] if r.status >= 300 else None}))
        oid2, st = buy(pid, a, 2000)
        steps.append(("A buys 2000", st))
        body = {"type": "refund", "program_id": pid, "order_id": oid2, "refund_id": tag + "r3", "amount": 2500,
                "currency": "USD"}
        r = cl.call("POST", "/events", body)
        steps.append(("refund 2500 of a 2000 order", {"request": body, "status": r.status, "error": r.raw[:300]}))
        out.append({"probe": "partial refund then whole-order refund; over-refund",
                    "note": "own_revenue is 6000-1000-5000(remainder)=0 if 'whole order' means what is left, "
                            "-1000 if it means the full amount again (+2000 for the last order unless refunded)",
                    "steps": steps, "report": report(pid)})
    finally:
        srv.stop()
    return out


# --------------------------------------------------------------------------
# Assignment check: is the control share what the holdout says, for emails
# and for external ids alike?  Group lookups only (no events).
# --------------------------------------------------------------------------

def run_assignment_check(binpath, seed, servers=4, per_kind=1200):
    rng = random.Random(seed * 7919 + 1)
    emails = ["%s.%s%d@%s" % (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), i, rng.choice(DOMAINS))
              for i in range(per_kind)]
    exts = ["CUST-%06d" % i for i in range(per_kind)]
    per_server = []
    pooled = {}
    for k in range(servers):
        h = 50 if k % 2 == 0 else 10
        srv = Server(binpath)
        try:
            cl = Client(srv.port, srv.sk)
            r = cl.call("POST", "/programs", program_body("assignment %d" % k, h))
            pid = r.body["id"]
            res = {"holdout": h, "groups": {}}
            for kind, keys in (("email", emails), ("external_id", exts)):
                ctl = 0
                gl = []
                for key in keys:
                    rr = cl.call("GET", "/programs/%s/holdout?%s" % (pid, urllib.parse.urlencode({kind: key})))
                    g = (rr.body or {}).get("group")
                    gl.append(g)
                    ctl += g == "control"
                p = h / 100
                z = (ctl - p * len(keys)) / math.sqrt(len(keys) * p * (1 - p))
                res[kind] = {"n": len(keys), "control": ctl, "share": ctl / len(keys), "z": z}
                res["groups"][kind] = gl
                a = pooled.setdefault(kind, [0, 0.0, 0.0])
                a[0] += ctl
                a[1] += p * len(keys)
                a[2] += len(keys) * p * (1 - p)
            per_server.append(res)
        finally:
            srv.stop()
    # do two servers with the same holdout give the same groups (a global key)?
    same = []
    for i in range(len(per_server)):
        for j in range(i + 1, len(per_server)):
            if per_server[i]["holdout"] == per_server[j]["holdout"]:
                a, b = per_server[i]["groups"]["email"], per_server[j]["groups"]["email"]
                same.append({"servers": [i, j], "holdout": per_server[i]["holdout"],
                             "email_agreement": sum(x == y for x, y in zip(a, b)) / len(a)})
    for r in per_server:
        del r["groups"]
    return {"per_server": per_server, "agreement_between_servers": same,
            "pooled": {k: {"control": v[0], "expected": v[1], "z": (v[0] - v[1]) / math.sqrt(v[2])}
                       for k, v in pooled.items()}}


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="the vouch binary")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=int, default=2200, help="target HTTP requests per run")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--keep-logs", action="store_true", help="write every run's event log to logs/")
    ap.add_argument("--no-probes", action="store_true", help="skip the hand-written edge-case probes")
    ap.add_argument("--assignment-servers", type=int, default=4,
                    help="servers for the group-assignment check (2400 lookups each; 0 to skip)")
    ap.add_argument("--save-logs", type=int, default=1,
                    help="1: write the event log of runs with a mismatch or error to logs/<tag>.json.gz")
    args = ap.parse_args()

    probes = []
    if not args.no_probes:
        try:
            probes = run_probes(args.bin, args.seed)
        except Exception as e:  # noqa: BLE001
            probes = [{"failed": repr(e)}]
        for p in probes:
            print("probe: %s -> %s" % (p.get("probe"), json.dumps(p.get("report"))), file=sys.stderr)
    assignment = None
    if args.assignment_servers:
        try:
            assignment = run_assignment_check(args.bin, args.seed, args.assignment_servers)
        except Exception as e:  # noqa: BLE001
            assignment = {"failed": repr(e)}
        print("assignment check: %s" % json.dumps(assignment.get("pooled", assignment)), file=sys.stderr)
    runs = []
    for i in range(args.runs):
        r = Run(args, i, args.seed)
        try:
            res = r.execute()
        except Exception as e:  # noqa: BLE001 - keep going, record the failure
            res = {"run": i, "run_seed": r.run_seed, "tag": r.tag, "failed": repr(e),
                   "http_errors": r.http_errors, "anomalies": r.anomalies}
        runs.append(res)
        cov = res.get("coverage", {})
        print("run %2d %-6s holdout=%2s n=%4s req=%4s %5ss exact=%s cut=%s conv_cov=%s rev_cov=%s errors=%d%s" % (
            i, res.get("scenario", {}).get("effect"), res.get("scenario", {}).get("holdout"),
            res.get("scenario", {}).get("n_customers"), res.get("requests"), res.get("seconds"),
            "ok" if not res.get("exact_mismatches") else "MISMATCH(%d)" % len(res["exact_mismatches"]),
            "ok" if not res.get("cut", {}).get("mismatches") else "MISMATCH",
            cov.get("conversions", {}).get("covered"), cov.get("revenue", {}).get("covered"),
            len(res.get("http_errors", [])), (" FAILED " + res["failed"]) if "failed" in res else ""),
            file=sys.stderr, flush=True)
    summary = summarize(runs)
    out = {"command": "python3 eval/lift/traffic.py " + " ".join(sys.argv[1:]),
           "seed": args.seed, "runs_requested": args.runs, "summary": summary, "probes": probes,
           "assignment_check": assignment,
           "runs": runs}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1, default=str)
    print(json.dumps(summary, indent=1, default=str))


def summarize(runs):
    ok_runs = [r for r in runs if "failed" not in r]
    sm = {"runs": len(runs), "failed_runs": [{"run": r["run"], "error": r["failed"]} for r in runs if "failed" in r]}
    cov = {}
    for m in METRICS:
        vals = [r["coverage"][m]["covered"] for r in ok_runs if r["coverage"][m]["covered"] is not None]
        mine = [r["coverage"][m].get("my_covered") for r in ok_runs if r["coverage"][m].get("my_covered") is not None]
        by_eff = {}
        for eff in EFFECTS:
            v = [r["coverage"][m]["covered"] for r in ok_runs
                 if r["scenario"]["effect"] == eff and r["coverage"][m]["covered"] is not None]
            by_eff[eff] = "%d/%d" % (sum(v), len(v))
        by_h = {}
        for h in HOLDOUTS:
            v = [r["coverage"][m]["covered"] for r in ok_runs
                 if r["scenario"]["holdout"] == h and r["coverage"][m]["covered"] is not None]
            w = [r["coverage"][m].get("my_covered") for r in ok_runs
                 if r["scenario"]["holdout"] == h and r["coverage"][m].get("my_covered") is not None]
            below = sum(1 for r in ok_runs if r["scenario"]["holdout"] == h and r["coverage"][m]["covered"] is False
                        and r["coverage"][m]["true"] < r["coverage"][m]["low"])
            by_h[str(h)] = "%d/%d (my Welch %d/%d; misses with truth below the interval: %d)" % (
                sum(v), len(v), sum(w), len(w), below)
        by_flags = {}
        for r in ok_runs:
            k = "early_joiners=%s,code_later=%s" % (r["scenario"]["early_joiners"], r["scenario"]["code_later"])
            e = by_flags.setdefault(k, {"covered": 0, "my_covered": 0, "runs": 0, "bias": []})
            e["runs"] += 1
            e["covered"] += bool(r["coverage"][m]["covered"])
            e["my_covered"] += bool(r["coverage"][m].get("my_covered"))
            if r["coverage"][m].get("report_minus_contract_absolute") is not None:
                e["bias"].append(r["coverage"][m]["report_minus_contract_absolute"])
        for e in by_flags.values():
            b = e.pop("bias")
            e["mean_report_minus_contract_absolute"] = statistics.mean(b) if b else None
            e["max_abs_report_minus_contract_absolute"] = max(map(abs, b)) if b else None
        ratios = [r["coverage"][m].get("halfwidth_ratio_report_over_mine") for r in ok_runs
                  if r["coverage"][m].get("halfwidth_ratio_report_over_mine") is not None]
        rel = [r["coverage"][m]["relative_covered"] for r in ok_runs
               if r["coverage"][m].get("relative_covered") is not None]
        cov[m] = {"covered": sum(vals), "with_interval": len(vals),
                  "relative_covered": "%d/%d" % (sum(rel), len(rel)),
                  "coverage": (sum(vals) / len(vals)) if vals else None,
                  "my_welch_coverage": (sum(mine) / len(mine)) if mine else None,
                  "by_effect": by_eff, "by_holdout": by_h, "by_flags": by_flags,
                  "halfwidth_ratio_report_over_mine_min_max": [min(ratios), max(ratios)] if ratios else None,
                  "missed_runs": [{"run": r["run"], "true": r["coverage"][m]["true"],
                                   "low": r["coverage"][m]["low"], "high": r["coverage"][m]["high"],
                                   "effect": r["scenario"]["effect"], "holdout": r["scenario"]["holdout"]}
                                  for r in ok_runs if r["coverage"][m]["covered"] is False]}
    sm["coverage"] = cov
    sm["exact_mismatch_runs"] = [{"run": r["run"], "tag": r["tag"], "n": len(r["exact_mismatches"]),
                                  "first": r["exact_mismatches"][:6],
                                  "diagnosis": r.get("diagnosis"), "log_file": r.get("log_file")}
                                 for r in ok_runs if r["exact_mismatches"]]
    sm["cut_mismatch_runs"] = [{"run": r["run"], "tag": r["tag"], "to": r["cut"]["to"],
                                "first": r["cut"]["mismatches"][:6], "explained_by": r["cut"].get("explained_by")}
                               for r in ok_runs if r.get("cut") and r["cut"]["mismatches"]]
    sm["cut_checked_runs"] = sum(1 for r in ok_runs if r.get("cut"))
    sm["refusals"] = {k: sum(r["refusals"][k] for r in ok_runs) for k in (
        "control_attempts", "control_refused", "exposed_attempts", "exposed_accepted",
        "friend_control_attempts", "friend_control_refused", "friend_exposed_attempts", "friend_exposed_accepted")}
    sm["refusals"]["wrong_count"] = sum(len(r["refusals"]["wrong"]) for r in ok_runs)
    sm["refusals"]["wrong"] = [dict(w, run=r["run"]) for r in ok_runs for w in r["refusals"]["wrong"]][:20]
    sm["runs_by_flags"] = {}
    for r in ok_runs:
        k = "early_joiners=%s,code_later=%s" % (r["scenario"]["early_joiners"], r["scenario"]["code_later"])
        e = sm["runs_by_flags"].setdefault(k, {"runs": 0, "exact_ok": 0, "explained_by": {}})
        e["runs"] += 1
        if not r["exact_mismatches"]:
            e["exact_ok"] += 1
        else:
            ex = (r.get("diagnosis") or {}).get("explained_by") or []
            key = " | ".join(" + ".join(c) for c in ex) or "UNEXPLAINED"
            e["explained_by"][key] = e["explained_by"].get(key, 0) + 1
    sm["http_errors"] = [dict(e, run=r["run"]) for r in runs for e in r.get("http_errors", [])][:50]
    sm["http_error_count"] = sum(len(r.get("http_errors", [])) for r in runs)
    sm["anomalies"] = [dict(a, run=r["run"]) for r in runs for a in r.get("anomalies", [])][:50]
    sm["requests_per_run_max"] = max((r["requests"] for r in ok_runs), default=None)
    sm["requests_total"] = sum(r["requests"] for r in ok_runs)
    sm["assignment_z_scores"] = [round(r["assignment"]["z_vs_holdout"], 2) for r in ok_runs]
    return sm


if __name__ == "__main__":
    main()
