#!/usr/bin/env python3
"""Independent evaluation of Vouch's "likely advocates" ranking
(GET /api/v1/analytics/likely-advocates), written without reading its code.

Each run draws a hidden referral process for a simulated shop (parameters drawn
from the run's seed; strong, medium and weak/noisy runs), simulates about 15
months of history plus 180 days of future, sends the history through the public
API of a fresh `vouch serve` (SQLite, temporary data dir, free port), asks the
endpoint for its ranking, and scores that ranking against the simulated future
that was never sent:

  * AUC of Vouch's scores against who brings >= 1 converting friend in the next
    H days (H = 90, also 30 and 180);
  * AUC of the "most purchases so far" baseline, of a "most converted friends so
    far" heuristic, and of an oracle (Monte Carlo estimate of each person's hidden
    chance, from the hidden state at the present) on the same people;
  * precision in the top 10% by Vouch's scores and by the baseline;
  * Vouch's self-reported model.evaluation next to the same back-test computed here;
  * schema, ordering, duplicates, people missing or unknown to the program, 5xx.

Standard library only.  Usage:

    python3 eval/likely/traffic.py --bin /tmp/vouch-likely/vouch --runs 12 --seed 1
    python3 eval/likely/traffic.py --selftest        # checks this script's own logic
"""

import argparse
import copy
import csv
import io
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
import http.client
import urllib.parse
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
HIST = 456            # days of history sent (about 15 months), ending now
FUT = 180             # days of future simulated (never sent)
HORIZONS = (30, 90, 180)
MAIN_H = 90
FRIEND_MAX_DELAY = 25.0   # a friend who has not bought 25 days after the share never does
REGIMES = ["strong", "medium", "weak", "medium"]

FIRST = ["sara", "omar", "li", "maria", "john", "aisha", "kenji", "lena", "raj", "fatima",
         "noah", "emma", "yusuf", "chloe", "ivan", "zoe", "mateo", "nina", "amir", "julia"]
LAST = ["smith", "alharbi", "chen", "garcia", "okafor", "mueller", "tanaka", "rossi",
        "khan", "dubois", "silva", "novak", "kim", "haddad"]
DOMAINS = ["gmail.example", "outlook.example", "yahoo.example", "icloud.example",
           "proton.example", "corp-mail.example", "uni.example.edu"]
UAS = ["Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
       "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
       "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/124.0.0.0 Mobile Safari/537.36",
       "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
       "Chrome/124.0.0.0 Safari/537.36",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
       "Version/17.4 Safari/605.1.15"]


# ==========================================================================
# Statistics
# ==========================================================================

def auc(scores, labels):
    """Mann-Whitney AUC with ties counted as one half. None if one class is empty."""
    n = len(scores)
    npos = sum(1 for y in labels if y)
    nneg = n - npos
    if npos == 0 or nneg == 0:
        return None
    order = sorted(range(n), key=lambda i: scores[i])
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        r = (i + j) / 2.0 + 1.0
        for k in range(i, j + 1):
            ranks[order[k]] = r
        i = j + 1
    rpos = sum(ranks[i] for i in range(n) if labels[i])
    return (rpos - npos * (npos + 1) / 2.0) / (npos * nneg)


def auc_brute(scores, labels):
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    tot = 0.0
    for p in pos:
        for q in neg:
            tot += 1.0 if p > q else (0.5 if p == q else 0.0)
    return tot / (len(pos) * len(neg))


def auc_se(a, npos, nneg):
    """Hanley-McNeil standard error."""
    if a is None or npos == 0 or nneg == 0:
        return None
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    v = (a * (1 - a) + (npos - 1) * (q1 - a * a) + (nneg - 1) * (q2 - a * a)) / (npos * nneg)
    return math.sqrt(max(v, 0.0))


def top_precision(scores, labels, frac=0.10):
    """Expected share of positives among the top ceil(frac*n) by score, ties at the
    cut-off broken at random (so a constant score gives the base rate)."""
    n = len(scores)
    if n == 0:
        return None, 0
    k = max(1, int(math.ceil(frac * n)))
    pairs = sorted(zip(scores, labels), key=lambda x: -x[0])
    cut = pairs[k - 1][0]
    above = [(s, y) for s, y in pairs if s > cut]
    tie = [(s, y) for s, y in pairs if s == cut]
    need = k - len(above)
    exp_pos = sum(1 for _, y in above if y) + need * (sum(1 for _, y in tie if y) / len(tie))
    return exp_pos / k, k


def poisson(rng, lam):
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    L = math.exp(-lam)
    p = rng.random()
    k = 0
    while p > L:
        k += 1
        p *= rng.random()
    return k


# ==========================================================================
# Scenario
# ==========================================================================

def make_params(rng, run_index):
    regime = REGIMES[run_index % len(REGIMES)]
    w = {"strong": rng.uniform(0.85, 1.0), "medium": rng.uniform(0.4, 0.75),
         "weak": rng.uniform(0.0, 0.15)}[regime]
    p = {"regime": regime, "w": w}
    p["n0"] = rng.randint(600, 800)                 # organic customers (sized to the budget later)
    p["launch"] = rng.uniform(40.0, 200.0)           # program launch, days after history start
    p["growth"] = rng.uniform(0.0, 1.0)              # arrivals grow over the history
    p["p_ext"] = rng.uniform(0.04, 0.12)             # known only by the shop's customer id
    p["p_both"] = rng.uniform(0.05, 0.12)            # email and customer id
    p["p_ext_only_event"] = 0.25                     # an event of an email+id customer carries the id only
    p["p_eur"] = rng.uniform(0.08, 0.25)             # customers who pay in EUR
    p["p_case"] = rng.uniform(0.15, 0.40)            # email typed in another letter case
    p["p_oneoff"] = rng.uniform(0.35, 0.60)          # buy once, never again
    p["rate_med"] = rng.uniform(0.25, 0.55)          # repeat buyers: purchases per 30 days (median)
    p["rate_sigma"] = rng.uniform(0.5, 0.9)
    p["life_mean"] = rng.uniform(180.0, 500.0)       # days until a repeat buyer lapses (mean)
    p["p_gift"] = rng.uniform(0.04, 0.10)            # gift buyers: big baskets, at the holidays
    p["basket_med"] = rng.uniform(3000, 7000)
    p["basket_sigma"] = rng.uniform(0.5, 0.9)
    p["p_small"] = rng.uniform(0.02, 0.06)           # orders of 1 to 5 units
    p["p_sharer"] = rng.uniform(0.10, 0.25)          # customers who would ever refer
    p["a_mean"] = rng.uniform(0.015, 0.030)          # a sharer's friends per day (at factor 1)
    p["a_shape"] = rng.uniform(0.35, 1.0)            # gamma shape: small = heavier tail
    p["p_infl"] = rng.uniform(0.004, 0.015)          # influencers among customers
    p["burst_rate"] = 1.0 / rng.uniform(60.0, 200.0)
    p["burst_mean"] = rng.uniform(4.0, 10.0)
    # behaviour that makes the past predictive, scaled by w
    p["kappa"] = 2.5 * w                             # satisfaction
    p["gamma"] = 0.5 * w                             # repeat purchases
    p["rho"] = 120.0 + (1.0 - w) * 1500.0            # recency decay (days)
    p["eta"] = 1.0 * w                               # habit: earlier referrals
    p["tau"] = rng.uniform(60.0, 200.0)
    p["m_ref"] = 1.0 + 1.5 * w                       # referred customers refer more
    p["sharer_ref_mult"] = 1.0 + 1.0 * w
    p["oneoff_mult"] = 1.0 - 0.7 * w                 # one-off buyers rarely refer
    p["gift_mult"] = 1.0 - 0.85 * w
    p["vol"] = (1.0 - w) ** 2 / 45.0 + 1.0 / 2000.0        # daily chance a person's propensity is redrawn
    p["enrol_dep"] = w                               # enrolment depends on satisfaction / sharing
    p["p_blast"] = rng.uniform(0.04, 0.12)           # enrol at the launch e-mail
    p["q_enrol"] = rng.uniform(0.015, 0.05)          # enrol after a purchase
    p["q_friend"] = rng.uniform(0.10, 0.30)          # a converted friend (a participant at once) ever shares
    p["n_noncust"] = rng.randint(8, 30)              # advocates who are not customers
    p["noncust_infl"] = rng.uniform(0.1, 0.25)
    # friends
    p["p_signup"] = rng.uniform(0.5, 0.85)
    p["p_buy"] = rng.uniform(0.35, 0.7)
    p["d_f"] = rng.uniform(2.0, 8.0)                 # mean days from share to first purchase
    p["p_code_on_purchase"] = 0.3                    # a signed-up friend's purchase repeats the code
    p["p_fr_friend"] = rng.uniform(0.04, 0.12)       # friend's first purchase fully refunded
    p["p_pr_friend"] = rng.uniform(0.02, 0.06)
    p["p_fr"] = rng.uniform(0.01, 0.04)              # other purchases
    p["p_pr"] = rng.uniform(0.01, 0.04)
    p["p_replay"] = rng.uniform(0.01, 0.03)          # webhook retries: same order id again
    p["p_code_leak"] = rng.uniform(0.005, 0.02)      # an existing customer's order with someone's code
    # calendar
    p["hol_p"] = rng.uniform(0.5, 1.5)
    p["hol_r"] = rng.uniform(0.5, 2.0)
    p["sale_p"] = rng.uniform(1.5, 3.0)
    p["sale_r"] = rng.uniform(1.5, 3.0)
    p["sale_hist"] = rng.uniform(p["launch"] + 20.0, HIST - 20.0)
    p["sale_fut"] = rng.uniform(HIST + 10.0, HIST + FUT - 10.0) if rng.random() < 0.5 else None
    p["clicks_cap"] = rng.randint(60, 150)
    p["clicks_per_friend"] = rng.uniform(2.0, 5.0)
    p["n_b_only"] = rng.randint(15, 30)              # customers of another program only
    p["n_b_shared"] = rng.randint(8, 20)             # customers of both programs
    return p


class Calendar:
    def __init__(self, prm, t0):
        n = HIST + FUT + 2
        self.SP = [1.0] * n    # purchases
        self.SG = [1.0] * n    # gift buyers' purchases
        self.SR = [1.0] * n    # referrals
        base = datetime(t0.year, t0.month, t0.day, 12, tzinfo=timezone.utc)   # the date only: reproducible within a day
        for d in range(n):
            day = base + timedelta(days=d)
            peak = datetime(day.year, 12, 12, 12, tzinfo=timezone.utc)
            off = (day - peak).total_seconds() / 86400.0
            if off > 180:
                off -= 365
            elif off < -180:
                off += 365
            bump = math.exp(-(off / 12.0) ** 2)
            sp = 1.0 + prm["hol_p"] * bump
            sr = 1.0 + prm["hol_r"] * bump
            sg = 0.15 + 8.0 * bump
            for s in (prm["sale_hist"], prm["sale_fut"]):
                if s is not None and s <= d < s + 7:
                    sp *= prm["sale_p"]
                    sr *= prm["sale_r"]
                    sg *= prm["sale_p"]
            self.SP[d], self.SR[d], self.SG[d] = sp, sr, sg


# ==========================================================================
# The hidden process
# ==========================================================================

class Cascade(Exception):
    pass


class Person:
    __slots__ = ("idx", "kind", "email", "ext", "name", "cur", "referred", "referrer",
                 "sat", "rate", "h", "lapsed", "oneoff", "gift", "basket", "a", "sharer",
                 "infl", "burst_left", "burst_pd", "enrolled", "enrol_t", "n", "last_act",
                 "hab", "customer", "dead", "can_enrol", "enrol_h", "friends", "orders",
                 "arrive", "signup_only", "par_id", "code", "noncust", "program_b",
                 "in_a", "lf", "auto", "mute")

    def __init__(self, idx):
        self.idx = idx
        self.referred = False
        self.referrer = None
        self.lapsed = False
        self.burst_left = 0
        self.burst_pd = 0.0
        self.enrolled = False
        self.enrol_t = None
        self.n = 0
        self.last_act = None
        self.hab = 0.0
        self.customer = False
        self.dead = False
        self.friends = []       # friend records: dict(share, signup, buy, refund, person)
        self.orders = []        # (t, order_id) of program A purchases
        self.signup_only = False
        self.par_id = None
        self.code = None
        self.noncust = False
        self.program_b = False
        self.in_a = True
        self.oneoff = False
        self.gift = False
        self.infl = False
        self.sharer = False
        self.a = 0.0
        self.rate = 0.0
        self.h = 0.0
        self.enrol_h = 0.0
        self.lf = 1.0
        self.auto = False
        self.mute = False

    def key(self):
        return self.email or ("ext:" + self.ext)


