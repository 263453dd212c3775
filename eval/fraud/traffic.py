#!/usr/bin/env python3
"""Synthetic referral-programme traffic for evaluating a referral-fraud detector.

    python3 traffic.py --seed 7 > traffic.json

Deterministic for a given seed, standard library only.  Written from a brief
that names only kinds of behaviour, without knowledge of the detector's rules.

The world
---------
An advocate shares a link (or a typed code); a friend clicks, signs up at the
merchant's shop and buys; both get store credit (advocate $10, friend $5),
held 14 days; the shop's return window is 30 days.  Time is seconds from the
start of a 60-day period (day 0 is a Monday, 00:00 UTC).  People live in
time zones and act on a diurnal curve (evening peak, little at 3-5 am).

About 40 shops: ~70% send a device id (per shop, so consistent per advocate),
~92% send a payment fingerprint on purchases (with occasional gaps); some
shops report purchases from a server webhook (no client IP/UA); a few
per cent of people block the fingerprinting script (no device id).

Honest kinds (label "honest") and what they imitate
---------------------------------------------------
ordinary            friends in other cities/networks sharing a link over
                    WhatsApp, SMS, Instagram DMs, e-mail...; own phones, ISPs,
                    cards; buy minutes to days later or never; ~6% refund
                    (some after day 14, inside the 30-day window); a few buy
                    twice.  Advocates often share into a group chat, so
                    several friends click within the same hour.
household           spouse / parent / sibling / grown child living with the
                    advocate: same home Wi-Fi public IP (sometimes re-assigned
                    by the ISP mid-period), often the same phone model and
                    OS so a byte-identical User-Agent; own device, own card,
                    often the same surname; several relatives per advocate,
                    often on the same evening.
office              colleagues behind one corporate NAT (one IP or a small
                    pool in one /24), the managed corporate browser (one UA
                    string for the whole company), work hours, links from
                    Teams/Slack/Outlook; several advocates per office.
campus              students on a university /24, evenings, same iPhone/iOS,
                    university or gmail addresses; several advocates.
viral               an influencer's Instagram/TikTok/YouTube post: 50-100
                    sign-ups within 1-2 hours from everywhere, in-app
                    browsers; a few buy 10-60 s after clicking (express
                    checkout, had the product in mind).
carrier_cgnat       mobile users of different advocates who share one
                    carrier CGNAT egress address (T-Mobile, EE, Jio...).
shared_vpn_exit     privacy-minded users behind iCloud Private Relay or a
                    commercial VPN: strangers share exit addresses (the same
                    exits fraud rings use).
cross_device        click on the phone, sign up on the laptop, buy on the
                    phone (or the other way round): device, UA and IP differ
                    per event.
ip_change           commuters/travellers: home Wi-Fi, then mobile data, then
                    work or a hotel abroad.
own_plus_tag        people who use plus-tags for their own filtering
                    (sam+shop@gmail.com) and are not the advocate.
privacy_email       Sign in with Apple relay, iCloud Hide My Email, Firefox
                    Relay, DuckDuckGo, SimpleLogin addresses (random-looking
                    but honest).
typed_code          friend told in person, types the code at checkout (no
                    click); often guest checkout (purchase is first event).

Fraud kinds (label "fraud") and what they imitate
-------------------------------------------------
self_referral       the advocate signs up again with a second address: on the
                    same phone/laptop (same device id), or another device but
                    the same card, or from home on the same laptop at a shop
                    that sends no device id, or from a second browser on the
                    home Wi-Fi with a second card; some repeat 2-3 times.
email_alias         the advocate's own mailbox in disguise: Gmail dots,
                    plus-tags, googlemail.com, letter case; plus-tags at
                    outlook.de / hotmail.co.uk / outlook.fr...; Zoho and
                    Fastmail plus-tags and Fastmail sub-domain addressing;
                    Google Workspace custom domains (plus-tags and catch-all);
                    icloud.com / me.com / mac.com; yandex.ru / ya.ru /
                    yandex.com with dot/hyphen swaps; Cyrillic look-alike
                    letters and full-width letters.  Same device, or a new
                    phone on mobile data, or behind a VPN.
shared_card_ring    4-12 fake friends of one advocate (or 2-3 colluding
                    advocates) all paying with one card that is not the
                    advocate's; own e-mails, VPN/residential-proxy IPs, new or
                    absent device ids; some rings use throwaway domains.
shared_device_ring  4-10 fake friends created on one phone (one device id),
                    IP rotating through mobile data/VPN, each with its own
                    virtual card.
device_farm         ~50 fake advocate accounts, two friends each, all made on
                    a handful of phones behind a few mobile/residential
                    proxies; virtual or prepaid cards; some throwaway mail.
disposable_email    friends on lesser-known or freshly registered throwaway
                    domains (.xyz/.shop/.site...), mixed with VPNs, the
                    advocate's home IP, or the advocate's card.
leaked_code         an advocate's code posted to a deal forum: strangers from
                    everywhere type it at checkout (no click) at 5-20 per day
                    for weeks; some arrive by click with a deal-site Referer
                    (slickdeals, hotukdeals, mydealz, dealabs, reddit ...).
                    The advocate's genuine friends from before the leak stay
                    honest.
refund_after_hold   friends of one advocate and 2 colluders buy, wait out the
                    14-day hold and return the order before day 30.
scripted_burst      bots: sign-up a few seconds after the click and purchase
                    seconds later, from cloud/datacenter ranges, dozens within
                    minutes, randomised/headless/library User-Agents, fresh
                    fingerprints, lists of stolen cards, some throwaway mail.

Addresses are public (checked with ipaddress.is_global), drawn from ranges of
real ISPs, mobile carriers, VPN providers and clouds.
"""

import argparse
import ipaddress
import json
import math
import random
import sys
import unicodedata

DAY = 86400
HOUR = 3600
PERIOD = 60 * DAY
END = PERIOD - 300

UNSET = object()


def W(rng, items):
    """Weighted choice from [(value, weight), ...]."""
    total = 0.0
    for _, w in items:
        total += w
    x = rng.random() * total
    for v, w in items:
        x -= w
        if x < 0:
            return v
    return items[-1][0]


def fold(s):
    """ASCII-fold a name for use in an e-mail local part."""
    s = s.replace("ß", "ss").replace("ł", "l").replace("Ł", "L")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.lower().replace("_", "").replace("'", "").replace(" ", "")


# --------------------------------------------------------------------------
# Diurnal curves (local hour weights)
# --------------------------------------------------------------------------
HOUR_W = [1.6, 0.9, 0.5, 0.3, 0.25, 0.35, 0.8, 1.7, 2.6, 3.3, 3.8, 4.2,
          4.7, 4.5, 4.2, 4.1, 4.3, 4.7, 5.4, 6.3, 7.0, 7.0, 5.6, 3.3]
WORK_W = [0, 0, 0, 0, 0, 0, 0.1, 0.8, 3.0, 5.0, 5.5, 5.0,
          3.5, 4.5, 5.0, 5.0, 4.5, 3.0, 1.0, 0.2, 0, 0, 0, 0]
EVENING_W = [2.5, 1.5, 0.6, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 1.5, 2.0, 2.5,
             3.0, 3.0, 3.0, 3.2, 3.5, 4.0, 5.0, 6.0, 7.0, 7.5, 6.5, 4.5]
FRAUD_W = [3.0, 2.6, 2.2, 1.8, 1.5, 1.2, 1.0, 1.0, 1.4, 2.0, 2.2, 2.2,
           2.2, 2.2, 2.3, 2.4, 2.6, 2.8, 3.0, 3.4, 3.6, 3.8, 3.6, 3.3]
BOT_W = [1.0] * 24

# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------
N = {
    "en": ("james john robert michael william david richard joseph thomas chris daniel matthew "
           "anthony mark steven andrew joshua kevin brian ryan jacob tyler nathan emily sarah "
           "jessica ashley jennifer amanda megan lauren rachel hannah olivia emma sophia madison "
           "chloe grace natalie brittany samantha kayla taylor abigail sam alex jordan morgan "
           "eric jason justin brandon aaron kyle zach ethan logan mia ava ella claire kate",
           "smith johnson williams brown jones miller davis wilson anderson taylor thomas moore "
           "jackson martin lee thompson white harris clark lewis robinson walker young allen king "
           "wright scott green baker adams nelson hill campbell mitchell roberts carter phillips "
           "evans turner parker collins edwards stewart morris murphy cook rogers morgan cooper "
           "peterson reed bailey kelly howard ward cox richardson wood watson brooks bennett gray "
           "hughes price sanders patel nguyen kim garcia foster hayes bryant russell griffin "
           "hamilton graham wallace sullivan"),
    "uk": ("oliver harry george jack charlie thomas jacob alfie james william joshua daniel ben "
           "luke callum liam amelia olivia isla emily poppy ava jessica lily sophie grace chloe "
           "ellie charlotte lucy megan holly katie hannah rebecca jamie connor declan aisha",
           "smith jones taylor brown williams wilson johnson davies robinson wright thompson "
           "evans walker white roberts green hall wood jackson clarke patel khan lewis james "
           "phillips mason mitchell rose davis cox alexander morgan hughes edwards harris price "
           "bennett shaw hussain ali begum lloyd owen fletcher"),
    "de": ("lukas leon finn jonas paul felix maximilian elias ben noah luis tim jan niklas "
           "tobias sebastian florian stefan thomas michael andreas markus daniel christian anna "
           "lena lea hannah laura julia sarah lisa katharina sophie marie johanna nina sandra "
           "sabine petra claudia jana melanie kevin dennis",
           "müller schmidt schneider fischer weber meyer wagner becker schulz hoffmann schäfer "
           "koch bauer richter klein wolf schröder neumann schwarz zimmermann braun krüger "
           "hofmann hartmann lange schmitt werner schmitz krause meier lehmann köhler maier "
           "huber kaiser fuchs peters lang scholz möller weiß jung hahn vogel yilmaz kaya"),
    "fr": ("lucas hugo louis gabriel arthur jules adam raphaël léo nathan thomas maxime antoine "
           "nicolas julien romain alexandre pierre emma léa chloé manon camille inès jade louise "
           "sarah lucie marie julie pauline claire mathilde océane anaïs céline kevin mehdi "
           "yasmine",
           "martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent "
           "lefebvre michel garcia david bertrand roux vincent fournier morel girard andré "
           "lefèvre mercier dupont lambert bonnet françois martinez legrand garnier faure "
           "rousseau blanc guerin muller henry benali"),
    "es": ("alejandro pablo daniel david javier adrián álvaro sergio carlos jorge manuel antonio "
           "miguel diego iván lucía maría paula laura marta sara ana elena carmen cristina "
           "andrea claudia irene alba nerea raquel rocío",
           "garcía rodríguez gonzález fernández lópez martínez sánchez pérez gómez martín "
           "jiménez ruiz hernández díaz moreno muñoz álvarez romero alonso gutiérrez navarro "
           "torres domínguez vázquez ramos gil ramírez serrano blanco molina castro ortiz rubio "
           "marín sanz iglesias"),
    "mx": ("josé juan luis carlos jesús miguel francisco alejandro fernando jorge ricardo "
           "eduardo guadalupe maría fernanda ximena valeria daniela sofía camila mariana andrea "
           "paola alejandra gabriela diana",
           "hernández lópez gonzález pérez rodríguez sánchez ramírez cruz flores gómez morales "
           "vázquez reyes jiménez torres díaz gutiérrez ruiz mendoza aguilar ortiz moreno "
           "castillo romero álvarez chávez rivera juárez"),
    "it": ("francesco alessandro lorenzo matteo andrea leonardo gabriele riccardo tommaso "
           "davide marco luca giuseppe giovanni antonio paolo stefano simone giulia sofia "
           "aurora alice ginevra emma giorgia chiara francesca sara martina valentina elena "
           "federica silvia",
           "rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo "
           "conti de_luca costa giordano mancini rizzo lombardi moretti barbieri fontana "
           "santoro mariani rinaldi caruso ferrara galli martini leone longo gentile "
           "martinelli vitale"),
    "nl": ("daan sem lucas levi finn noah milan jesse luuk bram thijs ruben lars tim sanne lisa "
           "emma julia anna sophie lotte fleur eva iris anouk femke",
           "de_jong jansen de_vries van_den_berg van_dijk bakker janssen visser smit meijer "
           "de_boer mulder de_groot bos vos peters hendriks van_leeuwen dekker brouwer de_wit "
           "dijkstra smits de_graaf"),
    "pl": ("jakub kacper szymon filip jan mateusz bartosz michał tomasz piotr krzysztof paweł "
           "łukasz marcin anna zuzanna julia maja zofia katarzyna magdalena agnieszka "
           "aleksandra natalia monika karolina joanna",
           "nowak kowalski wiśniewski wójcik kowalczyk kamiński lewandowski zieliński "
           "szymański woźniak dąbrowski kozłowski jankowski mazur kwiatkowski krawczyk "
           "piotrowski grabowski nowakowski pawłowski michalski"),
    "br": ("miguel arthur heitor bernardo davi gabriel pedro lucas matheus rafael gustavo "
           "felipe bruno thiago joão vinícius maria helena alice laura manuela valentina sophia "
           "isabella júlia beatriz mariana larissa camila fernanda amanda letícia",
           "silva santos oliveira souza rodrigues ferreira alves pereira lima gomes costa "
           "ribeiro martins carvalho almeida lopes soares fernandes vieira barbosa rocha dias "
           "nascimento andrade moreira nunes marques machado mendes freitas cardoso"),
    "in": ("aarav vivaan aditya vihaan arjun sai reyansh ayaan krishna ishaan rohan rahul amit "
           "vikram sanjay deepak priya ananya diya aadhya saanvi anika pooja neha sneha kavya "
           "riya shreya divya swati",
           "sharma verma gupta singh kumar patel reddy rao iyer nair menon joshi mehta shah "
           "desai agarwal banerjee chatterjee das mukherjee bose pillai kulkarni jain malhotra "
           "kapoor chopra bhat"),
    "ru": ("aleksandr dmitry maksim sergey andrey aleksey artem ivan mikhail nikita egor "
           "kirill pavel roman denis anastasia maria anna daria elena olga natalia ekaterina "
           "polina yulia svetlana irina tatiana ksenia",
           "ivanov smirnov kuznetsov popov vasiliev petrov sokolov mikhailov novikov fedorov "
           "morozov volkov alekseev lebedev semenov egorov pavlov kozlov stepanov nikolaev "
           "orlov andreev makarov nikitin zakharov"),
}
NAMES = {k: (v[0].split(), v[1].split()) for k, v in N.items()}

WORDS = ("sun moon star fox wolf bear blue red green sky river lake stone tiger lion "
         "pixel ninja coffee tea cookie happy lucky sunny cool wild free dream night shadow "
         "storm rain snow summer winter spring autumn rose lily ocean wave beach forest "
         "mountain cloud dragon phoenix panda kitty bunny honey sugar berry cherry mango "
         "lemon angel rocky ace max jazz rock punk gamer chef travel yoga runner").split()

