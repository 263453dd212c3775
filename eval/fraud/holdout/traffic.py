#!/usr/bin/env python3
"""Holdout traffic generator for a referral-fraud detector (stdlib only, deterministic).

    python3 traffic.py --seed 11 > traffic.json

The world: six simulated shops (apparel, coffee subscription, gadgets, beauty,
outdoor gear, meal kits) with different markets, price lists, and data quality.
Two of the six send no device id at all, one loses it on ~20% of events, and
payment fingerprints go missing on 4-26% of purchases (PayPal, gift cards, and
so on). Some shops send missing fields as null; others leave them out. Advocates
are simulated people with a home network (IPv4, sometimes an IPv6 /64 whose
interface id changes daily), a mobile carrier (a shared CGNAT egress pool), a
phone, often a laptop, and cards. Event times follow each person's local waking
hours. Times are seconds within a 60-day window; anything that would fall after
the window is cut off, as a real export would be.

Honest kinds (label "honest"):
  ordinary                 Friends elsewhere with their own phones and cards. Links come through
                           WhatsApp, Messenger, e-mail, Instagram (in-app browser) and so on. Some
                           only click, some sign up and never buy, and some buy again later.
  typed_code               The friend was told the code and typed it. There is no click; often a
                           guest checkout, where the purchase is the first event.
  household                Same home IP as the advocate (or the same IPv6 /64 with a different
                           interface id). Often a byte-identical phone UA: same phone model and OS.
                           Own device, card and e-mail, often the same surname.
  household_shared_computer  A family member buying on the advocate's home computer (same
                           device id) with their own card and e-mail.
  device_switch            Clicks in an app's in-app browser on the phone, then buys days later
                           on a laptop from work or home. The UA, device id and IP all change.
  privacy_email            Apple Hide-My-Email / Sign-in-with-Apple relay, DuckDuckGo, Firefox
                           Relay, SimpleLogin, honest plus-tags, capitalised addresses, regional
                           ISP mailboxes and vanity domains.
  namesake                 The friend has the same local part as the advocate at a different,
                           non-equivalent provider (a common name), and otherwise nothing shared.
  honest_refund            Normal returns: full or partial, some inside and some after the 14-day
                           hold, all inside the 30-day return window.
  shared_exit_ip           Strangers behind the same few T-Mobile/Jio/EE CGNAT addresses, iCloud
                           Private Relay egresses, or a popular VPN exit. Sometimes the advocate
                           uses the same exit.
  office                   Employees behind one corporate NAT, a Zscaler egress or one /24, with
                           the same IT-pinned browser string. Several colleagues act as advocates.
  office_vdi               A call centre on Citrix VDI: one NAT IP, one pinned UA, and only a
                           couple of device fingerprints for everybody.
  campus                   Students behind a university NAT pool, many with identical iPhone UAs,
                           .edu or .ac addresses; several advocates in one dorm.
  viral                    An influencer post (Instagram, TikTok, YouTube, X, Reddit) brings
                           25-135 clicks, mostly within hours, from many countries; mostly mobile
                           and in-app. A few buy within seconds (Apple Pay or Shop Pay autofill).
  (Honest friends also appear under fraudulent advocates, and leaked codes had
   genuine friends before the leak.)

Fraud kinds (label "fraud"):
  self_referral_device     A second account from the advocate's own phone or laptop (same device
                           id). Same card, a second card, or PayPal. Home, mobile or VPN network.
  self_referral_card       A second account on another device or browser (a partner's phone, the
                           work laptop) paid with the advocate's own card.
  self_referral_nodevice   At shops that send no device id: the same home laptop (same IP, same
                           UA) with a second e-mail.
  disguised_email          The advocate's own mailbox in disguise: Gmail dots, plus-tags,
                           googlemail, icloud/me/mac, ya.ru/yandex.*, proton.me/pm.me, Yandex
                           dot/hyphen swaps, upper case, Cyrillic/Greek look-alikes and
                           full-width letters. Sometimes nothing else matches.
  card_ring                One or two cards shared by 6-16 fake friends of 1-3 colluding
                           advocates. Different e-mails and IPs (VPN, residential proxy, CGNAT);
                           often the same reset phone.
  device_ring              One phone or laptop behind 6-16 fake friends (airplane-mode IP hops,
                           VPN), paid with throw-away virtual cards.
  device_farm              Racks of identical phones run ~75 fake advocate accounts with two fake
                           friends each, behind mobile or residential proxies, working shifts in
                           another time zone. Bought Gmail/Yahoo accounts and a pool of prepaid
                           cards. One farm is at a shop that sends no device id.
  disposable_email         Friends on throw-away domains: well known, obscure (1secmail,
                           fakemailgenerator, temp-mail rotations), and brand-new random domains.
  leaked_code              A code posted to Slickdeals, HotUKDeals, MyDealz or r/referralcodes and
                           used by strangers a few times a day for weeks. About half typed it; the
                           rest came from the deal or coupon site (the Referer is often just the
                           origin).
  refund_abuse             Friends of a few advocates buy and then return after the 14-day hold,
                           some of them repeatedly: group-chat crews, fake selves, serial returners.
  scripted_burst           Bursts from datacenter IPs (DigitalOcean, AWS, Hetzner, OVH, Vultr)
                           with library, headless, randomised or "stealth" UAs. Sign-up and
                           purchase come seconds after the click; scripts that run no JS send no
                           device id.
  scripted_slow            A low-and-slow bot: residential proxies, one normal Chrome UA, fresh
                           fingerprints, round-the-clock timing.
  mixed_ring               Colluding advocates that mix disposable mail, VPN, shared cards, a
                           shared laptop and refunds after the hold.
"""
import argparse
import bisect
import hashlib
import ipaddress
import json
import math
import sys
import random

DAY = 86400
HOUR = 3600
MINUTE = 60
PERIOD = 60 * DAY

# relative activity by local hour (0..23)
HOUR_W = [0.22, 0.13, 0.07, 0.04, 0.04, 0.06, 0.13, 0.28, 0.45, 0.58, 0.64, 0.70,
          0.82, 0.77, 0.70, 0.70, 0.74, 0.82, 0.93, 1.00, 1.00, 0.93, 0.72, 0.44]


def wchoice(r, pairs):
    tot = 0.0
    for _, w in pairs:
        tot += w
    x = r.random() * tot
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


def local_hour(t, tz):
    return ((t / 3600.0) + tz) % 24


# ----------------------------------------------------------------------------- people
NAMES = {
    'anglo': (("James Mary Michael Jennifer David Ashley Chris Jessica Tyler Brittany Kevin Megan Jason "
              "Amanda Ryan Sarah Brandon Emily Justin Lauren Olivia Liam Noah Emma Ava Sophia Mason Ethan "
              "Madison Hannah Kayla Dylan Tanya Derek Shawna Marcus Keisha Jamal Aaliyah Connor Molly Gavin "
              "Heather Travis Crystal Cody Brooke Shane Whitney Logan Paige Austin Courtney Zach Haley "
              "Trevor Kelsey Grant Erin Wyatt Chelsea Owen Natalie Caleb Amber Graham Fiona Callum Niamh "
              "Rhys Imogen Harvey Poppy Declan Sinead Bronwyn Lachlan Mitchell Kylie").split(),
              "Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Thomas Taylor Moore Jackson "
              "Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott Hill "
              "Green Adams Nelson Baker Hall Campbell Mitchell Carter Roberts Murphy Kelly Evans Hughes "
              "Cooper Reed Bailey Bell Ward Morgan Brooks Sanders Price Bennett Wood Barnes Ross Henderson "
              "Coleman Jenkins Perry Powell Long Patterson Fisher O'Brien MacDonald Sullivan Gallagher "
              "Fitzgerald Whitaker Holloway Pritchard Dawson Kowalczyk Novak Stewart Grimes".split()),
    'hisp': (("Alejandro Sofía Daniel Lucía Pablo María Javier Carmen Diego Valentina José Guadalupe Juan "
             "Ximena Carlos Fernanda Luis Andrea Miguel Camila Jorge Paola Ricardo Mariana Sergio Daniela "
             "Andrés Gabriela Rocío Iker Nerea Emilio Itzel Yesenia Ulises").split(),
             "García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Ruiz Hernández Díaz "
             "Torres Ramírez Flores Morales Vargas Castillo Jiménez Moreno Romero Herrera Medina Aguilar "
             "Castro Ortiz Ramos Vega Ibáñez Zúñiga Salazar Cervantes Echeverría".split()),
    'de': (("Lukas Leon Finn Jonas Felix Anna Lena Laura Julia Sarah Katharina Jürgen Sabine Stefan Michael "
           "Thomas Andrea Petra Maximilian Sophie Niklas Johanna Tobias Marie Florian Jana Björn Ute Dieter").split(),
           "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf "
           "Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt Werner Krause "
           "Lehmann Köhler".split()),
    'fr': (("Lucas Hugo Louis Chloé Camille Léa Manon Inès Nicolas Julien Mathilde Élodie Théo Clément "
           "Margaux Océane Antoine Aurélie Baptiste Solène Gaëlle Maxime").split(),
           "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre "
           "Michel Fournier Girard Bonnet Dupont Lambert Fontaine Rousseau Vincent Muller Chevalier".split()),
    'it': (("Marco Giulia Alessandro Francesca Luca Chiara Matteo Sara Giuseppe Federica Davide Martina "
           "Simone Elisa Lorenzo Valentina Andrea").split(),
           "Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti "
           "DeLuca Mancini Costa Giordano Rizzo".split()),
    'br': (("João Ana Pedro Gabriel Mariana Lucas Beatriz Rafael Larissa Thiago Camila Matheus Letícia "
           "Gustavo Juliana Bruno Vitória Felipe Amanda Leonardo").split(),
           "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins "
           "Carvalho Almeida Lopes Soares Fernandes Vieira Barbosa".split()),
    'in': (("Aarav Vivaan Aditya Priya Ananya Rohan Sneha Arjun Kavya Rahul Pooja Vikram Deepika Sanjay "
           "Neha Karthik Divya Amit Shreya Manish Lakshmi Harsh Nikita Suresh").split(),
           "Sharma Verma Gupta Singh Kumar Patel Reddy Iyer Nair Das Mehta Joshi Rao Chopra Malhotra "
           "Banerjee Mukherjee Pillai Agarwal Bhat Kulkarni Menon".split()),
    'jp': "Haruto Yuto Sota Yui Aoi Hina Ren Sakura Kenji Yuki Takumi Mei Daiki Riko Shota Misaki".split(),
    'kr': "Minjun Seoyeon Jiho Jiwoo Hayun Doyun Sumin Jihoon Yerin Hyunwoo Eunji Seojun".split(),
    'pl': ("Jakub Kacper Zuzanna Julia Piotr Anna Katarzyna Tomasz Marta Michał Agnieszka Paweł "
           "Magdalena Łukasz").split(),
    'ru': "Alexei Dmitry Ivan Sergei Anastasia Maria Olga Ekaterina Nikita Yulia Artem Daria Pavel Svetlana".split(),
    'nl': "Daan Sem Lotte Emma Bram Sanne Thijs Fleur Jeroen Anouk Ruben Femke Joost Eva".split(),
    'cn': "Wei Jing Hao Mei Lei Yan Jun Xin Ling Tao Yu Fang".split(),
    'vn': "Linh Minh Anh Thao Huy Trang Quang Ngoc Duc Hoa".split(),
    'ar': "Ahmed Fatima Omar Layla Yusuf Mariam Karim Nour Hassan Amira Bilal Samira".split(),
    'cz': "Jan Petr Tereza Lucie Martin Eliška Jakub Kateřina Ondřej Veronika".split(),
}
SURNAMES_EXTRA = {
    'jp': "Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada".split(),
    'kr': "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim".split(),
    'pl': ("Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Dąbrowski "
           "Mazur Krawczyk").split(),
    'ru': "Ivanov Smirnov Kuznetsov Popov Vasiliev Petrov Sokolov Mikhailov Novikov Fedorov Morozov Volkov".split(),
    'nl': "de_Jong Jansen de_Vries van_den_Berg Bakker Visser Smit Meijer de_Boer Mulder Bos Vos".split(),
    'cn': "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun".split(),
    'vn': "Nguyen Tran Le Pham Hoang Phan Vu Dang Bui Do".split(),
    'ar': "Khan Ali Hassan Rahman Haddad Saleh Mansour Aziz Karimi Farouk".split(),
    'cz': "Novák Svoboda Novotný Dvořák Černý Procházka Kučera Veselý".split(),
}


def names_for(culture):
    v = NAMES[culture]
    if isinstance(v, tuple):
        return v
    return v, SURNAMES_EXTRA[culture]


COUNTRY_CULTURES = {
    'US': [('anglo', .64), ('hisp', .17), ('in', .04), ('cn', .04), ('vn', .03), ('kr', .02), ('ar', .02),
           ('ru', .01), ('pl', .02), ('it', .01)],
    'CA': [('anglo', .68), ('fr', .13), ('in', .07), ('cn', .07), ('ar', .05)],
    'UK': [('anglo', .78), ('in', .09), ('ar', .05), ('pl', .05), ('it', .03)],
    'AU': [('anglo', .76), ('cn', .08), ('vn', .05), ('in', .07), ('it', .04)],
    'DE': [('de', .83), ('ar', .05), ('pl', .05), ('ru', .04), ('it', .03)],
    'FR': [('fr', .87), ('ar', .11), ('hisp', .02)],
    'ES': [('hisp', .94), ('ar', .06)],
    'MX': [('hisp', 1)], 'IT': [('it', 1)], 'BR': [('br', 1)], 'IN': [('in', 1)], 'JP': [('jp', 1)],
    'KR': [('kr', 1)], 'PL': [('pl', 1)], 'RU': [('ru', 1)], 'NL': [('nl', .9), ('ar', .05), ('in', .05)],
    'CZ': [('cz', 1)],
}

TZ = {
    'US': [(-4, .47), (-5, .29), (-6, .07), (-7, .17)], 'CA': [(-4, .6), (-6, .15), (-7, .25)],
    'UK': [(1, 1)], 'DE': [(2, 1)], 'FR': [(2, 1)], 'ES': [(2, 1)], 'IT': [(2, 1)], 'NL': [(2, 1)],
    'PL': [(2, 1)], 'CZ': [(2, 1)], 'RU': [(3, .8), (5, .1), (7, .1)], 'IN': [(5.5, 1)], 'JP': [(9, 1)],
    'KR': [(9, 1)], 'AU': [(10, .8), (8, .2)], 'BR': [(-3, 1)], 'MX': [(-6, 1)],
}

WORLD = [('US', .30), ('UK', .10), ('DE', .08), ('FR', .06), ('ES', .05), ('IT', .04), ('NL', .03),
         ('PL', .03), ('BR', .06), ('MX', .05), ('IN', .07), ('JP', .03), ('KR', .02), ('AU', .04),
         ('CA', .04), ('RU', .02), ('CZ', .01)]

PROVIDERS = {
    'US': [('gmail.com', .52), ('yahoo.com', .11), ('hotmail.com', .06), ('outlook.com', .06), ('icloud.com', .08),
           ('aol.com', .03), ('comcast.net', .02), ('att.net', .015), ('sbcglobal.net', .01), ('verizon.net', .008),
           ('msn.com', .01), ('live.com', .01), ('me.com', .012), ('protonmail.com', .008), ('ymail.com', .006),
           ('charter.net', .005), ('cox.net', .005), ('bellsouth.net', .005)],
    'UK': [('gmail.com', .42), ('hotmail.co.uk', .14), ('outlook.com', .08), ('yahoo.co.uk', .07), ('btinternet.com', .06),
           ('sky.com', .03), ('icloud.com', .08), ('live.co.uk', .04), ('aol.co.uk', .01), ('virginmedia.com', .02),
           ('talktalk.net', .02), ('googlemail.com', .02)],
    'DE': [('gmx.de', .2), ('web.de', .19), ('gmail.com', .27), ('t-online.de', .1), ('outlook.de', .04), ('yahoo.de', .04),
           ('gmx.net', .06), ('freenet.de', .02), ('posteo.de', .02), ('icloud.com', .04), ('mail.de', .01),
           ('googlemail.com', .02)],
    'FR': [('gmail.com', .45), ('orange.fr', .12), ('hotmail.fr', .1), ('free.fr', .07), ('laposte.net', .05),
           ('sfr.fr', .04), ('wanadoo.fr', .03), ('yahoo.fr', .05), ('outlook.fr', .04), ('icloud.com', .05)],
    'ES': [('gmail.com', .6), ('hotmail.es', .12), ('hotmail.com', .08), ('yahoo.es', .07), ('outlook.es', .06),
           ('telefonica.net', .02), ('icloud.com', .05)],
    'MX': [('gmail.com', .55), ('hotmail.com', .25), ('outlook.com', .08), ('yahoo.com.mx', .07), ('live.com.mx', .03),
           ('prodigy.net.mx', .02)],
    'IT': [('gmail.com', .5), ('libero.it', .13), ('hotmail.it', .1), ('yahoo.it', .06), ('virgilio.it', .05),
           ('alice.it', .04), ('tiscali.it', .02), ('outlook.it', .05), ('icloud.com', .05)],
    'BR': [('gmail.com', .62), ('hotmail.com', .17), ('outlook.com', .07), ('yahoo.com.br', .06), ('uol.com.br', .03),
           ('bol.com.br', .03), ('terra.com.br', .01), ('icloud.com', .01)],
    'IN': [('gmail.com', .82), ('yahoo.co.in', .06), ('rediffmail.com', .04), ('outlook.com', .04), ('hotmail.com', .04)],
    'JP': [('gmail.com', .42), ('yahoo.co.jp', .2), ('docomo.ne.jp', .08), ('ezweb.ne.jp', .05), ('softbank.ne.jp', .04),
           ('icloud.com', .16), ('outlook.jp', .05)],
    'KR': [('naver.com', .48), ('gmail.com', .25), ('daum.net', .1), ('hanmail.net', .08), ('kakao.com', .05), ('nate.com', .04)],
    'PL': [('gmail.com', .45), ('wp.pl', .16), ('o2.pl', .1), ('interia.pl', .12), ('onet.pl', .1), ('op.pl', .07)],
    'RU': [('mail.ru', .34), ('yandex.ru', .28), ('gmail.com', .2), ('ya.ru', .05), ('bk.ru', .05), ('inbox.ru', .03),
           ('list.ru', .03), ('rambler.ru', .02)],
    'NL': [('gmail.com', .45), ('hotmail.com', .15), ('outlook.com', .1), ('ziggo.nl', .07), ('kpnmail.nl', .05),
           ('live.nl', .06), ('hetnet.nl', .03), ('planet.nl', .03), ('xs4all.nl', .02), ('icloud.com', .04)],
    'AU': [('gmail.com', .5), ('hotmail.com', .13), ('outlook.com', .08), ('bigpond.com', .08), ('yahoo.com.au', .06),
           ('optusnet.com.au', .04), ('icloud.com', .11)],
    'CA': [('gmail.com', .5), ('hotmail.com', .14), ('outlook.com', .08), ('yahoo.ca', .06), ('shaw.ca', .04),
           ('rogers.com', .04), ('sympatico.ca', .03), ('icloud.com', .08), ('videotron.ca', .03)],
    'CZ': [('seznam.cz', .5), ('email.cz', .12), ('gmail.com', .28), ('centrum.cz', .07), ('post.cz', .03)],
}
SMALL_LEGIT_DOMAINS = ['posteo.de', 'mailbox.org', 'hey.com', 'fastmail.com', 'zoho.com', 'tutanota.com',
                       'runbox.com', 'gmx.at', 'bluewin.ch', 'telenet.be', 'xs4all.nl', 'optusnet.com.au',
                       'centurylink.net', 'frontier.com', 'windstream.net', 'earthlink.net', 'q.com', 'juno.com',
                       'netzero.net', 'tiscali.co.uk', 'zoznam.sk', 'abv.bg', 'inbox.lv', 'arcor.de', 'kabelmail.de',
                       'ntlworld.com', 'blueyonder.co.uk', 'iinet.net.au', 'telus.net', 'mchsi.com']