class World:
    """Simulates the hidden process day by day. The same step() drives the history,
    the realised future and the oracle's Monte Carlo futures."""

    def __init__(self, prm, rng, t0):
        self.prm = prm
        self.rng = rng
        self.t0 = t0
        self.cal = Calendar(prm, t0)
        self.people = []
        self.events = []          # history and future actions (simulated time t in days)
        self.arrivals = defaultdict(list)
        self.norder = 0
        self.nrefund = 0
        self.hab_decay = math.exp(-1.0 / prm["tau"])
        self.mc = None            # during Monte Carlo: list collecting friend conversion times

    # ---- traits ----------------------------------------------------------
    def new_person(self, referred=False, noncust=False, allow_ext=True):
        rng, prm = self.rng, self.prm
        p = Person(len(self.people))
        self.people.append(p)
        u = rng.random()
        if noncust:
            kind = "email"
        elif allow_ext and u < prm["p_ext"]:
            kind = "ext"
        elif u < prm["p_ext"] + prm["p_both"]:
            kind = "both"
        else:
            kind = "email"
        p.kind = kind
        fn, ln = rng.choice(FIRST), rng.choice(LAST)
        p.name = "%s %s" % (fn.title(), ln.title())
        p.email = "%s.%s%d@%s" % (fn, ln, p.idx, rng.choice(DOMAINS)) if kind != "ext" else None
        p.ext = "CUST-%05d" % p.idx if kind != "email" else None
        p.cur = "EUR" if rng.random() < prm["p_eur"] else "USD"
        p.referred = referred
        p.noncust = noncust
        p.sat = rng.betavariate(2.0, 2.0)
        if noncust:
            p.rate = 0.03 / 30.0
        else:
            p.gift = rng.random() < prm["p_gift"]
            p.oneoff = (not p.gift) and rng.random() < prm["p_oneoff"] * (0.8 if referred else 1.0)
            if p.gift:
                p.rate = 0.6 / 365.0
            elif p.oneoff:
                p.rate = 0.0
            else:
                p.rate = math.exp(math.log(prm["rate_med"]) + prm["rate_sigma"] * rng.gauss(0, 1)) / 30.0
        p.h = 1.0 / prm["life_mean"]
        p.basket = math.exp(rng.gauss(0, 0.4)) * (rng.uniform(3.0, 6.0) if p.gift else 1.0)
        p.infl = rng.random() < (prm["noncust_infl"] if noncust else prm["p_infl"])
        if p.infl:
            p.rate = min(p.rate, 0.2 / 30.0)
            p.oneoff = False
        p.can_enrol = p.email is not None
        self.draw_a(p)
        w = prm["enrol_dep"]
        p.lf = ((0.25 + p.sat) / 0.75) ** prm["kappa"]
        f = (1 - w) + w * (0.5 + p.sat) * (2.5 if p.a > 0 else 0.6)
        if p.infl:
            f = max(f, 3.0)
        p.enrol_h = prm["q_enrol"] * f / 60.0
        return p

    def draw_a(self, p):
        rng, prm = self.rng, self.prm
        ps = prm["p_sharer"] * (prm["sharer_ref_mult"] if p.referred else 1.0) * (1.5 if p.noncust else 1.0)
        if p.mute:
            ps = 0.0
        if rng.random() < ps:
            a = rng.gammavariate(prm["a_shape"], prm["a_mean"] / prm["a_shape"])
            if p.gift:
                a *= prm["gift_mult"]
            if p.oneoff:
                a *= prm["oneoff_mult"]
            p.a = a
            p.sharer = True
        else:
            p.a = 0.0
            p.sharer = False

    def enrol_factor(self, p):
        w = self.prm["enrol_dep"]
        f = (1 - w) + w * (0.5 + p.sat) * (2.5 if p.a > 0 else 0.6)
        return max(f, 3.0) if p.infl else f

    # ---- actions ---------------------------------------------------------
    def act(self, t, kind, **kw):
        if self.mc is not None:
            return None
        a = {"t": t, "kind": kind}
        a.update(kw)
        self.events.append(a)
        return a

    def amount(self, p):
        rng, prm = self.rng, self.prm
        if rng.random() < prm["p_small"]:
            return rng.randint(1, 500)
        x = math.exp(math.log(prm["basket_med"]) + prm["basket_sigma"] * rng.gauss(0, 1)) * p.basket
        return max(100, int(round(x)))

    def purchase(self, p, t, first_friend=None):
        """A purchase of program A. first_friend: the friend record when this is a
        referred friend's first purchase."""
        rng, prm = self.rng, self.prm
        p.n += 1
        p.last_act = t
        p.customer = True
        if self.mc is None:
            self.norder += 1
            oid = "o%06d" % self.norder
            amt = self.amount(p)
            ext_only = p.kind == "both" and rng.random() < prm["p_ext_only_event"]
            ev = self.act(t, "purchase", person=p, order_id=oid, amount=amt, currency=p.cur,
                          ext_only=ext_only, friend=first_friend)
            p.orders.append((t, oid))
            if first_friend is not None:
                rk = first_friend["refund"]
            else:
                u = rng.random()
                rk = "full" if u < prm["p_fr"] else ("part" if u < prm["p_fr"] + prm["p_pr"] else None)
                if rk is None and p.n > 1 and rng.random() < prm["p_code_leak"]:
                    ev["leak"] = True        # an existing customer's order with some advocate's code
            if rk:
                self.nrefund += 1
                rt = t + rng.uniform(1.0, 20.0)
                if first_friend is not None:
                    first_friend["refund_t"] = rt
                self.act(rt, "refund", person=p, order_id=oid, refund_id="r%06d" % self.nrefund,
                         amount=None if rk == "full" else max(1, int(amt * rng.uniform(0.1, 0.8))),
                         currency=p.cur, full=(rk == "full"))
            if rng.random() < prm["p_replay"]:
                self.act(t + rng.uniform(0.0001, 0.01), "replay", person=p, original=ev)
        if first_friend is not None and not p.enrolled:
            # Vouch makes a converted friend a participant (with a code of their own) at once
            p.enrolled = True
            p.enrol_t = t
            p.auto = True
            return
        # enrolment after a purchase
        if (not p.enrolled) and p.can_enrol and t >= self.prm["launch"] and not p.dead:
            q = self.prm["q_enrol"] * self.enrol_factor(p)
            if rng.random() < min(q, 0.9):
                self.enrol(p, t + rng.uniform(0.001, 2.0))

    def enrol(self, p, t):
        p.enrolled = True
        p.enrol_t = t
        if p.last_act is None:
            p.last_act = t
        self.act(t, "enrol", person=p)

    def share(self, p, t):
        """p brings a friend at time t: the friend's fate is drawn now."""
        rng, prm = self.rng, self.prm
        p.hab += 1.0
        buy = None
        if rng.random() < prm["p_buy"]:
            delay = 0.05 + rng.expovariate(1.0 / prm["d_f"])
            if delay <= FRIEND_MAX_DELAY:
                buy = t + delay
        refund = None
        if buy is not None:
            u = rng.random()
            refund = "full" if u < prm["p_fr_friend"] else ("part" if u < prm["p_fr_friend"] + prm["p_pr_friend"] else None)
        if self.mc is not None:
            if buy is not None and refund != "full":
                self.mc.append(buy)
            return
        signup = t + rng.uniform(0.0, 0.5) if rng.random() < prm["p_signup"] else None
        if buy is not None and signup is not None and signup > buy:
            signup = buy - 0.001
        rec = {"share": t, "signup": signup, "buy": buy, "refund": refund, "person": None}
        p.friends.append(rec)
        if signup is None and buy is None:
            return
        if len(self.people) > 6000:
            raise Cascade("more than 6000 people: the referral cascade exploded")
        f = self.new_person(referred=True)
        f.referrer = p
        if rng.random() >= prm["q_friend"]:
            # most converted friends never use the code Vouch gives them
            f.mute = True
            f.a = 0.0
            f.sharer = False
            f.infl = False
        rec["person"] = f
        if signup is not None:
            self.act(signup, "signup", person=f, referrer=p)
        if buy is not None:
            f.arrive = buy
            self.arrivals[int(buy)].append((f, buy, rec))
        else:
            f.signup_only = True
            f.arrive = signup

    # ---- one day of one person -------------------------------------------
    def step(self, p, d):
        rng, prm, cal = self.rng, self.prm, self.cal
        if p.dead:
            return
        if rng.random() < prm["vol"]:
            self.draw_a(p)
        if p.rate > 0 and not p.lapsed and (p.customer or p.noncust):
            if p.customer and rng.random() < p.h:
                p.lapsed = True
            else:
                m = cal.SG[d] if p.gift else cal.SP[d]
                if rng.random() < p.rate * m:
                    self.purchase(p, d + rng.random())
        p.hab *= self.hab_decay
        if d < prm["launch"]:
            return
        if not p.enrolled:
            if p.can_enrol and rng.random() < p.enrol_h:
                self.enrol(p, d + rng.random())
            return
        if d + 1 <= p.enrol_t:
            return
        lam = 0.0
        if p.a > 0:
            lf = p.lf * (1.0 + prm["gamma"] * min(p.n, 8)) / (1.0 + prm["gamma"] * 1.5)
            since = d - (p.last_act if p.last_act is not None else d)
            rec = math.exp(-max(0.0, since - 45.0) / prm["rho"])
            lam = p.a * cal.SR[d] * lf * rec * (1.0 + prm["eta"] * min(p.hab, 4.0)) * \
                (prm["m_ref"] if p.referred else 1.0)
        k = poisson(rng, lam)
        if p.infl:
            if p.burst_left > 0:
                kk = min(p.burst_left, poisson(rng, p.burst_pd))
                p.burst_left -= kk
                k += kk
            elif rng.random() < prm["burst_rate"] * cal.SR[d]:
                p.burst_left = 3 + int(rng.expovariate(1.0 / prm["burst_mean"]))
                p.burst_pd = p.burst_left / rng.uniform(2.0, 10.0)
        lo = max(float(d), p.enrol_t + 0.001)
        for _ in range(k):
            self.share(p, rng.uniform(lo, d + 1.0))

    def expected_rate(self, p, d):
        """Expected friends per day at day d (used for clicks)."""
        prm, cal = self.prm, self.cal
        if not p.enrolled or p.dead:
            return 0.0
        lam = 0.0
        if p.a > 0:
            lf = p.lf * (1.0 + prm["gamma"] * min(p.n, 8)) / (1.0 + prm["gamma"] * 1.5)
            since = d - (p.last_act if p.last_act is not None else d)
            lam = p.a * cal.SR[d] * lf * math.exp(-max(0.0, since - 45.0) / prm["rho"]) * \
                (1.0 + prm["eta"] * min(p.hab, 4.0)) * (prm["m_ref"] if p.referred else 1.0)
        if p.infl:
            lam += p.burst_pd if p.burst_left > 0 else prm["burst_rate"] * prm["burst_mean"] * 0.3
        return lam

    # ---- the whole timeline ----------------------------------------------
    def run(self, days_from, days_to, active, snapshot_at=None):
        rng, prm = self.rng, self.prm
        snap = None
        for d in range(days_from, days_to):
            if snapshot_at is not None and d == snapshot_at:
                snap = self.snapshot()
            for (f, t, rec) in self.arrivals.pop(d, []):
                f.arrive = t
                self.purchase(f, t, first_friend=rec)
                if rec["refund"] == "full":
                    f.dead = True
                active.append(f)
            new_org = self.org_arrivals.get(d, [])
            for t in new_org:
                p = self.new_person()
                p.arrive = t
                self.purchase(p, t)
                active.append(p)
            for t in self.noncust_arrivals.get(d, []):
                p = self.new_person(noncust=True)
                p.arrive = t
                self.enrol(p, t)
                active.append(p)
            if abs(d - int(prm["launch"])) < 1e-9:
                for p in active:
                    if p.customer and not p.enrolled and p.can_enrol and not p.dead:
                        q = prm["p_blast"] * self.enrol_factor(p) * (0.3 if p.lapsed else 1.0)
                        if rng.random() < min(q, 0.9):
                            self.enrol(p, prm["launch"] + rng.uniform(0.0, 3.0))
            for p in list(active):
                if p.arrive < d:
                    self.step(p, d)
            # friends referred today who also bought today
            for (f, t, rec) in self.arrivals.pop(d, []):
                f.arrive = t
                self.purchase(f, t, first_friend=rec)
                if rec["refund"] == "full":
                    f.dead = True
                active.append(f)
        return snap

    def schedule_arrivals(self):
        rng, prm = self.rng, self.prm
        self.org_arrivals = defaultdict(list)
        # organic customers: arrivals over the history, growing, with the seasons
        weights = [(1.0 + prm["growth"] * d / HIST) * self.cal.SP[d] for d in range(HIST)]
        tot = sum(weights)
        for _ in range(prm["n0"]):
            u = rng.random() * tot
            acc = 0.0
            for d, wgt in enumerate(weights):
                acc += wgt
                if acc >= u:
                    break
            self.org_arrivals[d].append(d + rng.random())
        self.noncust_arrivals = defaultdict(list)
        for _ in range(prm["n_noncust"]):
            t = rng.uniform(prm["launch"], HIST - 1.0)
            self.noncust_arrivals[int(t)].append(t)

    def snapshot(self):
        """The hidden state of everyone at the start of the day (the present)."""
        return {p.idx: (p.a, p.sharer, p.lapsed, p.enrolled, p.enrol_t, p.n, p.last_act, p.hab,
                        p.burst_left, p.burst_pd, p.customer, p.dead) for p in self.people}

    # ---- the oracle --------------------------------------------------------
    def oracle(self, people, snap, now, reps, rng):
        """For each person: the share of `reps` simulated futures (from the hidden
        state at `now`, with friends who have not bought yet re-drawn from their
        conditional chance) in which they bring a converting friend within each
        horizon."""
        prm = self.prm
        saved_rng, saved_mc = self.rng, self.mc
        self.rng = rng
        out = {}
        pb, df = prm["p_buy"], prm["d_f"]

        def F(x):   # P(delay <= x), delay = 0.05 + Exp(d_f)
            return 0.0 if x <= 0.05 else 1.0 - math.exp(-(x - 0.05) / df)

        try:
            for p in people:
                st = snap[p.idx]
                pend = []
                for fr in p.friends:
                    if fr["share"] < now and not (fr["buy"] is not None and fr["buy"] < now):
                        age = now - fr["share"]
                        num = pb * (F(FRIEND_MAX_DELAY) - F(age))
                        den = 1.0 - pb * F(age)
                        pend.append((age, num / den if den > 0 else 0.0))
                hits = {h: 0 for h in HORIZONS}
                if not pend and (st[11] or not (st[3] or p.can_enrol)):
                    out[p.idx] = {h: 0.0 for h in HORIZONS}
                    continue
                q = copy.copy(p)
                for _ in range(reps):
                    (q.a, q.sharer, q.lapsed, q.enrolled, q.enrol_t, q.n, q.last_act, q.hab,
                     q.burst_left, q.burst_pd, q.customer, q.dead) = st
                    self.mc = []
                    for age, pr in pend:
                        if rng.random() < pr:
                            lo = max(age, 0.05)
                            # truncated exponential on (lo, 25]
                            a0 = math.exp(-(lo - 0.05) / df)
                            a1 = math.exp(-(FRIEND_MAX_DELAY - 0.05) / df)
                            x = 0.05 - df * math.log(a0 - rng.random() * (a0 - a1))
                            if rng.random() >= prm["p_fr_friend"]:
                                self.mc.append(now - age + x)
                    for d in range(int(now), int(now) + FUT):
                        self.step(q, d)
                    first = min(self.mc) if self.mc else None
                    for h in HORIZONS:
                        if first is not None and first < now + h:
                            hits[h] += 1
                out[p.idx] = {h: hits[h] / reps for h in HORIZONS}
        finally:
            self.rng, self.mc = saved_rng, saved_mc
        return out