# --------------------------------------------------------------------------
# Regions: time zones, ISPs, carriers, mail providers
# --------------------------------------------------------------------------
REGIONS = {
    "US": dict(w=30, tz=[-5, -5, -5, -6, -6, -7, -8, -8], names="en", ios=0.57, cc="US",
               locale="en_US",
               isp=["73.0.0.0/8", "98.192.0.0/10", "24.0.0.0/12", "68.32.0.0/11",
                    "67.160.0.0/11", "99.0.0.0/10", "76.192.0.0/10", "71.64.0.0/11",
                    "97.96.0.0/11", "47.128.0.0/11", "108.2.0.0/15", "66.30.0.0/15"],
               carriers=[("tmobile_us", ["172.56.0.0/14", "172.58.0.0/15"], 4),
                         ("att_us", ["107.77.192.0/18", "166.205.0.0/16"], 3),
                         ("verizon_us", ["174.192.0.0/11", "174.224.0.0/12"], 4)],
               mail=[("gmail.com", 50), ("yahoo.com", 10), ("outlook.com", 6), ("hotmail.com", 7),
                     ("icloud.com", 10), ("aol.com", 2), ("comcast.net", 2), ("proton.me", 2),
                     ("me.com", 1), ("msn.com", 1), ("live.com", 1), ("att.net", 1)]),
    "GB": dict(w=12, tz=[0], names="uk", ios=0.52, cc="GB", locale="en_GB",
               isp=["86.128.0.0/10", "81.128.0.0/11", "109.144.0.0/12", "86.0.0.0/11",
                    "82.0.0.0/14", "90.192.0.0/11", "2.96.0.0/13", "92.0.0.0/13"],
               carriers=[("ee_uk", ["31.94.0.0/17", "31.94.128.0/18"], 4),
                         ("vodafone_uk", ["85.255.232.0/21"], 2),
                         ("three_uk", ["92.40.0.0/15"], 2),
                         ("o2_uk", ["82.132.192.0/18"], 3)],
               mail=[("gmail.com", 45), ("hotmail.co.uk", 12), ("outlook.com", 8),
                     ("yahoo.co.uk", 6), ("icloud.com", 10), ("btinternet.com", 4),
                     ("live.co.uk", 3), ("sky.com", 2), ("proton.me", 1), ("googlemail.com", 2)]),
    "CA": dict(w=4, tz=[-5, -5, -7, -8], names="en", ios=0.55, cc="CA", locale="en_CA",
               isp=["99.224.0.0/11", "70.24.0.0/13", "142.112.0.0/12", "68.144.0.0/12",
                    "24.200.0.0/13"],
               carriers=[("rogers_ca", ["72.143.0.0/16"], 3), ("bell_ca", ["184.151.0.0/16"], 3),
                         ("telus_ca", ["162.157.0.0/16"], 2)],
               mail=[("gmail.com", 50), ("hotmail.com", 8), ("outlook.com", 6), ("yahoo.ca", 6),
                     ("icloud.com", 10), ("live.ca", 2), ("shaw.ca", 2), ("rogers.com", 2)]),
    "AU": dict(w=3, tz=[10, 10, 8], names="en", ios=0.55, cc="AU", locale="en_AU",
               isp=["1.120.0.0/13", "101.160.0.0/12", "49.176.0.0/12", "110.174.0.0/15",
                    "220.240.0.0/13"],
               carriers=[("telstra_au", ["1.144.0.0/13"], 3), ("optus_au", ["49.195.0.0/16"], 2)],
               mail=[("gmail.com", 45), ("hotmail.com", 8), ("outlook.com", 6), ("bigpond.com", 6),
                     ("icloud.com", 12), ("yahoo.com.au", 5), ("optusnet.com.au", 3)]),
    "DE": dict(w=11, tz=[1], names="de", ios=0.36, cc="DE", locale="de_DE",
               isp=["79.192.0.0/10", "84.128.0.0/10", "87.128.0.0/10", "93.192.0.0/10",
                    "217.80.0.0/12", "88.64.0.0/12", "95.88.0.0/14", "89.204.0.0/14"],
               carriers=[("telekom_de", ["80.187.0.0/16"], 4), ("vodafone_de", ["109.40.0.0/13"], 3),
                         ("o2_de", ["82.113.96.0/19", "176.0.0.0/13"], 3)],
               mail=[("gmail.com", 25), ("gmx.de", 18), ("web.de", 18), ("t-online.de", 8),
                     ("outlook.de", 5), ("hotmail.de", 3), ("yahoo.de", 3), ("icloud.com", 5),
                     ("gmx.net", 6), ("posteo.de", 2), ("mailbox.org", 1), ("proton.me", 2),
                     ("googlemail.com", 4)]),
    "FR": dict(w=8, tz=[1], names="fr", ios=0.32, cc="FR", locale="fr_FR",
               isp=["90.0.0.0/9", "2.0.0.0/12", "86.192.0.0/10", "78.192.0.0/10",
                    "82.64.0.0/14", "88.160.0.0/11", "109.0.0.0/12", "89.80.0.0/12"],
               carriers=[("orange_fr", ["92.184.0.0/14"], 3), ("free_fr", ["37.160.0.0/12"], 3),
                         ("bouygues_fr", ["176.128.0.0/12"], 2), ("sfr_fr", ["80.214.0.0/15"], 2)],
               mail=[("gmail.com", 45), ("hotmail.fr", 12), ("orange.fr", 8), ("yahoo.fr", 7),
                     ("outlook.fr", 6), ("free.fr", 5), ("laposte.net", 4), ("sfr.fr", 3),
                     ("icloud.com", 5), ("wanadoo.fr", 2)]),
    "ES": dict(w=5, tz=[1], names="es", ios=0.2, cc="ES", locale="es_ES",
               isp=["83.32.0.0/11", "88.0.0.0/11", "79.144.0.0/12", "90.160.0.0/11",
                    "81.32.0.0/12"],
               carriers=[("vodafone_es", ["31.4.0.0/16"], 3), ("movistar_es", ["88.28.0.0/16"], 3),
                         ("orange_es", ["37.133.0.0/16"], 2)],
               mail=[("gmail.com", 55), ("hotmail.es", 15), ("hotmail.com", 10), ("yahoo.es", 5),
                     ("outlook.es", 6), ("icloud.com", 5), ("telefonica.net", 1)]),
    "IT": dict(w=5, tz=[1], names="it", ios=0.28, cc="IT", locale="it_IT",
               isp=["79.0.0.0/11", "87.0.0.0/11", "93.32.0.0/11", "151.0.0.0/11",
                    "2.224.0.0/11"],
               carriers=[("tim_it", ["2.32.0.0/12"], 3), ("vodafone_it", ["5.168.0.0/13"], 3),
                         ("windtre_it", ["151.18.0.0/16"], 2)],
               mail=[("gmail.com", 45), ("libero.it", 12), ("hotmail.it", 10), ("yahoo.it", 6),
                     ("outlook.it", 5), ("virgilio.it", 4), ("alice.it", 3), ("icloud.com", 4),
                     ("tiscali.it", 2)]),
    "NL": dict(w=3, tz=[1], names="nl", ios=0.4, cc="NL", locale="nl_NL",
               isp=["77.160.0.0/11", "84.80.0.0/12", "62.194.0.0/15", "145.128.0.0/11"],
               carriers=[("kpn_nl", ["77.60.0.0/15"], 3), ("vodafone_nl", ["31.160.0.0/14"], 2)],
               mail=[("gmail.com", 45), ("hotmail.com", 15), ("outlook.com", 10), ("live.nl", 6),
                     ("ziggo.nl", 5), ("kpnmail.nl", 4), ("icloud.com", 6), ("hotmail.nl", 3)]),
    "PL": dict(w=3, tz=[1], names="pl", ios=0.15, cc="PL", locale="pl_PL",
               isp=["83.0.0.0/11", "79.184.0.0/13", "89.64.0.0/12", "178.36.0.0/14"],
               carriers=[("play_pl", ["37.47.0.0/16"], 3), ("plus_pl", ["37.248.0.0/14"], 2)],
               mail=[("gmail.com", 45), ("wp.pl", 15), ("o2.pl", 12), ("onet.pl", 8),
                     ("interia.pl", 8), ("outlook.com", 4), ("yahoo.com", 2)]),
    "BR": dict(w=5, tz=[-3], names="br", ios=0.15, cc="BR", locale="pt_BR",
               isp=["177.0.0.0/10", "179.96.0.0/11", "187.0.0.0/11", "189.0.0.0/11",
                    "191.0.0.0/11", "200.96.0.0/11", "201.0.0.0/11"],
               carriers=[("claro_br", ["177.128.0.0/12"], 3), ("vivo_br", ["191.240.0.0/12"], 3),
                         ("tim_br", ["191.48.0.0/12"], 2)],
               mail=[("gmail.com", 65), ("hotmail.com", 15), ("outlook.com", 7),
                     ("yahoo.com.br", 6), ("icloud.com", 3), ("bol.com.br", 2), ("uol.com.br", 2)]),
    "MX": dict(w=3, tz=[-6], names="mx", ios=0.18, cc="MX", locale="es_MX",
               isp=["187.128.0.0/10", "189.128.0.0/10", "201.96.0.0/11"],
               carriers=[("telcel_mx", ["189.203.0.0/16", "200.68.128.0/17"], 4),
                         ("att_mx", ["201.141.0.0/16"], 2)],
               mail=[("gmail.com", 55), ("hotmail.com", 25), ("outlook.com", 8),
                     ("yahoo.com.mx", 6), ("icloud.com", 4)]),
    "IN": dict(w=4, tz=[5.5], names="in", ios=0.05, cc="IN", locale="en_IN",
               isp=["49.32.0.0/11", "122.160.0.0/11", "182.64.0.0/12", "117.192.0.0/10"],
               carriers=[("jio_in", ["157.32.0.0/12", "49.36.0.0/14"], 5),
                         ("airtel_in", ["106.192.0.0/11"], 4), ("vi_in", ["42.104.0.0/13"], 2)],
               mail=[("gmail.com", 75), ("yahoo.co.in", 7), ("rediffmail.com", 5),
                     ("outlook.com", 6), ("hotmail.com", 4), ("icloud.com", 2)]),
    "RU": dict(w=2, tz=[3], names="ru", ios=0.3, cc="RU", locale="ru_RU",
               isp=["95.24.0.0/13", "188.32.0.0/13", "109.252.0.0/14", "176.192.0.0/12"],
               carriers=[("mts_ru", ["83.149.0.0/17"], 3), ("megafon_ru", ["31.173.0.0/16"], 3),
                         ("beeline_ru", ["85.26.128.0/17"], 2)],
               mail=[("yandex.ru", 30), ("mail.ru", 30), ("gmail.com", 20), ("rambler.ru", 5),
                     ("bk.ru", 4), ("list.ru", 3), ("inbox.ru", 3), ("ya.ru", 2), ("yandex.com", 1)]),
}
REGION_LIST = [(k, v["w"]) for k, v in REGIONS.items()]

# Commercial VPN exits (M247, Datacamp/CDN77, Leaseweb, Clouvider...) and
# iCloud Private Relay egress (Akamai / Cloudflare ranges).
VPN_RANGES = ["146.70.0.0/16", "37.120.128.0/17", "89.187.160.0/19", "169.150.192.0/18",
              "185.156.172.0/22", "193.176.84.0/22", "45.87.212.0/22", "194.127.199.0/24",
              "212.102.32.0/19", "156.146.32.0/19", "138.199.0.0/18", "149.34.240.0/20"]
RELAY_RANGES = ["172.224.224.0/19", "172.225.0.0/17", "172.226.0.0/17", "104.28.0.0/17",
                "146.75.160.0/20"]
DC_RANGES = {
    "aws": ["3.80.0.0/12", "18.204.0.0/14", "54.144.0.0/12", "52.0.0.0/11"],
    "digitalocean": ["159.89.0.0/16", "167.99.0.0/16", "142.93.0.0/16", "64.227.0.0/16",
                     "138.68.0.0/16", "206.189.0.0/16"],
    "hetzner": ["5.161.0.0/16", "88.99.0.0/16", "95.216.0.0/15", "135.181.0.0/16",
                "65.108.0.0/15"],
    "ovh": ["51.38.0.0/16", "51.75.0.0/16", "54.36.0.0/14", "137.74.0.0/16", "147.135.0.0/16"],
    "vultr": ["45.32.0.0/16", "45.77.0.0/16", "149.28.0.0/16", "207.148.0.0/18"],
    "linode": ["172.104.0.0/15", "139.162.0.0/16", "45.79.0.0/16"],
    "gcp": ["34.64.0.0/10", "35.184.0.0/13"],
    "azure": ["20.0.0.0/11", "40.76.0.0/14"],
}

# --------------------------------------------------------------------------
# Devices / User-Agents
# --------------------------------------------------------------------------
IOS_VERS = [("18_1_1", 30), ("18_1", 16), ("18_2", 9), ("18_0_1", 8), ("18_0", 3),
            ("17_6_1", 14), ("17_7", 3), ("17_5_1", 3), ("16_7_10", 4), ("15_8_3", 1)]
IOS_BUILD = {"18_2": "22C152", "18_1_1": "22B91", "18_1": "22B83", "18_0_1": "22A3370",
             "18_0": "22A3354", "17_6_1": "21G93", "17_7": "21H16", "17_5_1": "21F90",
             "16_7_10": "20H350", "15_8_3": "19H386"}
IPHONES = [(("iPhone16,2", "1290x2796", 3), 10), (("iPhone16,1", "1179x2556", 3), 9),
           (("iPhone15,4", "1179x2556", 3), 9), (("iPhone15,3", "1290x2796", 3), 6),
           (("iPhone15,2", "1179x2556", 3), 7), (("iPhone14,7", "1170x2532", 3), 10),
           (("iPhone14,5", "1170x2532", 3), 12), (("iPhone13,2", "1170x2532", 3), 8),
           (("iPhone12,1", "828x1792", 2), 7), (("iPhone14,6", "750x1334", 2), 4),
           (("iPhone17,1", "1206x2622", 3), 5), (("iPhone17,3", "1179x2556", 3), 6),
           (("iPhone17,2", "1320x2868", 3), 4)]