DISPOSABLE_KNOWN = ['mailinator.com', 'yopmail.com', 'guerrillamail.com', 'sharklasers.com', 'grr.la',
                    '10minutemail.com', 'temp-mail.org', 'maildrop.cc', 'dispostable.com', 'getnada.com',
                    'trashmail.com', 'mailnesia.com', 'throwawaymail.com', 'yopmail.fr', 'guerrillamail.info',
                    'spam4.me', 'mohmal.com', 'emailondeck.com', 'tempmail.plus', 'burnermail.io']
DISPOSABLE_OBSCURE = ['1secmail.com', '1secmail.org', 'esiix.com', 'wwjmp.com', 'xojxe.com', 'armyspy.com',
                      'cuvox.de', 'dayrep.com', 'einrot.com', 'fleckens.hu', 'gustr.com', 'jourrapide.com',
                      'rhyta.com', 'superrito.com', 'teleworm.us', 'vusra.com', 'kyrescu.com', 'ekuali.com',
                      'mitigado.com', 'tmpbox.net', 'moakt.cc', 'tempr.email', 'discard.email',
                      'harakirimail.com', 'inboxkitten.com', 'mailpoof.com', 'fexbox.org', 'byom.de',
                      'emltmp.com', 'laafd.com', 'nesopf.com', 'wuuvo.com', 'cevipsa.com', 'bmomento.com',
                      'rockdian.com']
SYLL = ['zor', 'vex', 'qui', 'lum', 'tav', 'nex', 'plo', 'mir', 'kas', 'dro', 'fen', 'yul', 'bri', 'sko', 'wax',
        'tel', 'obi', 'rux', 'gim', 'pav', 'hel', 'cor', 'zan', 'ulo']
NEW_TLDS = ['.xyz', '.site', '.online', '.click', '.store', '.shop', '.top', '.icu', '.space', '.fun', '.cfd', '.sbs']

WORDS = ['amber', 'basil', 'cedar', 'delta', 'ember', 'fable', 'grove', 'hazel', 'ivory', 'juniper', 'kettle',
         'lagoon', 'maple', 'nectar', 'onyx', 'pebble', 'quartz', 'raven', 'sable', 'thistle', 'umber', 'velvet',
         'willow', 'yonder', 'zephyr', 'sunny', 'lucky', 'misty', 'rusty', 'happy', 'tiger', 'panda', 'otter',
         'falcon', 'moon', 'star', 'river', 'stone', 'cloud', 'pixel', 'ninja', 'coffee', 'taco', 'mango']

TRANSLIT = {'ß': 'ss', 'ł': 'l', 'Ł': 'L', 'ø': 'o', 'æ': 'ae', 'đ': 'd', "'": '', ' ': ''}


def ascii_fold(s, german=False):
    import unicodedata
    if german:
        for a, b in (('ü', 'ue'), ('ö', 'oe'), ('ä', 'ae'), ('Ü', 'Ue'), ('Ö', 'Oe'), ('Ä', 'Ae')):
            s = s.replace(a, b)
    s = ''.join(TRANSLIT.get(c, c) for c in s)
    s = unicodedata.normalize('NFKD', s)
    return ''.join(c for c in s if c.isascii() and (c.isalnum() or c == '_')).replace('_', '')


# ----------------------------------------------------------------------------- networks
RESI = {
    'US': [(73, 0, 255), (98, 192, 255), (24, 0, 255), (71, 0, 255), (108, 0, 56), (99, 0, 63), (76, 0, 255),
           (67, 160, 191), (68, 32, 63), (174, 96, 127), (75, 0, 127), (69, 112, 127), (50, 128, 255), (72, 0, 255)],
    'UK': [(86, 128, 191), (81, 128, 159), (82, 0, 47), (2, 96, 127), (92, 0, 31), (90, 192, 255), (31, 48, 55)],
    'DE': [(79, 192, 255), (87, 128, 191), (91, 0, 63), (93, 192, 255), (84, 128, 191), (88, 64, 79), (95, 88, 91)],
    'FR': [(90, 0, 127), (86, 192, 255), (92, 128, 191), (88, 160, 191), (109, 0, 31), (176, 128, 191)],
    'ES': [(83, 32, 63), (88, 0, 31), (79, 144, 159), (31, 4, 7), (80, 24, 39)],
    'IT': [(79, 0, 63), (87, 0, 31), (151, 0, 95), (93, 32, 63)],
    'NL': [(77, 160, 175), (84, 80, 87), (83, 80, 87), (145, 53, 53)],
    'PL': [(83, 0, 31), (89, 64, 79), (77, 112, 115), (178, 36, 43)],
    'BR': [(177, 0, 255), (187, 0, 127), (189, 0, 127), (191, 0, 255), (200, 128, 255)],
    'MX': [(187, 128, 255), (189, 128, 255), (201, 96, 175)],
    'IN': [(49, 32, 47), (157, 32, 51), (122, 160, 191), (106, 192, 223), (183, 82, 83)],
    'JP': [(126, 0, 255), (153, 128, 255), (60, 32, 63), (114, 148, 191)],
    'KR': [(211, 36, 63), (175, 192, 223), (121, 128, 191)],
    'AU': [(58, 160, 175), (101, 160, 191), (120, 144, 159), (49, 176, 191), (27, 32, 33)],
    'CA': [(99, 224, 255), (174, 112, 119), (70, 48, 55), (142, 112, 127), (68, 144, 151)],
    'RU': [(95, 24, 31), (178, 64, 79), (109, 172, 175), (188, 32, 35)],
    'CZ': [(90, 176, 183), (89, 24, 31), (46, 13, 13)],
}
V6_HOME = {
    'US': ['2601', '2600:1700', '2603:8000', '2600:4040', '2607:fb91'], 'UK': ['2a00:23c5', '2a02:c7c', '2a01:4b00'],
    'DE': ['2003:e0', '2003:c1', '2a02:8108'], 'FR': ['2a01:cb00', '2a01:e0a', '2a02:8440'],
    'IN': ['2409:4040', '2401:4900'], 'JP': ['240b:10', '2400:4050'], 'BR': ['2804:14c'], 'NL': ['2a02:a440'],
    'BE': ['2a02:1810'],
}
CARRIERS = {
    'US': [('tmobile', [(172, 56, 63)], '2607:fb90', .38), ('verizon', [(174, 192, 255)], '2600:1012', .34),
           ('att', [(166, 128, 205), (107, 77, 77)], '2600:387', .28)],
    'UK': [('ee', [(31, 94, 94), (2, 24, 31)], '2a01:4c8', .4), ('o2uk', [(82, 132, 132)], None, .3), ('three', [(92, 40, 47)], None, .3)],
    'DE': [('telekom_m', [(80, 187, 187)], '2a01:598', .45), ('vodafone_de', [(109, 40, 43)], None, .35),
           ('o2de', [(176, 0, 7)], None, .2)],
    'FR': [('orange_m', [(92, 184, 184)], None, .4), ('sfr_m', [(46, 193, 193)], None, .3), ('bouygues_m', [(37, 166, 175)], None, .3)],
    'ES': [('movistar_m', [(80, 58, 63)], None, .5), ('vodafone_es', [(46, 222, 223)], None, .5)],
    'IT': [('tim_m', [(5, 168, 175)], None, .5), ('wind3', [(151, 96, 127)], None, .5)],
    'NL': [('kpn_m', [(145, 132, 132)], None, .5), ('vodafone_nl', [(84, 241, 241)], None, .5)],
    'PL': [('play', [(37, 47, 47)], None, .5), ('plus_pl', [(37, 248, 248)], None, .5)],
    'BR': [('vivo_m', [(179, 240, 255)], None, .5), ('claro_m', [(177, 8, 15)], None, .5)],
    'MX': [('telcel', [(189, 203, 203)], None, .7), ('att_mx', [(201, 144, 144)], None, .3)],
    'IN': [('jio', [(49, 36, 47), (157, 38, 51)], '2409:40', .55), ('airtel', [(106, 205, 223)], '2401:4900', .45)],
    'JP': [('docomo', [(1, 66, 79)], None, .5), ('kddi', [(111, 239, 239)], None, .5)],
    'KR': [('skt', [(223, 32, 63)], None, .5), ('kt_m', [(39, 7, 7)], None, .5)],
    'AU': [('telstra_m', [(1, 128, 159)], '2001:8004', .55), ('optus_m', [(49, 176, 191)], None, .45)],
    'CA': [('rogers_m', [(99, 224, 255)], None, .5), ('bell_m', [(184, 144, 151)], None, .5)],
    'RU': [('mts', [(85, 140, 143)], None, .5), ('megafon', [(31, 173, 173)], None, .5)],
    'CZ': [('o2cz', [(46, 135, 135)], None, 1)],
}
DC = {
    'aws': [(3, 80, 95), (18, 204, 239), (52, 0, 95), (54, 144, 239), (44, 192, 223)],
    'gcp': [(34, 64, 159), (35, 184, 247)],
    'azure': [(20, 0, 127), (40, 64, 127)],
    'digitalocean': [(159, 89, 89), (167, 99, 99), (138, 68, 68), (104, 248, 248), (164, 92, 92), (143, 198, 198),
                     (146, 190, 190)],
    'hetzner': [(95, 216, 217), (135, 181, 181), (65, 21, 21), (65, 108, 109), (5, 161, 161)],
    'ovh': [(51, 75, 75), (51, 91, 91), (145, 239, 239), (54, 36, 39), (51, 38, 38)],
    'linode': [(172, 104, 105), (139, 162, 162), (45, 79, 79)],
    'vultr': [(45, 32, 32), (45, 77, 77), (149, 28, 28), (207, 148, 148), (66, 42, 42)],
    'contabo': [(161, 97, 97), (173, 249, 249)],
}
VPN_NETS = [(146, 70, 70), (37, 120, 120), (89, 187, 187), (212, 102, 102), (84, 17, 17), (193, 138, 138),
            (185, 213, 213), (185, 159, 159), (149, 88, 88), (45, 134, 134), (194, 110, 110), (169, 150, 150)]
RELAY_NETS = [(172, 225, 226), (172, 226, 226), (104, 28, 28), (146, 75, 75)]
ZSCALER = [(165, 225, 225), (136, 226, 226), (147, 161, 161)]

# ----------------------------------------------------------------------------- user agents
IOS_VERS = [(('17_4_1', '17.4.1'), .32), (('17_5_1', '17.5'), .26), (('17_5', '17.5'), .10), (('17_4', '17.4'), .07),
            (('17_3_1', '17.3.1'), .07), (('16_7_8', '16.6'), .08), (('16_6_1', '16.6'), .04), (('15_8_2', '15.6.6'), .03),
            (('17_2_1', '17.2'), .03)]
IPHONES = [('iPhone12,1', '2.00', '828x1792'), ('iPhone13,2', '3.00', '1170x2532'), ('iPhone14,5', '3.00', '1170x2532'),
           ('iPhone14,7', '3.00', '1170x2532'), ('iPhone15,2', '3.00', '1179x2556'), ('iPhone15,3', '3.00', '1290x2796'),
           ('iPhone15,4', '3.00', '1179x2556'), ('iPhone16,1', '3.00', '1179x2556'), ('iPhone16,2', '3.00', '1290x2796'),
           ('iPhone14,6', '2.00', '750x1334'), ('iPhone12,8', '2.00', '750x1334')]
ANDROIDS = [  # vendor, model, android, build, codename, weight-by-region
    ('samsung', 'SM-S918B', '14', 'UP1A.231005.007', 'dm3q', {'*': 3, 'KR': 8}),
    ('samsung', 'SM-S911U', '14', 'UP1A.231005.007', 'dm1q', {'US': 6, '*': 1}),
    ('samsung', 'SM-A546B', '14', 'UP1A.231005.007', 'a54x', {'*': 5}),
    ('samsung', 'SM-A536B', '13', 'TP1A.220624.014', 'a53x', {'*': 5}),
    ('samsung', 'SM-A145F', '13', 'TP1A.220624.014', 'a14', {'*': 3, 'BR': 6, 'IN': 4}),
    ('samsung', 'SM-G991B', '14', 'UP1A.231005.007', 'o1s', {'*': 3}),
    ('samsung', 'SM-A125F', '12', 'SP1A.210812.016', 'a12', {'*': 2, 'BR': 5, 'MX': 5}),
    ('google', 'Pixel 7', '14', 'AP1A.240405.002', 'panther', {'US': 5, 'UK': 3, 'JP': 3, '*': 1}),
    ('google', 'Pixel 8 Pro', '14', 'AP1A.240505.005', 'husky', {'US': 3, 'UK': 2, '*': 1}),
    ('google', 'Pixel 6a', '14', 'AP1A.240405.002', 'bluejay', {'US': 3, '*': 1}),
    ('xiaomi', '2201117TI', '13', 'TKQ1.221114.001', 'spes', {'IN': 8, '*': 1}),
    ('xiaomi', '23021RAA2Y', '13', 'TKQ1.221114.001', 'topaz', {'*': 3, 'PL': 5, 'RU': 6, 'ES': 4}),
    ('xiaomi', 'M2101K6G', '12', 'SKQ1.210908.001', 'sweet', {'*': 2, 'IN': 4, 'RU': 4}),
    ('oneplus', 'CPH2449', '14', 'UKQ1.230924.001', 'OP594DL1', {'IN': 5, '*': 1}),
    ('motorola', 'moto g power (2022)', '12', 'S3RQS32.20-42-10-9', 'tonga', {'US': 4, 'BR': 3, 'MX': 2, '*': 0.3}),
    ('oppo', 'CPH2591', '13', 'TP1A.220905.001', 'OP5AD1', {'IN': 3, 'MX': 2, '*': 0.5}),
    ('vivo', 'V2230', '13', 'TP1A.220624.014', 'PD2230', {'IN': 5, '*': 0.3}),
    ('realme', 'RMX3686', '13', 'TP1A.220905.001', 'RE5C82L1', {'IN': 4, '*': 0.3}),
]
IOS_SHARE = {'US': .57, 'CA': .55, 'UK': .5, 'AU': .55, 'JP': .66, 'DE': .36, 'FR': .38, 'NL': .42, 'ES': .27,
             'IT': .3, 'PL': .22, 'BR': .18, 'MX': .22, 'IN': .06, 'KR': .3, 'RU': .3, 'CZ': .25}
LOCALE = {'US': 'en_US', 'UK': 'en_GB', 'CA': 'en_CA', 'AU': 'en_AU', 'DE': 'de_DE', 'FR': 'fr_FR', 'ES': 'es_ES',
          'IT': 'it_IT', 'NL': 'nl_NL', 'PL': 'pl_PL', 'BR': 'pt_BR', 'MX': 'es_MX', 'IN': 'en_IN', 'JP': 'ja_JP',
          'KR': 'ko_KR', 'RU': 'ru_RU', 'CZ': 'cs_CZ'}
CHROME_FULL = {109: '109.0.5414.120', 118: '118.0.5993.118', 120: '120.0.6099.224', 121: '121.0.6167.178',
               122: '122.0.6261.119', 123: '123.0.6312.118', 124: '124.0.6367.179', 125: '125.0.6422.112',
               126: '126.0.6478.71'}
CRIOS_FULL = {121: '121.0.6167.171', 122: '122.0.6261.89', 123: '123.0.6312.52', 124: '124.0.6367.111',
              125: '125.0.6422.80', 126: '126.0.6478.54'}
EDGE_FULL = {118: '118.0.2088.76', 120: '120.0.2210.144', 121: '121.0.2277.128', 122: '122.0.2365.92',
             123: '123.0.2420.97', 124: '124.0.2478.109', 125: '125.0.2535.92', 126: '126.0.2592.68'}