def simulate(prm, seed, t0):
    """History and future of one shop. Returns the world, the snapshot at the
    present and the people's realised outcomes."""
    rng = random.Random(seed)
    w = World(prm, rng, t0)
    w.schedule_arrivals()
    active = []
    snap = w.run(0, HIST + FUT, active, snapshot_at=HIST)
    return w, snap


def known_people(world, now):
    """People the program knows at `now`: bought in program A before it, or enrolled."""
    out = []
    for p in world.people:
        bought = any(t < now for t, _ in p.orders)
        enr = p.enrolled and p.enrol_t is not None and p.enrol_t < now
        if bought or enr:
            out.append(p)
    return out


def outcome(p, start, h, known_at=None):
    """Brings >= 1 converting friend (first purchase in (start, start+h], not fully
    refunded) within the window. known_at: count a full refund only if it happened
    before that time (what the server can know then)."""
    for fr in p.friends:
        if fr["buy"] is not None and start <= fr["buy"] < start + h:
            if fr["refund"] != "full":
                return True
            if known_at is not None and fr.get("refund_t", 1e9) >= known_at:
                return True
    return False


def purchases_before(p, t):
    return sum(1 for tt, _ in p.orders if tt < t)


def friends_before(p, t):
    return sum(1 for fr in p.friends if fr["buy"] is not None and fr["buy"] < t and fr["refund"] != "full")


def count_requests(world, now):
    n = sum(1 for e in world.events if e["t"] < now)
    return n


# ==========================================================================
# Server and HTTP
# ==========================================================================

class Server:
    """A fresh `vouch serve` on a free loopback port with a temporary data dir."""

    def __init__(self, binpath, timeout=30.0):
        self.dir = tempfile.mkdtemp(prefix="vouch-likely-")
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

    def log_tail(self, n=30):
        return "".join(self.lines[-n:])

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
        self.status, self.body, self.headers, self.raw = status, body, headers, raw