OLD_IPHONES = [("iPhone10,4", "750x1334", 2), ("iPhone10,6", "1125x2436", 3)]
ANDROIDS = [  # model, brand, codename, android, build, dpi, res, chipset, weight
    ("SM-S921B", "samsung", "e1s", "14", "UP1A.231005.007", "450dpi", "1080x2340", "s5e9945", 7),
    ("SM-S918B", "samsung", "dm3q", "14", "UP1A.231005.007", "480dpi", "1080x2316", "qcom", 5),
    ("SM-A546B", "samsung", "a54x", "14", "UP1A.231005.007", "450dpi", "1080x2340", "s5e8835", 9),
    ("SM-A155F", "samsung", "a15", "14", "UP1A.231005.007", "450dpi", "1080x2340", "mt6789", 8),
    ("SM-A256B", "samsung", "a25x", "14", "UP1A.231005.007", "450dpi", "1080x2340", "s5e8835", 5),
    ("SM-G991B", "samsung", "o1s", "14", "UP1A.231005.007", "480dpi", "1080x2400", "exynos2100", 4),
    ("SM-A135F", "samsung", "a13", "13", "TP1A.220624.014", "450dpi", "1080x2408", "exynos850", 4),
    ("Pixel 8", "Google", "shiba", "15", "AP3A.241105.007", "420dpi", "1080x2400", "zuma", 4),
    ("Pixel 7a", "Google", "lynx", "15", "AP3A.241105.007", "420dpi", "1080x2400", "gs201", 4),
    ("23129RAA4G", "Redmi", "sapphire", "14", "UKQ1.231003.002", "440dpi", "1080x2400", "qcom", 5),
    ("2201117TY", "Redmi", "spes", "13", "TKQ1.221114.001", "440dpi", "1080x2400", "qcom", 4),
    ("moto g84 5G", "motorola", "bangkk", "14", "U1TC34.40-22", "400dpi", "1080x2400", "qcom", 3),
    ("CPH2581", "OnePlus", "OP5D2BL1", "14", "UKQ1.230924.001", "450dpi", "1240x2772", "qcom", 3),
    ("RMX3630", "realme", "RE5C91L1", "14", "UP1A.231005.007", "480dpi", "1080x2400", "mt6877", 3),
    ("V2207", "vivo", "PD2250", "14", "UP1A.231005.007", "440dpi", "1080x2400", "mt6833", 3),
]
CHROME_V = [("131", 70), ("130", 18), ("129", 5), ("132", 3), ("128", 2), ("126", 2)]
CHROME_FULL = {"132": "132.0.6834.57", "131": "131.0.6778.135", "130": "130.0.6723.107",
               "129": "129.0.6668.100", "128": "128.0.6613.146", "126": "126.0.6478.186"}
EDGE_V = [("131.0.2903.86", 40), ("131.0.2903.70", 25), ("131.0.2903.51", 10),
          ("130.0.2849.80", 15), ("129.0.2792.89", 5)]
FF_V = [("133.0", 50), ("132.0", 25), ("128.0", 10), ("115.0", 5), ("134.0", 3)]
SAFARI_MAC_V = [("18.1", 35), ("18.1.1", 15), ("18.0.1", 12), ("17.6", 18), ("18.2", 10),
                ("16.6", 5), ("17.4.1", 5)]
SAMSUNG_V = [(("27.0", "125"), 40), (("26.0", "122"), 35), (("25.0", "121"), 15),
             (("23.0", "115"), 10)]
IG_V = [("357.0.0.25.101", "654364237"), ("358.0.0.29.101", "663141329")]
IG_A_V = [("357.0.0.40.87", "654364287"), ("358.0.0.51.97", "667230215")]
FB_V = [("490.0.0.55.107", "665912201", "667112300"), ("491.0.0.51.109", "670432810", "672283371")]
FB_A_V = ["490.0.0.63.82", "491.0.0.61.109"]
TT_V = ["37.4.0", "37.5.0"]


def ios_dot(v):
    return v.replace("_", ".")


def safari_ver(v):
    parts = v.split("_")
    return ".".join(parts[:2])


class Dev:
    __slots__ = ("kind", "os", "ver", "model", "browser", "ua", "id", "meta")

    def __init__(self, kind, os, ver, model, browser, ua, did, meta=None):
        self.kind, self.os, self.ver, self.model = kind, os, ver, model
        self.browser, self.ua, self.id, self.meta = browser, ua, did, meta or {}


class Person:
    def __init__(self):
        self.region = None
        self.tz = 0
        self.first = self.last = ""
        self.email = ""
        self.home_ip = None
        self.carrier = None
        self.phone = None
        self.desktop = None
        self.card = None
        self.blocks_fp = False
        self.work_ips = None
        self.locale = "en_US"


class Shop:
    pass