CHROME_MAJ = [(121, .04), (122, .08), (123, .2), (124, .37), (125, .26), (126, .05)]
FF_MAJ = [(115, .08), (123, .1), (124, .25), (125, .37), (126, .2)]
MAC_SAFARI = [('17.4.1', .35), ('17.5', .3), ('17.3.1', .1), ('16.6', .12), ('17.4', .08), ('15.6.1', .05)]
IG_VERS = ['323.0.3.23.54', '326.0.3.30.91', '328.1.3.32.89', '329.0.0.41.93', '330.0.3.13.93', '331.0.2.24.81', '332.0.2.29.94']
FB_VERS = ['455.0.0.45.108', '458.0.0.52.108', '461.0.0.41.106', '463.0.0.36.108', '466.0.0.49.107', '468.1.0.56.103']
TT_VERS = ['34.1.0', '34.2.0', '34.4.0', '34.6.0', '34.8.0']

BOT_LIB_UAS = ['python-requests/2.31.0', 'python-requests/2.28.2', 'python-httpx/0.27.0', 'aiohttp/3.9.3 Python/3.11',
               'curl/8.5.0', 'curl/7.81.0', 'Go-http-client/2.0', 'Go-http-client/1.1', 'axios/1.6.8', 'axios/0.27.2',
               'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'okhttp/4.12.0', 'Java/17.0.2',
               'PostmanRuntime/7.37.0', 'Scrapy/2.11.1 (+https://scrapy.org)', 'undici', 'Dart/3.3 (dart:io)']
HEADLESS_UAS = [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.60 Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/122.0.6261.57 Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/123.0.0.0 Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0',  # playwright firefox default on linux
]