class Client:
    def __init__(self, port, key):
        self.port = port
        self.key = key
        self.conn = None
        self.count = 0
        self.net_retries = 0
        self.status_counts = Counter()
        self.fivexx = []

    def raw(self, method, path, body=None, headers=None, key=True):
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"Accept": "application/json"}
        if key and self.key:
            hdrs["Authorization"] = "Bearer " + (self.key if key is True else key)
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        if headers:
            hdrs.update(headers)
        last = None
        for attempt in range(4):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=180)
                self.conn.request(method, path, body=data, headers=hdrs)
                r = self.conn.getresponse()
                rawb = r.read()
                self.count += 1
                h = {k.lower(): v for k, v in r.getheaders()}
                if h.get("connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                txt = rawb.decode("utf-8", "replace")
                try:
                    parsed = json.loads(rawb) if rawb and "json" in h.get("content-type", "json") else None
                except ValueError:
                    parsed = None
                self.status_counts[r.status] += 1
                if r.status >= 500:
                    self.fivexx.append({"request": "%s %s" % (method, path), "body": body,
                                        "status": r.status, "response": txt[:500]})
                return Resp(r.status, parsed, h, txt)
            except (http.client.HTTPException, OSError) as e:
                last = e
                self.net_retries += 1
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                time.sleep(0.3 * (attempt + 1))
        raise RuntimeError("network failure on %s %s: %r" % (method, path, last))

    def call(self, method, path, body=None, headers=None, key=True):
        return self.raw(method, "/api/v1" + path, body, headers, key)


def fmt_ts(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)


def case_variant(rng, email):
    local, dom = email.split("@")
    c = rng.randrange(4)
    if c == 0:
        return local.capitalize() + "@" + dom
    if c == 1:
        return email.upper()
    if c == 2:
        return local + "@" + dom.upper()
    v = "".join(ch.upper() if rng.random() < 0.5 else ch for ch in email)
    return v if v != email else email.upper()


def program_body(name):
    return {"name": name, "destination_url": "https://shop.example.com/",
            "hold_days": 14,
            "referrer_reward": {"kind": "credit", "amount": 1000, "currency": "USD"},
            "referee_reward": {"kind": "credit", "amount": 500, "currency": "USD"}}


def la_path(pid, h=None, limit=1000, fmt=None, extra=None):
    q = {"program_id": pid}
    if h is not None:
        q["horizon_days"] = h
    if limit is not None:
        q["limit"] = limit
    if fmt:
        q["format"] = fmt
    if extra:
        q.update(extra)
    return "/analytics/likely-advocates?" + urllib.parse.urlencode(q)


# ==========================================================================
# Response checks
# ==========================================================================

def check_schema(body, h_expected, limit):
    """Problems with the documented response shape."""
    prob = []
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    for k in ("horizon_days", "model", "data"):
        if k not in body:
            prob.append("missing key %r" % k)
    if body.get("horizon_days") != h_expected:
        prob.append("horizon_days is %r, asked %r" % (body.get("horizon_days"), h_expected))
    m = body.get("model")
    feats = set()
    if m is None:
        if not isinstance(body.get("reason"), str) or not body.get("reason"):
            prob.append("model is null without a reason")
    elif not isinstance(m, dict):
        prob.append("model is neither null nor an object")
    else:
        for k in ("examples", "positives"):
            if not isinstance(m.get(k), int):
                prob.append("model.%s not an integer: %r" % (k, m.get(k)))
        ws = m.get("weights")
        if not isinstance(ws, list) or not ws:
            prob.append("model.weights missing or empty")
        else:
            for x in ws:
                if not (isinstance(x, dict) and isinstance(x.get("feature"), str)
                        and isinstance(x.get("weight"), (int, float))):
                    prob.append("bad weight entry %r" % (x,))
                    break
                feats.add(x["feature"])
        ev = m.get("evaluation")
        if ev is not None:
            for k in ("auc", "baseline_auc"):
                v = ev.get(k)
                if v is not None and not (isinstance(v, (int, float)) and 0 <= v <= 1):
                    prob.append("evaluation.%s out of range: %r" % (k, v))
            if ev.get("baseline") != "most purchases":
                prob.append("evaluation.baseline is %r" % ev.get("baseline"))
            for k in ("examples", "positives"):
                if not isinstance(ev.get(k), int):
                    prob.append("evaluation.%s not an integer: %r" % (k, ev.get(k)))
    data = body.get("data")
    if not isinstance(data, list):
        prob.append("data is not a list")
        return prob
    if len(data) > limit:
        prob.append("data has %d rows, limit %d" % (len(data), limit))
    prev = None
    bad_rows = Counter()
    for row in data:
        if not isinstance(row, dict):
            bad_rows["row not an object"] += 1
            continue
        for k in ("participant_id", "customer_id", "email", "external_id", "enrolled", "score", "reasons"):
            if k not in row:
                bad_rows["row without %s" % k] += 1
        s = row.get("score")
        if body.get("ranking") == "rule":
            # without a model the list is ordered by a stated rule and scores are null
            if s is not None:
                bad_rows["score given under ranking=rule"] += 1
        elif not isinstance(s, (int, float)) or isinstance(s, bool) or not (0 <= s <= 1) or s != s:
            bad_rows["score not in [0,1]"] += 1
        elif prev is not None and s > prev + 1e-12:
            bad_rows["not sorted by score descending"] += 1
        if isinstance(s, (int, float)):
            prev = s
        pid = row.get("participant_id")
        # participant ids are prt_… (par_… also accepted)
        if pid is not None and not (isinstance(pid, str) and pid[:4] in ("prt_", "par_")):
            bad_rows["participant_id not a participant id"] += 1
        cid = row.get("customer_id")
        if cid is not None and not (isinstance(cid, str) and cid):
            bad_rows["customer_id not a string"] += 1
        if pid is None and cid is None:
            bad_rows["neither participant_id nor customer_id"] += 1
        if not isinstance(row.get("enrolled"), bool):
            bad_rows["enrolled not a boolean"] += 1
        elif row.get("enrolled") != (pid is not None):
            bad_rows["enrolled disagrees with participant_id"] += 1
        if row.get("email") is None and row.get("external_id") is None:
            bad_rows["neither email nor external_id"] += 1
        rs = row.get("reasons")
        if not isinstance(rs, list):
            bad_rows["reasons not a list"] += 1
        else:
            for r in rs:
                if not (isinstance(r, dict) and isinstance(r.get("feature"), str)
                        and isinstance(r.get("text"), str) and r.get("text")):
                    bad_rows["bad reason entry"] += 1
                    break
                if feats and r["feature"] not in feats:
                    bad_rows["(soft) reason feature not among model weights"] += 1
                    break
    for k, v in bad_rows.items():
        prob.append("%s (%d rows)" % (k, v))
    return prob


# ==========================================================================
# One run
# ==========================================================================

class Run:
    def __init__(self, args, idx, base_seed):
        self.args = args
        self.idx = idx
        self.seed = base_seed * 1000 + idx
        self.rng = random.Random(self.seed + 7)
        self.defects = []
        self.notes = []
        self.http_errors = []

    def err(self, what, req, resp):
        self.http_errors.append({"what": what, "request": req, "status": resp.status,
                                 "body": resp.raw[:600]})

    # -- building the shop ------------------------------------------------
    def build(self):
        prm = make_params(random.Random(self.seed), self.idx)
        now_real = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=2)
        t0 = now_real - timedelta(days=HIST)
        best = None
        for attempt in range(16):
            try:
                world, snap = simulate(prm, self.seed * 7 + attempt, t0)
            except Cascade:
                prm["n0"] = int(prm["n0"] * 0.9)
                continue
            known = known_people(world, HIST)
            nreq = count_requests(world, HIST) + prm["n_b_only"] * 2 + prm["n_b_shared"] * 2 + prm["clicks_cap"] + 60
            if nreq <= self.args.budget and len(known) <= 950:
                best = (world, snap, known)
                break
            if attempt % 2 == 1:    # too big twice: shrink the shop
                scale = max(0.7, min(self.args.budget / nreq, 950.0 / len(known)))
                prm["n0"] = max(80, int(prm["n0"] * min(scale, 0.9)))
                prm["n_noncust"] = max(5, int(prm["n_noncust"] * min(scale, 0.9)))
        if best is None:
            raise RuntimeError("could not draw a shop within the budget and 950 people")
        world, snap, known = best
        prm["attempts"] = attempt + 1
        self.prm, self.world, self.snap, self.t0 = prm, world, snap, t0
        self.known = known
        return prm

    def ts(self, t):
        return fmt_ts(self.t0 + timedelta(days=t))

    def cust(self, p, ext_only=False):
        rng = self.rng
        if p.kind == "ext" or (ext_only and p.ext):
            return {"external_id": p.ext}
        em = p.email
        if rng.random() < self.prm["p_case"]:
            em = case_variant(rng, em)
        c = {"email": em}
        if p.kind == "both":
            c["external_id"] = p.ext
        return c

    def execute(self):
        t_start = time.time()
        prm = self.build()
        self.srv = Server(self.args.bin)
        try:
            self.cl = Client(self.srv.port, self.srv.sk)
            res = self.drive()
        finally:
            self.srv.stop()
        res["seconds"] = round(time.time() - t_start, 1)
        res["requests"] = self.cl.count
        res["status_counts"] = dict(self.cl.status_counts)
        res["fivexx"] = self.cl.fivexx
        res["http_errors"] = self.http_errors
        res["defects"] = self.defects
        res["notes"] = self.notes
        res["params"] = {k: (round(v, 5) if isinstance(v, float) else v) for k, v in prm.items()}
        return res

    def drive(self):
        cl, prm, world, rng = self.cl, self.prm, self.world, self.rng
        r = cl.call("POST", "/programs", program_body("Likely advocates shop"))
        if r.status != 201:
            self.err("create program", program_body("x"), r)
            raise RuntimeError("cannot create program: %s" % r.raw[:300])
        pid = r.body["id"]
        self.pid = pid
        r = cl.call("POST", "/programs", program_body("Other program"))
        pid_b = r.body["id"] if r.status == 201 else None

        # program B: its own customers and some shared ones (must not be listed for A)
        bev = []
        known_a = [p for p in self.known if p.email and p.customer]
        shared = rng.sample(known_a, min(len(known_a), prm["n_b_shared"]))
        self.b_only = []
        for i in range(prm["n_b_only"]):
            em = "bonly%d.%s@shop-b.example" % (i, rng.choice(LAST))
            self.b_only.append(em)
            for _ in range(rng.randint(1, 2)):
                bev.append({"t": rng.uniform(0, HIST - 1), "kind": "b_purchase", "email": em})
        for p in shared:
            p.program_b = True
            for _ in range(rng.randint(1, 3)):
                bev.append({"t": rng.uniform(0, HIST - 1), "kind": "b_purchase", "email": p.email})

        hist = [e for e in world.events if e["t"] < HIST] + bev
        hist.sort(key=lambda e: e["t"])
        stats = Counter()
        ref_status = Counter()
        sent_orders = self.sent_orders = {}
        self.sent_refunds = []
        nb = 0
        for e in hist:
            k = e["kind"]
            p = e.get("person")
            if k == "enrol":
                body = {"email": p.email if rng.random() < 0.6 else case_variant(rng, p.email), "name": p.name}
                if p.kind == "both":
                    body["external_id"] = p.ext
                rr = cl.call("POST", "/programs/%s/participants" % pid, body)
                if rr.status in (200, 201) and rr.body and rr.body.get("referral_code"):
                    p.par_id = rr.body.get("id")
                    p.code = rr.body.get("referral_code")
                    stats["enrolled"] += 1
                else:
                    self.err("enrol", body, rr)
            elif k == "signup":
                ref = e["referrer"]
                self.ensure_code(ref)
                if not ref.code:
                    stats["signup_skipped_no_code"] += 1
                    continue
                body = {"type": "signup", "program_id": pid, "customer": self.cust(p),
                        "referral_code": ref.code, "occurred_at": self.ts(e["t"])}
                rr = cl.call("POST", "/events", body)
                if rr.status not in (200, 201):
                    self.err("signup", body, rr)
                else:
                    stats["signup"] += 1
                    ref_status["signup:" + str(((rr.body or {}).get("referral") or {}).get("status"))] += 1
            elif k in ("purchase", "replay"):
                orig = e if k == "purchase" else e["original"]
                if k == "replay":
                    body = orig.get("sent_body")
                    if body is None:
                        continue
                    rr = cl.call("POST", "/events", body)
                    stats["replay"] += 1
                    if rr.status not in (200, 201):
                        self.err("replay", body, rr)
                    elif (rr.body or {}).get("id") != orig.get("event_id"):
                        self.notes.append("a replayed order got another event id: %s" % body["order_id"])
                    continue
                body = {"type": "purchase", "program_id": pid, "order_id": e["order_id"],
                        "amount": e["amount"], "currency": e["currency"],
                        "customer": self.cust(p, e["ext_only"]), "occurred_at": self.ts(e["t"])}
                fr = e.get("friend")
                if fr is not None:
                    ref = p.referrer
                    self.ensure_code(ref)
                    if ref.code and (fr["signup"] is None or rng.random() < prm["p_code_on_purchase"]
                                     or "email" not in body["customer"]):
                        body["referral_code"] = ref.code
                elif e.get("leak"):
                    codes = [q.code for q in self.known if q.code and q is not p]
                    if codes:
                        body["referral_code"] = rng.choice(codes)
                rr = cl.call("POST", "/events", body)
                if rr.status != 201:
                    self.err("purchase", body, rr)
                    continue
                e["sent_body"] = body
                e["event_id"] = (rr.body or {}).get("id")
                sent_orders[e["order_id"]] = e
                stats["purchase"] += 1
                st = ((rr.body or {}).get("referral") or {})
                if fr is not None:
                    if st.get("referee_participant_id"):
                        p.par_id = st["referee_participant_id"]     # Vouch enrols converted friends
                        stats["friends_made_participants"] += 1
                    ref_status["friend_first_purchase:" + str(st.get("status")) +
                               ("/" + st["rejection_reason"] if st.get("rejection_reason") else "") +
                               ("/" + st["reason"] if st.get("reason") else "")] += 1
                elif e.get("leak") and "referral_code" in body:
                    ref_status["existing_customer_with_code%s:" % ("(a referred customer)" if p.referred else "") + str(st.get("status")) +
                               ("/" + str(st.get("reason") or st.get("rejection_reason") or ""))] += 1
                if e["currency"] == "EUR":
                    stats["purchase_eur"] += 1
                if "email" not in body["customer"]:
                    stats["purchase_ext_only"] += 1
                if e["amount"] <= 500:
                    stats["purchase_small"] += 1
            elif k == "refund":
                if e["order_id"] not in sent_orders:
                    continue
                body = {"type": "refund", "program_id": pid, "order_id": e["order_id"],
                        "refund_id": e["refund_id"], "occurred_at": self.ts(e["t"])}
                if e["amount"] is not None:
                    body["amount"] = e["amount"]
                    body["currency"] = e["currency"]
                rr = cl.call("POST", "/events", body)
                if rr.status not in (200, 201):
                    self.err("refund", body, rr)
                else:
                    stats["refund_full" if e["full"] else "refund_partial"] += 1
                    self.sent_refunds.append(e)
            elif k == "b_purchase":
                if pid_b is None:
                    continue
                nb += 1
                body = {"type": "purchase", "program_id": pid_b, "order_id": "b%05d" % nb,
                        "amount": rng.randint(1500, 9000), "currency": "USD",
                        "customer": {"email": e["email"]}, "occurred_at": self.ts(e["t"])}
                rr = cl.call("POST", "/events", body)
                if rr.status != 201:
                    self.err("program B purchase", body, rr)
                stats["purchase_program_b"] += 1

        # clicks: at the real present only, for advocates who share now
        nclick = 0
        click_plan = []
        for p in [q for q in self.known if q.par_id]:
            st = self.snap[p.idx]
            q = copy.copy(p)
            (q.a, q.sharer, q.lapsed, q.enrolled, q.enrol_t, q.n, q.last_act, q.hab,
             q.burst_left, q.burst_pd, q.customer, q.dead) = st
            lam = world.expected_rate(q, HIST)
            c = min(12, poisson(rng, lam * 14.0 * prm["clicks_per_friend"]))
            if c:
                click_plan.append((p, c))
        rng.shuffle(click_plan)
        for p, c in click_plan:
            if nclick < prm["clicks_cap"]:
                self.ensure_code(p)
            if not p.code:
                continue
            for _ in range(c):
                if nclick >= prm["clicks_cap"]:
                    break
                ua = rng.choice(UAS)
                rr = cl.raw("GET", "/r/%s?s=%s" % (p.code, rng.choice(["whatsapp", "copy", "email", "x"])),
                            headers={"User-Agent": ua, "Accept": "text/html"}, key=False)
                if rr.status not in (302, 303, 307, 200):
                    self.err("click", {"GET": "/r/" + p.code}, rr)
                nclick += 1
        stats["clicks"] = nclick
        stats["advocates_clicked"] = len(click_plan)

        time.sleep(6.0)  # let the worker settle rollups, if the endpoint reads them
        res = {"program_id": pid, "traffic": dict(stats), "referral_answers": dict(ref_status)}
        res["population"] = self.population_stats()
        self.evaluate(res)
        if self.args.side_probes:
            self.side_probes(res)
        return res

    def ensure_code(self, p):
        """A friend Vouch made a participant gets their code when they first share."""
        if p.code or not p.par_id:
            return
        r = self.cl.call("GET", "/participants/%s" % p.par_id)
        if r.status == 200 and isinstance(r.body, dict) and r.body.get("referral_code"):
            p.code = r.body["referral_code"]
        else:
            self.err("read an automatic participant's code", {"GET": "/participants/" + p.par_id}, r)

    def population_stats(self):
        k = self.known
        st = {"known": len(k), "enrolled": sum(1 for p in k if p.par_id),
              "enrolled_by_request": sum(1 for p in k if p.par_id and not p.auto),
              "enrolled_automatically_as_converted_friends": sum(1 for p in k if p.par_id and p.auto),
              "customers": sum(1 for p in k if p.orders and p.orders[0][0] < HIST),
              "ext_only": sum(1 for p in k if p.kind == "ext"),
              "eur": sum(1 for p in k if p.cur == "EUR" and p.orders),
              "referred": sum(1 for p in k if p.referred),
              "noncustomer_advocates": sum(1 for p in k if p.par_id and not any(t < HIST for t, _ in p.orders)),
              "influencers": sum(1 for p in k if p.infl),
              "sharers_now": sum(1 for p in k if self.snap[p.idx][1]),
              "friends_converted_history": sum(friends_before(p, HIST) for p in k),
              "signup_only_friends": sum(1 for p in self.world.people if p.signup_only and p.arrive < HIST)}
        past = [friends_before(p, HIST) for p in k]
        tot = sum(past)
        if tot:
            top = sorted(past, reverse=True)
            st["share_of_history_friends_from_top_1pct"] = round(sum(top[:max(1, len(k) // 100)]) / tot, 3)
            st["people_with_any_history_friend"] = sum(1 for x in past if x)
        for h in HORIZONS:
            st["future_positives_%d" % h] = sum(1 for p in k if outcome(p, HIST, h))
        return st

    # -- matching Vouch's rows to simulated people -------------------------
    def match(self, data):
        by_par = {p.par_id: p for p in self.known if p.par_id}
        by_email = {}
        by_ext = {}
        for p in self.world.people:
            if p.email:
                by_email[p.email.lower()] = p
            if p.ext:
                by_ext[p.ext] = p
        b_only = set(e.lower() for e in self.b_only)
        known_ids = set(p.idx for p in self.known)
        rows = []
        issues = defaultdict(list)
        seen = {}
        for i, row in enumerate(data):
            cands = set()
            if row.get("participant_id") and row["participant_id"] in by_par:
                cands.add(by_par[row["participant_id"]].idx)
            em = row.get("email")
            if isinstance(em, str) and em.lower() in by_email:
                cands.add(by_email[em.lower()].idx)
            ex = row.get("external_id")
            if isinstance(ex, str) and ex in by_ext:
                cands.add(by_ext[ex].idx)
            if len(cands) > 1:
                issues["row matches several people"].append(row)
            if not cands:
                if isinstance(em, str) and em.lower() in b_only:
                    issues["listed: customer of another program only"].append(row)
                else:
                    issues["listed: nobody this simulation knows"].append(row)
                continue
            p = self.world.people[min(cands)]
            if p.idx not in known_ids:
                if p.signup_only:
                    issues["listed: friend who signed up but never bought (not a customer)"].append(row)
                else:
                    issues["listed: person not known to the program now"].append(row)
                continue
            if p.idx in seen:
                issues["duplicate: one person listed twice"].append({"first": data[seen[p.idx]], "again": row})
                continue
            seen[p.idx] = i
            if row.get("enrolled") is not None and bool(row.get("enrolled")) != bool(p.par_id):
                issues["enrolled flag wrong"].append(row)
            if p.par_id and row.get("participant_id") not in (None, p.par_id):
                issues["participant_id of another person"].append(row)
            if p.kind == "ext" and row.get("external_id") != p.ext:
                issues["external-id customer without its external_id"].append(row)
            rows.append((p, row))
        missing = [p for p in self.known if p.idx not in seen]
        return rows, issues, missing

    # -- the evaluation --------------------------------------------------
    def fetch(self, h, limit=1000, extra=None, fmt=None):
        path = la_path(self.pid, h, limit, fmt, extra)
        t = time.time()
        r = self.cl.call("GET", path)
        return r, path, round(time.time() - t, 3)

    def evaluate(self, res):
        world, rng = self.world, random.Random(self.seed + 99)
        t = time.time()
        orc = world.oracle(self.known, self.snap, HIST, self.args.reps, rng)
        res["oracle_seconds"] = round(time.time() - t, 1)
        res["horizons"] = {}
        for h in HORIZONS:
            r, path, secs = self.fetch(h)
            hr = {"request": "GET /api/v1" + path, "status": r.status, "seconds": secs}
            res["horizons"][h] = hr
            if r.status != 200 or not isinstance(r.body, dict):
                hr["body"] = r.raw[:800]
                self.defects.append({"what": "likely-advocates did not answer 200 (horizon %d)" % h,
                                     "request": "GET /api/v1" + path, "status": r.status, "body": r.raw[:800]})
                continue
            b = r.body
            sch = check_schema(b, h, 1000)
            if sch:
                hr["schema_problems"] = sch
                hard = [x for x in sch if not x.startswith("(soft)")]
                if hard:
                    self.defects.append({"what": "schema (horizon %d)" % h, "problems": hard,
                                         "request": "GET /api/v1" + path})
                if len(hard) < len(sch):
                    self.notes.append({"what": "soft schema remarks (horizon %d)" % h,
                                       "remarks": [x for x in sch if x.startswith("(soft)")]})
            data = b.get("data") or []
            rows, issues, missing = self.match(data)
            hr["rows"] = len(data)
            hr["matched"] = len(rows)
            hr["known"] = len(self.known)
            hr["missing"] = len(missing)
            if missing:
                hr["missing_examples"] = [{"email": p.email, "external_id": p.ext, "enrolled": bool(p.par_id),
                                           "purchases": len(p.orders), "kind": p.kind}
                                          for p in missing[:8]]
                hr["missing_by_kind"] = dict(Counter(
                    ("enrolled-noncustomer" if (p.par_id and not p.orders) else p.kind) for p in missing))
            for k, v in issues.items():
                hr.setdefault("issues", {})[k] = {"count": len(v), "examples": v[:3]}
            if len(data) >= 1000:
                self.notes.append("horizon %d: the list has 1000 rows (may be truncated); missing people not judged" % h)
            if h == MAIN_H:
                for k, v in issues.items():
                    self.defects.append({"what": k, "count": len(v), "request": "GET /api/v1" + path,
                                         "examples": v[:3]})
                if not data and b.get("model") is None:
                    self.notes.append("horizon %d: model null (%s) and the list is empty" % (h, b.get("reason")))
                elif missing and len(data) < 1000:
                    self.defects.append({"what": "people known to the program missing from the list",
                                         "count": len(missing), "request": "GET /api/v1" + path,
                                         "by_kind": hr["missing_by_kind"], "examples": hr["missing_examples"][:5]})
            hr["top_keys"] = sorted(b.keys())
            hr["people_field"] = b.get("people")
            m = b.get("model")
            hr["model"] = None if m is None else {k: m.get(k) for k in ("examples", "positives", "evaluation")}
            if m is not None:
                hr["weights"] = m.get("weights")
            hr["reason"] = b.get("reason")
            if not rows:
                continue
            if b.get("ranking") == "rule":
                # no scores: the list's order is the ranking (position from the bottom)
                pos_of = {id(row): i for i, row in enumerate(data)}
                vs = [float(len(data) - pos_of.get(id(row), len(data))) for _, row in rows]
            else:
                vs = [row["score"] if isinstance(row.get("score"), (int, float)) else 0.0 for _, row in rows]
            y = [outcome(p, HIST, h) for p, _ in rows]
            base = [purchases_before(p, HIST) for p, _ in rows]
            heur = [friends_before(p, HIST) for p, _ in rows]
            oc = [orc[p.idx][h] for p, _ in rows]
            npos = sum(y)
            ev = {"n": len(rows), "positives": npos}
            for name, sc in (("vouch", vs), ("baseline", base), ("friends_so_far", heur), ("oracle", oc)):
                a = auc(sc, y)
                ev[name + "_auc"] = a
                ev[name + "_auc_se"] = auc_se(a, npos, len(rows) - npos)
                prec, kk = top_precision(sc, y)
                ev[name + "_top10_precision"] = prec
            ev["top10_k"] = kk
            ev["base_rate"] = npos / len(rows)
            ev["vouch_expected_positives"] = sum(vs)
            ev["oracle_expected_positives"] = sum(oc)
            ev["vouch_brier"] = sum((s - yy) ** 2 for s, yy in zip(vs, y)) / len(rows)
            ev["oracle_brier"] = sum((s - yy) ** 2 for s, yy in zip(oc, y)) / len(rows)
            ev["vouch_vs_oracle_spearman"] = spearman(vs, oc)
            ev["distinct_scores"] = len(set(vs))
            hr["eval"] = ev
            if h == MAIN_H:
                self.main_rows = rows
                self.main_body = b
            hr["self_check"] = self.backtest(h)
            if h == MAIN_H:
                # group checks
                hr["by_group"] = self.group_scores(rows, orc, h)
                hr["field_checks"], hr["field_examples"] = self.field_checks(rows)
        # consistency checks on the main horizon
        if getattr(self, "main_body", None) is not None:
            res["consistency"] = self.consistency()

    def ledger(self):
        """Per person, from what was sent and accepted: orders, money by currency."""
        led = defaultdict(lambda: {"orders": 0, "orders_kept": 0, "USD": 0, "EUR": 0, "USD_net": 0, "EUR_net": 0})
        full = set(e["order_id"] for e in self.sent_refunds if e["full"])
        refunded = Counter()
        for e in self.sent_refunds:
            o = self.sent_orders[e["order_id"]]
            refunded[e["order_id"]] += o["amount"] if e["full"] else e["amount"]
        for oid, e in self.sent_orders.items():
            L = led[e["person"].idx]
            L["orders"] += 1
            L["orders_kept"] += oid not in full
            L[e["currency"]] += e["amount"]
            L[e["currency"] + "_net"] += e["amount"] - min(e["amount"], refunded[oid])
        return led

    def field_checks(self, rows):
        """Vouch's purchases / friends_bought fields and 'spent' reasons against what was sent."""
        led = self.ledger()
        out = {"purchases": Counter(), "friends_bought": Counter(), "spent": Counter()}
        ex = defaultdict(list)
        for p, row in rows:
            L = led[p.idx]
            vp = row.get("purchases")
            if vp is not None:
                k = "equal" if vp == L["orders"] else ("equal_without_fully_refunded" if vp == L["orders_kept"]
                                                      else "differs")
                out["purchases"][k] += 1
                if k == "differs":
                    ex["purchases"].append({"who": p.key(), "vouch": vp, "sent_orders": L["orders"],
                                            "kept": L["orders_kept"]})
            vf = row.get("friends_bought")
            if vf is not None:
                mine = sum(1 for fr in p.friends if fr["buy"] is not None and fr["buy"] < HIST and
                           not (fr["refund"] == "full" and fr.get("refund_t", 1e9) < HIST))
                mine_any = sum(1 for fr in p.friends if fr["buy"] is not None and fr["buy"] < HIST)
                k = "equal" if vf == mine else ("equal_counting_refunded" if vf == mine_any else "differs")
                out["friends_bought"][k] += 1
                if k == "differs":
                    frs = [fr for fr in p.friends if fr["buy"] is not None and fr["buy"] < HIST]
                    bd = Counter()
                    for fr in frs:
                        f = fr["person"]
                        oid = f.orders[0][1] if f.orders else None
                        ev = self.sent_orders.get(oid) if oid else None
                        if ev is None:
                            bd["first order not accepted"] += 1
                            continue
                        bd["currency " + ev["currency"]] += 1
                        if "email" not in ev["sent_body"]["customer"]:
                            bd["first order by external id only"] += 1
                        if "referral_code" not in ev["sent_body"]:
                            bd["first order without the code (signed up with it)"] += 1
                        if ev["amount"] <= 500:
                            bd["first order of 5.00 or less"] += 1
                        if fr["refund"] == "part":
                            bd["partly refunded"] += 1
                        if fr["refund"] == "full" and fr.get("refund_t", 1e9) < HIST:
                            bd["fully refunded"] += 1
                        if HIST - fr["buy"] > 365:
                            bd["more than 365 days ago"] += 1
                    ex["friends_bought"].append({"who": p.key(), "vouch": vf, "mine": mine, "mine_incl_refunded": mine_any,
                                                 "friends_breakdown": dict(bd)})
            for r in row.get("reasons") or []:
                m = re.search(r"spent ([0-9][0-9,]*\.?[0-9]*)", r.get("text") or "")
                if not m:
                    continue
                v = float(m.group(1).replace(",", ""))
                usd, usdn = L["USD"] / 100.0, L["USD_net"] / 100.0
                eur = L["EUR"] / 100.0
                if v == 0 and eur > 0:
                    k = "0.00 for a customer who paid in EUR"
                elif abs(v - usd) < 0.006:
                    k = "USD gross (EUR left out)" if eur > 0 else "USD gross"
                elif abs(v - usdn) < 0.006:
                    k = "USD net of refunds"
                else:
                    k = "other"
                out["spent"][k] += 1
                if k not in ("USD gross", "USD net of refunds"):
                    ex["spent"].append({"who": p.key(), "text": r.get("text"), "USD": usd, "USD_net": usdn,
                                        "EUR": eur, "EUR_net": L["EUR_net"] / 100.0})
        return {k: dict(v) for k, v in out.items()}, {k: v[:4] for k, v in ex.items()}

    def group_scores(self, rows, orc, h):
        g = defaultdict(list)
        for p, row in rows:
            s = row.get("score") or 0.0
            if p.kind == "ext":
                g["ext_only"].append(s)
            if p.cur == "EUR":
                g["eur"].append(s)
            if p.par_id and not any(t < HIST for t, _ in p.orders):
                g["enrolled_noncustomer"].append(s)
            if p.par_id and friends_before(p, HIST) == 0:
                g["enrolled_no_friends_yet"].append(s)
            if p.par_id and friends_before(p, HIST) > 0:
                g["enrolled_with_friends"].append(s)
            if not p.par_id:
                g["not_enrolled"].append(s)
            if p.gift:
                g["gift_buyers"].append(s)
            if p.infl:
                g["influencers"].append(s)
            if p.referred:
                g["referred"].append(s)
            if not p.par_id and p.orders:
                only = set(self.sent_orders[o]["currency"] for _, o in p.orders if o in self.sent_orders)
                if only == {"EUR"}:
                    g["customers_not_enrolled_paying_EUR_only"].append(s)
                elif only == {"USD"}:
                    g["customers_not_enrolled_paying_USD_only"].append(s)
        return {k: {"n": len(v), "mean_score": round(sum(v) / len(v), 5)} for k, v in g.items()}

    def backtest(self, h):
        """The back-test Vouch describes, computed from what was sent: people known at
        now-H (bought before it: enrolments all happened at the real present), the
        "most purchases" baseline at now-H, positives in the last H days."""
        cut = HIST - h
        if cut <= 0:
            return None
        ppl = [p for p in self.known if any(t < cut for t, _ in p.orders)]
        ppl_e = [p for p in self.known if any(t < cut for t, _ in p.orders) or p.par_id]
        out = {}
        for name, pp in (("bought_before_cut", ppl), ("bought_before_cut_or_enrolled", ppl_e)):
            y = [outcome(p, cut, h, known_at=HIST) for p in pp]
            out[name] = {"examples": len(pp), "positives": sum(y),
                         "baseline_auc": auc([purchases_before(p, cut) for p in pp], y),
                         "friends_so_far_auc": auc([friends_before(p, cut) for p in pp], y)}
        return out

    def consistency(self):
        out = {}
        b = self.main_body
        data = b["data"]
        # same call again
        r, path, _ = self.fetch(MAIN_H)
        if r.status == 200 and isinstance(r.body, dict):
            same = [(x.get("participant_id"), x.get("customer_id"), x.get("score")) for x in r.body.get("data", [])] == \
                   [(x.get("participant_id"), x.get("customer_id"), x.get("score")) for x in data]
            out["repeatable"] = same
            if not same:
                d2 = r.body.get("data", [])
                k1 = [(x.get("participant_id"), x.get("customer_id")) for x in data]
                k2 = [(x.get("participant_id"), x.get("customer_id")) for x in d2]
                s1 = {k: x.get("score") for k, x in zip(k1, data)}
                s2 = {k: x.get("score") for k, x in zip(k2, d2)}
                diffs = [abs(s1[k] - s2[k]) for k in s1 if k in s2 and isinstance(s1[k], (int, float))
                         and isinstance(s2[k], (int, float))]
                out["repeat_detail"] = {"same_people": set(k1) == set(k2), "rows": [len(k1), len(k2)],
                                        "positions_changed": sum(1 for a, b2 in zip(k1, k2) if a != b2),
                                        "scores_changed": sum(1 for x in diffs if x > 0),
                                        "max_score_change": max(diffs) if diffs else None}
                rd = out["repeat_detail"]
                if not (rd["same_people"] and rd["positions_changed"] == 0 and (rd["max_score_change"] or 0) < 1e-6):
                    self.notes.append({"what": "two identical calls a moment apart gave different lists",
                                       "detail": rd})
        # default horizon (no horizon_days) equals 90
        r, path, _ = self.fetch(None)
        if r.status == 200 and isinstance(r.body, dict):
            out["default_horizon"] = r.body.get("horizon_days")
            if r.body.get("horizon_days") != 90:
                self.defects.append({"what": "default horizon is not 90", "request": "GET /api/v1" + path,
                                     "horizon_days": r.body.get("horizon_days")})
        # default limit 100
        r, path, _ = self.fetch(MAIN_H, limit=None)
        if r.status == 200 and isinstance(r.body, dict):
            n = len(r.body.get("data", []))
            out["default_limit_rows"] = n
            if n != min(100, len(data)):
                self.defects.append({"what": "default limit is not 100", "request": "GET /api/v1" + path,
                                     "rows": n})
        # limit=10 is the head of limit=1000
        r, path, _ = self.fetch(MAIN_H, limit=10)
        if r.status == 200 and isinstance(r.body, dict):
            top = [(x.get("participant_id"), x.get("customer_id")) for x in r.body.get("data", [])]
            full = [(x.get("participant_id"), x.get("customer_id")) for x in data[:10]]
            sc_top = [x.get("score") for x in r.body.get("data", [])]
            sc_full = [x.get("score") for x in data[:10]]
            out["limit10_is_head"] = top == full or sc_top == sc_full
            if not out["limit10_is_head"]:
                self.defects.append({"what": "limit=10 is not the head of limit=1000",
                                     "request": "GET /api/v1" + path, "limit10": top, "head": full})
        # CSV gives the same list: format=csv and Accept: text/csv (the other reports' way)
        for how, fmt, hdr in (("format=csv", "csv", None), ("Accept: text/csv", None, {"Accept": "text/csv"})):
            path = la_path(self.pid, MAIN_H, 1000, fmt)
            r = self.cl.call("GET", path, headers=hdr)
            o = out.setdefault("csv", {})[how] = {"status": r.status, "content_type": r.headers.get("content-type")}
            req = "GET /api/v1" + path + ("  (Accept: text/csv)" if hdr else "")
            if r.status != 200 or "csv" not in (r.headers.get("content-type") or ""):
                self.defects.append({"what": "%s does not give CSV" % how, "request": req, "status": r.status,
                                     "content_type": r.headers.get("content-type"), "body": r.raw[:200]})
                continue
            try:
                txt = r.raw.lstrip("\ufeff")
                rows = list(csv.DictReader(io.StringIO(txt)))
                o["rows"] = len(rows)
                o["columns"] = list(rows[0].keys()) if rows else txt.splitlines()[:1]
                mism = []
                for a, x in zip(rows, data):
                    ida = (a.get("participant_id") or a.get("vouch_participant_id") or None,
                           a.get("customer_id") or a.get("vouch_customer_id") or None)
                    idb = (x.get("participant_id"), x.get("customer_id"))
                    try:
                        sa = float(a.get("score"))
                    except (TypeError, ValueError):
                        sa = None
                    em_ok = (a.get("email") or "").lower() == (x.get("email") or "").lower()
                    if ida != idb or sa is None or abs(sa - x["score"]) > 6e-5 or not em_ok:
                        mism.append({"csv": a, "json": {k: x.get(k) for k in ("participant_id", "customer_id",
                                                                               "email", "score")}})
                o["mismatched_rows"] = len(mism)
                if len(rows) != len(data) or mism:
                    self.defects.append({"what": "CSV (%s) differs from the JSON list" % how, "request": req,
                                         "csv_rows": len(rows), "json_rows": len(data), "mismatched": len(mism),
                                         "examples": mism[:2], "csv_head": txt[:300]})
            except Exception as e:  # noqa: BLE001
                self.defects.append({"what": "CSV (%s) not readable" % how, "error": repr(e), "head": r.raw[:300]})
        return out

    # -- probes inside a program with a history -----------------------------
    def side_probes(self, res):
        """Four new advocates with identical purchases: X's two friends bought,
        Y's two friends bought and were fully refunded, Z's two friends only signed
        up, W brought nobody. Then an external-id-only EUR customer."""
        cl, pid, rng = self.cl, self.pid, self.rng
        out = {}
        now = datetime.now(timezone.utc)
        tag = "sp%d" % self.idx
        who = {}
        n = [0]

        def ev(body):
            r = cl.call("POST", "/events", body)
            if r.status not in (200, 201):
                self.err("side probe event", body, r)
            return r

        def ago(days):
            return fmt_ts(now - timedelta(days=days))

        for name in ("X", "Y", "Z", "W"):
            em = "probe.%s.%s@probe.example" % (name.lower(), tag)
            for dd, amt in ((200, 5000), (100, 4200)):
                n[0] += 1
                ev({"type": "purchase", "program_id": pid, "order_id": "%s-%d" % (tag, n[0]), "amount": amt,
                    "currency": "USD", "customer": {"email": em}, "occurred_at": ago(dd)})
            r = cl.call("POST", "/programs/%s/participants" % pid, {"email": em, "name": "Probe " + name})
            who[name] = {"email": em, "par": (r.body or {}).get("id"), "code": (r.body or {}).get("referral_code")}
        statuses = defaultdict(list)
        for name in ("X", "Y", "Z"):
            code = who[name]["code"]
            for j, dd in enumerate((30, 15)):
                fem = "friend%d.%s.%s@probe.example" % (j, name.lower(), tag)
                if name == "Z":
                    r = ev({"type": "signup", "program_id": pid, "customer": {"email": fem},
                            "referral_code": code, "occurred_at": ago(dd)})
                    statuses[name].append(((r.body or {}).get("referral") or {}).get("status"))
                    continue
                n[0] += 1
                oid = "%s-%d" % (tag, n[0])
                r = ev({"type": "purchase", "program_id": pid, "order_id": oid, "amount": 6000,
                        "currency": "USD", "customer": {"email": fem}, "referral_code": code,
                        "occurred_at": ago(dd)})
                statuses[name].append(((r.body or {}).get("referral") or {}).get("status"))
                if name == "Y":
                    r = ev({"type": "refund", "program_id": pid, "order_id": oid, "refund_id": oid + "-r",
                            "occurred_at": ago(dd - 3)})
                    statuses[name + "_refund"].append(((r.body or {}).get("referral") or {}).get("status"))
        # an external-id-only customer paying in EUR, three orders
        ext = "PROBE-EXT-%s" % tag
        for dd in (60, 40, 10):
            n[0] += 1
            ev({"type": "purchase", "program_id": pid, "order_id": "%s-%d" % (tag, n[0]), "amount": 3900,
                "currency": "EUR", "customer": {"external_id": ext}, "occurred_at": ago(dd)})
        time.sleep(2.0)
        r, path, _ = self.fetch(MAIN_H)
        out["statuses"] = dict(statuses)
        if r.status != 200 or not isinstance(r.body, dict):
            out["error"] = {"status": r.status, "body": r.raw[:400]}
            res["side_probes"] = out
            return
        data = r.body.get("data", [])
        pos = {}
        for i, row in enumerate(data):
            for name, w in who.items():
                if row.get("participant_id") == w["par"] or (row.get("email") or "").lower() == w["email"]:
                    pos.setdefault(name, []).append({"rank": i + 1, "score": row.get("score"),
                                                     "reasons": [x.get("feature") for x in row.get("reasons", [])]})
            if row.get("external_id") == ext:
                pos.setdefault("EXT", []).append({"rank": i + 1, "score": row.get("score"), "email": row.get("email"),
                                                  "enrolled": row.get("enrolled"),
                                                  "reasons": [x.get("text") for x in row.get("reasons", [])]})
        out["positions"] = pos
        out["rows"] = len(data)
        out["model_null"] = r.body.get("model") is None
        if not data:
            out["skipped"] = "empty list (model %s)" % ("null" if out["model_null"] else "present")
            res["side_probes"] = out
            return
        sx = (pos.get("X") or [{}])[0].get("score")
        sy = (pos.get("Y") or [{}])[0].get("score")
        sz = (pos.get("Z") or [{}])[0].get("score")
        sw = (pos.get("W") or [{}])[0].get("score")
        out["scores"] = {"X_two_converted": sx, "Y_two_fully_refunded": sy, "Z_two_signed_up_only": sz,
                         "W_none": sw}
        for name in ("X", "Y", "Z", "W", "EXT"):
            if name not in pos:
                self.defects.append({"what": "side probe: %s not listed" % name, "who": who.get(name, ext)})
            elif len(pos[name]) > 1:
                self.defects.append({"what": "side probe: %s listed %d times" % (name, len(pos[name]))})
        if None not in (sx, sy, sw):
            out["refund_counts_as_conversion"] = (sx > sw and abs(sy - sx) < 1e-9)
            out["refunded_ranked_below_converted"] = sy < sx
        res["side_probes"] = out


def spearman(a, b):
    if len(a) < 3:
        return None

    def ranks(x):
        o = sorted(range(len(x)), key=lambda i: x[i])
        r = [0.0] * len(x)
        i = 0
        while i < len(x):
            j = i
            while j + 1 < len(x) and x[o[j + 1]] == x[o[i]]:
                j += 1
            for k in range(i, j + 1):
                r[o[k]] = (i + j) / 2.0
            i = j + 1
        return r
    ra, rb = ranks(a), ranks(b)
    ma, mb = statistics.mean(ra), statistics.mean(rb)
    sa = math.sqrt(sum((x - ma) ** 2 for x in ra))
    sb = math.sqrt(sum((x - mb) ** 2 for x in rb))
    if sa == 0 or sb == 0:
        return None
    return sum((x - ma) * (y - mb) for x, y in zip(ra, rb)) / (sa * sb)


# ==========================================================================
# Probes on a separate fresh server
# ==========================================================================

def run_probes(binpath, seed):
    out = []
    srv = Server(binpath)
    try:
        cl = Client(srv.port, srv.sk)
        now = datetime.now(timezone.utc)

        def ago(days):
            return fmt_ts(now - timedelta(days=days))

        def rec(name, path, r, expect, ok, extra=None):
            d = {"probe": name, "request": "GET /api/v1" + path if path.startswith("/") else path,
                 "status": r.status, "expected": expect, "ok": ok,
                 "body": r.raw[:600]}
            if extra:
                d.update(extra)
            out.append(d)
            return d

        r = cl.call("POST", "/programs", program_body("tiny"))
        tiny = r.body["id"]
        r = cl.call("POST", "/programs", program_body("empty"))
        empty = r.body["id"]
        # tiny: three customers (one known only by an external id, paying in EUR), one advocate
        n = 0
        for cust, cur, dd in (({"email": "Ann@Tiny.example"}, "USD", 20), ({"email": "ann@tiny.example"}, "USD", 5),
                              ({"email": "bob@tiny.example"}, "USD", 3), ({"external_id": "APP-77"}, "EUR", 8)):
            n += 1
            cl.call("POST", "/events", {"type": "purchase", "program_id": tiny, "order_id": "t%d" % n,
                                        "amount": 2500, "currency": cur, "customer": cust, "occurred_at": ago(dd)})
        r = cl.call("POST", "/programs/%s/participants" % tiny, {"email": "carol@tiny.example", "name": "Carol"})
        # the same order again (duplicate)
        cl.call("POST", "/events", {"type": "purchase", "program_id": tiny, "order_id": "t1", "amount": 2500,
                                    "currency": "USD", "customer": {"email": "Ann@Tiny.example"},
                                    "occurred_at": ago(20)})
        path = la_path(tiny, None, None)
        r = cl.call("GET", path)
        b = r.body if isinstance(r.body, dict) else {}
        data = b.get("data") or []
        ids = [(x.get("email"), x.get("external_id"), x.get("enrolled"), x.get("score")) for x in data]
        emails = [((x.get("email") or "").lower(), x.get("external_id")) for x in data]
        ok = (r.status == 200 and b.get("model") is None and bool(b.get("reason"))
              and len(set(emails)) == len(emails) and not check_schema(b, 90, 100))
        rec("almost no history: model null with a reason, no crash (Ann in two cases, Bob, APP-77 id only in EUR, "
            "Carol enrolled)", path, r, "200, model null, a reason; anyone listed listed once", ok,
            {"people": ids, "rows": len(data), "schema": check_schema(b, 90, 100) if b else None})
        path = la_path(empty, 90, 10)
        r = cl.call("GET", path)
        b = r.body if isinstance(r.body, dict) else {}
        rec("empty program", path, r, "200, model null, reason, data []",
            r.status == 200 and b.get("model") is None and b.get("data") == [] and bool(b.get("reason")))
        path = la_path(tiny, 90, 10, "csv")
        r = cl.call("GET", path)
        rec("tiny program, format=csv", path, r, "200 text/csv",
            r.status == 200 and "csv" in r.headers.get("content-type", ""),
            {"content_type": r.headers.get("content-type")})
        path = la_path(tiny, 90, 10)
        r = cl.call("GET", path, headers={"Accept": "text/csv"})
        rec("tiny program, Accept: text/csv", path + "  (Accept: text/csv)", r, "200 text/csv",
            r.status == 200 and "csv" in r.headers.get("content-type", ""),
            {"content_type": r.headers.get("content-type")})
        for h in (1, 7, 14, 30, 180, 365, 366, 730):
            path = la_path(tiny, h, 10)
            r = cl.call("GET", path)
            rec("horizon_days=%d" % h, path, r, "200 echoing the horizon (or a 4xx with a reason if out of range)",
                (r.status == 200 and (r.body or {}).get("horizon_days") == h) or 400 <= r.status < 500)
        bad = [("horizon_days", "0"), ("horizon_days", "-5"), ("horizon_days", "abc"), ("horizon_days", "1.5"),
               ("horizon_days", "100000"), ("limit", "0"), ("limit", "1001"), ("limit", "-1"), ("limit", "x"),
               ("format", "xml")]
        for k, v in bad:
            q = {"program_id": tiny, k: v}
            path = "/analytics/likely-advocates?" + urllib.parse.urlencode(q)
            r = cl.call("GET", path)
            rec("invalid %s=%s" % (k, v), path, r, "400/422 problem naming the parameter",
                r.status in (400, 422), {"problem_field": (r.body or {}).get("field") if isinstance(r.body, dict) else None})
        for lim in (1, 1000):
            path = la_path(tiny, 90, lim)
            r = cl.call("GET", path)
            rec("limit=%d" % lim, path, r, "200", r.status == 200 and len((r.body or {}).get("data", [])) <= lim)
        path = "/analytics/likely-advocates"
        r = cl.call("GET", path)
        rec("no program_id", path, r, "400/422", r.status in (400, 422))
        path = la_path("prg_doesnotexist", 90, 10)
        r = cl.call("GET", path)
        rec("malformed program id", path, r, "404 or 422", r.status in (404, 422))
        ghost = tiny[:-4] + ("zzzz" if not tiny.endswith("zzzz") else "yyyy")
        path = la_path(ghost, 90, 10)
        r = cl.call("GET", path)
        rec("unknown program (well-formed id)", path, r, "404", r.status == 404)
        path = la_path(tiny, 90, 10)
        r = cl.call("GET", path, key=srv.pk)
        rec("publishable key", path, r, "401 or 403", r.status in (401, 403))
        r = cl.call("GET", path, key=False)
        rec("no key", path, r, "401", r.status == 401)
        # another workspace's program
        p2 = subprocess.run([binpath, "workspace", "create", "other", "--data-dir", srv.dir],
                            capture_output=True, text=True, timeout=60)
        m = re.search(r"\b(sk_[A-Za-z0-9_]+)", p2.stdout + p2.stderr)
        if m:
            r = cl.call("GET", path, key=m.group(1))
            rec("another workspace's secret key", path, r, "404 (the program is not in that workspace)",
                r.status == 404)
        else:
            out.append({"probe": "another workspace", "ok": None, "note": "workspace create: " +
                        (p2.stdout + p2.stderr)[:300]})
        out.append({"probe": "5xx seen on the probe server", "ok": not cl.fivexx, "fivexx": cl.fivexx})
    finally:
        srv.stop()
    return out


# ==========================================================================
# Summary
# ==========================================================================

def fnum(x, nd=3):
    return "-" if x is None else ("%.*f" % (nd, x))


def summarize(runs, out_lines):
    ok = [r for r in runs if "failed" not in r]
    summ = {"runs": len(runs), "failed": [{"run": r["run"], "error": r["failed"]} for r in runs if "failed" in r]}
    for h in HORIZONS:
        rows = [r["horizons"][h]["eval"] for r in ok if h in r.get("horizons", {}) and "eval" in r["horizons"][h]]
        s = {"runs_evaluated": len(rows)}
        for k in ("vouch_auc", "baseline_auc", "friends_so_far_auc", "oracle_auc",
                  "vouch_top10_precision", "baseline_top10_precision", "friends_so_far_top10_precision",
                  "oracle_top10_precision", "base_rate"):
            vals = [e[k] for e in rows if e.get(k) is not None]
            s[k + "_mean"] = statistics.mean(vals) if vals else None
            s[k + "_sd"] = statistics.pstdev(vals) if len(vals) > 1 else None
        pf = [(e["vouch_auc"], e["friends_so_far_auc"]) for e in rows
              if e.get("vouch_auc") is not None and e.get("friends_so_far_auc") is not None]
        s["vouch_beats_friends_so_far_runs"] = sum(1 for a, b in pf if a > b)
        if pf:
            s["mean_auc_gain_over_friends_so_far"] = statistics.mean(a - b for a, b in pf)
        pairs = [(e["vouch_auc"], e["baseline_auc"]) for e in rows
                 if e.get("vouch_auc") is not None and e.get("baseline_auc") is not None]
        s["vouch_beats_baseline_runs"] = sum(1 for a, b in pairs if a > b)
        s["paired_runs"] = len(pairs)
        if pairs:
            diffs = [a - b for a, b in pairs]
            s["mean_auc_gain_over_baseline"] = statistics.mean(diffs)
            s["gain_se"] = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else None
        tp = sum(e["vouch_top10_precision"] * e["top10_k"] for e in rows if e.get("vouch_top10_precision") is not None)
        tb = sum(e["baseline_top10_precision"] * e["top10_k"] for e in rows if e.get("baseline_top10_precision") is not None)
        kk = sum(e["top10_k"] for e in rows if e.get("vouch_top10_precision") is not None)
        s["pooled_top10_precision_vouch"] = tp / kk if kk else None
        s["pooled_top10_precision_baseline"] = tb / kk if kk else None
        s["pooled_people"] = sum(e["n"] for e in rows)
        s["pooled_positives"] = sum(e["positives"] for e in rows)
        s["pooled_vouch_expected_positives"] = sum(e["vouch_expected_positives"] for e in rows)
        s["model_null_runs"] = [r["run"] for r in ok if h in r.get("horizons", {})
                                and r["horizons"][h].get("status") == 200 and r["horizons"][h].get("model") is None]
        s["evaluation_null_runs"] = [r["run"] for r in ok if (r["horizons"].get(h, {}).get("model") or {}).get("evaluation") is None
                                     and r["horizons"].get(h, {}).get("model") is not None]
        se = []
        for r in ok:
            hr = r["horizons"].get(h, {})
            ev = (hr.get("model") or {}).get("evaluation")
            e = hr.get("eval") or {}
            bt = (hr.get("self_check") or {}).get("bought_before_cut") or {}
            if ev and e.get("vouch_auc") is not None:
                se.append({"run": r["run"], "self_auc": ev.get("auc"), "measured_auc": e.get("vouch_auc"),
                           "self_baseline_auc": ev.get("baseline_auc"), "my_backtest_baseline_auc": bt.get("baseline_auc"),
                           "self_examples": ev.get("examples"), "my_examples": bt.get("examples"),
                           "self_positives": ev.get("positives"), "my_positives": bt.get("positives"),
                           "measured_baseline_auc": e.get("baseline_auc")})
        s["self_evaluation_vs_measured"] = se
        if se:
            s["self_auc_mean"] = statistics.mean(x["self_auc"] for x in se)
            s["measured_auc_mean_same_runs"] = statistics.mean(x["measured_auc"] for x in se)
            s["self_baseline_auc_mean"] = statistics.mean(x["self_baseline_auc"] for x in se)
            s["measured_baseline_auc_mean_same_runs"] = statistics.mean(x["measured_baseline_auc"] for x in se)
        s["served_although_self_auc_not_above_baseline"] = [
            {k: x[k] for k in ("run", "self_auc", "self_baseline_auc", "measured_auc", "measured_baseline_auc")}
            for x in se if x["self_auc"] is not None and x["self_baseline_auc"] is not None
            and x["self_auc"] <= x["self_baseline_auc"]]
        summ["h%d" % h] = s
    for reg in ("strong", "medium", "weak"):
        rows = [r["horizons"][MAIN_H]["eval"] for r in ok if r["params"]["regime"] == reg
                and "eval" in r.get("horizons", {}).get(MAIN_H, {})]
        if rows:
            summ["h90_" + reg] = {k: statistics.mean([e[k] for e in rows if e.get(k) is not None] or [float("nan")])
                                  for k in ("vouch_auc", "baseline_auc", "friends_so_far_auc", "oracle_auc",
                                            "vouch_top10_precision", "baseline_top10_precision")}
            summ["h90_" + reg]["runs"] = len(rows)
    # table
    out_lines.append("")
    out_lines.append("horizon 90 days, per run (AUC against the simulated future; top-10% precision):")
    hdr = ("run", "regime", "people", "pos", "vouchAUC", "baseAUC", "frndAUC", "oracleAUC", "P10 vouch",
           "P10 base", "P10 orac", "self AUC", "self base", "self ex/pos", "mine base", "mine ex/pos")
    out_lines.append("%3s %-6s %6s %4s %8s %7s %7s %9s %9s %8s %8s %8s %9s %11s %9s %11s" % hdr)
    for r in runs:
        if "failed" in r:
            out_lines.append("%3d FAILED %s" % (r["run"], r["failed"][:120]))
            continue
        hr = r["horizons"].get(MAIN_H, {})
        e = hr.get("eval") or {}
        mdl = hr.get("model") or {}
        sev = (mdl or {}).get("evaluation") or {}
        bt = (hr.get("self_check") or {}).get("bought_before_cut") or {}
        out_lines.append("%3d %-6s %6s %4s %8s %7s %7s %9s %9s %8s %8s %8s %9s %11s %9s %11s" % (
            r["run"], r["params"]["regime"], e.get("n", "-"), e.get("positives", "-"),
            fnum(e.get("vouch_auc")), fnum(e.get("baseline_auc")), fnum(e.get("friends_so_far_auc")),
            fnum(e.get("oracle_auc")), fnum(e.get("vouch_top10_precision")),
            fnum(e.get("baseline_top10_precision")), fnum(e.get("oracle_top10_precision")),
            fnum(sev.get("auc")), fnum(sev.get("baseline_auc")),
            "%s/%s" % (sev.get("examples", "-"), sev.get("positives", "-")) if sev else ("null" if not mdl else "-"),
            fnum(bt.get("baseline_auc")), "%s/%s" % (bt.get("examples", "-"), bt.get("positives", "-"))))
    for h in (30, 180):
        out_lines.append("horizon %d days: " % h + "; ".join(
            "run %d %s/%s vouch %s base %s oracle %s" % (
                r["run"], (r["horizons"].get(h, {}).get("eval") or {}).get("positives", "-"),
                (r["horizons"].get(h, {}).get("eval") or {}).get("n", "-"),
                fnum((r["horizons"].get(h, {}).get("eval") or {}).get("vouch_auc")),
                fnum((r["horizons"].get(h, {}).get("eval") or {}).get("baseline_auc")),
                fnum((r["horizons"].get(h, {}).get("eval") or {}).get("oracle_auc")))
            for r in ok))
    sp = {"runs_with_a_list": 0, "refunded_friends_score_above_converted": [], "signup_only_score_above_converted": [],
          "refunded_equals_signup_only": [], "converted_above_none": [], "eur_customer_shown_spent_0": [],
          "eur_customer_listed_once": []}
    for r in ok:
        x = r.get("side_probes") or {}
        sc = x.get("scores")
        if not sc or x.get("skipped"):
            continue
        sp["runs_with_a_list"] += 1
        X, Y, Z, W = (sc.get(k) for k in ("X_two_converted", "Y_two_fully_refunded", "Z_two_signed_up_only", "W_none"))
        if None not in (X, Y) and Y > X:
            sp["refunded_friends_score_above_converted"].append(r["run"])
        if None not in (X, Z) and Z > X:
            sp["signup_only_score_above_converted"].append(r["run"])
        if None not in (Y, Z) and abs(Y - Z) < 1e-12:
            sp["refunded_equals_signup_only"].append(r["run"])
        if None not in (X, W) and X > W:
            sp["converted_above_none"].append(r["run"])
        ext = (x.get("positions") or {}).get("EXT") or []
        if len(ext) == 1:
            sp["eur_customer_listed_once"].append(r["run"])
        if any("spent 0.00" in t for e in ext for t in (e.get("reasons") or [])):
            sp["eur_customer_shown_spent_0"].append(r["run"])
    summ["side_probes"] = sp
    out_lines.append("side probes (runs with a list: %d): fully refunded friends above converted friends in runs %s; "
                     "signed-up-only above converted in %s; refunded == signed-up-only in %s; converted above nobody in %s; "
                     "the EUR-only customer (3 x 39.00 EUR) shown 'spent 0.00' in %s" % (
                         sp["runs_with_a_list"], sp["refunded_friends_score_above_converted"],
                         sp["signup_only_score_above_converted"], sp["refunded_equals_signup_only"],
                         sp["converted_above_none"], sp["eur_customer_shown_spent_0"]))
    dd = defaultdict(list)
    for r in runs:
        for d in r.get("defects", []):
            dd[d["what"]].append(r["run"])
    summ["defects_by_kind"] = {k: {"runs": v} for k, v in dd.items()}
    summ["fivexx_total"] = sum(len(r.get("fivexx", [])) for r in runs)
    summ["http_errors_total"] = sum(len(r.get("http_errors", [])) for r in runs)
    for k, v in dd.items():
        out_lines.append("defect in runs %s: %s" % (v, k))
    for h in HORIZONS:
        s = summ["h%d" % h]
        if s.get("self_evaluation_vs_measured"):
            out_lines.append("h=%d self-reported evaluation (runs %s): mean self AUC %s vs measured on the future %s; "
                             "mean self baseline AUC %s vs measured %s; served although self AUC <= self baseline: %s" % (
                                 h, [x["run"] for x in s["self_evaluation_vs_measured"]], fnum(s["self_auc_mean"]),
                                 fnum(s["measured_auc_mean_same_runs"]), fnum(s["self_baseline_auc_mean"]),
                                 fnum(s["measured_baseline_auc_mean_same_runs"]),
                                 s["served_although_self_auc_not_above_baseline"]))
        out_lines.append("h=%d model null (empty list) in runs %s; model without evaluation in runs %s; "
                         "Vouch > friends-so-far in %d/%d runs (mean gain %s)" % (
                             h, s["model_null_runs"], s["evaluation_null_runs"], s["vouch_beats_friends_so_far_runs"],
                             s["paired_runs"], fnum(s.get("mean_auc_gain_over_friends_so_far"))))
    for h in HORIZONS:
        s = summ["h%d" % h]
        out_lines.append("pooled h=%d: runs %d, people %d, positives %d (Vouch expected %.1f); AUC vouch %s±%s "
                         "baseline %s±%s friends-so-far %s oracle %s; Vouch > baseline in %d/%d runs (mean gain %s, se %s);"
                         " top-10%% precision vouch %s baseline %s (pooled)" % (
                             h, s["runs_evaluated"], s["pooled_people"], s["pooled_positives"],
                             s["pooled_vouch_expected_positives"],
                             fnum(s["vouch_auc_mean"]), fnum(s["vouch_auc_sd"]),
                             fnum(s["baseline_auc_mean"]), fnum(s["baseline_auc_sd"]),
                             fnum(s["friends_so_far_auc_mean"]), fnum(s["oracle_auc_mean"]),
                             s["vouch_beats_baseline_runs"], s["paired_runs"],
                             fnum(s.get("mean_auc_gain_over_baseline")), fnum(s.get("gain_se")),
                             fnum(s["pooled_top10_precision_vouch"]), fnum(s["pooled_top10_precision_baseline"])))
    return summ


# ==========================================================================
# Self-test of this script's own logic (no server)
# ==========================================================================

def selftest():
    rng = random.Random(5)
    # AUC against brute force, with ties
    for _ in range(200):
        n = rng.randint(2, 40)
        s = [rng.choice([0, 1, 2, 3, 2.5]) for _ in range(n)]
        y = [rng.random() < 0.3 for _ in range(n)]
        a, b = auc(s, y), auc_brute(s, y)
        assert (a is None and b is None) or abs(a - b) < 1e-12, (s, y, a, b)
    assert auc([3, 2, 1], [1, 0, 0]) == 1.0
    assert auc([1, 2, 3], [1, 0, 0]) == 0.0
    assert auc([1, 1, 1, 1], [1, 0, 1, 0]) == 0.5
    # precision with ties: a constant score gives the base rate
    p, k = top_precision([1.0] * 50, [i < 5 for i in range(50)])
    assert abs(p - 0.1) < 1e-12 and k == 5
    p, k = top_precision(list(range(100)), [i >= 95 for i in range(100)])
    assert p == 0.5 and k == 10
    # poisson mean
    xs = [poisson(rng, 0.3) for _ in range(20000)]
    assert abs(statistics.mean(xs) - 0.3) < 0.02
    # the simulation: shape of the process for each regime
    t0 = datetime(2025, 8, 27, tzinfo=timezone.utc)
    report = []
    for idx in range(4):
        prm = make_params(random.Random(idx), idx)
        t = time.time()
        for k in range(10):
            try:
                w, snap = simulate(prm, idx * 100 + k, t0)
                break
            except Cascade:
                prm["n0"] = int(prm["n0"] * 0.9)
        known = known_people(w, HIST)
        fr = [friends_before(p, HIST) for p in known]
        tot = sum(fr)
        top = sorted(fr, reverse=True)
        y = [outcome(p, HIST, 90) for p in known]
        base = [purchases_before(p, HIST) for p in known]
        heur = [friends_before(p, HIST) for p in known]
        # friends only after launch
        shares = [f["share"] for p in w.people for f in p.friends]
        assert all(s >= prm["launch"] for s in shares), "referral before launch"
        # every friend who bought before the end of the simulation made that purchase
        oids = {e["order_id"]: e for e in w.events if e["kind"] == "purchase"}
        for p in w.people:
            for f in p.friends:
                if f["buy"] is not None and f["buy"] < HIST + FUT - 1:
                    fp = f["person"]
                    assert fp.orders and abs(fp.orders[0][0] - f["buy"]) < 1e-9 and fp.orders[0][1] in oids, f
        # every referrer was enrolled before the share
        for p in w.people:
            for f in p.friends:
                assert p.enrolled and p.enrol_t <= f["share"] + 1e-9
        t1 = time.time()
        orc = w.oracle(known, snap, HIST, 30, random.Random(1))
        oc = [orc[p.idx][90] for p in known]
        report.append({
            "regime": prm["regime"], "known": len(known), "requests": count_requests(w, HIST),
            "enrolled": sum(1 for p in known if p.enrolled), "friends_hist": tot,
            "top1pct_share": round(sum(top[:max(1, len(known) // 100)]) / tot, 2) if tot else None,
            "with_friends": sum(1 for x in fr if x), "pos90": sum(y),
            "auc_base": fnum(auc(base, y)), "auc_friends": fnum(auc(heur, y)), "auc_oracle": fnum(auc(oc, y)),
            "oracle_expected_pos": round(sum(oc), 1),
            "sim_s": round(t1 - t, 1), "oracle_s": round(time.time() - t1, 1)})
    for r in report:
        print(json.dumps(r))
    print("selftest ok")


# ==========================================================================

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="the vouch binary")
    ap.add_argument("--runs", type=int, default=12)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", type=int, default=3500, help="HTTP requests per run, at most (sizes the shop)")
    ap.add_argument("--reps", type=int, default=40, help="Monte Carlo futures per person for the oracle")
    ap.add_argument("--out", default=os.path.join(HERE, "results.json"))
    ap.add_argument("--no-probes", action="store_true")
    ap.add_argument("--side-probes", type=int, default=1, help="1: refund/ext-id probes in each run's program")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        selftest()
        return
    if not args.bin:
        ap.error("--bin is required")
    probes = []
    if not args.no_probes:
        try:
            probes = run_probes(args.bin, args.seed)
        except Exception as e:  # noqa: BLE001
            probes = [{"probe": "probe server", "ok": False, "failed": repr(e)}]
        for p in probes:
            print("probe %-6s %s -> %s" % ({True: "ok", False: "FAIL", None: "?"}[p.get("ok")], p.get("probe"),
                                           p.get("status")), file=sys.stderr, flush=True)
    runs = []
    for i in range(args.runs):
        r = Run(args, i, args.seed)
        try:
            res = r.execute()
        except Exception as e:  # noqa: BLE001
            import traceback
            res = {"failed": repr(e), "traceback": traceback.format_exc()[-1500:],
                   "http_errors": r.http_errors, "defects": r.defects}
        res["run"] = i
        res["run_seed"] = r.seed
        runs.append(res)
        e = (res.get("horizons", {}).get(MAIN_H) or {}).get("eval") or {}
        print("run %2d %-6s people=%s pos=%s req=%s %ss  AUC vouch=%s base=%s friends=%s oracle=%s  "
              "P10 vouch=%s base=%s  defects=%d errors=%d 5xx=%d%s" % (
                  i, res.get("params", {}).get("regime"), e.get("n"), e.get("positives"), res.get("requests"),
                  res.get("seconds"), fnum(e.get("vouch_auc")), fnum(e.get("baseline_auc")),
                  fnum(e.get("friends_so_far_auc")), fnum(e.get("oracle_auc")),
                  fnum(e.get("vouch_top10_precision")), fnum(e.get("baseline_top10_precision")),
                  len(res.get("defects", [])), len(res.get("http_errors", [])), len(res.get("fivexx", [])),
                  (" FAILED " + res["failed"]) if "failed" in res else ""), file=sys.stderr, flush=True)
    lines = []
    summ = summarize(runs, lines)
    summ["probe_failures"] = [p.get("probe") for p in probes if p.get("ok") is False]
    for p in probes:
        if p.get("ok") is False:
            lines.append("probe FAILED: %s -> %s %s" % (p.get("probe"), p.get("status"), (p.get("body") or "")[:200]))
    out = {"command": "python3 eval/likely/traffic.py " + " ".join(sys.argv[1:]), "seed": args.seed,
           "summary": summ, "probes": probes, "runs": runs}
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1, default=str)
    print("\n".join(lines))
    print(json.dumps(summ, indent=1, default=str))


if __name__ == "__main__":
    main()