# --------------------------------------------------------------------------
# Generator
# --------------------------------------------------------------------------
class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.advocates = []
        self.referrals = []
        self.canon = {}
        self.order_seq = 0
        self.dev_seen = {}
        self.pf_seen = {}
        self.nets = {}
        self.pools = {}
        self.make_shops()
        self.vpn_exits = [self.ip_in(self.r.choice(VPN_RANGES)) for _ in range(60)]
        self.relay_exits = [self.ip_in(self.r.choice(RELAY_RANGES)) for _ in range(40)]

    # ------------------------------------------------------------ basics
    def rnd_hex(self, n):
        return "".join(self.r.choice("0123456789abcdef") for _ in range(n))

    def new_device_id(self):
        while True:
            d = "d-" + self.rnd_hex(20)
            if d not in self.dev_seen:
                self.dev_seen[d] = 1
                return d

    def new_card(self):
        al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        while True:
            c = "pm_" + "".join(self.r.choice(al) for _ in range(16))
            if c not in self.pf_seen:
                self.pf_seen[c] = 1
                return c

    def net(self, cidr):
        n = self.nets.get(cidr)
        if n is None:
            n = self.nets[cidr] = ipaddress.ip_network(cidr)
        return n

    def ip_in(self, cidr):
        n = self.net(cidr)
        while True:
            a = ipaddress.ip_address(int(n.network_address) + self.r.randrange(1, n.num_addresses - 1))
            s = str(a)
            last = int(s.rsplit(".", 1)[1])
            if a.is_global and 0 < last < 255:
                return s

    def pool_ip(self, name, cidrs, size=300, expo=0.9):
        """Zipf-weighted egress pool: a few addresses are very hot (CGNAT)."""
        pool = self.pools.get(name)
        if pool is None:
            ips = [self.ip_in(self.r.choice(cidrs)) for _ in range(size)]
            cum, acc = [], 0.0
            for i in range(size):
                acc += 1.0 / (i + 1) ** expo
                cum.append(acc)
            pool = self.pools[name] = (ips, cum)
        ips, cum = pool
        x = self.r.random() * cum[-1]
        lo, hi = 0, len(cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return ips[lo]

    def hot_carrier_ips(self, name, k):
        self.pool_ip(name, self.carrier_cidrs(name))
        return self.pools[name][0][:k]

    def carrier_cidrs(self, name):
        for reg in REGIONS.values():
            for cn, cidrs, _ in reg["carriers"]:
                if cn == name:
                    return cidrs
        raise KeyError(name)

    def home_ip(self, region):
        return self.ip_in(self.r.choice(REGIONS[region]["isp"]))

    def mobile_ip(self, p):
        return self.pool_ip(p.carrier, self.carrier_cidrs(p.carrier))

    def dc_ip(self, provider=None):
        provider = provider or self.r.choice(sorted(DC_RANGES))
        return self.ip_in(self.r.choice(DC_RANGES[provider]))

    def vpn_ip(self):
        # a few exits are much more popular (default "fastest server")
        return self.vpn_exits[min(int(self.r.paretovariate(1.1)) - 1, len(self.vpn_exits) - 1)]

    def relay_ip(self):
        return self.relay_exits[min(int(self.r.paretovariate(1.0)) - 1, len(self.relay_exits) - 1)]

    # ------------------------------------------------------------ time
    def local_day_start(self, day, tz):
        return day * DAY - int(tz * HOUR)

    def at_hour(self, day, tz, weights=HOUR_W):
        h = W(self.r, list(zip(range(24), weights)))
        return self.local_day_start(day, tz) + h * HOUR + self.r.randrange(HOUR)

    def later(self, t, tz, d, weights=HOUR_W):
        """t + d seconds; delays over ~5h are re-drawn on the diurnal curve."""
        if d < 5 * HOUR:
            return t + d
        target = t + d
        day = int((target + tz * HOUR) // DAY)
        t2 = self.at_hour(day, tz, weights)
        if t2 <= t + 600:
            t2 = t + d
        return t2

    def delay_signup(self):
        r = self.r
        k = W(r, [("now", 72), ("hours", 18), ("days", 10)])
        if k == "now":
            return max(15.0, r.lognormvariate(math.log(240), 0.9))
        if k == "hours":
            return r.uniform(1, 10) * HOUR
        return r.uniform(1, 6) * DAY

    def delay_purchase(self):
        r = self.r
        k = W(r, [("session", 45), ("hours", 28), ("days", 27)])
        if k == "session":
            return max(40.0, r.lognormvariate(math.log(420), 0.8))
        if k == "hours":
            return r.uniform(1, 12) * HOUR
        return r.lognormvariate(math.log(3 * DAY), 0.8)

    # ------------------------------------------------------------ shops
    def make_shops(self):
        r = self.r
        base = [1299, 1499, 1999, 2499, 2900, 2999, 3495, 3999, 4500, 4999, 5900, 6400, 6999,
                7999, 8900, 9999, 12900, 14999, 19900, 24900]
        shops = []
        n = 40
        for i in range(n):
            s = Shop()
            s.idx = i
            s.sends_device = i < 28  # 70%
            s.null_style = r.choice(["null", "absent"])
            s.pf_rate = 0.0 if i % 13 == 5 else r.uniform(0.95, 0.995)
            s.purchase_client = r.random() < 0.88
            s.refund_pf = r.random() < 0.7
            scale = W(r, [(0.5, 2), (0.8, 4), (1.0, 5), (1.4, 3), (2.2, 2)])
            cat = []
            for _ in range(14):
                p = r.choice(base) * scale
                p = int(round(p / 100.0)) * 100
                p = max(900, p)
                p = p - W(r, [(1, 5), (0, 3), (5, 2)])
                cat.append(p)
            cat.sort()
            s.catalog = cat
            s.ship = r.choice([0, 395, 495, 599, 695])
            s.free_over = r.choice([3500, 4900, 5000, 7500, 10000])
            shops.append(s)
        r.shuffle(shops)
        self.shops = shops
        self.shops_dev = [s for s in shops if s.sends_device]
        self.shops_nodev = [s for s in shops if not s.sends_device]

    def basket(self, shop, kind="normal"):
        r = self.r
        cat = shop.catalog
        if kind == "cheap":
            items = [cat[0] if r.random() < 0.75 else cat[1]]
        elif kind == "mid":
            items = [r.choice(cat[4:])] + ([r.choice(cat)] if r.random() < 0.3 else [])
        else:
            n = W(r, [(1, 62), (2, 25), (3, 9), (4, 4)])
            items = []
            for _ in range(n):
                i = min(int(r.expovariate(1 / 4.0)), len(cat) - 1)
                items.append(cat[r.choice([i, len(cat) // 2, i])] if r.random() < 0.3 else cat[i])
        total = sum(items)
        if total < shop.free_over:
            total += shop.ship
        return total, items

    # ------------------------------------------------------------ devices
    def phone_ua(self, os_, ver, model, browser, meta):
        if os_ == "ios":
            base = f"Mozilla/5.0 (iPhone; CPU iPhone OS {ver} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            if browser == "safari":
                return f"{base} Version/{safari_ver(ver)} Mobile/15E148 Safari/604.1"
            if browser == "chrome":
                return f"{base} CriOS/{meta['crios']} Mobile/15E148 Safari/604.1"
            if browser == "firefox":
                return f"{base} FxiOS/{meta['fx']} Mobile/15E148 Safari/605.1.15"
            if browser == "gsa":
                return f"{base} GSA/{meta['gsa']} Mobile/15E148 Safari/604.1"
            if browser == "edge":
                return f"{base} Version/{safari_ver(ver)} EdgiOS/131.0.2903.92 Mobile/15E148 Safari/605.1.15"
        else:
            av = meta["android"]
            if browser == "chrome":
                return (f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                        f"Chrome/{meta['cv']}.0.0.0 Mobile Safari/537.36")
            if browser == "samsung":
                sv, scv = meta["sbv"]
                return (f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                        f"SamsungBrowser/{sv} Chrome/{scv}.0.0.0 Mobile Safari/537.36")
            if browser == "firefox":
                return f"Mozilla/5.0 (Android {av}; Mobile; rv:{meta['fx']}) Gecko/{meta['fx']} Firefox/{meta['fx']}"
            if browser == "edge":
                return (f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                        f"Chrome/131.0.0.0 Mobile Safari/537.36 EdgA/131.0.2903.87")
            if browser == "opera":
                return (f"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
                        f"Chrome/130.0.0.0 Mobile Safari/537.36 OPR/86.1.4557.81910")
        raise ValueError(browser)

    def new_phone(self, region, like=None):
        """A phone; `like` copies model/OS/browser of another phone (household)."""
        r = self.r
        if like is not None:
            d = Dev(like.kind, like.os, like.ver, like.model, like.browser, like.ua,
                    self.new_device_id(), dict(like.meta))
            return d
        ios = r.random() < REGIONS[region]["ios"]
        if ios:
            ver = W(r, IOS_VERS)
            if ver.startswith(("15", "16")):
                model = r.choice(OLD_IPHONES)
            else:
                model = W(r, IPHONES)
                if model[0].startswith("iPhone17") and not ver.startswith("18"):
                    ver = "18_1_1"
            browser = W(r, [("safari", 80), ("chrome", 11), ("gsa", 5), ("firefox", 2), ("edge", 2)])
            meta = {"crios": r.choice(["131.0.6778.73", "131.0.6778.103", "130.0.6723.90"]),
                    "fx": r.choice(["133.0", "132.2"]),
                    "gsa": r.choice(["343.0.695551749", "344.0.698888522"]),
                    "res": model[1], "scale": model[2]}
            d = Dev("phone", "ios", ver, model[0], browser, None, self.new_device_id(), meta)
        else:
            m = W(r, [(a, a[-1]) for a in ANDROIDS])
            samsung = m[1] == "samsung"
            if samsung:
                browser = W(r, [("chrome", 62), ("samsung", 35), ("firefox", 2), ("opera", 1)])
            else:
                browser = W(r, [("chrome", 92), ("firefox", 3), ("opera", 3), ("edge", 2)])
            meta = {"android": m[3], "cv": W(r, CHROME_V), "sbv": W(r, SAMSUNG_V),
                    "fx": W(r, FF_V), "build": m[4], "brand": m[1], "code": m[2], "dpi": m[5],
                    "res": m[6], "chip": m[7]}
            d = Dev("phone", "android", m[3], m[0], browser, None, self.new_device_id(), meta)
        d.ua = self.phone_ua(d.os, d.ver, d.model, d.browser, d.meta)
        return d

    def new_desktop(self, region, forced_ua=None):
        r = self.r
        if forced_ua:
            return Dev("desktop", "win", "10", "pc", "corp", forced_ua, self.new_device_id())
        mac_bias = 1.6 if region in ("US", "GB", "CA", "AU", "NL") else 0.8
        k = W(r, [("chrome_win", 45), ("edge_win", 12), ("firefox_win", 5),
                  ("chrome_mac", 10 * mac_bias), ("safari_mac", 10 * mac_bias),
                  ("ipad", 3 * mac_bias), ("firefox_mac", 1), ("chrome_linux", 1.5),
                  ("firefox_linux", 2), ("chromeos", 2), ("opera_win", 1.5)])
        cv = W(r, CHROME_V)
        fv = W(r, FF_V)
        if k == "chrome_win":
            ua = f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv}.0.0.0 Safari/537.36"
        elif k == "edge_win":
            ev = W(r, EDGE_V)
            ua = (f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  f"Chrome/{ev.split('.')[0]}.0.0.0 Safari/537.36 Edg/{ev}")
        elif k == "firefox_win":
            ua = f"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{fv}) Gecko/20100101 Firefox/{fv}"
        elif k == "chrome_mac":
            ua = f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv}.0.0.0 Safari/537.36"
        elif k in ("safari_mac", "ipad"):
            sv = W(r, SAFARI_MAC_V)
            ua = f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{sv} Safari/605.1.15"
        elif k == "firefox_mac":
            ua = f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:{fv}) Gecko/20100101 Firefox/{fv}"
        elif k == "chrome_linux":
            ua = f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv}.0.0.0 Safari/537.36"
        elif k == "firefox_linux":
            ua = r.choice([f"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:{fv}) Gecko/20100101 Firefox/{fv}",
                           f"Mozilla/5.0 (X11; Linux x86_64; rv:{fv}) Gecko/20100101 Firefox/{fv}"])
        elif k == "chromeos":
            ua = f"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv}.0.0.0 Safari/537.36"
        else:
            ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0"
        return Dev("desktop", k, "", "", k, ua, self.new_device_id())

    def inapp_ua(self, ph, app, p):
        """In-app browser UA (Instagram / Facebook / TikTok) for a phone."""
        r = self.r
        m = ph.meta
        loc = p.locale
        lang = loc.split("_")[0]
        cc = REGIONS[p.region]["cc"]
        if ph.os == "ios":
            build = IOS_BUILD.get(ph.ver, "22B91")
            pre = f"Mozilla/5.0 (iPhone; CPU iPhone OS {ph.ver} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
            idx = m.setdefault("appv", r.randrange(2))
            if app == "instagram":
                v, b = IG_V[idx]
                return (f"{pre} Mobile/{build} Instagram {v} ({ph.model}; iOS {ph.ver}; {loc}; {lang}; "
                        f"scale={m['scale']}.00; {m['res']}; {b})")
            if app == "facebook":
                v, b, rv = FB_V[idx]
                return (f"{pre} Mobile/{build} [FBAN/FBIOS;FBAV/{v};FBBV/{b};FBDV/{ph.model};FBMD/iPhone;"
                        f"FBSN/iOS;FBSV/{ios_dot(ph.ver)};FBSS/{m['scale']};FBID/phone;FBLC/{loc};FBOP/5;FBRV/{rv}]")
            if app == "tiktok":
                dark = m.setdefault("dark", r.randrange(2))
                return (f"{pre} Mobile/15E148 musical_ly_{TT_V[idx]} JsSdk/2.0 NetType/WIFI Channel/App Store "
                        f"ByteLocale/{lang} Region/{cc} isDarkMode/{dark} WKWebView/1 RevealType/Dialog "
                        f"BytedanceWebview/d8a21c6")
        else:
            av = m["android"]
            api = {"13": 33, "14": 34, "15": 35}[av]
            cfull = CHROME_FULL.get(m["cv"], "131.0.6778.135")
            pre = (f"Mozilla/5.0 (Linux; Android {av}; {ph.model} Build/{m['build']}; wv) AppleWebKit/537.36 "
                   f"(KHTML, like Gecko) Version/4.0 Chrome/{cfull} Mobile Safari/537.36")
            idx = m.setdefault("appv", r.randrange(2))
            if app == "instagram":
                v, b = IG_A_V[idx]
                return (f"{pre} Instagram {v} Android ({api}/{av}; {m['dpi']}; {m['res']}; {m['brand']}; "
                        f"{ph.model}; {m['code']}; {m['chip']}; {loc}; {b})")
            if app == "facebook":
                return f"{pre} [FB_IAB/FB4A;FBAV/{FB_A_V[idx]};]"
            if app == "tiktok":
                v = TT_V[idx] + "3"[:1]
                return (f"{pre} trill_{v.replace('.', '')}0 JsSdk/1.0 NetType/WIFI Channel/googleplay "
                        f"AppName/trill app_version/{v} ByteLocale/{lang} ByteFullLocale/{lang} Region/{cc} "
                        f"BytedanceWebview/d8a21c6")
        raise ValueError(app)

    # ------------------------------------------------------------ e-mail
    CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "y": "у", "k": "к",
           "h": "һ", "s": "ѕ", "j": "ј"}
    CYR_BACK = {v: k for k, v in CYR.items()}
    DOMAIN_EQ = {"googlemail.com": "gmail.com", "me.com": "icloud.com", "mac.com": "icloud.com",
                 "ya.ru": "yandex.ru", "yandex.com": "yandex.ru", "yandex.by": "yandex.ru",
                 "yandex.kz": "yandex.ru", "yandex.ua": "yandex.ru"}

    def canonical(self, email):
        e = unicodedata.normalize("NFKC", email).lower()
        e = "".join(self.CYR_BACK.get(c, c) for c in e)
        local, dom = e.rsplit("@", 1)
        dom = self.DOMAIN_EQ.get(dom, dom)
        if dom.endswith(".fastmail.com"):
            local, dom = dom.split(".")[0], "fastmail.com"
        local = local.split("+")[0]
        if dom == "gmail.com":
            local = local.replace(".", "")
        if dom == "yandex.ru":
            local = local.replace("-", ".")
        return local + "@" + dom

    def claim(self, email, owner):
        c = self.canonical(email)
        if c in self.canon and self.canon[c] != owner:
            return False
        self.canon[c] = owner
        return True

    def local_part(self, first, last, style=None):
        r = self.r
        f, l = fold(first), fold(last)
        s = style or W(r, [("f.l", 28), ("fl", 14), ("f_l", 4), ("f.ln", 9), ("fly", 10),
                           ("fi.l", 5), ("fil", 7), ("fn", 6), ("l.f", 4), ("f.l.yy", 3),
                           ("nick", 6), ("f-l", 2), ("lf", 2)])
        yy = r.randint(1962, 2006)
        if s == "f.l":
            return f"{f}.{l}"
        if s == "fl":
            return f"{f}{l}"
        if s == "f_l":
            return f"{f}_{l}"
        if s == "f.ln":
            return f"{f}.{l}{r.randint(1, 99)}"
        if s == "fly":
            return f"{f}{l}{yy if r.random() < 0.5 else yy % 100:02d}"
        if s == "fi.l":
            return f"{f[0]}.{l}"
        if s == "fil":
            return f"{f[0]}{l}"
        if s == "fn":
            return f"{f}{r.randint(10, 9999)}"
        if s == "l.f":
            return f"{l}.{f}"
        if s == "f.l.yy":
            return f"{f}.{l}.{yy % 100:02d}"
        if s == "nick":
            return f"{r.choice(WORDS)}{r.choice([f, l, r.choice(WORDS)])}{r.choice(['', str(r.randint(1, 999))])}"
        if s == "f-l":
            return f"{f}-{l}"
        return f"{l}{f}"

    def make_email(self, p, owner, domain=None, style=None, plus=None):
        r = self.r
        for attempt in range(50):
            dom = domain or W(r, REGIONS[p.region]["mail"])
            lp = self.local_part(p.first, p.last, style if attempt < 3 else None)
            if attempt >= 3:
                lp += str(r.randint(1, 999))
            if plus:
                lp = f"{lp}+{plus}"
            e = f"{lp}@{dom}"
            if self.claim(e, owner):
                return e
        raise RuntimeError("email space exhausted")

    # ------------------------------------------------------------ people
    def new_person(self, region=None, owner=None, last=None, first=None, phone_like=None,
                   home_ip=None, desktop_p=0.75, email=True, domain=None, style=None, plus=None,
                   carrier=None):
        r = self.r
        p = Person()
        p.region = region or W(r, REGION_LIST)
        reg = REGIONS[p.region]
        p.tz = r.choice(reg["tz"])
        p.locale = reg["locale"]
        fn, ln = NAMES[reg["names"]]
        p.first = first or r.choice(fn)
        p.last = last or r.choice(ln)
        p.home_ip = home_ip or self.home_ip(p.region)
        p.carrier = carrier or W(r, [(c[0], c[2]) for c in reg["carriers"]])
        p.phone = self.new_phone(p.region, like=phone_like)
        p.desktop = self.new_desktop(p.region) if r.random() < desktop_p else None
        p.card = self.new_card()
        p.blocks_fp = r.random() < 0.05
        if email:
            p.email = self.make_email(p, owner or id(p), domain=domain, style=style, plus=plus)
        return p

    # ------------------------------------------------------------ contexts
    def ctx(self, p, dev="phone", where="home", app=None):
        if dev == "phone":
            d = p.phone
        elif dev == "desktop":
            d = p.desktop or p.phone
        else:
            d = dev
        ua = self.inapp_ua(d, app, p) if (app and d.kind == "phone") else d.ua
        if where == "home":
            ip = p.home_ip
        elif where == "mobile":
            ip = self.mobile_ip(p)
        elif where == "work":
            ip = self.r.choice(p.work_ips) if p.work_ips else p.home_ip
        else:
            ip = where  # explicit address
        did = None if p.blocks_fp else d.id
        return [ip, ua, did]

    def any_ctx(self, p, t=None):
        r = self.r
        if p.desktop is not None and r.random() < 0.3:
            return self.ctx(p, "desktop", "home")
        return self.ctx(p, "phone", "home" if r.random() < 0.6 else "mobile")

    # ------------------------------------------------------------ events
    def _dev_field(self, shop, e, did):
        if shop.sends_device and did is not None:
            e["device_id"] = did
        elif shop.null_style == "null":
            e["device_id"] = None

    def _noise(self, e, p_ip=0.006, p_ua=0.005):
        if self.r.random() < p_ip:
            e["ip"] = None
        if self.r.random() < p_ua:
            e["user_agent"] = None

    def ev_click(self, shop, t, c, referer):
        e = {"type": "click", "at": int(t), "ip": c[0], "user_agent": c[1], "referer": referer}
        self._noise(e)
        return e

    def ev_signup(self, shop, t, c):
        e = {"type": "signup", "at": int(t), "ip": c[0], "user_agent": c[1]}
        self._dev_field(shop, e, c[2])
        self._noise(e)
        return e

    def ev_purchase(self, shop, t, c, pf, amount):
        self.order_seq += 1
        oid = f"tmp{self.order_seq}"
        e = {"type": "purchase", "at": int(t)}
        if shop.purchase_client:
            e["ip"], e["user_agent"] = c[0], c[1]
        else:
            e["ip"], e["user_agent"] = None, None
        self._dev_field(shop, e, c[2])
        if pf is not None and self.r.random() < shop.pf_rate:
            e["payment_fingerprint"] = pf
        elif shop.null_style == "null":
            e["payment_fingerprint"] = None
        e["amount"] = int(amount)
        e["order_id"] = oid
        if shop.purchase_client:
            self._noise(e)
        return e

    def ev_refund(self, shop, t, purchase, amount=None):
        e = {"type": "refund", "at": int(t), "order_id": purchase["order_id"],
             "amount": int(amount if amount is not None else purchase["amount"])}
        if shop.refund_pf and purchase.get("payment_fingerprint"):
            e["payment_fingerprint"] = purchase["payment_fingerprint"]
        return e

    # ------------------------------------------------------------ records
    def add_advocate(self, p, joined_at, shop, ctx=None, pf=UNSET, email=None):
        c = ctx or self.ctx(p, "phone" if self.r.random() < 0.6 or p.desktop is None else "desktop",
                             "home")
        a = {"id": None, "email": email or p.email, "joined_at": int(joined_at),
             "ip": c[0], "user_agent": c[1],
             "device_id": c[2] if shop.sends_device else None,
             "payment_fingerprint": (p.card if self.r.random() < 0.85 else None) if pf is UNSET else pf,
             "_shop": shop, "_p": p}
        self.advocates.append(a)
        return a

    def add_ref(self, adv, label, case, email, events):
        ev = sorted((e for e in events if e["at"] < END), key=lambda e: e["at"])
        kept_orders = {}
        out = []
        for e in ev:
            if e["type"] == "purchase":
                kept_orders[e["order_id"]] = 1
            if e["type"] == "refund" and e["order_id"] not in kept_orders:
                continue
            out.append(e)
        if not any(e["type"] in ("signup", "purchase") for e in out):
            return None
        if out[0]["at"] <= adv["joined_at"]:
            return None
        ref = {"id": None, "advocate": adv, "label": label, "case": case, "email": email,
               "events": out}
        self.referrals.append(ref)
        return ref

    # ------------------------------------------------------------ honest journey
    SHARE_CHANNELS = [
        # name, weight, referer, device, app
        ("whatsapp", 30, None, "phone", None),
        ("whatsapp_web", 5, "https://web.whatsapp.com/", "desktop", None),
        ("sms", 12, None, "phone", None),
        ("messenger", 5, "https://l.messenger.com/", "phone", "facebook"),
        ("instagram_dm", 8, "https://l.instagram.com/", "phone", "instagram"),
        ("facebook", 6, "https://l.facebook.com/", "phone", "facebook"),
        ("gmail_web", 5, "https://mail.google.com/", "desktop", None),
        ("gmail_app", 4, "android-app://com.google.android.gm/", "phone", None),
        ("outlook_web", 2, "https://outlook.live.com/", "desktop", None),
        ("telegram", 4, None, "phone", None),
        ("twitter", 2, "https://t.co/", "phone", None),
        ("copy", 6, None, "any", None),
        ("discord", 2, "https://discord.com/", "desktop", None),
        ("linkedin", 1, "https://www.linkedin.com/", "desktop", None),
        ("snapchat", 2, None, "phone", None),
        ("tiktok_dm", 2, None, "phone", "tiktok"),
    ]

    def click_ctx(self, p, channel=None, where=None):
        r = self.r
        ch = channel or W(r, [(c, c[1]) for c in self.SHARE_CHANNELS])
        name, _, ref, dev, app = ch
        if dev == "any":
            dev = "desktop" if (p.desktop and r.random() < 0.4) else "phone"
        if dev == "desktop" and p.desktop is None:
            dev = "phone"
        if ref and ref.startswith("android-app") and p.phone.os != "android":
            ref = None
        if where is None:
            where = "home" if (dev == "desktop" or r.random() < 0.58) else "mobile"
        return self.ctx(p, dev, where, app), ref, app

    def journey(self, adv, p, t_click, case, label="honest", *, click=True, channel=None,
                referer=UNSET, cctx=None, sctx=None, bctx=None, p_buy=0.66, p_refund=0.065,
                fast=False, kind="normal", pf=UNSET, email=None, where=None, signup=True,
                second_buy=0.05, refund_window=(2 * DAY, 29.5 * DAY), amount=None):
        r = self.r
        shop = adv["_shop"]
        ev = []
        t = t_click
        app = None
        if click:
            if cctx is None:
                cctx, ref, app = self.click_ctx(p, channel, where)
            else:
                ref = None
            if referer is not UNSET:
                ref = referer
            ev.append(self.ev_click(shop, t, cctx, ref))
            d = r.uniform(4, 14) if fast else self.delay_signup()
            t_s = self.later(t, p.tz, d)
            same_session = d < 3600
        else:
            t_s = t
            same_session = False
        if sctx is None:
            if click and same_session and r.random() < 0.9:
                sctx = list(cctx)
                if app and r.random() < 0.35:      # "open in Safari/Chrome"
                    sctx[1] = p.phone.ua
                if sctx[0] is not None and sctx[0] != p.home_ip and r.random() < 0.12:
                    sctx[0] = self.mobile_ip(p)   # CGNAT egress changes
            else:
                sctx = self.any_ctx(p)
        if signup:
            ev.append(self.ev_signup(shop, t_s, sctx))
        buys = r.random() < p_buy
        if buys:
            if fast:
                t_b = t + r.uniform(10, 60)
                if t_b <= t_s:
                    t_b = t_s + r.uniform(3, 10)
            elif not signup:
                t_b = t_s
            else:
                d = self.delay_purchase()
                t_b = self.later(t_s, p.tz, d)
                if d > 3600 and bctx is None:
                    bctx = self.any_ctx(p)
            if bctx is None:
                bctx = list(sctx)
            card = p.card if pf is UNSET else pf
            amt = amount if amount is not None else self.basket(shop, kind)[0]
            pur = self.ev_purchase(shop, t_b, bctx, card, amt)
            ev.append(pur)
            if r.random() < p_refund:
                lo, hi = refund_window
                # most returns happen in the first two weeks, some later in the window
                t_r = t_b + (r.uniform(lo, 14 * DAY) if r.random() < 0.7 else r.uniform(14 * DAY, hi))
                partial = r.random() < 0.3 and amt > 2000
                ra = int(amt * r.choice([0.3, 0.4, 0.5, 0.6])) if partial else amt
                ev.append(self.ev_refund(shop, t_r, pur, ra))
            if r.random() < second_buy:
                t2 = self.later(t_b, p.tz, r.uniform(2, 25) * DAY)
                ev.append(self.ev_purchase(shop, t2, self.any_ctx(p), card, self.basket(shop)[0]))
        return self.add_ref(adv, label, case, email or p.email, ev)

    # ------------------------------------------------------------ advocates
    def new_shop(self, dev=None):
        if dev is True:
            return self.r.choice(self.shops_dev)
        if dev is False:
            return self.r.choice(self.shops_nodev)
        return self.r.choice(self.shops)

    def join_time(self, p, lo_day=0, hi_day=45, weights=HOUR_W):
        day = self.r.randint(lo_day, hi_day)
        t = self.at_hour(day, p.tz, weights)
        return max(60, t)

    def share_moments(self, adv, p, k):
        r = self.r
        j = adv["joined_at"]
        n = 1 + (k > 2) + (k > 6 and r.random() < 0.6)
        out = []
        for _ in range(n):
            if r.random() < 0.45:
                t = j + r.uniform(600, 3 * HOUR)
            else:
                t = self.later(j, p.tz, r.lognormvariate(math.log(4 * DAY), 1.0))
            out.append(t)
        return out

    def friend_time(self, moment, p_friend):
        r = self.r
        k = W(r, [("soon", 60), ("later", 28), ("days", 12)])
        if k == "soon":
            return moment + max(20, r.lognormvariate(math.log(35 * 60), 1.0))
        if k == "later":
            return self.later(moment, p_friend.tz, r.uniform(3, 20) * HOUR)
        return self.later(moment, p_friend.tz, r.uniform(1, 8) * DAY)

    # ======================================================================
    # HONEST KINDS
    # ======================================================================
    def regular_advocates(self, n):
        r = self.r
        advs = []
        for _ in range(n):
            p = self.new_person()
            shop = self.new_shop()
            adv = self.add_advocate(p, self.join_time(p, 0, 50), shop)
            advs.append(adv)
            k = W(r, [(1, 34), (2, 26), (3, 16), (4, 9), (5, 5), (6, 3), (8, 3), (12, 2), (18, 1)])
            moments = self.share_moments(adv, p, k)
            for _ in range(k):
                case = W(r, [("ordinary", 64), ("cross_device", 9), ("ip_change", 5),
                             ("own_plus_tag", 3.0), ("typed_code", 9), ("privacy_email", 3.0)])
                region = p.region if r.random() < 0.85 else W(r, REGION_LIST)
                t = self.friend_time(r.choice(moments), p)
                self.honest_friend(adv, case, region, t)
        return advs

    def honest_friend(self, adv, case, region, t):
        r = self.r
        if case == "own_plus_tag":
            f = self.new_person(region, plus=r.choice(["shop", "shopping", "promo", "deals", "news",
                                                       "orders", "store", "spam", "ref", "amazon",
                                                       "online", "buy"]),
                                domain=W(r, [("gmail.com", 70), ("outlook.com", 8), ("fastmail.com", 6),
                                             ("proton.me", 6), ("icloud.com", 4), ("hotmail.com", 6)]))
            return self.journey(adv, f, t, case)
        if case == "privacy_email":
            f = self.new_person(region, email=False)
            f.email = self.privacy_address(f)
            return self.journey(adv, f, t, case)
        f = self.new_person(region)
        if case == "ordinary":
            return self.journey(adv, f, t, case)
        if case == "typed_code":
            guest = r.random() < 0.55
            c = self.any_ctx(f)
            return self.journey(adv, f, t, case, click=False, signup=not guest,
                                sctx=c, bctx=None if not guest else c, p_buy=1.0)
        if case == "cross_device":
            if f.desktop is None:
                f.desktop = self.new_desktop(f.region)
            if r.random() < 0.6:
                cc = self.ctx(f, "phone", r.choice(["mobile", "home"]))
                sc = self.ctx(f, "desktop", "home")
                bc = self.ctx(f, "phone", r.choice(["mobile", "home", "mobile"]))
            else:
                cc = self.ctx(f, "desktop", "home")
                sc = self.ctx(f, "phone", "mobile")
                bc = self.ctx(f, "desktop", "home")
            ref = r.choice([None, None, "https://web.whatsapp.com/", "https://mail.google.com/", None])
            return self.journey(adv, f, t, case, cctx=cc, referer=ref, sctx=sc, bctx=bc, p_buy=0.8)
        if case == "ip_change":
            f.work_ips = [self.home_ip(f.region)]
            steps = r.sample(["home", "mobile", "work", "abroad"], 3)
            ctxs = []
            for s in steps:
                if s == "abroad":
                    abroad = W(r, REGION_LIST)
                    ctxs.append(self.ctx(f, "phone", self.home_ip(abroad)))   # hotel / friend's Wi-Fi
                else:
                    ctxs.append(self.ctx(f, "phone" if s != "work" else ("desktop" if f.desktop else "phone"), s))
            return self.journey(adv, f, t, case, cctx=ctxs[0], referer=None, sctx=ctxs[1],
                                bctx=ctxs[2], p_buy=0.75)
        raise ValueError(case)

    def privacy_address(self, p):
        r = self.r
        for _ in range(20):
            k = W(r, [("apple_relay", 40), ("hide_my_email", 20), ("mozmail", 12), ("duck", 14),
                      ("simplelogin", 8), ("addy", 6)])
            al = "abcdefghijklmnopqrstuvwxyz0123456789"
            if k == "apple_relay":
                e = "".join(r.choice(al) for _ in range(10)) + "@privaterelay.appleid.com"
            elif k == "hide_my_email":
                e = f"{r.choice(WORDS)}.{r.choice(WORDS)}.{r.randint(0, 9)}{r.choice('abcdefghjk')}@icloud.com"
            elif k == "mozmail":
                e = "".join(r.choice(al) for _ in range(9)) + "@mozmail.com"
            elif k == "duck":
                e = f"{r.choice(WORDS)}-{r.choice(WORDS)}-{r.choice(WORDS)}@duck.com"
            elif k == "simplelogin":
                e = f"{r.choice(WORDS)}_{r.choice(WORDS)}{r.randint(100, 999)}@{r.choice(['simplelogin.com', 'aleeas.com', 'slmail.me'])}"
            else:
                e = f"{fold(p.first)}{r.randint(1, 99)}.{''.join(r.choice(al) for _ in range(6))}@anonaddy.me"
            if self.claim(e, id(p)):
                return e
        raise RuntimeError

    def households(self, n):
        r = self.r
        for _ in range(n):
            p = self.new_person(region=W(r, REGION_LIST), desktop_p=0.85)
            shop = self.new_shop()
            j = self.join_time(p, 0, 48)
            adv = self.add_advocate(p, j, shop, ctx=self.ctx(p, r.choice(["phone", "desktop"]), "home"))
            k = W(r, [(1, 30), (2, 35), (3, 22), (4, 10), (5, 3)])
            evening_day = int((j + p.tz * HOUR) // DAY) + r.choice([0, 0, 1, 2, 5])
            # dynamic IP reassignment: later relatives may come from a new address
            new_ip = None
            if r.random() < 0.12:
                new_ip = self.home_ip(p.region)
            family_domain = None
            for i in range(k):
                same_name = r.random() < 0.7
                rel = self.new_person(p.region, last=p.last if same_name else None,
                                      home_ip=p.home_ip, carrier=p.carrier if r.random() < 0.7 else None,
                                      phone_like=p.phone if r.random() < 0.5 else None,
                                      desktop_p=0.5,
                                      domain=W(r, REGIONS[p.region]["mail"]) if r.random() < 0.6 else p.email.split("@")[1])
                rel.tz = p.tz
                if r.random() < 0.5:
                    t = self.at_hour(evening_day, p.tz, EVENING_W) + r.uniform(0, 2400)
                    t = max(t, j + r.uniform(120, 3600))
                else:
                    t = self.later(j, p.tz, r.uniform(0.3, 20) * DAY)
                if new_ip and t > j + 10 * DAY:
                    rel.home_ip = new_ip
                where = "home" if r.random() < 0.85 else "mobile"
                ch = W(r, [(c, c[1]) for c in self.SHARE_CHANNELS if c[0] in ("whatsapp", "sms", "copy", "messenger", "instagram_dm")])
                if r.random() < 0.15:
                    c = self.ctx(rel, "phone", "home")
                    self.journey(adv, rel, t, "household", click=False, sctx=c, p_buy=1.0)
                else:
                    self.journey(adv, rel, t, "household", channel=ch, where=where, p_buy=0.72)

    def offices(self, n_offices):
        r = self.r
        companies = ["northwind-logistics.com", "contoso-group.com", "brightpath.io", "helix-pharma.de",
                     "meridian-partners.co.uk", "atlas-insurance.fr", "bluefin-capital.com",
                     "kestrel-engineering.nl", "sunbelt-health.org", "ironbridge-consulting.com"]
        office_nets = ["62.96.212.0/24", "195.64.12.0/24", "212.58.244.0/24", "193.24.208.0/24",
                       "80.156.86.0/24", "81.17.2.0/24", "194.50.68.0/24", "198.240.90.0/24",
                       "165.225.0.0/24", "64.94.30.0/24"]
        regions = ["US", "US", "GB", "DE", "GB", "FR", "US", "NL", "US", "US"]
        for i in range(n_offices):
            region = regions[i]
            dom = companies[i]
            netw = office_nets[i]
            nat = [self.ip_in(netw)] if r.random() < 0.5 else [self.ip_in(netw) for _ in range(r.randint(3, 6))]
            ev = W(r, EDGE_V)
            corp_ua = r.choice([
                f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{ev.split('.')[0]}.0.0.0 Safari/537.36 Edg/{ev}",
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"])
            staff = []
            n_staff = r.randint(14, 40)
            for _ in range(n_staff):
                use_corp = r.random() < 0.3
                p = self.new_person(region, domain=dom if use_corp else None,
                                    style="f.l" if use_corp else None)
                p.desktop = self.new_desktop(region, forced_ua=corp_ua)
                p.work_ips = nat
                staff.append(p)
            n_adv = r.randint(2, 5)
            advs = []
            for p in staff[:n_adv]:
                shop = self.new_shop()
                j = self.at_hour(r.randint(0, 40), p.tz, WORK_W)
                where = "work" if r.random() < 0.6 else "home"
                adv = self.add_advocate(p, max(60, j), shop, ctx=self.ctx(p, "desktop" if where == "work" else "phone", where))
                advs.append(adv)
            for p in staff[n_adv:]:
                adv = r.choice(advs)
                ap = adv["_p"]
                day = int((adv["joined_at"] + ap.tz * HOUR) // DAY) + r.choice([0, 0, 1, 2, 3, 7])
                if day % 7 in (5, 6):
                    day += 2
                t = max(self.at_hour(day, ap.tz, WORK_W), adv["joined_at"] + r.uniform(300, 4000))
                cc = self.ctx(p, "desktop", "work")
                ref = W(r, [("https://teams.microsoft.com/", 30), ("https://app.slack.com/", 20),
                            ("https://outlook.office.com/", 15), (None, 35)])
                if r.random() < 0.5:
                    bc = list(cc)
                else:
                    bc = self.ctx(p, "phone", r.choice(["home", "mobile"]))
                self.journey(adv, p, t, "office", cctx=cc, referer=ref, sctx=list(cc), bctx=bc, p_buy=0.6)

    def campuses(self):
        r = self.r
        campuses = [("US", "141.211.4.0/24", "umich.edu"), ("NL", "131.180.77.0/24", "student.tudelft.nl"),
                    ("GB", "129.215.10.0/24", "sms.ed.ac.uk"), ("DE", "129.187.54.0/24", "tum.de")]
        for region, netw, udom in campuses:
            nat = [self.ip_in(netw) for _ in range(r.randint(8, 25))]
            n_adv = r.randint(3, 6)
            common_phone = self.new_phone(region)
            students = []
            for _ in range(r.randint(30, 50)):
                like = common_phone if (common_phone.os == "ios" and r.random() < 0.45) else None
                p = self.new_person(region, phone_like=like, domain=udom if r.random() < 0.35 else None,
                                    desktop_p=0.9)
                p.work_ips = nat
                students.append(p)
            advs = []
            for p in students[:n_adv]:
                j = self.at_hour(r.randint(0, 40), p.tz, EVENING_W)
                advs.append(self.add_advocate(p, max(60, j), self.new_shop(), ctx=self.ctx(p, "phone", "work")))
            for p in students[n_adv:]:
                adv = r.choice(advs)
                ap = adv["_p"]
                day = int((adv["joined_at"] + ap.tz * HOUR) // DAY) + r.choice([0, 0, 1, 2, 4, 9])
                t = max(self.at_hour(day, ap.tz, EVENING_W), adv["joined_at"] + r.uniform(300, 4000))
                ch = W(r, [(c, c[1]) for c in self.SHARE_CHANNELS if c[0] in ("whatsapp", "instagram_dm", "snapchat", "discord", "tiktok_dm")])
                cctx, ref, app = self.click_ctx(p, ch, where="work")
                if ref is None and ch[0] == "discord":
                    ref = "https://discord.com/"
                bc = self.ctx(p, "phone", "work") if r.random() < 0.6 else None
                self.journey(adv, p, t, "campus", cctx=cctx, referer=ref, bctx=bc, p_buy=0.55)

    def viral(self, n_influencers):
        r = self.r
        for _ in range(n_influencers):
            p = self.new_person(W(r, [("US", 5), ("GB", 2), ("DE", 1), ("FR", 1), ("BR", 1), ("ES", 1)]))
            shop = self.new_shop()
            j = self.join_time(p, 0, 20)
            adv = self.add_advocate(p, j, shop)
            platform = W(r, [("instagram", 5), ("tiktok", 4), ("youtube", 2), ("twitter", 1)])
            n_posts = r.choice([1, 1, 2])
            for k in range(n_posts):
                post = self.later(j, p.tz, r.uniform(1, 30) * DAY) if k or r.random() < 0.7 else j + r.uniform(3600, 20000)
                post = min(post, END - 20 * DAY)
                n = r.randint(50, 100)
                for _ in range(n):
                    fregion = p.region if r.random() < 0.55 else W(r, REGION_LIST)
                    f = self.new_person(fregion)
                    t = post + min(r.expovariate(1 / (25 * 60.0)), 2.2 * HOUR) + r.uniform(5, 60)
                    if platform in ("instagram", "tiktok"):
                        app = platform
                        cc = self.ctx(f, "phone", "home" if r.random() < 0.5 else "mobile", app)
                        ref = "https://l.instagram.com/" if app == "instagram" else r.choice([None, "https://www.tiktok.com/"])
                    elif platform == "youtube":
                        dev = "desktop" if (f.desktop and r.random() < 0.35) else "phone"
                        cc = self.ctx(f, dev, "home")
                        ref = "https://www.youtube.com/"
                    else:
                        cc = self.ctx(f, "phone", "mobile")
                        ref = "https://t.co/"
                    fast = r.random() < 0.06
                    self.journey(adv, f, t, "viral", cctx=cc, referer=ref, fast=fast,
                                 p_buy=1.0 if fast else 0.38, second_buy=0.02)

    def carrier_cgnat(self, n):
        """Strangers (friends of different advocates) on a few hot CGNAT egress IPs."""
        r = self.r
        hot = []
        for region, carrier, k in [("US", "tmobile_us", 4), ("US", "verizon_us", 2), ("GB", "ee_uk", 2),
                                   ("IN", "jio_in", 2), ("DE", "telekom_de", 1), ("FR", "free_fr", 1),
                                   ("BR", "claro_br", 1), ("MX", "telcel_mx", 1)]:
            for ip in self.hot_carrier_ips(carrier, k):
                hot.append((region, carrier, ip))
        honest_advs = [a for a in self.advocates]
        for _ in range(n):
            region, carrier, ip = r.choice(hot)
            cands = [a for a in r.sample(honest_advs, 40) if a["_p"].region == region]
            if cands:
                adv = cands[0]
            else:
                p = self.new_person(region, carrier=carrier)
                adv = self.add_advocate(p, self.join_time(p, 0, 45), self.new_shop())
            f = self.new_person(region, carrier=carrier)
            t = self.later(adv["joined_at"], f.tz, r.uniform(0.05, 10) * DAY)
            cc = self.ctx(f, "phone", ip)
            sc = list(cc)
            bc = self.ctx(f, "phone", ip if r.random() < 0.6 else "mobile")
            ch = W(r, [(c, c[1]) for c in self.SHARE_CHANNELS if c[3] == "phone"])
            ref = ch[2] if ch[2] and not ch[2].startswith("android-app") else None
            if ch[4]:
                cc[1] = self.inapp_ua(f.phone, ch[4], f)
                sc[1] = cc[1]
            self.journey(adv, f, t, "carrier_cgnat", cctx=cc, referer=ref, sctx=sc, bctx=bc, p_buy=0.65)

    def shared_vpn(self, n):
        r = self.r
        honest_advs = list(self.advocates)
        for _ in range(n):
            adv = r.choice(honest_advs)
            f = self.new_person(adv["_p"].region if r.random() < 0.7 else None, desktop_p=0.8)
            relay = r.random() < 0.55
            if relay:
                if f.phone.os != "ios":
                    f.phone = self.new_phone("US")
                    while f.phone.os != "ios":
                        f.phone = self.new_phone("US")
                    f.phone.browser = "safari"
                    f.phone.ua = self.phone_ua("ios", f.phone.ver, f.phone.model, "safari", f.phone.meta)
                ip = self.relay_ip()
                cc = self.ctx(f, "phone", ip)
                sc = list(cc)
                sc[0] = self.relay_ip() if r.random() < 0.4 else ip
                bc = list(sc)
            else:
                ip = self.vpn_ip()
                dev = "desktop" if f.desktop else "phone"
                cc = self.ctx(f, dev, ip)
                sc = list(cc)
                bc = list(cc) if r.random() < 0.7 else self.ctx(f, dev, self.vpn_ip())
            t = self.friend_time(adv["joined_at"] + r.uniform(600, 5 * DAY), f)
            self.journey(adv, f, t, "shared_vpn_exit", cctx=cc, referer=r.choice([None, "https://mail.google.com/", None]),
                         sctx=sc, bctx=bc, p_buy=0.65)

    # ======================================================================
    # FRAUD KINDS
    # ======================================================================
    def fraud_buy(self, adv, t, c, pf, kind="cheap", amount=None):
        shop = adv["_shop"]
        return self.ev_purchase(shop, t, c, pf, amount if amount is not None else self.basket(shop, kind)[0])

    def second_identity_email(self, p, owner):
        r = self.r
        k = W(r, [("other_provider_same_name", 30), ("nickname", 30), ("other_name", 25), ("old", 15)])
        for _ in range(30):
            if k == "other_provider_same_name":
                lp = p.email.split("@")[0].split("+")[0]
                dom = W(r, [("outlook.com", 3), ("yahoo.com", 3), ("hotmail.com", 3), ("gmail.com", 2),
                            ("icloud.com", 2), ("gmx.de", 1), ("proton.me", 1), ("mail.com", 1)])
                if dom == p.email.split("@")[1]:
                    continue
                e = f"{lp}@{dom}"
            elif k == "nickname":
                e = f"{self.local_part(p.first, p.last, r.choice(['nick', 'fn', 'fil', 'fly']))}@{W(r, REGIONS[p.region]['mail'])}"
            elif k == "other_name":
                fn, ln = NAMES[REGIONS[p.region]["names"]]
                e = f"{self.local_part(r.choice(fn), r.choice(ln))}@{W(r, REGIONS[p.region]['mail'])}"
            else:
                e = f"{fold(p.first)}{r.choice(['_', '.', ''])}{r.randint(1, 99)}@{r.choice(['hotmail.com', 'yahoo.com', 'aol.com', 'live.com', 'mail.ru', 'web.de', 'libero.it'])}"
            if self.canonical(e) not in self.canon and self.claim(e, ("second", owner, e)):
                return e
            k = "other_name"
        raise RuntimeError

    def self_referral(self, n_adv):
        r = self.r
        for _ in range(n_adv):
            variant = W(r, [("same_device", 35), ("same_card", 30), ("home_laptop_nodev", 25),
                            ("other_browser", 10)])
            p = self.new_person(desktop_p=1.0 if variant in ("home_laptop_nodev", "other_browser") else 0.8)
            shop = self.new_shop(dev=False if variant == "home_laptop_nodev" else (True if variant in ("same_device", "other_browser") else None))
            j = self.join_time(p, 0, 50)
            if variant == "home_laptop_nodev":
                actx = self.ctx(p, "desktop", "home")
            else:
                actx = self.ctx(p, r.choice(["phone", "desktop"]) if p.desktop else "phone", "home")
            adv = self.add_advocate(p, j, shop, ctx=actx,
                                    pf=p.card if (variant == "same_card" or r.random() < 0.9) else None)
            reps = W(r, [(1, 80), (2, 14), (3, 6)])
            t = j
            for k in range(reps):
                if k == 0:
                    t = t + (max(60, r.lognormvariate(math.log(25 * 60), 1.2)) if r.random() < 0.6
                             else r.uniform(0.5, 6) * DAY)
                else:
                    t = self.later(t, p.tz, r.uniform(1, 9) * DAY, FRAUD_W)
                email = self.second_identity_email(p, id(p))
                if variant == "same_device":
                    c = [r.choice([p.home_ip, p.home_ip, self.mobile_ip(p)]), actx[1], actx[2] or (p.phone.id)]
                    if actx[2] is None:
                        c[2] = p.phone.id if actx[1] == p.phone.ua else (p.desktop.id if p.desktop else p.phone.id)
                    card = p.card if r.random() < 0.5 else self.new_card()
                elif variant == "same_card":
                    other = p.desktop if (actx[1] == p.phone.ua and p.desktop) else p.phone
                    c = [r.choice([p.home_ip, self.mobile_ip(p)]), other.ua, other.id]
                    card = p.card
                elif variant == "home_laptop_nodev":
                    c = [p.home_ip, p.desktop.ua, None]
                    card = W(r, [(p.card, 35), (self.new_card(), 45), (None, 20)])
                else:
                    d2 = self.new_desktop(p.region)
                    c = [p.home_ip, d2.ua, d2.id]
                    card = self.new_card()
                ev = []
                use_click = r.random() < 0.75
                ts = t
                if use_click:
                    ev.append(self.ev_click(shop, t, c, r.choice([None, None, "https://mail.google.com/", "https://web.whatsapp.com/"])))
                    ts = t + max(20, r.lognormvariate(math.log(150), 0.8))
                guest = (not use_click) and r.random() < 0.4
                if not guest:
                    ev.append(self.ev_signup(shop, ts, c))
                tb = ts + (r.uniform(0, 3) if guest else max(40, r.lognormvariate(math.log(400), 1.0)))
                pur = self.fraud_buy(adv, tb, c, card, kind=W(r, [("cheap", 6), ("normal", 4)]))
                ev.append(pur)
                if r.random() < 0.08:
                    ev.append(self.ev_refund(shop, tb + r.uniform(3, 28) * DAY, pur))
                self.add_ref(adv, "fraud", "self_referral", email, ev)
            # many self-referrers also have a couple of genuine friends
            if r.random() < 0.35:
                for _ in range(r.randint(1, 3)):
                    f = self.new_person(p.region if r.random() < 0.85 else None)
                    self.journey(adv, f, self.friend_time(j + r.uniform(0, 5 * DAY), f), "ordinary")

    # ---- alias construction -------------------------------------------------
    def gmail_dots(self, local):
        r = self.r
        base = local.split("+")[0].replace(".", "")
        for _ in range(20):
            pos = sorted(r.sample(range(1, len(base)), min(len(base) - 1, r.randint(1, 3))))
            out, last = [], 0
            for q in pos:
                out.append(base[last:q])
                last = q
            out.append(base[last:])
            s = ".".join(out)
            if s != local:
                return s
        return base

    def alias_pair(self, p, kind, owner):
        """Return (advocate_email, friend_alias) for an alias kind."""
        r = self.r
        f, l = fold(p.first), fold(p.last)
        tag = r.choice(["1", "2", "ref", "shop", "promo", "deal", "x", "new", "alt", "friend", "b",
                        "win", "2", "3", "test", "bonus", "me"])
        for _ in range(40):
            if kind in ("gmail_dots", "gmail_plus", "gmail_dots_plus", "googlemail", "gmail_case"):
                lp = self.local_part(p.first, p.last, r.choice(["f.l", "fl", "f.ln", "fly", "fil"]))
                adv_e = f"{lp}@gmail.com"
                if kind == "gmail_dots":
                    fr = f"{self.gmail_dots(lp)}@gmail.com"
                elif kind == "gmail_plus":
                    fr = f"{lp}+{tag}@gmail.com"
                elif kind == "gmail_dots_plus":
                    fr = f"{self.gmail_dots(lp)}+{tag}@gmail.com"
                elif kind == "googlemail":
                    fr = f"{lp if r.random() < 0.5 else self.gmail_dots(lp)}@googlemail.com"
                else:
                    fr = f"{lp[0].upper()}{lp[1:]}@Gmail.com" if r.random() < 0.5 else f"{lp.upper()}@GMAIL.COM"
            elif kind == "outlook_plus":
                dom = r.choice({"DE": ["outlook.de", "hotmail.de", "outlook.de"],
                                "GB": ["hotmail.co.uk", "outlook.com", "live.co.uk", "hotmail.co.uk"],
                                "FR": ["outlook.fr", "hotmail.fr", "live.fr"],
                                "IT": ["hotmail.it", "outlook.it"], "ES": ["outlook.es", "hotmail.es"],
                                "BR": ["outlook.com.br", "hotmail.com"],
                                "US": ["outlook.com", "hotmail.com", "live.com"]}[p.region])
                lp = self.local_part(p.first, p.last, r.choice(["f.l", "fl", "fly", "f_l"]))
                adv_e = f"{lp}@{dom}"
                fr = f"{lp}+{tag}@{dom}"
            elif kind == "zoho_plus":
                dom = r.choice(["zohomail.eu", "zoho.com", "zohomail.com"])
                lp = self.local_part(p.first, p.last, r.choice(["f.l", "fl"]))
                adv_e = f"{lp}@{dom}"
                fr = f"{lp}+{tag}@{dom}"
            elif kind in ("fastmail_plus", "fastmail_sub"):
                dom = r.choice(["fastmail.com", "fastmail.com", "fastmail.fm"])
                lp = self.local_part(p.first, p.last, r.choice(["fl", "fil", "f.l"]))
                adv_e = f"{lp}@{dom}"
                if kind == "fastmail_plus":
                    fr = f"{lp}+{tag}@{dom}"
                else:
                    fr = f"{r.choice(['shop', 'orders', 'store', 'promo', 'signup', 'x'])}@{lp.replace('.', '')}.{dom}"
                    adv_e = f"{lp.replace('.', '')}@{dom}"
            elif kind in ("workspace_plus", "workspace_catchall"):
                dom = r.choice([f"{l}.dev", f"{l}.family", f"{f}{l}.com", f"{l}-studio.com", f"{f[0]}{l}.io",
                                f"{l}consulting.de", f"{l}.me", f"{f}{l}.co.uk", f"{l}design.fr"])
                adv_e = f"{f}@{dom}" if r.random() < 0.6 else f"{f}.{l}@{dom}"
                if kind == "workspace_plus":
                    fr = adv_e.replace("@", f"+{tag}@")
                else:
                    fr = f"{r.choice(['hello', 'shop', 'info', 'orders', 'contact', 'office', 'admin', 'billing', 'mail', 'promo', 'jobs'])}@{dom}"
            elif kind == "apple_domains":
                lp = self.local_part(p.first, p.last, r.choice(["f.l", "fl", "fly", "fil", "f_l"]))
                d1, d2 = r.sample(["icloud.com", "me.com", "mac.com"], 2)
                adv_e, fr = f"{lp}@{d1}", f"{lp}@{d2}"
            elif kind == "yandex":
                lp = self.local_part(p.first, p.last, r.choice(["f.l", "f-l", "f.ln", "fly"]))
                d1 = r.choice(["yandex.ru", "yandex.ru", "ya.ru", "yandex.com"])
                d2 = r.choice([d for d in ["yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz"] if d != d1])
                lp2 = lp.replace(".", "-") if "." in lp else lp.replace("-", ".")
                adv_e = f"{lp}@{d1}"
                fr = f"{lp2 if r.random() < 0.6 else lp}@{d2}" if r.random() < 0.8 else f"{lp}+{tag}@{d1}"
            elif kind in ("cyrillic", "fullwidth"):
                dom = W(r, [("gmail.com", 5), ("outlook.com", 2), ("yahoo.com", 1), ("icloud.com", 1),
                            ("hotmail.com", 1), ("mail.ru", 1)])
                lp = self.local_part(p.first, p.last, r.choice(["f.l", "fl", "fly", "f.ln"]))
                adv_e = f"{lp}@{dom}"
                if kind == "cyrillic":
                    idx = [i for i, c in enumerate(lp) if c in self.CYR]
                    if not idx:
                        continue
                    chosen = r.sample(idx, min(len(idx), r.choice([1, 1, 2, 3])))
                    fl = "".join(self.CYR[c] if i in chosen else c for i, c in enumerate(lp))
                    if r.random() < 0.15 and dom == "gmail.com":
                        fr = f"{lp}@gm{self.CYR['a']}il.com"
                    else:
                        fr = f"{fl}@{dom}"
                else:
                    if r.random() < 0.5:
                        fl = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in lp)
                    else:
                        k = r.randint(1, max(1, len(lp) // 2))
                        fl = "".join(chr(ord(c) + 0xFEE0) for c in lp[:k]) + lp[k:]
                    fr = f"{fl}@{dom}"
            else:
                raise ValueError(kind)
            if adv_e == fr:
                continue
            if self.claim(adv_e, owner):
                self.claim(fr, owner)
                return adv_e, fr
        raise RuntimeError(kind)

    def email_alias(self, n_adv):
        r = self.r
        kinds = [("gmail_dots", 16), ("gmail_plus", 16), ("gmail_dots_plus", 6), ("googlemail", 6),
                 ("gmail_case", 3), ("outlook_plus", 10), ("zoho_plus", 3), ("fastmail_plus", 3),
                 ("fastmail_sub", 3), ("workspace_plus", 4), ("workspace_catchall", 5),
                 ("apple_domains", 7), ("yandex", 5), ("cyrillic", 8), ("fullwidth", 5)]
        for _ in range(n_adv):
            kind = W(r, kinds)
            region = "RU" if kind == "yandex" else (W(r, [("DE", 3), ("GB", 3), ("FR", 2), ("IT", 1), ("ES", 1), ("US", 1), ("BR", 1)]) if kind == "outlook_plus" else None)
            p = self.new_person(region, email=False)
            owner = id(p)
            adv_e, first_alias = self.alias_pair(p, kind, owner)
            p.email = adv_e
            shop = self.new_shop()
            j = self.join_time(p, 0, 50)
            actx = self.ctx(p, "phone" if r.random() < 0.6 or not p.desktop else "desktop", "home")
            adv = self.add_advocate(p, j, shop, ctx=actx)
            reps = W(r, [(1, 68), (2, 20), (3, 8), (4, 4)])
            t = j
            for k in range(reps):
                alias = first_alias if k == 0 else self.alias_pair_more(p, adv_e, kind, owner)
                if alias is None:
                    break
                ctxv = W(r, [("same", 40), ("phone_mobile", 30), ("vpn", 20), ("other_home", 10)])
                if ctxv == "same":
                    c = list(actx) if actx[2] else [actx[0], actx[1], p.phone.id]
                elif ctxv == "phone_mobile":
                    ph = self.new_phone(p.region) if r.random() < 0.5 else p.phone
                    c = [self.mobile_ip(p), ph.ua, ph.id]
                elif ctxv == "vpn":
                    d = W(r, [(p.phone, 2), (p.desktop or p.phone, 1), (self.new_desktop(p.region), 1)])
                    c = [self.vpn_ip(), d.ua, d.id if r.random() < 0.6 else self.new_device_id()]
                else:
                    c = [self.home_ip(p.region), r.choice([p.phone.ua, actx[1]]), self.new_device_id()]
                card = W(r, [(p.card, 45), (self.new_card(), 45), (None, 10)])
                t = (t + max(120, r.lognormvariate(math.log(2 * HOUR), 1.3))) if (k == 0 and r.random() < 0.6) \
                    else self.later(t, p.tz, r.uniform(0.5, 10) * DAY, FRAUD_W)
                ev = []
                ts = t
                use_click = r.random() < 0.8
                if use_click:
                    ev.append(self.ev_click(shop, t, c, r.choice([None, None, "https://mail.google.com/"])))
                    ts = t + max(15, r.lognormvariate(math.log(120), 0.9))
                ev.append(self.ev_signup(shop, ts, c))
                if not use_click or r.random() < 0.9:   # a typed code is used at checkout
                    tb = ts + max(30, r.lognormvariate(math.log(600), 1.3))
                    pur = self.fraud_buy(adv, tb, c, card, kind=W(r, [("cheap", 6), ("normal", 4)]))
                    ev.append(pur)
                    if r.random() < 0.07:
                        ev.append(self.ev_refund(shop, tb + r.uniform(5, 28) * DAY, pur))
                self.add_ref(adv, "fraud", "email_alias", alias, ev)
            if r.random() < 0.3:
                for _ in range(r.randint(1, 3)):
                    f = self.new_person(p.region if r.random() < 0.85 else None)
                    self.journey(adv, f, self.friend_time(j + r.uniform(0, 5 * DAY), f), "ordinary")

    def alias_pair_more(self, p, adv_e, kind, owner):
        r = self.r
        lp, dom = adv_e.split("@")
        tag = r.choice(["3", "4", "five", "again", "z", "y", "shop2", "promo2", "r2", "99", "new2"])
        for _ in range(20):
            if dom == "gmail.com" and kind not in ("cyrillic", "fullwidth"):
                fr = r.choice([f"{self.gmail_dots(lp)}@gmail.com", f"{lp}+{tag}@gmail.com",
                               f"{self.gmail_dots(lp)}+{tag}@googlemail.com"])
            elif kind == "cyrillic":
                idx = [i for i, c in enumerate(lp) if c in self.CYR]
                ch = r.sample(idx, min(len(idx), r.randint(1, 3)))
                fr = "".join(self.CYR[c] if i in ch else c for i, c in enumerate(lp)) + "@" + dom
            elif kind == "fullwidth":
                k = r.randint(1, len(lp))
                fr = lp[:len(lp) - k] + "".join(chr(ord(c) + 0xFEE0) for c in lp[len(lp) - k:]) + "@" + dom
            elif kind == "workspace_catchall":
                fr = f"{r.choice(['deals', 'store', 'test', 'shopping', 'newsletter', 'sales', 'team'])}{r.choice(['', '2', '1'])}@{dom}"
            elif kind == "fastmail_sub":
                fr = f"{r.choice(['buy', 'stuff', 'ref', 'web', 'a', 'b'])}{r.randint(1, 9)}@{lp}.{dom}"
            elif kind == "apple_domains":
                fr = f"{lp}@{r.choice(['icloud.com', 'me.com', 'mac.com'])}"
            elif kind == "yandex":
                fr = f"{lp.replace('.', '-')}@{r.choice(['ya.ru', 'yandex.com', 'yandex.ua', 'yandex.ru'])}"
            else:
                fr = f"{lp}+{tag}@{dom}"
            if fr != adv_e and self.canonical(fr) == self.canonical(adv_e) or kind == "workspace_catchall":
                if fr not in [x["email"] for x in self.referrals[-6:]]:
                    if kind == "workspace_catchall":
                        self.claim(fr, owner)
                    return fr
        return None

    # ---- rings -------------------------------------------------------------
    def fake_identity(self, region=None, disposable=False, owner=None):
        r = self.r
        p = self.new_person(region, email=False, desktop_p=0.3)
        if disposable:
            p.email = self.disposable_address(p)
        else:
            for _ in range(20):
                lp = self.local_part(p.first, p.last, r.choice(["fly", "f.ln", "fn", "fl", "nick", "f.l"]))
                if r.random() < 0.4:
                    lp += str(r.randint(1, 9999))
                e = f"{lp}@{W(r, [('gmail.com', 6), ('outlook.com', 2), ('hotmail.com', 2), ('yahoo.com', 1), ('gmx.de', 1), ('mail.com', 1)])}"
                if self.claim(e, owner or id(p)):
                    p.email = e
                    break
        return p

    DISPOSABLE = ["tmpbox.net", "fexbox.org", "mailto.plus", "inboxbear.com", "vomoto.com", "tmail.ws",
                  "emlhub.com", "kzccv.com", "xkx.me", "mailpoof.com", "bheps.com", "dcctb.com",
                  "tmmbt.net", "wuuvo.com", "rover.info", "spymail.one", "chitthi.in", "fexpost.com",
                  "uvoofiwy.pl", "1sworld.com", "robot-mail.com", "mailbox.in.ua", "smykwb.com",
                  "nezid.com", "bugfoo.com", "iubridge.com", "qiott.com", "pelagius.net"]
    TLDS = ["xyz", "shop", "online", "site", "store", "top", "icu", "click", "cfd", "sbs", "lol",
            "buzz", "monster", "fun", "space"]

    def fresh_domain(self):
        r = self.r
        syl = ["ma", "ix", "qo", "zen", "vex", "box", "tmp", "ml", "nox", "rav", "kyl", "drop", "qu",
               "zap", "inb", "mel", "trex", "pox", "lyn", "fly"]
        s = "".join(r.choice(syl) for _ in range(r.randint(2, 3)))
        if r.random() < 0.4:
            s += r.choice(["mail", "inbox", "-box", "post", "-mail"])
        if r.random() < 0.3:
            s += str(r.randint(1, 99))
        return f"{s}.{r.choice(self.TLDS)}"

    def disposable_address(self, p, domain=None):
        r = self.r
        for _ in range(20):
            dom = domain or (r.choice(self.DISPOSABLE) if r.random() < 0.55 else self.fresh_domain())
            if r.random() < 0.5:
                lp = "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(r.randint(7, 12)))
            else:
                lp = self.local_part(p.first, p.last, r.choice(["fly", "fn", "fl", "f.ln"]))
            e = f"{lp}@{dom}"
            if self.claim(e, id(p)):
                return e
        raise RuntimeError

    def fake_advocate(self, region=None, shop=None, disposable=False, j=None, ctx=None, weights=FRAUD_W,
                      lo=0, hi=40):
        p = self.fake_identity(region, disposable)
        shop = shop or self.new_shop()
        j = j if j is not None else self.join_time(p, lo, hi, weights)
        adv = self.add_advocate(p, j, shop, ctx=ctx)
        return adv

    def ring_click_signup_buy(self, adv, t, c, email, pf, case, kind="cheap", amount=None, buy=True,
                              click_p=0.85, bc=None, refund_at=None, sig_gap=None, buy_gap=None):
        r = self.r
        shop = adv["_shop"]
        ev = []
        ts = t
        if r.random() < click_p or not buy:   # no click means the code was typed at checkout
            ev.append(self.ev_click(shop, t, c, None))
            ts = t + (sig_gap if sig_gap is not None else max(20, r.lognormvariate(math.log(100), 0.8)))
        ev.append(self.ev_signup(shop, ts, c))
        if buy:
            tb = ts + (buy_gap if buy_gap is not None else max(30, r.lognormvariate(math.log(300), 1.0)))
            pur = self.fraud_buy(adv, tb, bc or c, pf, kind, amount)
            ev.append(pur)
            if refund_at is not None:
                ev.append(self.ev_refund(shop, tb + refund_at, pur))
        return self.add_ref(adv, "fraud", case, email, ev)

    def shared_card_rings(self, n_rings):
        r = self.r
        for _ in range(n_rings):
            region = W(r, REGION_LIST)
            n_adv = W(r, [(1, 60), (2, 25), (3, 15)])
            shop = self.new_shop()
            while shop.pf_rate == 0 and r.random() < 0.85:   # rarely a shop without card data
                shop = self.new_shop()
            disposable = r.random() < 0.25
            j0 = self.join_time(self.new_person(region, email=False), 0, 38, FRAUD_W)
            advs = []
            for i in range(n_adv):
                a = self.fake_advocate(region, shop=shop, j=j0 + i * r.uniform(600, 3 * DAY)) if r.random() < 0.6 \
                    else self.add_advocate(self.new_person(region), j0 + i * r.uniform(600, 3 * DAY), shop)
                advs.append(a)
            ring_card = self.new_card()
            leader = self.new_person(region, email=False)
            same_ua = r.random() < 0.5
            n = r.randint(4, 12)
            t = max(a["joined_at"] for a in advs) + r.uniform(1800, 2 * DAY)
            batch = r.random() < 0.5
            kind = W(r, [("cheap", 7), ("normal", 3)])
            fixed_amt = self.basket(shop, "cheap")[0] if r.random() < 0.6 else None
            for i in range(n):
                adv = advs[i % n_adv]
                f = self.fake_identity(region, disposable and r.random() < 0.85)
                ip = W(r, [(self.vpn_ip(), 5), (self.home_ip(W(r, REGION_LIST) if r.random() < 0.3 else region), 4),
                           (self.mobile_ip(leader), 2)])
                if same_ua:
                    ua = leader.phone.ua
                else:
                    ua = f.phone.ua
                did = W(r, [(self.new_device_id(), 6), (None, 2), (leader.phone.id, 1)])
                c = [ip, ua, did]
                t = t + (r.uniform(240, 2400) if batch else r.uniform(0.2, 3) * DAY)
                t = min(t, END - DAY)
                self.ring_click_signup_buy(adv, t, c, f.email, ring_card if r.random() < 0.93 else self.new_card(),
                                           "shared_card_ring", kind, fixed_amt)

    def shared_device_rings(self, n_rings):
        r = self.r
        for i_ring in range(n_rings):
            region = W(r, REGION_LIST)
            shop = self.new_shop(dev=True if i_ring % 6 else False)
            n_adv = W(r, [(1, 65), (2, 25), (3, 10)])
            j0 = self.join_time(self.new_person(region, email=False), 0, 38, FRAUD_W)
            advs = [self.fake_advocate(region, shop=shop, j=j0 + i * r.uniform(600, 2 * DAY)) if r.random() < 0.5
                    else self.add_advocate(self.new_person(region), j0 + i * r.uniform(600, 2 * DAY), shop)
                    for i in range(n_adv)]
            owner = self.new_person(region, email=False)
            phone = owner.phone
            n = r.randint(4, 10)
            t = max(a["joined_at"] for a in advs) + r.uniform(1800, 2 * DAY)
            disposable = r.random() < 0.2
            for i in range(n):
                adv = advs[i % n_adv]
                f = self.fake_identity(region, disposable)
                ip = W(r, [(self.mobile_ip(owner), 5), (self.vpn_ip(), 3), (owner.home_ip, 1)])
                ua = phone.ua if r.random() < 0.85 else self.inapp_ua(phone, r.choice(["instagram", "facebook"]), owner)
                c = [ip, ua, phone.id]
                t = min(t + W(r, [(r.uniform(300, 3000), 5), (r.uniform(0.3, 2.5) * DAY, 5)]), END - DAY)
                self.ring_click_signup_buy(adv, t, c, f.email, self.new_card(), "shared_device_ring",
                                           W(r, [("cheap", 7), ("normal", 3)]))

    def device_farm(self, n_accounts):
        r = self.r
        region = W(r, [("US", 3), ("GB", 2), ("DE", 1)])
        shop = self.new_shop(dev=True)
        model = ANDROIDS[4]  # a cheap Samsung A-series, bought in bulk
        farm_phones = []
        base = self.new_phone(region)
        while base.os != "android":
            base = self.new_phone(region)
        for _ in range(6):
            d = Dev("phone", "android", model[3], model[0], base.browser, base.ua, self.new_device_id(), dict(base.meta))
            farm_phones.append(d)
        carrier = W(r, [(c[0], c[2]) for c in REGIONS[region]["carriers"]])
        proxies = [self.ip_in(r.choice(self.carrier_cidrs(carrier))) for _ in range(3)] + \
                  [self.home_ip(region) for _ in range(2)]
        prepaid = [self.new_card() for _ in range(6)]
        t = self.at_hour(r.randint(8, 20), REGIONS[region]["tz"][0], FRAUD_W)
        for i in range(n_accounts):
            disposable = r.random() < 0.3
            p = self.fake_identity(region, disposable)
            ph = r.choice(farm_phones)
            actx = [r.choice(proxies), ph.ua, ph.id]
            t = t + W(r, [(r.uniform(120, 900), 7), (r.uniform(4, 30) * HOUR, 3)])
            adv = self.add_advocate(p, t, shop, ctx=actx, pf=W(r, [(self.new_card(), 4), (r.choice(prepaid), 3), (None, 3)]))
            tf = t
            for k in range(2):
                f = self.fake_identity(region, disposable or r.random() < 0.2)
                ph2 = r.choice(farm_phones)
                c = [r.choice(proxies), ph2.ua, ph2.id]
                tf = tf + W(r, [(r.uniform(300, 3600), 6), (r.uniform(0.5, 3) * DAY, 4)])
                card = W(r, [(self.new_card(), 6), (r.choice(prepaid), 4)])
                self.ring_click_signup_buy(adv, min(tf, END - 3600), c, f.email, card, "device_farm", "cheap",
                                           amount=shop.catalog[0] + (shop.ship if shop.catalog[0] < shop.free_over else 0))

    def disposable_rings(self, n_adv):
        r = self.r
        for _ in range(n_adv):
            region = W(r, REGION_LIST)
            if r.random() < 0.5:
                adv = self.fake_advocate(region, disposable=r.random() < 0.4)
            else:
                p = self.new_person(region)
                adv = self.add_advocate(p, self.join_time(p, 0, 45), self.new_shop())
            ap = adv["_p"]
            n = W(r, [(1, 30), (2, 30), (3, 20), (4, 10), (6, 10)])
            dom = self.fresh_domain() if r.random() < 0.4 else None   # one throwaway domain per fraudster
            t = adv["joined_at"] + r.uniform(1800, 2 * DAY)
            for _ in range(n):
                f = self.new_person(region, email=False)
                f.email = self.disposable_address(f, dom)
                mix = W(r, [("vpn", 4), ("home_adv", 2), ("mobile", 2), ("adv_card", 2)])
                if mix == "vpn":
                    c = [self.vpn_ip(), r.choice([ap.phone.ua, f.phone.ua]), self.new_device_id()]
                    card = self.new_card()
                elif mix == "home_adv":
                    c = [ap.home_ip, r.choice([ap.phone.ua, f.phone.ua]), r.choice([self.new_device_id(), None])]
                    card = self.new_card()
                elif mix == "mobile":
                    c = [self.mobile_ip(ap), f.phone.ua, self.new_device_id()]
                    card = W(r, [(self.new_card(), 3), (None, 1)])
                else:
                    c = [self.vpn_ip() if r.random() < 0.5 else self.home_ip(region), f.phone.ua, self.new_device_id()]
                    card = ap.card
                t = min(t + r.uniform(0.05, 4) * DAY, END - DAY)
                self.ring_click_signup_buy(adv, t, c, f.email, card, "disposable_email",
                                           W(r, [("cheap", 7), ("normal", 3)]), buy=r.random() < 0.9)

    LEAK_SITES = [("https://slickdeals.net/", "US", 5), ("https://www.retailmenot.com/", "US", 3),
                  ("https://www.hotukdeals.com/", "GB", 4), ("https://www.dealabs.com/", "FR", 2),
                  ("https://www.mydealz.de/", "DE", 3), ("https://www.reddit.com/", None, 3),
                  ("https://old.reddit.com/", None, 1), ("https://www.ozbargain.com.au/", "AU", 1),
                  ("https://forums.redflagdeals.com/", "CA", 1), ("https://www.pepper.pl/", "PL", 1),
                  ("https://www.promodescuentos.com/", "MX", 1), ("https://www.chollometro.com/", "ES", 1)]

    def leaked_codes(self, specs):
        r = self.r
        for region, rate_peak, days in specs:
            p = self.new_person(region)
            shop = self.new_shop()
            j = self.join_time(p, 0, 8)
            adv = self.add_advocate(p, j, shop)
            # genuine friends before the leak
            for _ in range(r.randint(2, 6)):
                f = self.new_person(region)
                self.journey(adv, f, self.friend_time(j + r.uniform(0, 6 * DAY), f), "ordinary")
            sites = [s for s in self.LEAK_SITES if s[1] in (region, None)] + \
                    [s for s in self.LEAK_SITES if s[1] not in (region, None)][:2]
            leak_day = int((j // DAY)) + r.randint(6, 12)
            for d in range(days):
                day = leak_day + d
                rate = rate_peak * (0.35 + 0.65 * math.exp(-d / 9.0)) * r.uniform(0.7, 1.25)
                n = max(1, min(20, int(round(rate))))
                if day * DAY >= END - DAY:
                    break
                for _ in range(n):
                    site = W(r, [(s, s[2]) for s in sites])
                    fregion = site[1] or W(r, REGION_LIST)
                    if r.random() < 0.2:
                        fregion = W(r, REGION_LIST)
                    f = self.new_person(fregion)
                    t = self.at_hour(day, f.tz)
                    if t <= adv["joined_at"]:
                        continue
                    via_click = r.random() < 0.3
                    amt = self.basket(shop, "normal")[0] if r.random() < 0.6 else shop.catalog[r.randint(3, 7)]
                    if via_click:
                        dev = "desktop" if (f.desktop and r.random() < 0.5) else "phone"
                        cc = self.ctx(f, dev, "home" if r.random() < 0.7 else "mobile")
                        self.journey(adv, f, t, "leaked_code", "fraud", cctx=cc, referer=site[0],
                                     sctx=list(cc), bctx=list(cc), p_buy=0.95, p_refund=0.05, amount=amt)
                    else:
                        dev = "desktop" if (f.desktop and r.random() < 0.45) else "phone"
                        c = self.ctx(f, dev, "home" if r.random() < 0.7 else "mobile")
                        guest = r.random() < 0.5
                        self.journey(adv, f, t, "leaked_code", "fraud", click=False, signup=not guest,
                                     sctx=c, bctx=list(c), p_buy=1.0, p_refund=0.05, amount=amt)

    def refund_after_hold(self, n_per_adv):
        r = self.r
        region = W(r, [("US", 3), ("GB", 1), ("FR", 1), ("BR", 1)])
        shop = self.new_shop()
        advs = []
        for k, n in enumerate(n_per_adv):
            p = self.new_person(region)
            j = self.join_time(p, 0, 6)
            advs.append((self.add_advocate(p, j, shop), n))
        shared_cards = [self.new_card() for _ in range(3)]
        for adv, n in advs:
            ap = adv["_p"]
            for i in range(n):
                fake = r.random() < 0.5
                f = self.fake_identity(region, r.random() < 0.1) if fake else self.new_person(region)
                t = adv["joined_at"] + r.uniform(0.2, 22) * DAY
                t = self.later(adv["joined_at"], f.tz, t - adv["joined_at"], FRAUD_W)
                if fake:
                    c = [r.choice([self.vpn_ip(), self.home_ip(region), self.mobile_ip(ap)]), f.phone.ua, self.new_device_id()]
                else:
                    c = self.ctx(f, "phone", r.choice(["home", "mobile"]))
                card = r.choice(shared_cards) if r.random() < 0.2 else f.card
                refund = r.uniform(14.3, 29.3) * DAY if r.random() < 0.9 else None
                if refund is not None and r.random() < 0.7:
                    refund = r.uniform(14.5, 21) * DAY
                self.ring_click_signup_buy(adv, t, c, f.email, card, "refund_after_hold",
                                           kind=W(r, [("mid", 6), ("normal", 4)]), refund_at=refund,
                                           click_p=0.9)

    def bot_ua(self, style):
        r = self.r
        if style == "headless":
            cv = r.choice(["131.0.6778.69", "130.0.6723.58", "129.0.6668.58", "131.0.6778.85"])
            return f"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/{cv} Safari/537.36"
        if style == "random":
            k = r.random()
            cv = f"{r.randint(88, 124)}.0.{r.randint(4100, 6400)}.{r.randint(10, 220)}"
            if k < 0.5:
                nt = r.choice(["10.0; Win64; x64", "6.1; Win64; x64", "6.3; WOW64", "10.0; WOW64", "6.1; WOW64"])
                return f"Mozilla/5.0 (Windows NT {nt}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv} Safari/537.36"
            if k < 0.75:
                return f"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_{r.randint(11, 15)}_{r.randint(0, 7)}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{cv} Safari/537.36"
            if k < 0.9:
                fv = f"{r.randint(78, 125)}.0"
                return f"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:{fv}) Gecko/20100101 Firefox/{fv}"
            return (f"Mozilla/5.0 (iPhone; CPU iPhone OS {r.randint(12, 17)}_{r.randint(0, 6)} like Mac OS X) "
                    f"AppleWebKit/605.1.15 (KHTML, like Gecko) Version/{r.randint(12, 17)}.{r.randint(0, 4)} Mobile/15E148 Safari/604.1")
        if style == "lib":
            return r.choice(["python-requests/2.32.3", "python-requests/2.31.0", "axios/1.7.7",
                             "Go-http-client/2.0", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
                             "okhttp/4.12.0", "curl/8.5.0"])
        # perfect mimicry of the most common browser string
        return "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

    def scripted_bursts(self, bursts):
        r = self.r
        bot_advs = []
        for i in range(3):
            bot_advs.append(self.fake_advocate(W(r, [("US", 3), ("GB", 1), ("DE", 1)]),
                                               shop=self.new_shop(dev=True if i != 1 else None), lo=2, hi=25,
                                               disposable=i == 2))
        for bi, n in enumerate(bursts):
            adv = bot_advs[bi % len(bot_advs)]
            provider = r.choice(sorted(DC_RANGES))
            ip_mode = W(r, [("single", 2), ("rotate_provider", 4), ("rotate_all", 2)])
            single = self.dc_ip(provider)
            ua_style = W(r, [("headless", 3), ("random", 4), ("lib", 1), ("mimic", 2)])
            fixed_ua = self.bot_ua(ua_style)
            stolen = [self.new_card() for _ in range(n)]
            few = [self.new_card() for _ in range(3)]
            disposable = r.random() < 0.4
            t = max(adv["joined_at"] + r.uniform(HOUR, 5 * DAY), self.at_hour(r.randint(5, 50), 0, BOT_W))
            t = min(t, END - 2 * DAY)
            span = r.uniform(180, 900)
            dom = self.fresh_domain() if disposable and r.random() < 0.5 else None
            for i in range(n):
                ts = t + span * (i / n) + r.uniform(0, span / n)
                p = self.new_person(W(r, [("US", 5), ("GB", 1), ("DE", 1)]), email=False)
                if disposable:
                    p.email = self.disposable_address(p, dom)
                else:
                    for _ in range(20):
                        lp = (self.local_part(p.first, p.last, "f.l") + str(r.randint(100, 9999))) if r.random() < 0.6 \
                            else "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(r.randint(8, 11)))
                        e = f"{lp}@{r.choice(['gmail.com', 'outlook.com', 'hotmail.com', 'yahoo.com'])}"
                        if self.claim(e, id(p)):
                            p.email = e
                            break
                ip = single if ip_mode == "single" else (self.dc_ip(provider) if ip_mode == "rotate_provider" else self.dc_ip())
                ua = fixed_ua if ua_style in ("headless", "lib", "mimic") and r.random() < 0.8 else self.bot_ua(ua_style if ua_style != "lib" else "random")
                did = W(r, [(self.new_device_id(), 7), (None, 3)])
                c = [ip, ua, did]
                card = W(r, [(stolen[i], 7), (r.choice(few), 2), (None, 1)])
                buy = r.random() < 0.88
                self.ring_click_signup_buy(adv, ts, c, p.email, card, "scripted_burst", "cheap", buy=buy,
                                           click_p=0.9, sig_gap=r.uniform(1.5, 6), buy_gap=r.uniform(3, 30))

    # ======================================================================
    def build(self):
        r = self.r
        # honest population first (carrier/VPN cases attach to existing advocates)
        self.regular_advocates(560)
        self.households(115)
        self.offices(10)
        self.campuses()
        self.viral(5)
        self.carrier_cgnat(200)
        self.shared_vpn(110)
        # fraud
        self.self_referral(95)
        self.email_alias(120)
        self.shared_card_rings(17)
        self.shared_device_rings(14)
        self.device_farm(48)
        self.disposable_rings(38)
        self.leaked_codes([("US", 15, 26), ("GB", 9, 22)])
        self.refund_after_hold([34, 22, 16])
        self.scripted_bursts([38, 26, 34, 30])

    def finish(self):
        advs = sorted(self.advocates, key=lambda a: (a["joined_at"], a["email"]))
        used = {}
        for a in advs:
            used[id(a)] = 1
        refs = sorted(self.referrals, key=lambda x: (x["events"][0]["at"], x["email"]))
        # drop advocates without referrals? keep them: real programmes have many idle advocates
        for i, a in enumerate(advs, 1):
            a["id"] = f"a{i}"
        order_map = {}
        for i, x in enumerate(refs, 1):
            x["id"] = f"r{i}"
        purchases = sorted(((e["at"], e["order_id"]) for x in refs for e in x["events"] if e["type"] == "purchase"))
        for i, (_, oid) in enumerate(purchases, 1):
            order_map[oid] = f"o-{i}"
        out_advs = []
        for a in advs:
            out_advs.append({k: a[k] for k in ("id", "email", "joined_at", "ip", "user_agent", "device_id",
                                               "payment_fingerprint")})
        out_refs = []
        for x in refs:
            evs = []
            for e in x["events"]:
                e = dict(e)
                if "order_id" in e:
                    e["order_id"] = order_map[e["order_id"]]
                evs.append(e)
            out_refs.append({"id": x["id"], "advocate": x["advocate"]["id"], "label": x["label"],
                             "case": x["case"], "email": x["email"], "events": evs})
        return out_advs, out_refs


def dump(seed, advs, refs):
    lines = ["{", f'  "generator": {json.dumps(f"eval/fraud/traffic.py --seed {seed}")},', '  "advocates": [']
    for i, a in enumerate(advs):
        lines.append("    " + json.dumps(a, ensure_ascii=False) + ("," if i < len(advs) - 1 else ""))
    lines.append("  ],")
    lines.append('  "referrals": [')
    for i, x in enumerate(refs):
        lines.append("    " + json.dumps(x, ensure_ascii=False) + ("," if i < len(refs) - 1 else ""))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--summary", action="store_true", help="print counts per case to stderr")
    args = ap.parse_args()
    g = Gen(args.seed)
    g.build()
    advs, refs = g.finish()
    sys.stdout.buffer.write(dump(args.seed, advs, refs).encode("utf-8"))
    if args.summary:
        counts = {}
        for x in refs:
            counts[(x["label"], x["case"])] = counts.get((x["label"], x["case"]), 0) + 1
        for k in sorted(counts):
            print(f"{k[0]:7s} {k[1]:20s} {counts[k]}", file=sys.stderr)
        print(f"advocates {len(advs)} referrals {len(refs)}", file=sys.stderr)


if __name__ == "__main__":
    main()