class World:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.emails = set()
        self.devids = set()
        self.cards = set()
        self.advs = []
        self.refs = []
        self.orders = []
        self.carrier_pool = {}
        self.relay_pool = {}
        self.vpn_pool = [self.ip_in(VPN_NETS) for _ in range(55)]
        self.dropped = 0
        self.shops = self.make_shops()

    # ------------------------------------------------------------------ basic ids
    def hexs(self, n):
        return ''.join(self.r.choice('0123456789abcdef') for _ in range(n))

    def new_devid(self):
        while True:
            d = 'd-' + self.hexs(20)
            if d not in self.devids:
                self.devids.add(d)
                return d

    def new_card(self):
        alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
        while True:
            c = 'pm_' + ''.join(self.r.choice(alphabet) for _ in range(16))
            if c not in self.cards:
                self.cards.add(c)
                return c

    # ------------------------------------------------------------------ ips
    def ip_in(self, nets):
        a, lo, hi = self.r.choice(nets)
        return '%d.%d.%d.%d' % (a, self.r.randint(lo, hi), self.r.randint(0, 255), self.r.randint(1, 254))

    def resi_ip(self, country):
        return self.ip_in(RESI.get(country, RESI['US']))

    def dc_ip(self, prov):
        return self.ip_in(DC[prov])

    def v6_prefix(self, base):
        parts = base.split(':')
        while len(parts) < 4:
            parts.append('%x' % self.r.randint(0, 0xffff))
        return parts

    def v6_addr(self, prefix_parts, salt):
        h = hashlib.sha256(salt.encode()).hexdigest()
        iid = [h[i:i + 4] for i in range(0, 16, 4)]
        full = ':'.join(prefix_parts + iid)
        return str(ipaddress.IPv6Address(full))

    def carrier_ip(self, carrier, country, at, salt):
        name, nets, v6, _ = carrier
        if v6 and self.r.random() < 0.45:
            pre = self.v6_prefix(v6)
            return self.v6_addr(pre, salt + str(at) + str(self.r.random()))
        pool = self.carrier_pool.get(name)
        if pool is None:
            pool = [self.ip_in(nets) for _ in range(160)]
            self.carrier_pool[name] = pool
        return self.r.choice(pool)

    def relay_ip(self, country):
        pool = self.relay_pool.get(country)
        if pool is None:
            pool = [self.ip_in(RELAY_NETS) for _ in range(14)]
            self.relay_pool[country] = pool
        return self.r.choice(pool)

    def new_home(self, country):
        h = {'v4': self.resi_ip(country), 'v6': None}
        if country in V6_HOME and self.r.random() < 0.27:
            h['v6'] = self.v6_prefix(self.r.choice(V6_HOME[country]))
        return h

    def ip_for(self, p, dev, net, at):
        r = self.r
        if net is None:
            return None
        if net[0].isdigit() or ':' in net:
            return net
        if net == 'vpn' or (p is not None and p.get('vpn_always') and net in ('home', 'mobile', 'work')):
            day = int(at // DAY)
            key = p['vpn_by_day'] if p is not None else {}
            if day not in key:
                key[day] = r.choice(self.vpn_pool)
            return key[day]
        if net == 'relay' or (p.get('relay') and dev is not None and dev.get('browser') == 'safari'
                              and net in ('home', 'mobile') and r.random() < 0.93):
            return self.relay_ip(p['country'])
        if net == 'home':
            h = p['home']
            if h['v6'] and dev is not None and r.random() < 0.62:
                return self.v6_addr(h['v6'], dev['id'] + ':' + str(int(at // DAY)))
            return h['v4']
        if net == 'mobile':
            return self.carrier_ip(p['carrier'], p['country'], at, p['email'])
        if net == 'work':
            w = p.get('work')
            if w is None:
                return p['home']['v4']
            return w() if callable(w) else w
        if net == 'resproxy':
            return self.resi_ip(p['country'])
        raise ValueError(net)

    # ------------------------------------------------------------------ user agents
    def build_ua(self, d):
        i = d['info']
        b = d['browser']
        if i['os'] == 'ios':
            v, sv = i['ios']
            if d['kind'] == 'tablet':
                if i.get('ipad_mobile'):
                    return ('Mozilla/5.0 (iPad; CPU OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
                            'Version/%s Mobile/15E148 Safari/604.1' % (v, sv))
                return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) '
                        'Version/%s Safari/605.1.15' % sv)
            head = 'Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)' % v
            if b == 'safari':
                return head + ' Version/%s Mobile/15E148 Safari/604.1' % sv
            if b == 'chrome':
                return head + ' CriOS/%s Mobile/15E148 Safari/604.1' % CRIOS_FULL[min(max(i['cv'], 121), 126)]
            if b == 'firefox':
                return head + ' FxiOS/%d.%d  Mobile/15E148 Safari/605.1.15' % (i['fv'], i.get('fminor', 1))
            if b == 'edge':
                return head + ' EdgiOS/124.2478.89 Mobile/15E148 Safari/605.1.15'
            if b == 'gsa':
                return head + ' GSA/312.1.622417437 Mobile/15E148 Safari/604.1'
        if i['os'] == 'android':
            av, model, build = i['android'], i['model'], i['build']
            cv = i['cv']
            if b == 'chrome':
                return ('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/%d.0.0.0 Mobile Safari/537.36' % cv)
            if b == 'samsung':
                if i.get('old_samsung'):
                    return ('Mozilla/5.0 (Linux; Android %s; SAMSUNG %s) AppleWebKit/537.36 (KHTML, like Gecko) '
                            'SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36' % (av, model))
                sv, scv = {24: ('24.0', 117), 25: ('25.0', 121), 26: ('26.0', 122)}[i.get('sb', 25)]
                return ('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'SamsungBrowser/%s Chrome/%d.0.0.0 Mobile Safari/537.36' % (sv, scv))
            if b == 'miui':
                return ('Mozilla/5.0 (Linux; U; Android %s; en-in; %s Build/%s) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Version/4.0 Chrome/112.0.5615.136 Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.8.0-gn'
                        % (av, model, build))
            if b == 'firefox':
                return 'Mozilla/5.0 (Android %s; Mobile; rv:%d.0) Gecko/%d.0 Firefox/%d.0' % (av, i['fv'], i['fv'], i['fv'])
            if b == 'opera':
                return ('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/%d.0.0.0 Mobile Safari/537.36 OPR/81.3.4292.78721' % cv)
            if b == 'yandex':
                return ('Mozilla/5.0 (Linux; Android %s; %s) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/122.0.0.0 YaBrowser/24.4.1.95.00 SA/3 Mobile Safari/537.36' % (av, model))
            if b == 'uc':
                return ('Mozilla/5.0 (Linux; U; Android %s; en-US; %s Build/%s) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Version/4.0 Chrome/100.0.4896.58 UCBrowser/13.5.8.1314 Mobile Safari/537.36' % (av, model, build))
        if i['os'] == 'android_tab':
            return ('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) '
                    'Chrome/%d.0.0.0 Safari/537.36' % i['cv'])
        if i['os'] == 'win':
            cv = i['cv']
            nt = i.get('nt', '10.0')
            base = ('Mozilla/5.0 (Windows NT %s; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
                    'Chrome/%d.0.0.0 Safari/537.36' % (nt, cv))
            if b == 'chrome':
                return base
            if b == 'edge':
                return base + ' Edg/%s' % EDGE_FULL[cv]
            if b == 'opera':
                return base + ' OPR/%d.0.0.0' % (cv - 14)
            if b == 'yandex':
                return ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36')
            if b == 'whale':
                return ('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/122.0.0.0 Whale/3.25.232.19 Safari/537.36')
            if b == 'firefox':
                return 'Mozilla/5.0 (Windows NT %s; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0' % (nt, i['fv'], i['fv'])
        if i['os'] == 'mac':
            if b == 'safari':
                return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) '
                        'Version/%s Safari/605.1.15' % i['sv'])
            if b == 'chrome':
                return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/%d.0.0.0 Safari/537.36' % i['cv'])
            if b == 'edge':
                return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) '
                        'Chrome/%d.0.0.0 Safari/537.36 Edg/%s' % (i['cv'], EDGE_FULL[i['cv']]))
            if b == 'firefox':
                return 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:%d.0) Gecko/20100101 Firefox/%d.0' % (i['fv'], i['fv'])
        if i['os'] == 'linux':
            if b == 'firefox':
                return 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0' % (i['fv'], i['fv'])
            return ('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) '
                    'Chrome/%d.0.0.0 Safari/537.36' % i['cv'])
        if i['os'] == 'cros':
            return ('Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) '
                    'Chrome/%d.0.0.0 Safari/537.36' % i['cv'])
        raise ValueError((i, b))

    def inapp_ua(self, app, info, country):
        r = self.r
        loc = LOCALE.get(country, 'en_US')
        if info['os'] == 'ios':
            v = info['ios'][0]
            head = ('Mozilla/5.0 (iPhone; CPU iPhone OS %s like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) '
                    'Mobile/15E148' % v)
            model, scale, res = info['model']
            if app == 'instagram':
                return head + ' Instagram %s (%s; iOS %s; %s; %s; scale=%s; %s; %d)' % (
                    info['ig'], model, v, loc, loc.split('_')[0], scale, res, info['igb'])
            if app == 'facebook':
                return head + (' [FBAN/FBIOS;FBAV/%s;FBBV/%d;FBDV/%s;FBMD/iPhone;FBSN/iOS;FBSV/%s;FBSS/%d;FBID/phone;'
                               'FBLC/%s;FBOP/5;FBRV/%d]' % (info['fb'], info['igb'] // 7 + 500000000, model,
                                                            v.replace('_', '.'), int(float(scale)), loc, info['igb'] % 1000000))
            if app == 'tiktok':
                return head + (' musical_ly_%s JsSdk/2.0 NetType/%s Channel/App Store ByteLocale/%s Region/%s '
                               'isDarkMode/%d WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6'
                               % (info['tt'], r.choice(['WIFI', '4G', '5G']), loc.split('_')[0],
                                  country if country != 'UK' else 'GB', r.randint(0, 1)))
        else:
            av, model, build = info['android'], info['model'], info['build']
            cfull = CHROME_FULL[min(max(info['cv'], 121), 126)]
            head = ('Mozilla/5.0 (Linux; Android %s; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) '
                    'Version/4.0 Chrome/%s Mobile Safari/537.36' % (av, model, build, cfull))
            if app == 'instagram':
                api = {'14': 34, '13': 33, '12': 31}.get(av, 33)
                return head + ' Instagram %s Android (%d/%s; %ddpi; 1080x%d; %s; %s; %s; qcom; %s; %d)' % (
                    info['ig'], api, av, r.choice([420, 450, 480]), r.choice([2186, 2220, 2340, 2400]),
                    info['vendor'], model, info['codename'], loc, info['igb'])
            if app == 'facebook':
                return head + ' [FB_IAB/FB4A;FBAV/%s;]' % info['fb']
            if app == 'tiktok':
                return head + (' trill_%s JsSdk/1.0 NetType/WIFI Channel/googleplay AppName/musical_ly app_version/%s '
                               'ByteLocale/%s ByteFullLocale/%s Region/%s BytedanceWebview/d8a21c6'
                               % (info['tt'].replace('.', '0'), info['tt'], loc.split('_')[0], loc.replace('_', '-'),
                                  country if country != 'UK' else 'GB'))
        return None

    def new_device(self, kind, country, os=None, browser=None, info=None):
        r = self.r
        d = {'id': self.new_devid(), 'kind': kind, 'blocked': r.random() < 0.045, 'upd': None}
        if info is not None:
            d['info'] = dict(info)
            d['browser'] = browser
        elif kind == 'phone':
            ios = (os == 'ios') if os else r.random() < IOS_SHARE.get(country, .3)
            if ios:
                info = {'os': 'ios', 'ios': wchoice(r, IOS_VERS), 'model': r.choice(IPHONES),
                        'cv': wchoice(r, CHROME_MAJ), 'fv': r.choice([124, 125, 126])}
                browser = browser or wchoice(r, [('safari', .83), ('chrome', .11), ('firefox', .02), ('edge', .015), ('gsa', .025)])
            else:
                models = [(m, m[5].get(country, m[5].get('*', 0.5))) for m in ANDROIDS]
                m = wchoice(r, models)
                info = {'os': 'android', 'vendor': m[0], 'model': m[1], 'android': m[2], 'build': m[3],
                        'codename': m[4], 'cv': wchoice(r, CHROME_MAJ), 'fv': r.choice([124, 125, 126]),
                        'sb': r.choice([24, 25, 25, 26]), 'old_samsung': r.random() < 0.15}
                opts = [('chrome', .72), ('firefox', .02), ('opera', .03)]
                if m[0] == 'samsung':
                    opts.append(('samsung', .32))
                if m[0] == 'xiaomi':
                    opts.append(('miui', .25 if country == 'IN' else .08))
                if country == 'RU':
                    opts.append(('yandex', .25))
                if country == 'IN':
                    opts.append(('uc', .05))
                browser = browser or wchoice(r, opts)
            info['ig'] = r.choice(IG_VERS)
            info['fb'] = r.choice(FB_VERS)
            info['tt'] = r.choice(TT_VERS)
            info['igb'] = r.randint(560000000, 610000000)
            d['info'] = info
            d['browser'] = browser
        elif kind == 'tablet':
            if r.random() < 0.72:
                d['info'] = {'os': 'ios', 'ios': wchoice(r, IOS_VERS), 'ipad_mobile': r.random() < 0.2}
                d['browser'] = 'safari'
            else:
                d['info'] = {'os': 'android_tab', 'cv': wchoice(r, CHROME_MAJ)}
                d['browser'] = 'chrome'
        else:  # desktop
            osw = [('win', .62), ('mac', .3), ('linux', .03), ('cros', .05)]
            if country in ('JP', 'US', 'UK', 'AU'):
                osw = [('win', .52), ('mac', .4), ('linux', .02), ('cros', .06)]
            if country in ('IN', 'BR', 'MX', 'PL', 'RU'):
                osw = [('win', .82), ('mac', .1), ('linux', .06), ('cros', .02)]
            o = os or wchoice(r, osw)
            info = {'os': o, 'cv': wchoice(r, CHROME_MAJ), 'fv': wchoice(r, FF_MAJ), 'sv': wchoice(r, MAC_SAFARI)}
            if o == 'win':
                if r.random() < 0.03:
                    info['nt'] = '6.1'
                    info['cv'] = 109
                bw = [('chrome', .66), ('edge', .2), ('firefox', .08), ('opera', .03)]
                if country == 'RU':
                    bw.append(('yandex', .3))
                if country == 'KR':
                    bw.append(('whale', .2))
                browser = browser or wchoice(r, bw)
                if info.get('nt') == '6.1':
                    browser = 'chrome'
            elif o == 'mac':
                browser = browser or wchoice(r, [('safari', .45), ('chrome', .45), ('firefox', .06), ('edge', .04)])
            elif o == 'linux':
                browser = browser or wchoice(r, [('firefox', .55), ('chrome', .45)])
            else:
                browser = 'chrome'
            d['info'] = info
            d['browser'] = browser
        d['ua'] = self.build_ua(d)
        # browsers auto-update during the period
        if d['browser'] in ('chrome', 'edge', 'opera') and d['info'].get('cv', 0) >= 121 and r.random() < 0.33:
            i2 = dict(d['info'])
            i2['cv'] = min(i2['cv'] + 1, 126)
            d2 = dict(d)
            d2['info'] = i2
            new = self.build_ua(d2)
            if new != d['ua']:
                d['upd'] = (r.randint(3 * DAY, 55 * DAY), new)
        elif d['browser'] == 'firefox' and r.random() < 0.3 and d['info']['os'] != 'ios':
            i2 = dict(d['info'])
            i2['fv'] = min(i2['fv'] + 1, 127)
            d2 = dict(d)
            d2['info'] = i2
            d['upd'] = (r.randint(3 * DAY, 55 * DAY), self.build_ua(d2))
        return d

    def clone_device(self, dev):
        """Same model, same OS version, same browser: byte-identical UA, own install."""
        d = {'id': self.new_devid(), 'kind': dev['kind'], 'blocked': self.r.random() < 0.045,
             'info': dict(dev['info']), 'browser': dev['browser'], 'ua': dev['ua'], 'upd': dev['upd']}
        return d

    def inapp_device(self, p, app):
        ph = p['phone']
        d = {'id': self.new_devid(), 'kind': 'phone', 'blocked': ph['blocked'], 'info': ph['info'],
             'browser': app, 'upd': None}
        d['ua'] = self.inapp_ua(app, ph['info'], p['country'])
        return d

    @staticmethod
    def ua_at(dev, t):
        if dev is None:
            return None
        if dev.get('upd') and t >= dev['upd'][0]:
            return dev['upd'][1]
        return dev['ua']

    # ------------------------------------------------------------------ emails
    def local_part(self, first, last, country, culture):
        r = self.r
        german = culture == 'de'
        f = ascii_fold(first, german).lower()
        l = ascii_fold(last, german).lower()
        if culture in ('jp', 'kr', 'cn') and r.random() < 0.6:
            return wchoice(r, [(f + str(r.randint(10, 9999)), .4), (f + '_' + l[:1] + str(r.randint(1, 99)), .2),
                               (r.choice(WORDS) + f + str(r.randint(1, 999)), .2), (l + f + str(r.randint(80, 99)), .2)])
        yy = str(r.choice([r.randint(60, 99), r.randint(0, 9)])).zfill(2)
        year = str(r.randint(1962, 2006))
        pats = [
            (f + '.' + l, .22), (f + l, .13), (f + '_' + l, .05), (f[0] + l, .1), (f + '.' + l + yy, .07),
            (f + l + year, .07), (l + '.' + f, .04), (f + str(r.randint(1, 999)), .06),
            (f + r.choice(WORDS) + str(r.randint(1, 99)), .04), (f + '.' + l[0], .03),
            (l + f[0] + str(r.randint(1, 99)), .03), (f + '-' + l, .02), (f[0] + '.' + l, .04),
            (r.choice(WORDS) + '.' + r.choice(WORDS) + str(r.randint(1, 99)), .03), (f + l[:3] + yy, .03),
            (l + yy, .02), (f[0] + l[0] + str(r.randint(100, 99999)), .02),
        ]
        return wchoice(r, pats)

    def claim(self, email):
        key = email
        if key in self.emails:
            return False
        self.emails.add(key)
        return True

    def make_email(self, p, domain=None, local=None, style=None):
        r = self.r
        for attempt in range(40):
            lp = local or self.local_part(p['first'], p['last'], p['country'], p['culture'])
            if attempt > 0:
                lp = lp + str(r.randint(1, 999))
            d = domain
            if d is None:
                k = r.random()
                if k < 0.025:
                    d = r.choice(SMALL_LEGIT_DOMAINS)
                elif k < 0.035:
                    d = ascii_fold(p['last']).lower() + r.choice(['.net', '.me', '.family', '.io', '.de', '.co.uk', '.org'])
                    lp = ascii_fold(p['first']).lower()
                else:
                    d = wchoice(r, PROVIDERS[p['country']])
            e = lp + '@' + d
            if r.random() < 0.025 and style != 'exact':
                # typed with capitals (autocapitalise on phones)
                e = e[0].upper() + e[1:]
                if r.random() < 0.3:
                    e = e.replace('@' + d, '@' + d.capitalize())
            if self.claim(e):
                return e
        raise RuntimeError('email space exhausted')

    def relay_email(self, p):
        r = self.r
        while True:
            k = r.random()
            if k < 0.3:
                e = '%s@privaterelay.appleid.com' % ''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(10))
            elif k < 0.55:
                e = '%s.%s_%s@icloud.com' % (r.choice(WORDS), r.choice(WORDS),
                                              ''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(2)))
            elif k < 0.7:
                e = '%s-%s-%s@duck.com' % (r.choice(WORDS), r.choice(WORDS), r.choice(WORDS))
            elif k < 0.82:
                e = '%s@mozmail.com' % ''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(9))
            elif k < 0.92:
                e = '%s_%s%d@%s' % (r.choice(WORDS), r.choice(WORDS), r.randint(10, 999),
                                    r.choice(['simplelogin.com', 'aleeas.com', 'slmail.me', 'simplelogin.fr']))
            else:
                e = '%s.%s%d@fastmail.com' % (r.choice(WORDS), r.choice(WORDS), r.randint(1000, 9999))
            if self.claim(e):
                return e

    def disposable_email(self, p, tier=None):
        r = self.r
        tier = tier or wchoice(r, [('known', .45), ('obscure', .3), ('new', .25)])
        while True:
            if tier == 'known':
                d = r.choice(DISPOSABLE_KNOWN)
            elif tier == 'obscure':
                d = r.choice(DISPOSABLE_OBSCURE)
            else:
                d = self.new_disposable_domain()
            k = r.random()
            if k < 0.4 and p is not None:
                lp = self.local_part(p['first'], p['last'], p['country'], p['culture'])
            elif k < 0.75:
                lp = ''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(6, 11)))
            else:
                lp = r.choice(WORDS) + r.choice(WORDS) + str(r.randint(1, 99))
            e = lp + '@' + d
            if self.claim(e):
                return e

    def new_disposable_domain(self):
        r = self.r
        s1, s2 = r.choice(SYLL), r.choice(SYLL)
        form = r.randint(0, 3)
        tld = r.choice(NEW_TLDS)
        if form == 0:
            return s1 + s2 + 'mail' + tld
        if form == 1:
            return s1 + s2 + r.choice(SYLL) + tld
        if form == 2:
            return 'mail' + s1 + s2 + tld
        return s1 + s2 + '-inbox' + tld

    # ------------------------------------------------------------------ people
    def new_person(self, country=None, culture=None, first=None, last=None, home=None, carrier=None,
                   desktop_p=0.6, email=None, domain=None, phone=None, os=None):
        r = self.r
        country = country or wchoice(r, WORLD)
        culture = culture or wchoice(r, COUNTRY_CULTURES[country])
        fn, ln = names_for(culture)
        p = {'country': country, 'tz': wchoice(r, TZ[country]), 'culture': culture,
             'first': first or r.choice(fn), 'last': last or r.choice(ln)}
        p['home'] = home if home is not None else self.new_home(country)
        p['carrier'] = carrier if carrier is not None else wchoice(r, [(c, c[3]) for c in CARRIERS[country]])
        p['phone'] = phone if phone is not None else self.new_device('phone', country, os=os)
        p['desktop'] = self.new_device('desktop', country) if r.random() < desktop_p else None
        p['tablet'] = self.new_device('tablet', country) if r.random() < 0.08 else None
        p['card'] = self.new_card()
        p['card2'] = None
        p['tax'] = r.choice([0, .04, .0625, .0625, .07, .0725, .0825, .0875, .1025, .06, .0475]) if country == 'US' else (
            .13 if country == 'CA' and r.random() < .6 else (.05 if country == 'CA' else 0))
        p['relay'] = (p['phone']['info']['os'] == 'ios' and p['phone']['browser'] == 'safari' and r.random() < 0.09)
        p['vpn_always'] = r.random() < 0.022
        p['vpn_by_day'] = {}
        p['work'] = None
        if r.random() < 0.25:
            p['work'] = self.resi_ip(country) if r.random() < 0.7 else self.ip_in(ZSCALER)
        p['email'] = email if email is not None else self.make_email(p, domain=domain)
        return p

    def second_card(self, p):
        if p['card2'] is None:
            p['card2'] = self.new_card()
        return p['card2']

    # ------------------------------------------------------------------ shops
    def make_shops(self):
        return {
            'apparel': dict(name='apparel', device=True, dev_miss=0.03, fp=0.9, style='null',
                            markets=[('US', .6), ('CA', .1), ('UK', .15), ('AU', .15)],
                            items=[(1800, 3), (2400, 4), (2900, 5), (3400, 5), (3900, 5), (4500, 4), (4900, 4),
                                   (5800, 3), (6500, 3), (7800, 2), (8900, 2), (11800, 1), (14500, 1), (19800, .5)],
                            nitems=[(1, .45), (2, .3), (3, .15), (4, .1)], ship=(695, 7500), min=2500, tax=True),
            'coffee': dict(name='coffee', device=False, dev_miss=1.0, fp=0.96, style='omit',
                           markets=[('US', .85), ('CA', .15)],
                           items=[(1600, 4), (1850, 4), (2200, 3), (2450, 3), (3200, 2), (4800, 1.5), (6900, .5)],
                           nitems=[(1, .6), (2, .3), (3, .1)], ship=(500, 3500), min=1500, tax=True),
            'gadgets': dict(name='gadgets', device=True, dev_miss=0.06, fp=0.82, style='null',
                            markets=[('DE', .35), ('FR', .2), ('NL', .1), ('ES', .1), ('IT', .1), ('PL', .1), ('CZ', .05)],
                            items=[(999, 3), (1499, 4), (1999, 4), (2499, 3), (2999, 3), (3999, 3), (4999, 2),
                                   (7999, 1.5), (12999, 1), (19999, .6), (34999, .3)],
                            nitems=[(1, .6), (2, .28), (3, .12)], ship=(499, 3000), min=2000, tax=False),
            'beauty': dict(name='beauty', device=True, dev_miss=0.2, fp=0.8, style='omit',
                           markets=[('US', .3), ('UK', .1), ('BR', .14), ('MX', .1), ('IN', .14), ('JP', .05),
                                    ('KR', .05), ('FR', .05), ('RU', .07)],
                           items=[(1200, 4), (1650, 4), (2200, 4), (2800, 3), (3400, 3), (3900, 2), (4800, 2),
                                  (5600, 1), (6400, 1)],
                           nitems=[(1, .3), (2, .3), (3, .2), (4, .12), (5, .08)], ship=(599, 4000), min=2000, tax=True),
            'outdoor': dict(name='outdoor', device=False, dev_miss=1.0, fp=0.74, style='null',
                            markets=[('US', .7), ('CA', .3)],
                            items=[(2500, 3), (3900, 4), (5500, 4), (8900, 3), (12900, 2), (17900, 1.5), (24900, 1),
                                   (34900, .6), (49900, .3)],
                            nitems=[(1, .6), (2, .3), (3, .1)], ship=(995, 9900), min=3000, tax=True),
            'mealkit': dict(name='mealkit', device=True, dev_miss=0.04, fp=0.93, style='omit',
                            markets=[('UK', .6), ('DE', .4)],
                            items=[(2999, 3), (3999, 4), (4999, 3), (5999, 2), (6999, 1)],
                            nitems=[(1, .9), (2, .1)], ship=(0, 0), min=2500, tax=False),
        }

    SHOP_W = [('apparel', .25), ('coffee', .14), ('gadgets', .17), ('beauty', .2), ('outdoor', .1), ('mealkit', .14)]

    def pick_shop(self, device=None):
        while True:
            s = self.shops[wchoice(self.r, self.SHOP_W)]
            if device is None or s['device'] == device:
                return s

    def amount(self, shop, p, mode='normal'):
        r = self.r
        items = shop['items']
        if mode == 'min':
            prices = sorted(set(pr for pr, _ in items))
            above = [pr for pr in prices if pr >= shop['min']]
            if r.random() < 0.75 and above:
                sub = r.choice(above[:2])
            else:
                cheap = prices[0]
                sub = cheap
                while sub < shop['min']:
                    sub += r.choice(prices[:3])
        elif mode == 'big':
            top = sorted(items, key=lambda x: -x[0])[:4]
            sub = sum(r.choice(top)[0] for _ in range(r.randint(1, 3)))
        else:
            n = wchoice(r, shop['nitems'])
            sub = sum(wchoice(r, items) for _ in range(n))
        ship, thr = shop['ship']
        if ship and sub < thr:
            sub += ship
        if shop['tax'] and p is not None:
            sub = int(round(sub * (1 + p.get('tax', 0))))
        return int(sub)

    # ------------------------------------------------------------------ time
    def diurnal_after(self, t0, tz, lo, hi):
        r = self.r
        t = t0 + lo
        for _ in range(120):
            d = math.exp(r.uniform(math.log(max(lo, 1)), math.log(max(hi, lo + 1))))
            t = t0 + d
            if d < 1500 or r.random() < HOUR_W[int(local_hour(t, tz))]:
                return int(t)
        return int(t)

    def diurnal_on_day(self, day, tz, hours=None):
        r = self.r
        while True:
            if hours:
                h = r.uniform(hours[0], hours[1])
            else:
                h = r.uniform(0, 24)
                if r.random() > HOUR_W[int(h)]:
                    continue
            t = int(int(day) * DAY + (h - tz) * HOUR + r.uniform(0, 59))
            return max(0, t)

    def pick_dev(self, p, t, desk_bias=0.0):
        h = local_hour(t, p['tz'])
        r = self.r
        if p['tablet'] and 19 <= h < 23.5 and r.random() < 0.25:
            return p['tablet']
        if p['desktop'] and 7 <= h < 23.5 and r.random() < 0.34 + desk_bias:
            return p['desktop']
        return p['phone']

    def pick_net(self, p, dev, t):
        r = self.r
        h = local_hour(t, p['tz'])
        weekday = (int((t / DAY) + 2) % 7) < 5
        if dev is not None and dev['kind'] in ('desktop', 'tablet'):
            if p['work'] and weekday and 9 <= h < 17.5 and dev['kind'] == 'desktop' and r.random() < 0.6:
                return 'work'
            return 'home'
        if p.get('homebody') and r.random() < 0.7:
            return 'home'
        if 8 <= h < 18.5 and weekday:
            x = r.random()
            if p['work'] and x < 0.22:
                return 'work'
            return 'mobile' if x < 0.62 else 'home'
        return 'home' if r.random() < 0.74 else 'mobile'

    # ------------------------------------------------------------------ events
    def ev(self, typ, at, p, dev, net, shop, referer=None, ua=None, card=None, amount=None, fp_force=False,
           devid=False, ip=False):
        r = self.r
        e = {'type': typ, 'at': int(at)}
        ipv = self.ip_for(p, dev, net, at) if ip is False else ip
        if ipv is not None and r.random() < 0.006:
            ipv = None
        e['ip'] = ipv
        u = ua if ua is not None else self.ua_at(dev, at)
        if u is not None and r.random() < 0.003:
            u = None
        e['user_agent'] = u
        if typ == 'click':
            e['referer'] = referer
        else:
            if devid is not False:
                d = devid
            elif dev is not None and shop['device'] and not dev['blocked'] and r.random() >= shop['dev_miss']:
                d = dev['id']
            else:
                d = None
            if shop['device'] or d is not None:
                e['device_id'] = d
        if typ == 'purchase':
            fp = None
            if card is not None and (fp_force or r.random() < shop['fp']):
                fp = card
            e['payment_fingerprint'] = fp
            e['amount'] = int(amount)
            order = {'at': int(at), 'oid': None}
            self.orders.append(order)
            e['order_id'] = None
            e['_order'] = order
        if shop['style'] == 'omit':
            for k in [k for k, v in e.items() if v is None and k != 'order_id']:
                del e[k]
        return e

    def refund(self, purchase, at, amount=None):
        return {'type': 'refund', 'at': int(at), 'order_id': None,
                'amount': int(amount if amount is not None else purchase['amount']), '_order': purchase['_order']}

    # ------------------------------------------------------------------ advocates & referrals
    def make_advocate(self, p, shop, joined, dev=None, net='home', card=True, email=None, ip=False, devid=False,
                      ua=None):
        r = self.r
        joined = int(max(0, joined))
        if dev is None:
            dev = p['phone'] if (p['desktop'] is None or r.random() < 0.55) else p['desktop']
        if card is True:
            card = p['card'] if r.random() < 0.9 else None
        if devid is False:
            did = dev['id'] if (dev is not None and shop['device'] and not dev['blocked']) else None
        else:
            did = devid
        a = {'email': email or p['email'], 'joined_at': joined,
             'ip': self.ip_for(p, dev, net, joined) if ip is False else ip,
             'user_agent': ua if ua is not None else self.ua_at(dev, joined),
             'device_id': did, 'payment_fingerprint': card,
             '_p': p, '_shop': shop, '_dev': dev, '_weight': 1.0}
        n = wchoice(r, [(1, .5), (2, .3), (3, .2)])
        a['_shares'] = sorted(self.diurnal_after(joined, p['tz'], 300, 12 * DAY) for _ in range(n))
        self.advs.append(a)
        return a

    def add_ref(self, adv, label, case, email, evs):
        evs = [e for e in evs if e is not None and e['at'] < PERIOD and e['at'] >= adv['joined_at']]
        present = set(id(e['_order']) for e in evs if e['type'] == 'purchase')
        evs = [e for e in evs if e['type'] != 'refund' or id(e['_order']) in present]
        if not evs:
            self.dropped += 1
            return None
        evs.sort(key=lambda e: e['at'])
        rec = {'_adv': adv, 'label': label, 'case': case, 'email': email, 'events': evs}
        self.refs.append(rec)
        return rec

    def click_time(self, adv, fp):
        r = self.r
        s = r.choice(adv['_shares'])
        k = r.random()
        if k < 0.5:
            lo, hi = 20, 6 * HOUR
        elif k < 0.85:
            lo, hi = 6 * HOUR, 3 * DAY
        else:
            lo, hi = 3 * DAY, 16 * DAY
        return self.diurnal_after(s, fp['tz'], lo, hi)

    HONEST_REFS = [(None, .30), ('https://l.instagram.com/', .08), ('https://l.facebook.com/', .06),
                   ('https://m.facebook.com/', .02), ('https://l.messenger.com/', .03), ('https://mail.google.com/', .06),
                   ('android-app://com.google.android.gm/', .03), ('https://outlook.live.com/', .02), ('https://t.co/', .04),
                   ('https://www.reddit.com/', .02), ('https://web.whatsapp.com/', .05), ('https://www.google.com/', .03),
                   ('https://www.pinterest.com/', .02), ('https://discord.com/', .02),
                   ('android-app://org.telegram.messenger/', .01), ('https://www.tiktok.com/', .02),
                   ('https://www.linkedin.com/', .01), ('https://linktr.ee/', .01), ('https://mail.yahoo.com/', .02),
                   ('https://www.youtube.com/', .01), ('https://web.telegram.org/', .01), ('https://www.threads.net/', .005)]
    APP_OF = {'https://l.instagram.com/': 'instagram', 'https://l.facebook.com/': 'facebook',
              'https://m.facebook.com/': 'facebook', 'https://www.tiktok.com/': 'tiktok'}

    def funnel(self, p, shop, t, click=True, referer='pick', conv=(0.17, 0.2, 0.63), instant=False,
               switch=0.18, repeat=0.1, mode='normal', refund=None, typed_first=None, force_desk_purchase=False):
        """Ordinary human funnel. Returns events."""
        r = self.r
        evs = []
        if referer == 'pick':
            referer = wchoice(r, self.HONEST_REFS)
        dev = self.pick_dev(p, t)
        app = self.APP_OF.get(referer)
        session_dev = dev
        if app and click:
            dev = p['phone']
            session_dev = self.inapp_device(p, app) if r.random() < 0.8 else dev
        net = self.pick_net(p, dev, t)
        if click:
            stage = wchoice(r, [('click', conv[0]), ('signup', conv[1]), ('buy', conv[2])])
            evs.append(self.ev('click', t, p, session_dev, net, shop, referer=referer))
            if stage == 'click':
                return evs
            k = r.random()
            if instant:
                t += r.randint(6, 28)
            elif k < 0.62:
                t += int(r.uniform(35, 900))
            else:
                t = self.diurnal_after(t, p['tz'], 1800, 3 * DAY) if k < 0.9 else self.diurnal_after(t, p['tz'], 3 * DAY, 12 * DAY)
                session_dev = self.pick_dev(p, t)
                net = self.pick_net(p, session_dev, t)
            evs.append(self.ev('signup', t, p, session_dev, net, shop))
            if stage == 'signup':
                return evs
        else:
            stage = wchoice(r, [('signup', 0.22), ('buy', 0.78)])
            first = typed_first or ('purchase' if r.random() < 0.6 else 'signup')
            if first == 'signup' or stage == 'signup':
                evs.append(self.ev('signup', t, p, session_dev, net, shop))
                if stage == 'signup':
                    return evs
            else:
                amt = self.amount(shop, p, mode)
                pe = self.ev('purchase', t, p, session_dev, net, shop, card=p['card'], amount=amt)
                evs.append(pe)
                if r.random() < 0.3:
                    evs.append(self.ev('signup', t + r.randint(20, 400), p, session_dev, net, shop))
                self._after_purchase(evs, pe, p, shop, refund, repeat, session_dev)
                return evs
        # purchase
        k = r.random()
        if instant:
            t += r.randint(12, 70)
        elif k < 0.5:
            t += int(r.uniform(60, 1500))
        elif k < 0.86:
            t = self.diurnal_after(t, p['tz'], HOUR, 5 * DAY)
        else:
            t = self.diurnal_after(t, p['tz'], 5 * DAY, 20 * DAY)
        if force_desk_purchase:
            if p['desktop'] is None:
                p['desktop'] = self.new_device('desktop', p['country'])
            session_dev = p['desktop']
            net = self.pick_net(p, session_dev, t)
            if p['work'] and r.random() < 0.5:
                net = 'work'
        elif (not instant) and r.random() < switch:
            session_dev = self.pick_dev(p, t, desk_bias=0.3)
            net = self.pick_net(p, session_dev, t)
        card = p['card'] if r.random() > 0.06 else self.second_card(p)
        pe = self.ev('purchase', t, p, session_dev, net, shop, card=card, amount=self.amount(shop, p, mode))
        evs.append(pe)
        self._after_purchase(evs, pe, p, shop, refund, repeat, session_dev)
        return evs

    def _after_purchase(self, evs, pe, p, shop, refund, repeat, dev):
        r = self.r
        t = pe['at']
        if refund:
            if refund == 'late':
                rt = t + r.randint(int(14.3 * DAY), 29 * DAY)
            elif refund == 'early':
                rt = t + r.randint(2 * DAY, 13 * DAY)
            else:
                rt = t + r.randint(int(1.5 * DAY), 29 * DAY)
            amt = pe['amount']
            if r.random() < 0.35 and amt > 1500:
                amt = int(amt * r.choice([0.3, 0.4, 0.5, 0.55, 0.62]))
            evs.append(self.refund(pe, rt, amt))
        if repeat and r.random() < repeat:
            t2 = self.diurnal_after(t, p['tz'], 4 * DAY, 30 * DAY)
            d2 = self.pick_dev(p, t2)
            evs.append(self.ev('purchase', t2, p, d2, self.pick_net(p, d2, t2), shop, card=p['card'],
                               amount=self.amount(shop, p)))

    # ========================================================================= HONEST
    def friend_country(self, adv):
        r = self.r
        k = r.random()
        if k < 0.7:
            return adv['_p']['country']
        if k < 0.9:
            return wchoice(r, adv['_shop']['markets'])
        return wchoice(r, WORLD)

    def honest_advocate(self, shop=None, country=None, p=None, joined=None, **kw):
        r = self.r
        shop = shop or self.pick_shop()
        country = country or wchoice(r, shop['markets'])
        p = p or self.new_person(country)
        if joined is None:
            day = r.uniform(0, 47) if r.random() < 0.85 else r.uniform(0, 2)
            joined = self.diurnal_on_day(int(day), p['tz'])
        dev = kw.pop('dev', None)
        if dev is None:
            dev = p['phone'] if (p['desktop'] is None or r.random() < 0.6) else p['desktop']
        net = kw.pop('net', None) or ('home' if r.random() < 0.72 else self.pick_net(p, dev, joined))
        a = self.make_advocate(p, shop, joined, dev, net, **kw)
        a['_weight'] = min(r.paretovariate(1.25), 30)
        return a

    def gen_honest_pool(self):
        r = self.r
        pool = [self.honest_advocate() for _ in range(470)]
        cum = []
        s = 0
        for a in pool:
            s += a['_weight']
            cum.append(s)

        def pick(filt=None):
            for _ in range(500):
                a = pool[bisect.bisect_left(cum, r.random() * s)]
                if filt is None or filt(a):
                    return a
            return None

        hh_count = {}
        self.pool_pick = pick
        # ordinary
        for _ in range(1000):
            adv = pick()
            fp = self.new_person(self.friend_country(adv))
            t = self.click_time(adv, fp)
            self.add_ref(adv, 'honest', 'ordinary', fp['email'], self.funnel(fp, adv['_shop'], t))
        # typed code
        for _ in range(185):
            adv = pick()
            fp = self.new_person(self.friend_country(adv))
            t = self.diurnal_after(adv['joined_at'], fp['tz'], HOUR, 25 * DAY)
            self.add_ref(adv, 'honest', 'typed_code', fp['email'],
                         self.funnel(fp, adv['_shop'], t, click=False))
        # households
        for _ in range(225):
            adv = pick(lambda a: hh_count.get(id(a), 0) < 3)
            hh_count[id(adv)] = hh_count.get(id(adv), 0) + 1
            self.household_friend(adv)
        n = 0
        while n < 14:
            adv = pick(lambda a: a['_dev']['kind'] == 'desktop' and a['_shop']['device'] and hh_count.get(id(a), 0) < 3)
            if adv is None:
                break
            hh_count[id(adv)] = hh_count.get(id(adv), 0) + 1
            self.household_friend(adv, shared_computer=True)
            n += 1
        # device switchers
        for _ in range(150):
            adv = pick()
            fp = self.new_person(self.friend_country(adv), desktop_p=1.0)
            t = self.click_time(adv, fp)
            ref = wchoice(r, [('https://l.instagram.com/', .45), ('https://l.facebook.com/', .3), ('https://www.tiktok.com/', .1),
                              ('https://l.messenger.com/', .15)])
            self.add_ref(adv, 'honest', 'device_switch', fp['email'],
                         self.funnel(fp, adv['_shop'], t, referer=ref, conv=(0, 0.03, 0.97), force_desk_purchase=True))
        # privacy / tagged / regional mail
        for _ in range(150):
            adv = pick()
            fp = self.new_person(self.friend_country(adv))
            k = r.random()
            if k < 0.55:
                email = self.relay_email(fp)
            elif k < 0.85:
                base = fp['email'].split('@')
                dom = base[1].lower()
                if dom in ('gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'fastmail.com',
                           'protonmail.com', 'proton.me', 'yandex.ru', 'me.com', 'hotmail.co.uk'):
                    tag = r.choice(['shop', 'shopping', 'deals', 'referral', adv['_shop']['name'], 'promo',
                                    'newsletters', 'orders', 'spam', 'retail', 'online', 'ref'])
                    email = base[0] + '+' + tag + '@' + base[1]
                else:
                    email = base[0] + '+' + adv['_shop']['name'] + '@gmail.com'
                if not self.claim(email):
                    email = self.relay_email(fp)
            else:
                email = self.make_email(fp, domain=r.choice(SMALL_LEGIT_DOMAINS))
            fp['email'] = email
            t = self.click_time(adv, fp)
            self.add_ref(adv, 'honest', 'privacy_email', email, self.funnel(fp, adv['_shop'], t))
        # namesakes
        for _ in range(16):
            adv = pick(lambda a: '@' in a['email'])
            local, dom = adv['email'].split('@')
            other = [d for d, _ in PROVIDERS['US'] + PROVIDERS['UK'] if d not in
                     ('gmail.com', 'googlemail.com', 'icloud.com', 'me.com', 'mac.com', dom.lower())]
            fp = self.new_person(wchoice(r, WORLD))
            e = local.lower() + '@' + r.choice(other)
            if not self.claim(e):
                continue
            fp['email'] = e
            t = self.click_time(adv, fp)
            self.add_ref(adv, 'honest', 'namesake', e, self.funnel(fp, adv['_shop'], t))
        # honest refunds
        for _ in range(112):
            adv = pick(lambda a: a['joined_at'] < 27 * DAY)
            fp = self.new_person(self.friend_country(adv))
            t = self.click_time(adv, fp)
            t = min(t, 27 * DAY + r.randint(0, 3 * DAY))
            mode = 'late' if r.random() < 0.42 else 'early'
            click = r.random() < 0.85
            for attempt in range(8):
                evs = self.funnel(fp, adv['_shop'], t, conv=(0, 0, 1), refund=mode, repeat=0.05, click=click)
                if has_refund(evs):
                    break
                t = max(adv['joined_at'] + 60, t - 4 * DAY)
            self.add_ref(adv, 'honest', 'honest_refund', fp['email'], evs)
        # shared exits
        self.shared_exit(pick)
        return pool

    def household_friend(self, adv, shared_computer=False):
        r = self.r
        ap = adv['_p']
        same_phone = r.random() < 0.55
        phone = self.clone_device(ap['phone']) if same_phone else None
        fp = self.new_person(ap['country'], culture=ap['culture'], last=ap['last'] if r.random() < 0.7 else None,
                             home=ap['home'], carrier=ap['carrier'] if r.random() < 0.6 else None, phone=phone,
                             desktop_p=0.35, domain=ap['email'].split('@')[1].lower() if r.random() < 0.45 else None)
        fp['tz'] = ap['tz']
        fp['tax'] = ap['tax']
        fp['homebody'] = True
        if r.random() < 0.4:
            fp['desktop'] = None
        shop = adv['_shop']
        if r.random() < 0.25 and not shared_computer:
            t = self.diurnal_after(adv['joined_at'], fp['tz'], 10 * MINUTE, 10 * DAY)
            evs = self.funnel(fp, shop, t, click=False)
        else:
            s = r.choice(adv['_shares'])
            t = self.diurnal_after(s, fp['tz'], 60, 2 * DAY)
            if shared_computer:
                comp = adv['_dev']
                evs = [self.ev('click', t, fp, fp['phone'], 'home', shop, referer=r.choice([None, 'https://web.whatsapp.com/']))]
                t2 = self.diurnal_after(t, fp['tz'], 5 * MINUTE, 2 * DAY)
                evs.append(self.ev('signup', t2, fp, comp, 'home', shop))
                t3 = t2 + r.randint(60, 3 * HOUR)
                pe = self.ev('purchase', t3, fp, comp, 'home', shop, card=fp['card'], amount=self.amount(shop, fp))
                evs.append(pe)
            else:
                evs = self.funnel(fp, shop, t, referer=wchoice(r, [(None, .6), ('https://web.whatsapp.com/', .1),
                                                                    ('https://l.messenger.com/', .1),
                                                                    ('android-app://com.google.android.gm/', .05),
                                                                    ('https://mail.google.com/', .05),
                                                                    ('https://l.instagram.com/', .1)]),
                                  conv=(0.1, 0.2, 0.7))
        self.add_ref(adv, 'honest', 'household_shared_computer' if shared_computer else 'household', fp['email'], evs)

    def shared_exit(self, pick):
        r = self.r
        tmo = CARRIERS['US'][0]
        groups = [
            ('US', [self.ip_in(tmo[1]) for _ in range(5)], 'phone', 62),
            ('IN', [self.ip_in(CARRIERS['IN'][0][1]) for _ in range(4)], 'phone', 40),
            ('UK', [self.ip_in(CARRIERS['UK'][0][1]) for _ in range(4)], 'phone', 34),
            ('*relay', [self.ip_in(RELAY_NETS) for _ in range(6)], 'ios', 52),
            ('*vpn', [r.choice(self.vpn_pool) for _ in range(4)], 'any', 42),
        ]
        for country, ips, kind, n in groups:
            for i in range(n):
                if country.startswith('*'):
                    adv = pick()
                else:
                    adv = pick(lambda a, c=country: a['_p']['country'] == c)
                    if adv is None or r.random() < 0.15:
                        shop = self.pick_shop()
                        while country not in [c for c, _ in shop['markets']]:
                            shop = self.pick_shop()
                        ap = self.new_person(country, os='ios' if kind == 'ios' else None)
                        adv = self.honest_advocate(shop=shop, country=country, p=ap, dev=ap['phone'], net=r.choice(ips))
                fc = adv['_p']['country'] if (country.startswith('*') or r.random() < 0.8) else country
                if not country.startswith('*'):
                    fc = country
                fp = self.new_person(fc, os='ios' if kind == 'ios' else None, desktop_p=0.2 if kind != 'any' else 0.6)
                if kind == 'ios':
                    fp['phone']['browser'] = 'safari'
                    fp['phone']['ua'] = self.build_ua(fp['phone'])
                    fp['phone']['upd'] = None
                shop = adv['_shop']
                t = self.click_time(adv, fp)
                evs = self.funnel(fp, shop, t, conv=(0.2, 0.2, 0.6), switch=0.0,
                                  referer=wchoice(r, [(None, .5), ('https://l.instagram.com/', .15), ('https://t.co/', .1),
                                                      ('https://mail.google.com/', .1), ('https://www.reddit.com/', .15)]))
                for e in evs:
                    if e['type'] != 'refund' and ('ip' in e or shop['style'] == 'null'):
                        if r.random() < 0.9:
                            e['ip'] = r.choice(ips)
                self.add_ref(adv, 'honest', 'shared_exit_ip', fp['email'], evs)

    def gen_offices(self):
        r = self.r
        offices = [
            dict(name='brightwell', country='US', domain='brightwellins.com', ips=[self.ip_in(ZSCALER) for _ in range(3)],
                 ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 '
                    'Safari/537.36 Edg/122.0.2365.92', advs=6, per=(4, 14), shop='apparel', vdi=False),
            dict(name='nordhafen', country='DE', domain='nordhafen-logistik.de',
                 ips=['193.%d.%d.%d' % (r.randint(16, 31), r.randint(0, 255), x) for x in [0]],
                 ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
                 advs=4, per=(5, 16), shop='gadgets', vdi=False, subnet=True),
            dict(name='cedarpoint', country='UK', domain='cedarpointcx.co.uk', ips=[self.resi_ip('UK')],
                 ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36',
                 advs=2, per=(6, 9), shop='mealkit', vdi=True),
        ]
        for o in offices:
            shop = self.shops[o['shop']]
            if o.get('subnet'):
                a, b, c, _ = o['ips'][0].split('.')
                ips = ['%s.%s.%s.%d' % (a, b, c, x) for x in r.sample(range(2, 250), 12)]
            else:
                ips = o['ips']
            vdi_ids = [self.new_devid() for _ in range(2)]

            def work_dev():
                d = self.new_device('desktop', o['country'], os='win', browser='edge' if 'Edg' in o['ua'] else 'chrome')
                d['ua'] = o['ua']
                d['upd'] = None
                d['blocked'] = r.random() < 0.02
                return d

            def employee():
                p = self.new_person(o['country'], desktop_p=0.5)
                p['work'] = r.choice(ips) if not o.get('subnet') else (lambda: r.choice(ips))
                p['workdev'] = work_dev()
                if r.random() < 0.45:
                    p['email'] = self.make_email(p, domain=o['domain'])
                return p

            for ai in range(o['advs']):
                ap = employee()
                wd = ap['workdev']
                joined = self.diurnal_on_day(r.randint(0, 30), ap['tz'], hours=(9, 17))
                adv = self.make_advocate(ap, shop, joined, wd, 'work',
                                         devid=(r.choice(vdi_ids) if o['vdi'] else False))
                adv['_shares'] = [self.diurnal_on_day(int(joined / DAY) + r.randint(0, 6), ap['tz'], hours=(9.5, 16.5))]
                for _ in range(r.randint(*o['per'])):
                    fp = employee()
                    wd2 = fp['workdev']
                    t = adv['_shares'][0] + int(r.expovariate(1 / 5400.0))
                    evs = [self.ev('click', t, fp, wd2, 'work', shop,
                                   referer=r.choice(['https://teams.microsoft.com/', 'https://outlook.office.com/', None,
                                                     'https://app.slack.com/']))]
                    stage = wchoice(r, [('c', .15), ('s', .22), ('b', .63)])
                    if stage != 'c':
                        t += r.randint(40, 1200)
                        evs.append(self.ev('signup', t, fp, wd2, 'work', shop,
                                           devid=(r.choice(vdi_ids) if o['vdi'] else False)))
                    if stage == 'b':
                        if r.random() < 0.55:
                            t += r.randint(60, 3000)
                            evs.append(self.ev('purchase', t, fp, wd2, 'work', shop, card=fp['card'],
                                               amount=self.amount(shop, fp),
                                               devid=(r.choice(vdi_ids) if o['vdi'] else False)))
                        else:  # finishes at home in the evening on own device
                            t = self.diurnal_after(t, fp['tz'], 4 * HOUR, 4 * DAY)
                            d = self.pick_dev(fp, t)
                            evs.append(self.ev('purchase', t, fp, d, self.pick_net(fp, d, t), shop, card=fp['card'],
                                               amount=self.amount(shop, fp)))
                    self.add_ref(adv, 'honest', 'office_vdi' if o['vdi'] else 'office', fp['email'], evs)
                # some outside friends too
                for _ in range(r.randint(0, 3)):
                    fp = self.new_person(o['country'])
                    t = self.click_time(adv, fp)
                    self.add_ref(adv, 'honest', 'ordinary', fp['email'], self.funnel(fp, shop, t))

        campuses = [
            dict(country='US', nets=[(141, 211, 211)], n_ips=6, domain='umich.edu', shop='apparel', advs=5, per=(4, 12)),
            dict(country='ES', nets=[(147, 96, 96)], n_ips=4, domain='ucm.es', shop='gadgets', advs=3, per=(4, 10)),
            dict(country='UK', nets=[(130, 88, 88)], n_ips=3, domain='student.manchester.ac.uk', shop='mealkit', advs=4, per=(3, 9)),
        ]
        for c in campuses:
            shop = self.shops[c['shop']]
            ips = [self.ip_in(c['nets']) for _ in range(c['n_ips'])]
            popular = self.new_device('phone', c['country'], os='ios', browser='safari')

            def student():
                phone = self.clone_device(popular) if r.random() < 0.45 else None
                p = self.new_person(c['country'], phone=phone, desktop_p=0.7)
                if p['desktop'] and r.random() < 0.5:
                    p['desktop'] = self.new_device('desktop', c['country'], os='mac')
                p['home'] = {'v4': r.choice(ips), 'v6': None}  # dorm network = campus NAT
                p['tax'] = 0.06
                if r.random() < 0.5:
                    lp = (ascii_fold(p['first'])[:1] + ascii_fold(p['last'])[:6]).lower() + str(r.randint(1, 99))
                    if r.random() < 0.5:
                        lp = ascii_fold(p['first']).lower() + ascii_fold(p['last']).lower()[:1] + str(r.randint(1, 9))
                    e = lp + '@' + c['domain']
                    if self.claim(e):
                        p['email'] = e
                return p

            for _ in range(c['advs']):
                ap = student()
                joined = self.diurnal_on_day(r.randint(0, 35), ap['tz'])
                adv = self.make_advocate(ap, shop, joined, ap['phone'], 'home')
                for _ in range(r.randint(*c['per'])):
                    fp = student()
                    t = self.click_time(adv, fp)
                    ref = wchoice(r, [(None, .45), ('https://web.groupme.com/', .1), ('https://discord.com/', .15),
                                      ('https://l.instagram.com/', .2), ('https://www.snapchat.com/', .1)])
                    evs = self.funnel(fp, shop, t, referer=ref, conv=(0.22, 0.25, 0.53), mode='normal')
                    for e in evs:
                        if e.get('ip') and r.random() < 0.5 and local_hour(e['at'], fp['tz']) > 8:
                            e['ip'] = r.choice(ips)
                    self.add_ref(adv, 'honest', 'campus', fp['email'], evs)

    def gen_viral(self):
        r = self.r
        specs = [
            ('US', 'apparel', 'https://l.instagram.com/', 'instagram', 2, 70),
            ('BR', 'beauty', 'https://www.tiktok.com/', 'tiktok', 1, 95),
            ('UK', 'mealkit', 'https://www.youtube.com/', None, 1, 55),
            ('US', 'outdoor', 'https://t.co/', None, 2, 40),
            ('DE', 'gadgets', 'https://www.reddit.com/', None, 1, 45),
            ('IN', 'beauty', 'https://l.instagram.com/', 'instagram', 1, 80),
        ]
        for country, shopname, ref, app, nposts, per in specs:
            shop = self.shops[shopname]
            ap = self.new_person(country, desktop_p=1.0)
            joined = self.diurnal_on_day(r.randint(1, 12), ap['tz'])
            adv = self.make_advocate(ap, shop, joined, ap['desktop'], 'home')
            posts = sorted(self.diurnal_on_day(r.randint(int(joined / DAY) + 1, 50), ap['tz'], hours=(11, 21))
                           for _ in range(nposts))
            adv['_shares'] = posts
            for post in posts:
                n = int(per * r.uniform(0.6, 1.4))
                for _ in range(n):
                    if r.random() < 0.72:
                        fc = country
                    else:
                        fc = wchoice(r, WORLD)
                    fp = self.new_person(fc, desktop_p=0.4)
                    if r.random() < 0.85:
                        t = post + int(r.expovariate(1 / (2.5 * HOUR)))
                    else:
                        t = self.diurnal_after(post, fp['tz'], 8 * HOUR, 6 * DAY)
                    instant = r.random() < 0.05
                    rr = ref if r.random() < 0.8 else wchoice(r, [(None, .5), ('https://linktr.ee/', .3), ('https://www.google.com/', .2)])
                    evs = self.funnel(fp, shop, t, referer=rr, conv=(0.45, 0.2, 0.35) if not instant else (0, 0, 1),
                                      instant=instant, refund='any' if r.random() < 0.025 else None)
                    self.add_ref(adv, 'honest', 'viral', fp['email'], evs)
            # a few ordinary friends too
            for _ in range(r.randint(2, 6)):
                fp = self.new_person(country)
                self.add_ref(adv, 'honest', 'ordinary', fp['email'], self.funnel(fp, shop, self.click_time(adv, fp)))

    # ========================================================================= FRAUD helpers
    def fake_identity_email(self, p, style=None):
        """A second mailbox belonging to the fraudster (not an alias of the first)."""
        r = self.r
        style = style or wchoice(r, [('realname', .32), ('family', .2), ('fake', .33), ('junk', .15)])
        own_dom = p['email'].split('@')[1].lower()
        for _ in range(50):
            if style == 'realname':
                doms = [d for d, _ in PROVIDERS[p['country']] if d not in (own_dom, 'googlemail.com', 'me.com', 'icloud.com', 'mac.com')]
                e = self.local_part(p['first'], p['last'], p['country'], p['culture']) + '@' + r.choice(doms)
            elif style == 'family':
                fn, _ = names_for(p['culture'])
                q = dict(p)
                q['first'] = r.choice(fn)
                e = self.local_part(q['first'], p['last'], p['country'], p['culture']) + '@' + wchoice(r, PROVIDERS[p['country']])
            elif style == 'fake':
                c = wchoice(r, COUNTRY_CULTURES[p['country']])
                fn, ln = names_for(c)
                e = self.local_part(r.choice(fn), r.choice(ln), p['country'], c) + '@' + wchoice(r, PROVIDERS[p['country']])
            else:
                e = ''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(4, 8))) + str(r.randint(1, 9999)) \
                    + '@' + r.choice(['gmail.com', 'outlook.com', 'hotmail.com', 'yahoo.com', 'mail.com', 'gmx.com'])
            if self.claim(e):
                return e
        return self.disposable_email(p)

    def fraud_person(self, country=None, domain=None, desktop_p=0.65):
        return self.new_person(country, desktop_p=desktop_p, domain=domain)

    def fraud_adv(self, shop, p=None, joined=None, dev=None, net='home', card=True, country=None, **kw):
        r = self.r
        p = p or self.fraud_person(country or wchoice(r, shop['markets']))
        if joined is None:
            joined = self.diurnal_on_day(r.uniform(0, 42), p['tz'])
        if dev is None:
            dev = p['phone'] if (p['desktop'] is None or r.random() < 0.5) else p['desktop']
        return self.make_advocate(p, shop, joined, dev, net, card=card, **kw)

    def sneaky_funnel(self, p, shop, t, dev, net, email_card, click_p=0.68, mode='min', refund_late=0.0,
                      referer=None, devid=False, purchase_dev=None, purchase_net=None, buy_p=0.93, card_force=True):
        """Fraudster going through the motions for a fake friend."""
        r = self.r
        evs = []
        if r.random() < click_p:
            evs.append(self.ev('click', t, p, dev, net, shop, referer=referer))
            t += r.randint(25, 900)
        evs.append(self.ev('signup', t, p, dev, net, shop, devid=devid))
        if r.random() < buy_p:
            if r.random() < 0.7:
                t += r.randint(60, 2400)
            else:
                t = self.diurnal_after(t, p['tz'], 2 * HOUR, 3 * DAY)
            pd = purchase_dev or dev
            pn = purchase_net or net
            pe = self.ev('purchase', t, p, pd, pn, shop, card=email_card, amount=self.amount(shop, p, mode),
                         fp_force=card_force and r.random() < 0.95, devid=devid)
            evs.append(pe)
            if refund_late and r.random() < refund_late:
                evs.append(self.refund(pe, t + r.randint(int(14.2 * DAY), 28 * DAY)))
        return evs

    # ========================================================================= FRAUD kinds
    def gen_self_referral(self):
        r = self.r
        # --- same device
        for _ in range(72):
            shop = self.pick_shop(device=True)
            a = self.fraud_adv(shop)
            p = a['_p']
            honest_friends(self, a, r.choice([0, 0, 0, 1, 2, 3]))
            nfake = wchoice(r, [(1, .78), (2, .17), (3, .05)])
            t = self.diurnal_after(a['joined_at'], p['tz'], 5 * MINUTE, 4 * DAY)
            for k in range(nfake):
                dev = a['_dev'] if (k == 0 or r.random() < 0.7) else (p['desktop'] or p['phone'])
                net = wchoice(r, [('home', .55), ('mobile', .3), ('vpn', .15)])
                if dev['kind'] == 'desktop' and net == 'mobile':
                    net = 'home'
                card = wchoice(r, [(p['card'], .45), (self.second_card(p), .25), (self.new_card(), .15), (None, .15)])
                email = self.fake_identity_email(p)
                evs = self.sneaky_funnel(p, shop, t, dev, net, card, referer=wchoice(r, [(None, .8), ('https://mail.google.com/', .1),
                                                                                         ('https://web.whatsapp.com/', .1)]),
                                         refund_late=0.1, mode='min' if r.random() < 0.7 else 'normal')
                self.add_ref(a, 'fraud', 'self_referral_device', email, evs)
                t = self.diurnal_after(t, p['tz'], 6 * HOUR, 9 * DAY)
        # --- same card, other device
        for _ in range(62):
            shop = self.pick_shop()
            p = self.fraud_person(wchoice(r, shop['markets']), desktop_p=0.8)
            a = self.fraud_adv(shop, p=p, card=p['card'])
            honest_friends(self, a, r.choice([0, 0, 1, 2]))
            nfake = wchoice(r, [(1, .75), (2, .2), (3, .05)])
            t = self.diurnal_after(a['joined_at'], p['tz'], 20 * MINUTE, 6 * DAY)
            for k in range(nfake):
                how = wchoice(r, [('other_own', .45), ('new_browser', .25), ('partner', .2), ('blocked', .1)])
                if how == 'other_own':
                    dev = p['desktop'] if a['_dev'] is p['phone'] and p['desktop'] else p['phone']
                elif how == 'new_browser':
                    base = a['_dev']
                    dev = self.new_device(base['kind'], p['country'], os=base['info']['os'] if base['info']['os'] in ('win', 'mac', 'linux') else None,
                                          browser='firefox' if base['kind'] == 'desktop' else None)
                elif how == 'partner':
                    dev = self.new_device('phone', p['country'])
                else:
                    dev = dict(self.new_device('phone', p['country']))
                    dev['blocked'] = True
                net = wchoice(r, [('home', .5), ('mobile', .25), ('work', .15), ('vpn', .1)])
                email = self.fake_identity_email(p)
                evs = self.sneaky_funnel(p, shop, t, dev, net, p['card'], refund_late=0.08)
                self.add_ref(a, 'fraud', 'self_referral_card', email, evs)
                t = self.diurnal_after(t, p['tz'], 4 * HOUR, 8 * DAY)
        # --- shops without device id: same laptop
        for _ in range(58):
            shop = self.pick_shop(device=False)
            p = self.fraud_person(wchoice(r, shop['markets']), desktop_p=1.0)
            dev = p['desktop'] if r.random() < 0.75 else p['phone']
            a = self.fraud_adv(shop, p=p, dev=dev, net='home')
            honest_friends(self, a, r.choice([0, 0, 1, 1, 2, 4]))
            nfake = wchoice(r, [(1, .72), (2, .22), (3, .06)])
            t = self.diurnal_after(a['joined_at'], p['tz'], 3 * MINUTE, 5 * DAY)
            for k in range(nfake):
                card = wchoice(r, [(a['payment_fingerprint'] or p['card'], .35), (self.second_card(p), .3), (self.new_card(), .15),
                                   (None, .2)])
                net = 'home' if r.random() < 0.82 else 'mobile'
                email = self.fake_identity_email(p)
                evs = self.sneaky_funnel(p, shop, t, dev, net, card, refund_late=0.07, click_p=0.6)
                self.add_ref(a, 'fraud', 'self_referral_nodevice', email, evs)
                t = self.diurnal_after(t, p['tz'], 6 * HOUR, 10 * DAY)

    def disguise(self, email, method):
        r = self.r
        local, dom = email.split('@')
        dl = dom.lower()
        if method == 'dots':
            plain = local.replace('.', '')
            if '.' in local and r.random() < 0.4:
                return plain + '@' + dom
            pos = sorted(r.sample(range(1, len(plain)), min(len(plain) - 1, r.choice([1, 1, 2, 3]))))
            out = ''
            last = 0
            for q in pos:
                out += plain[last:q] + '.'
                last = q
            return out + plain[last:] + '@' + dom
        if method == 'plus':
            tag = r.choice(['1', '2', 'ref', 'friend', 'promo', 'x', 'shop', 'new', 'b', 'deal', 'test', 'alt',
                            str(r.randint(1, 99)), 'again', 'me', 'second'])
            return local + '+' + tag + '@' + dom
        if method == 'googlemail':
            return local + '@' + ('googlemail.com' if dl == 'gmail.com' else 'gmail.com')
        if method == 'dots_googlemail':
            return self.disguise(self.disguise(email, 'dots'), 'googlemail')
        if method == 'dots_plus':
            return self.disguise(self.disguise(email, 'dots'), 'plus')
        if method == 'apple':
            return local + '@' + r.choice([d for d in ('icloud.com', 'me.com', 'mac.com') if d != dl])
        if method == 'yandex':
            dd = r.choice([d for d in ('ya.ru', 'yandex.ru', 'yandex.com', 'yandex.by', 'yandex.kz', 'yandex.ua') if d != dl])
            if ('.' in local or '-' in local) and r.random() < 0.5:
                local = local.replace('.', '#').replace('-', '.').replace('#', '-')
            return local + '@' + dd
        if method == 'proton':
            return local + '@' + r.choice([d for d in ('proton.me', 'protonmail.com', 'pm.me', 'protonmail.ch') if d != dl])
        if method == 'case':
            chars = list(local)
            idx = [i for i, c in enumerate(chars) if c.isalpha()]
            for i in r.sample(idx, max(1, len(idx) // r.choice([1, 2, 3]))):
                chars[i] = chars[i].upper()
            d = dom.upper() if r.random() < 0.3 else dom
            return ''.join(chars) + '@' + d
        if method == 'cyrillic':
            mp = {'a': '\u0430', 'e': '\u0435', 'o': '\u043e', 'p': '\u0440', 'c': '\u0441', 'x': '\u0445',
                  'y': '\u0443', 'i': '\u0456', 'k': '\u043a', 'h': '\u04bb', 's': '\u0455', 'j': '\u0458'}
            chars = list(local)
            idx = [i for i, c in enumerate(chars) if c in mp]
            if not idx or r.random() < 0.2:
                dchars = list(dom)
                didx = [i for i, c in enumerate(dchars) if c in mp and i < dom.index('.')]
                if didx:
                    i = r.choice(didx)
                    dchars[i] = mp[dchars[i]]
                    return local + '@' + ''.join(dchars)
                return self.disguise(email, 'fullwidth')
            for i in r.sample(idx, min(len(idx), r.choice([1, 1, 2]))):
                chars[i] = mp[chars[i]]
            return ''.join(chars) + '@' + dom
        if method == 'greek':
            mp = {'o': '\u03bf', 'a': '\u03b1', 'i': '\u03b9', 'v': '\u03bd', 'u': '\u03c5'}
            chars = list(local)
            idx = [i for i, c in enumerate(chars) if c in mp]
            if not idx:
                return self.disguise(email, 'cyrillic')
            i = r.choice(idx)
            chars[i] = mp[chars[i]]
            return ''.join(chars) + '@' + dom
        if method == 'fullwidth':
            chars = list(local)
            if r.random() < 0.3:
                chars = [chr(ord(c) + 0xFEE0) if 0x21 <= ord(c) <= 0x7E else c for c in chars]
            else:
                idx = [i for i, c in enumerate(chars) if c.isalnum()]
                for i in r.sample(idx, min(len(idx), r.randint(1, 3))):
                    chars[i] = chr(ord(chars[i]) + 0xFEE0)
            return ''.join(chars) + '@' + dom
        raise ValueError(method)

    def gen_disguised(self):
        r = self.r
        plans = [('gmail', .48), ('apple', .12), ('yandex', .08), ('proton', .05), ('outlook', .12), ('other', .15)]
        for _ in range(84):
            plan = wchoice(r, plans)
            if plan == 'yandex':
                shop = self.shops['beauty']
                country = 'RU'
            else:
                shop = self.pick_shop()
                country = wchoice(r, shop['markets'])
            dom = {'gmail': 'gmail.com', 'apple': r.choice(['icloud.com', 'me.com', 'mac.com']),
                   'yandex': r.choice(['yandex.ru', 'ya.ru', 'yandex.ru']), 'proton': r.choice(['proton.me', 'protonmail.com']),
                   'outlook': r.choice(['outlook.com', 'hotmail.com', 'hotmail.co.uk', 'live.com']),
                   'other': None}[plan]
            p = self.fraud_person(country, domain=dom)
            if plan == 'gmail' and r.random() < 0.5 and '.' not in p['email'].split('@')[0]:
                pass
            methods = {
                'gmail': [('dots', .3), ('plus', .2), ('googlemail', .1), ('dots_googlemail', .05), ('dots_plus', .07),
                          ('case', .06), ('cyrillic', .12), ('fullwidth', .06), ('greek', .04)],
                'apple': [('apple', .6), ('plus', .2), ('cyrillic', .1), ('case', .1)],
                'yandex': [('yandex', .7), ('plus', .15), ('cyrillic', .15)],
                'proton': [('proton', .7), ('plus', .3)],
                'outlook': [('plus', .45), ('case', .15), ('cyrillic', .25), ('fullwidth', .15)],
                'other': [('case', .3), ('cyrillic', .4), ('fullwidth', .2), ('greek', .1)],
            }[plan]
            a = self.fraud_adv(shop, p=p, card=p['card'] if r.random() < 0.85 else None)
            honest_friends(self, a, r.choice([0, 0, 1, 2]))
            nfake = wchoice(r, [(1, .72), (2, .22), (3, .06)])
            t = self.diurnal_after(a['joined_at'], p['tz'], 10 * MINUTE, 7 * DAY)
            used = []
            for k in range(nfake):
                for _ in range(20):
                    m = wchoice(r, methods)
                    e = self.disguise(p['email'], m)
                    if e != p['email'] and e not in used and self.claim(e):
                        break
                else:
                    continue
                used.append(e)
                sig = wchoice(r, [('device', .32), ('card', .25), ('clean', .43)])
                if sig == 'device' and shop['device']:
                    dev, card = a['_dev'], wchoice(r, [(p['card'], .3), (self.second_card(p), .4), (None, .3)])
                    net = wchoice(r, [('home', .5), ('mobile', .3), ('vpn', .2)])
                elif sig == 'card':
                    dev = self.new_device('phone', p['country']) if r.random() < 0.5 else (p['desktop'] or p['phone'])
                    card = p['card']
                    net = wchoice(r, [('home', .4), ('mobile', .4), ('vpn', .2)])
                else:
                    dev = self.new_device(r.choice(['phone', 'desktop']), p['country'])
                    card = wchoice(r, [(self.new_card(), .6), (None, .4)])
                    net = wchoice(r, [('vpn', .4), ('mobile', .35), ('resproxy', .25)])
                if dev['kind'] == 'desktop' and net == 'mobile':
                    net = 'vpn'
                evs = self.sneaky_funnel(p, shop, t, dev, net, card, refund_late=0.08)
                self.add_ref(a, 'fraud', 'disguised_email', e, evs)
                t = self.diurnal_after(t, p['tz'], 3 * HOUR, 8 * DAY)

    def fake_friend_email(self, country, style):
        r = self.r
        c = wchoice(r, COUNTRY_CULTURES[country])
        fn, ln = names_for(c)
        f, l = r.choice(fn), r.choice(ln)
        for _ in range(30):
            if style == 'bought_gmail':
                e = '%s.%s%d@gmail.com' % (ascii_fold(f).lower(), ascii_fold(l).lower(), r.randint(100, 9999))
            elif style == 'pattern_yahoo':
                e = '%s%s%02d@%s' % (ascii_fold(f).lower(), ascii_fold(l).lower(), r.randint(60, 99),
                                     r.choice(['yahoo.com', 'aol.com', 'outlook.com', 'hotmail.com']))
            elif style == 'disposable':
                return self.disposable_email({'first': f, 'last': l, 'country': country, 'culture': c})
            else:
                e = self.local_part(f, l, country, c) + '@' + wchoice(r, PROVIDERS[country])
            if self.claim(e):
                return e
        return self.disposable_email(None)

    def gen_card_rings(self):
        r = self.r
        for ring in range(10):
            shop = self.pick_shop()
            country = wchoice(r, shop['markets'])
            nadv = wchoice(r, [(1, .35), (2, .4), (3, .25)])
            boss = self.fraud_person(country)
            cards = [self.new_card()] + ([self.new_card()] if r.random() < 0.35 else [])
            advs = []
            start_day = r.uniform(1, 30)
            for i in range(nadv):
                p = boss if i == 0 else self.fraud_person(country)
                card = cards[0] if (i == 0 and r.random() < 0.3) else True
                a = self.fraud_adv(shop, p=p, joined=self.diurnal_on_day(start_day + r.uniform(-1, 2), boss['tz']), card=card)
                advs.append(a)
            style = wchoice(r, [('reset_phone', .4), ('mixed', .35), ('random', .25)])
            ring_phone = self.new_device('phone', country)
            ring_lap = self.new_device('desktop', country)
            size = r.randint(6, 16)
            t = max(a['joined_at'] for a in advs) + r.randint(HOUR, 2 * DAY)
            for k in range(size):
                a = r.choice(advs)
                if style == 'reset_phone':
                    dev = self.clone_device(ring_phone)
                elif style == 'mixed':
                    dev = r.choice([ring_phone, ring_lap, self.new_device('phone', country)])
                else:
                    dev = self.new_device(r.choice(['phone', 'desktop']), country)
                fake = self.new_person(country, home={'v4': boss['home']['v4'], 'v6': None}, phone=dev if dev['kind'] == 'phone' else None)
                fake['tz'] = boss['tz']
                net = wchoice(r, [('vpn', .35), ('resproxy', .25), ('mobile', .3), ('home', .1)])
                if dev['kind'] != 'phone' and net == 'mobile':
                    net = 'vpn'
                email = self.fake_friend_email(country, 'disposable' if r.random() < 0.1 else 'normal')
                card = r.choice(cards) if r.random() < 0.88 else None
                evs = self.sneaky_funnel(fake, shop, t, dev, net, card,
                                         referer=wchoice(r, [(None, .6), ('https://web.whatsapp.com/', .15),
                                                             ('android-app://org.telegram.messenger/', .15),
                                                             ('https://t.me/', .1)]),
                                         refund_late=0.12, mode='min' if r.random() < 0.75 else ('big' if r.random() < 0.4 else 'normal'))
                self.add_ref(a, 'fraud', 'card_ring', email, evs)
                t = self.diurnal_after(t, boss['tz'], 40 * MINUTE, 3 * DAY)

    def gen_device_rings(self):
        r = self.r
        for ring in range(9):
            shop = self.pick_shop(device=True)
            country = wchoice(r, shop['markets'])
            nadv = wchoice(r, [(1, .4), (2, .35), (3, .25)])
            boss = self.fraud_person(country, desktop_p=1.0)
            rdev = boss['phone'] if r.random() < 0.6 else boss['desktop']
            advs = []
            for i in range(nadv):
                p = boss if i == 0 else self.fraud_person(country)
                dev = rdev if (i == 0 and r.random() < 0.45) else None
                advs.append(self.fraud_adv(shop, p=p, dev=dev, joined=self.diurnal_on_day(r.uniform(1, 30), boss['tz'])))
            size = r.randint(6, 16)
            t = max(a['joined_at'] for a in advs) + r.randint(HOUR, 3 * DAY)
            for k in range(size):
                a = r.choice(advs)
                fake = self.new_person(country, home=boss['home'], carrier=boss['carrier'])
                fake['tz'] = boss['tz']
                if rdev['kind'] == 'phone':
                    net = wchoice(r, [('mobile', .6), ('vpn', .3), ('home', .1)])
                else:
                    net = wchoice(r, [('vpn', .6), ('home', .25), ('resproxy', .15)])
                card = wchoice(r, [(self.new_card(), .65), (None, .2), (boss['card'], .15)])
                email = self.fake_friend_email(country, 'normal' if r.random() < 0.8 else 'pattern_yahoo')
                evs = self.sneaky_funnel(fake, shop, t, rdev, net, card, refund_late=0.1)
                if r.random() < 0.12:
                    for e in evs:
                        if 'device_id' in e:
                            e['device_id'] = None
                self.add_ref(a, 'fraud', 'device_ring', email, evs)
                t = self.diurnal_after(t, boss['tz'], 2 * HOUR, 3 * DAY)

    def gen_farms(self):
        r = self.r
        # Farm A: identical Android phones, device id shop, mobile-carrier proxies, shift in UTC+7
        shop = self.shops['apparel']
        phones = []
        model = [m for m in ANDROIDS if m[1] == 'SM-A125F'][0]
        for _ in range(8):
            info = {'os': 'android', 'vendor': model[0], 'model': model[1], 'android': model[2], 'build': model[3],
                    'codename': model[4], 'cv': 123, 'fv': 125, 'ig': IG_VERS[0], 'fb': FB_VERS[0], 'tt': TT_VERS[0],
                    'igb': 590000000}
            d = {'id': self.new_devid(), 'kind': 'phone', 'blocked': False, 'info': info, 'browser': 'chrome', 'upd': None}
            d['ua'] = self.build_ua(d)
            phones.append(d)
        prepaid = [self.new_card() for _ in range(5)]
        us_carriers = CARRIERS['US']
        farm_tz = 7
        for acct in range(46):
            day = r.randint(3, 44)
            tj = self.diurnal_on_day(day, farm_tz, hours=(8.5, 17.5))
            dev = phones[acct % len(phones)]
            p = self.new_person('US', phone=dev, desktop_p=0.0, email=self.fake_friend_email('US', 'bought_gmail'))
            p['carrier'] = r.choice(us_carriers)
            p['tz'] = farm_tz
            a = self.make_advocate(p, shop, tj, dev, 'mobile', card=r.choice(prepaid) if r.random() < 0.6 else None)
            t = tj + r.randint(10 * MINUTE, 3 * HOUR)
            for k in range(2):
                d2 = r.choice(phones) if r.random() < 0.7 else dev
                f = self.new_person('US', phone=d2, desktop_p=0.0, email='x@x')
                f['carrier'] = r.choice(us_carriers)
                f['tz'] = farm_tz
                email = self.fake_friend_email('US', 'bought_gmail' if r.random() < 0.75 else 'normal')
                card = wchoice(r, [(r.choice(prepaid), .45), (self.new_card(), .25), (None, .3)])
                evs = self.sneaky_funnel(f, shop, t, d2, 'mobile', card, click_p=0.85, referer=None, mode='min',
                                         buy_p=0.9)
                self.add_ref(a, 'fraud', 'device_farm', email, evs)
                t += r.randint(4 * MINUTE, 2 * HOUR)
                if local_hour(t, farm_tz) > 18:
                    t = self.diurnal_on_day(int(t / DAY) + 1, farm_tz, hours=(8.5, 12))
        # Farm B: coffee shop (no device id), identical iPhone UA, residential proxies, shift in UTC+5:30
        shop = self.shops['coffee']
        iphone_info = {'os': 'ios', 'ios': ('17_4_1', '17.4.1'), 'model': IPHONES[4], 'cv': 124, 'fv': 125,
                       'ig': IG_VERS[1], 'fb': FB_VERS[1], 'tt': TT_VERS[1], 'igb': 591234567}
        iph = []
        for _ in range(5):
            d = {'id': self.new_devid(), 'kind': 'phone', 'blocked': False, 'info': iphone_info, 'browser': 'safari', 'upd': None}
            d['ua'] = self.build_ua(d)
            iph.append(d)
        prepaid = [self.new_card() for _ in range(4)]
        for acct in range(30):
            day = r.randint(5, 46)
            tj = self.diurnal_on_day(day, 5.5, hours=(10, 19))
            dev = r.choice(iph)
            p = self.new_person('US', phone=dev, desktop_p=0.0, email=self.fake_friend_email('US', 'pattern_yahoo'))
            p['tz'] = 5.5
            a = self.make_advocate(p, shop, tj, dev, 'resproxy', card=r.choice(prepaid) if r.random() < 0.5 else None)
            t = tj + r.randint(5 * MINUTE, 5 * HOUR)
            for k in range(2):
                f = self.new_person('US', phone=r.choice(iph), desktop_p=0.0, email='x@x')
                f['tz'] = 5.5
                email = self.fake_friend_email('US', 'pattern_yahoo' if r.random() < 0.7 else 'normal')
                card = wchoice(r, [(r.choice(prepaid), .5), (self.new_card(), .25), (None, .25)])
                evs = self.sneaky_funnel(f, shop, t, f['phone'], 'resproxy', card, click_p=0.7, mode='min')
                self.add_ref(a, 'fraud', 'device_farm', email, evs)
                t += r.randint(10 * MINUTE, 3 * HOUR)

    def gen_disposable(self):
        r = self.r
        for i in range(24):
            shop = self.pick_shop()
            country = wchoice(r, shop['markets'])
            p = self.fraud_person(country)
            if r.random() < 0.2:
                p['email'] = self.disposable_email(p)
            a = self.fraud_adv(shop, p=p)
            honest_friends(self, a, r.choice([0, 0, 1, 2, 3]))
            n = wchoice(r, [(1, .25), (2, .2), (3, .2), (5, .2), (7, .15)])
            t = self.diurnal_after(a['joined_at'], p['tz'], 30 * MINUTE, 5 * DAY)
            tier_bias = r.choice(['known', 'obscure', 'new', None])
            for k in range(n):
                email = self.disposable_email(p, tier=tier_bias if r.random() < 0.7 else None)
                k2 = r.random()
                if k2 < 0.3:
                    dev = a['_dev']
                    net = 'home'
                elif k2 < 0.5:
                    dev = p['phone']
                    net = 'mobile'
                else:
                    dev = self.new_device(r.choice(['phone', 'desktop']), country)
                    net = wchoice(r, [('vpn', .5), ('resproxy', .3), ('home', .2)])
                card = wchoice(r, [(p['card'], .2), (self.new_card(), .5), (None, .3)])
                evs = self.sneaky_funnel(p, shop, t, dev, net, card, buy_p=0.85, refund_late=0.05)
                self.add_ref(a, 'fraud', 'disposable_email', email, evs)
                t = self.diurnal_after(t, p['tz'], 2 * HOUR, 5 * DAY)

    def gen_leaks(self):
        r = self.r
        leaks = [
            dict(country='US', shop='apparel', start=8, days=40, rate=1.5,
                 refs=[('https://slickdeals.net/', .5), ('https://slickdeals.net/f/17423881-10-store-credit-via-referral-stacks-with-sitewide-25-off', .2),
                       (None, .15), ('https://www.retailmenot.com/', .05), ('https://www.dontpayfull.com/', .05),
                       ('https://couponfollow.com/', .05)]),
            dict(country='UK', shop='mealkit', start=15, days=38, rate=1.15,
                 refs=[('https://www.hotukdeals.com/', .6), ('https://www.hotukdeals.com/deals/free-10-credit-first-box-referral-4417203', .15),
                       (None, .15), ('https://www.latestdeals.co.uk/', .1)]),
            dict(country='DE', shop='gadgets', start=22, days=34, rate=0.95,
                 refs=[('https://www.mydealz.de/', .45), ('https://www.reddit.com/', .2), (None, .2),
                       ('https://www.reddit.com/r/referralcodes/comments/1cq7x2d/gadgets_10_credit_code/', .05),
                       ('https://www.gutscheinsammler.de/', .1)]),
        ]
        for L in leaks:
            shop = self.shops[L['shop']]
            p = self.new_person(L['country'])
            a = self.make_advocate(p, shop, self.diurnal_on_day(r.randint(0, 4), p['tz']), None, 'home')
            honest_friends(self, a, r.randint(2, 5))
            for d in range(L['start'], min(60, L['start'] + L['days'])):
                age = d - L['start']
                lam = L['rate'] * (1.6 if age < 3 else 1.0) * (0.7 if age > 25 else 1.0)
                n = poisson(r, lam)
                for _ in range(n):
                    s = self.new_person(L['country'] if r.random() < 0.93 else wchoice(r, WORLD))
                    t = self.diurnal_on_day(d, s['tz'])
                    if r.random() < 0.5:
                        evs = self.funnel(s, shop, t, click=False, mode='min' if r.random() < 0.5 else 'normal', repeat=0.05)
                        if not any(e['type'] == 'purchase' for e in evs) and r.random() < 0.5:
                            continue
                    else:
                        ref = wchoice(r, L['refs'])
                        evs = self.funnel(s, shop, t, referer=ref, conv=(0.12, 0.1, 0.78),
                                          mode='min' if r.random() < 0.5 else 'normal', repeat=0.05)
                    self.add_ref(a, 'fraud', 'leaked_code', s['email'], evs)

    def gen_refund_abuse(self):
        r = self.r
        kinds = ['crew', 'crew', 'crew', 'self', 'self', 'serial']
        for kind in kinds:
            shop = self.pick_shop()
            country = wchoice(r, shop['markets'])
            p = self.fraud_person(country)
            a = self.fraud_adv(shop, p=p, joined=self.diurnal_on_day(r.uniform(0, 12), p['tz']))
            a['_shares'] = [min(s, a['joined_at'] + 4 * DAY) for s in a['_shares']]
            if kind == 'crew':
                n = r.randint(8, 14)
                isp = RESI.get(country, RESI['US'])
                base = a['joined_at'] + r.randint(HOUR, 4 * DAY)
                for k in range(n):
                    f = self.new_person(country)
                    f['home'] = {'v4': self.ip_in([r.choice(isp)]), 'v6': None}
                    f['tz'] = p['tz']
                    t = self.diurnal_after(base, f['tz'], 10 * MINUTE, 4 * DAY)
                    ref = wchoice(r, [(None, .4), ('https://web.whatsapp.com/', .2), ('android-app://org.telegram.messenger/', .25),
                                      ('https://discord.com/', .15)])
                    for attempt in range(8):
                        evs = self.funnel(f, shop, t, referer=ref, conv=(0, 0.05, 0.95), switch=0.1, repeat=0)
                        for pe in [e for e in evs if e['type'] == 'purchase']:
                            evs.append(self.refund(pe, pe['at'] + r.randint(int(14.1 * DAY), 22 * DAY),
                                                   pe['amount'] if r.random() < 0.85 else int(pe['amount'] * 0.7)))
                        if has_refund(evs) or not any(e['type'] == 'purchase' for e in evs):
                            break
                    self.add_ref(a, 'fraud', 'refund_abuse', f['email'], evs)
            elif kind == 'self':
                n = r.randint(4, 7)
                t = a['joined_at'] + r.randint(HOUR, 2 * DAY)
                for k in range(n):
                    email = self.fake_identity_email(p)
                    dev = a['_dev'] if (shop['device'] and r.random() < 0.4) else self.new_device('phone', country)
                    card = p['card'] if r.random() < 0.6 else self.new_card()
                    evs = self.sneaky_funnel(p, shop, t, dev, wchoice(r, [('home', .4), ('mobile', .3), ('vpn', .3)]),
                                             card, mode='normal', refund_late=1.0, buy_p=1.0)
                    self.add_ref(a, 'fraud', 'refund_abuse', email, evs)
                    t = self.diurnal_after(t, p['tz'], 6 * HOUR, 5 * DAY)
            else:
                n = r.randint(10, 16)
                for k in range(n):
                    f = self.new_person(self.friend_country(a))
                    t = self.diurnal_after(a['_shares'][0], f['tz'], HOUR, 10 * DAY)
                    for attempt in range(8):
                        evs = self.funnel(f, shop, t, conv=(0, 0, 1), repeat=0, switch=0.1)
                        if [e for e in evs if e['type'] == 'purchase'][0]['at'] < 40 * DAY:
                            break
                        t = max(a['joined_at'] + 60, t - 3 * DAY)
                    pe = [e for e in evs if e['type'] == 'purchase'][0]
                    evs.append(self.refund(pe, pe['at'] + r.randint(int(14.5 * DAY), 27 * DAY)))
                    if r.random() < 0.5:  # buys again, returns again
                        t2 = pe['at'] + r.randint(3 * DAY, 9 * DAY)
                        d2 = self.pick_dev(f, t2)
                        pe2 = self.ev('purchase', t2, f, d2, self.pick_net(f, d2, t2), shop, card=f['card'],
                                      amount=self.amount(shop, f))
                        evs.append(pe2)
                        evs.append(self.refund(pe2, t2 + r.randint(int(14.2 * DAY), 25 * DAY)))
                    self.add_ref(a, 'fraud', 'refund_abuse', f['email'], evs)

    def random_ua(self):
        """fake-useragent style: plausible-looking but sampled per request, sometimes impossible."""
        r = self.r
        k = r.random()
        cv = r.randint(96, 131)
        full = '%d.0.%d.%d' % (cv, r.randint(4000, 6999), r.randint(10, 250))
        if k < 0.3:
            nt = r.choice(['10.0', '10.0', '6.1', '6.3', '11.0'])
            return ('Mozilla/5.0 (Windows NT %s; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Safari/537.36'
                    % (nt, full))
        if k < 0.5:
            return ('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_%d_%d) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.%d Safari/605.1.15'
                    % (r.randint(11, 15), r.randint(0, 7), r.randint(12, 18), r.randint(0, 6)))
        if k < 0.7:
            return ('Mozilla/5.0 (iPhone; CPU iPhone OS %d_%d like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/%d.0 Mobile/15E148 Safari/604.1'
                    % (r.randint(12, 17), r.randint(0, 6), r.randint(13, 18)))
        if k < 0.85:
            return ('Mozilla/5.0 (Linux; Android %d; %s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%s Mobile Safari/537.36'
                    % (r.randint(7, 14), r.choice(['SM-G960F', 'Pixel 3', 'Nexus 5X', 'SM-N975F', 'Redmi Note 8', 'LG-H870']), full))
        fv = r.randint(90, 128)
        return 'Mozilla/5.0 (%s; rv:%d.0) Gecko/20100101 Firefox/%d.0' % (
            r.choice(['Windows NT 10.0; Win64; x64', 'X11; Linux i686', 'Macintosh; Intel Mac OS X 10.14', 'Windows NT 5.1']), fv, fv)

    def gen_scripted(self):
        r = self.r
        specs = [
            dict(ua='library', prov='digitalocean', ipmode='rotate', n=(22, 30), buy=0.8, email='random', cards='testing'),
            dict(ua='headless', prov='aws', ipmode='subnet', n=(24, 34), buy=0.85, email='gmail_numbered', cards='few'),
            dict(ua='random', prov='hetzner', ipmode='per_request', n=(18, 26), buy=0.7, email='catchall', cards='testing'),
            dict(ua='stealth', prov='ovh', ipmode='single', n=(12, 18), buy=0.9, email='disposable', cards='few'),
            dict(ua='mixed', prov='vultr', ipmode='rotate', n=(15, 22), buy=0.6, email='gmail_numbered', cards='testing'),
        ]
        catch = ['%s%s.%s' % (r.choice(WORDS), r.choice(['supply', 'mailhub', 'orders', 'box']), r.choice(['com', 'net', 'co']))
                 for _ in range(2)]
        for sp in specs:
            shop = self.pick_shop()
            start = r.randint(4 * DAY, 56 * DAY)
            nadv = r.choice([1, 1, 2, 3])
            advs = []
            stealth_ua = self.build_ua({'info': {'os': 'win', 'cv': 124}, 'browser': 'chrome', 'kind': 'desktop'})
            sub = self.dc_ip(sp['prov']).rsplit('.', 1)[0]
            single = self.dc_ip(sp['prov'])
            for i in range(nadv):
                if r.random() < 0.5:
                    p = self.fraud_person(wchoice(r, shop['markets']))
                    a = self.fraud_adv(shop, p=p, joined=start - r.randint(2 * DAY, 20 * DAY) if start > 21 * DAY else r.randint(0, start - HOUR))
                else:
                    p = self.fraud_person(wchoice(r, shop['markets']))
                    p['email'] = self.fake_friend_email(p['country'], 'bought_gmail')
                    a = self.make_advocate(p, shop, start - r.randint(5 * MINUTE, 3 * HOUR), None, self.dc_ip(sp['prov']),
                                           card=None, ua=stealth_ua if sp['ua'] == 'stealth' else r.choice(HEADLESS_UAS),
                                           devid=None if sp['ua'] == 'library' else False)
                advs.append(a)
            cards = [self.new_card() for _ in range(3)]
            burst_dev = self.new_devid()
            n = r.randint(*sp['n'])
            t = start
            for k in range(n):
                a = r.choice(advs)
                t += r.randint(3, 50)
                style = sp['ua'] if sp['ua'] != 'mixed' else r.choice(['library', 'headless', 'random'])
                if style == 'library':
                    ua = r.choice(BOT_LIB_UAS[:6]) if k == 0 or r.random() < 0.2 else None
                    ua_fixed = ua or r.choice(BOT_LIB_UAS)
                    devid = None
                elif style == 'headless':
                    ua_fixed = r.choice(HEADLESS_UAS[:3])
                    devid = burst_dev if r.random() < 0.3 else self.new_devid()
                elif style == 'random':
                    ua_fixed = None
                    devid = self.new_devid()
                else:
                    ua_fixed = stealth_ua
                    devid = self.new_devid()
                if sp['ipmode'] == 'single':
                    ipf = lambda: single
                elif sp['ipmode'] == 'subnet':
                    ipf = lambda: '%s.%d' % (sub, r.randint(2, 254))
                else:
                    ipf = lambda: self.dc_ip(sp['prov'])
                ip_ref = ipf()

                def ipx():
                    return ipf() if sp['ipmode'] == 'per_request' else ip_ref

                def uax():
                    return ua_fixed or self.random_ua()

                if sp['email'] == 'random':
                    email = ''.join(r.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(r.randint(8, 12))) + '@' + r.choice(['gmail.com', 'outlook.com', 'yahoo.com'])
                    if not self.claim(email):
                        continue
                elif sp['email'] == 'catchall':
                    email = '%s.%s%d@%s' % (r.choice(WORDS), r.choice(WORDS), r.randint(1, 999), r.choice(catch))
                    if not self.claim(email):
                        continue
                elif sp['email'] == 'disposable':
                    email = self.disposable_email(None)
                else:
                    email = self.fake_friend_email('US', 'bought_gmail')
                if shop['style'] == 'omit' or shop['device']:
                    pass
                evs = []
                tc = t
                if not (style == 'library' and r.random() < 0.3):
                    evs.append(self.ev('click', tc, None, None, None, shop, referer=wchoice(r, [(None, .75), ('https://www.google.com/', .25)]),
                                       ua=uax(), ip=ipx()))
                    tc += r.randint(1, 8)
                evs.append(self.ev('signup', tc, None, None, None, shop, ua=uax(), ip=ipx(), devid=devid if shop['device'] else None))
                if r.random() < sp['buy']:
                    tc += r.randint(3, 25)
                    card = self.new_card() if sp['cards'] == 'testing' else r.choice(cards)
                    if r.random() < 0.08:
                        card = None
                    evs.append(self.ev('purchase', tc, None, None, None, shop, ua=uax(), ip=ipx(),
                                       devid=devid if shop['device'] else None, card=card, fp_force=True,
                                       amount=self.amount(shop, None, 'min')))
                self.add_ref(a, 'fraud', 'scripted_burst', email, evs)
        # low and slow
        shop = self.shops['outdoor'] if r.random() < 0.5 else self.shops['apparel']
        ua = self.build_ua({'info': {'os': 'win', 'cv': 124}, 'browser': 'chrome', 'kind': 'desktop'})
        advs = [self.fraud_adv(shop, country='US', joined=self.diurnal_on_day(r.randint(2, 8), -5)) for _ in range(2)]
        cards = [self.new_card() for _ in range(4)]
        t = max(a['joined_at'] for a in advs) + r.randint(DAY, 2 * DAY)
        slow_end = t + r.randint(13 * DAY, 16 * DAY)
        while True:
            t += max(HOUR, int(r.gauss(9 * HOUR, 2.5 * HOUR)))
            if t > slow_end:
                break
            a = r.choice(advs)
            p = {'country': 'US'}
            email = self.fake_friend_email('US', 'normal')
            ip = self.resi_ip('US')
            devid = self.new_devid()
            evs = [self.ev('click', t, None, None, None, shop, referer=None, ua=ua, ip=ip)]
            t1 = t + r.randint(12, 35)
            evs.append(self.ev('signup', t1, None, None, None, shop, ua=ua, ip=ip, devid=devid if shop['device'] else None))
            if r.random() < 0.9:
                t2 = t1 + r.randint(25, 80)
                evs.append(self.ev('purchase', t2, None, None, None, shop, ua=ua, ip=ip, devid=devid if shop['device'] else None,
                                   card=r.choice(cards), fp_force=r.random() < 0.9, amount=self.amount(shop, {'tax': .0625}, 'min')))
            self.add_ref(a, 'fraud', 'scripted_slow', email, evs)

    def gen_mixed_rings(self):
        r = self.r
        for ring in range(2):
            shop = self.pick_shop()
            country = wchoice(r, shop['markets'])
            advs = [self.fraud_adv(shop, country=country, joined=self.diurnal_on_day(r.uniform(0, 10), 0)) for _ in range(3)]
            boss = advs[0]['_p']
            lap = self.new_device('desktop', country)
            cards = [self.new_card(), self.new_card()]
            n = r.randint(20, 28)
            t = max(a['joined_at'] for a in advs) + r.randint(HOUR, DAY)
            for k in range(n):
                a = r.choice(advs)
                f = self.new_person(country)
                f['tz'] = boss['tz']
                email = self.disposable_email(f, tier=r.choice(['obscure', 'new'])) if r.random() < 0.5 else \
                    self.fake_friend_email(country, 'normal')
                dev = lap if r.random() < 0.3 else self.new_device(r.choice(['phone', 'desktop']), country)
                net = 'vpn' if r.random() < 0.6 else ('resproxy' if r.random() < 0.5 else 'home')
                card = r.choice(cards) if r.random() < 0.75 else self.new_card()
                evs = self.sneaky_funnel(f, shop, t, dev, net, card, refund_late=0.4, mode='normal' if r.random() < 0.5 else 'min')
                self.add_ref(a, 'fraud', 'mixed_ring', email, evs)
                t = self.diurnal_after(t, boss['tz'], 30 * MINUTE, 2 * DAY)
                if t > 38 * DAY:
                    t = self.diurnal_on_day(r.uniform(10, 38), boss['tz'])

    # ========================================================================= output
    def finalize(self):
        r = self.r
        # order ids by time, with gaps (other customers' orders)
        self.orders.sort(key=lambda o: o['at'])
        n = 104000 + r.randint(0, 900)
        for o in self.orders:
            n += r.randint(1, 9)
            o['oid'] = 'o-%d' % n
        advs = sorted(self.advs, key=lambda a: (a['joined_at'], a['email']))
        for i, a in enumerate(advs, 1):
            a['id'] = 'a%d' % i
        refs = sorted(self.refs, key=lambda x: (x['events'][0]['at'], x['email']))
        out_refs = []
        for i, x in enumerate(refs, 1):
            evs = []
            for e in x['events']:
                e = dict(e)
                if '_order' in e:
                    e['order_id'] = e['_order']['oid']
                    del e['_order']
                evs.append(e)
            out_refs.append({'id': 'r%d' % i, 'advocate': x['_adv']['id'], 'label': x['label'], 'case': x['case'],
                             'email': x['email'], 'events': evs})
        out_advs = [{'id': a['id'], 'email': a['email'], 'joined_at': a['joined_at'], 'ip': a['ip'],
                     'user_agent': a['user_agent'], 'device_id': a['device_id'],
                     'payment_fingerprint': a['payment_fingerprint']} for a in advs]
        return out_advs, out_refs


def has_refund(evs):
    return any(e['type'] == 'refund' and e['at'] < PERIOD for e in evs)


def poisson(r, lam):
    L = math.exp(-lam)
    k = 0
    p = 1.0
    while True:
        p *= r.random()
        if p <= L:
            return k
        k += 1


def honest_friends(w, adv, n):
    for _ in range(n):
        fp = w.new_person(w.friend_country(adv))
        w.add_ref(adv, 'honest', 'ordinary', fp['email'], w.funnel(fp, adv['_shop'], w.click_time(adv, fp)))


def validate(advs, refs):
    ids = set()
    aids = set()
    oids = set()
    for a in advs:
        assert a['id'] not in aids
        aids.add(a['id'])
        assert 0 <= a['joined_at'] < PERIOD
    joined = {a['id']: a['joined_at'] for a in advs}
    for x in refs:
        assert x['id'] not in ids
        ids.add(x['id'])
        assert x['advocate'] in aids
        assert x['label'] in ('honest', 'fraud')
        evs = x['events']
        assert evs
        assert evs[0]['at'] >= joined[x['advocate']]
        bought = {}
        last = -1
        for e in evs:
            assert 0 <= e['at'] < PERIOD, e
            assert e['at'] >= last
            last = e['at']
            if e['type'] == 'purchase':
                assert e['order_id'] not in oids
                oids.add(e['order_id'])
                bought[e['order_id']] = e['amount']
                assert e['amount'] > 0
            if e['type'] == 'refund':
                assert e['order_id'] in bought and 0 < e['amount'] <= bought[e['order_id']], e
        if not any(e['type'] == 'click' for e in evs):
            assert evs[0]['type'] in ('signup', 'purchase')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seed', type=int, default=11)
    args = ap.parse_args()
    w = World(args.seed)
    w.gen_honest_pool()
    w.gen_offices()
    w.gen_viral()
    w.gen_self_referral()
    w.gen_disguised()
    w.gen_card_rings()
    w.gen_device_rings()
    w.gen_farms()
    w.gen_disposable()
    w.gen_leaks()
    w.gen_refund_abuse()
    w.gen_scripted()
    w.gen_mixed_rings()
    advs, refs = w.finalize()
    validate(advs, refs)
    out = sys.stdout
    out.reconfigure(encoding='utf-8')
    dump = lambda o: json.dumps(o, ensure_ascii=False, separators=(', ', ': '))
    out.write('{\n"generator": "eval/fraud/holdout/traffic.py --seed %d",\n' % args.seed)
    out.write('"advocates": [\n')
    out.write(',\n'.join(dump(a) for a in advs))
    out.write('\n],\n"referrals": [\n')
    out.write(',\n'.join(dump(x) for x in refs))
    out.write('\n]\n}\n')
    counts = {}
    for x in refs:
        k = (x['label'], x['case'])
        counts[k] = counts.get(k, 0) + 1
    for k in sorted(counts):
        print('%-7s %-26s %5d' % (k[0], k[1], counts[k]), file=sys.stderr)
    print('advocates %d, referrals %d, dropped %d' % (len(advs), len(refs), w.dropped), file=sys.stderr)


if __name__ == '__main__':
    main()
