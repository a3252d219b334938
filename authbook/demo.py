"""A synthetic behavioral-health practice for ``authbook demo``: made-up people, realistic auths.

Everything is generated from a fixed seed around the given date, so the demo always shows
the same picture relative to that day: current auths being used down, group auths shared by
several codes (the payer's approval number on every code line, as payers send them),
unmanaged internal codes, renewals (one starting before the old approval ends), and at
least one of every alert kind. No row describes a real person.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

FIRST = (
    "Avery Blake Casey Dana Emery Finley Gray Harper Indigo Jules Kai Lane Morgan Noel "
    "Oakley Parker Quinn Reese Sage Tatum Uma Val Wren Yael Zion"
).split()
LAST = (
    "Ashford Brightwater Calloway Dunmore Elsworth Fairbanks Greenhill Hollis Ivers "
    "Jansen Kettering Lockhart Merriweather Northcott Oakes Pemberton Quimby Redfern "
    "Southwell Thackeray Underhill Vance Whitlock Yardley Zeller"
).split()
PROVIDERS = (
    ("Rowan Ellis", "LCSW"),
    ("Mara Quill", "LPC"),
    ("Theo Brandt", "PhD"),
    ("Isla Moreno", "LMFT"),
    ("Jonah Pike", "PMHNP"),
    ("Celia Hart", "MD"),
    ("Darius Vale", "LCSW"),
    ("Nina Osei", "LPC"),
)
PAYERS = (
    ("State Medicaid", "MCD01"),
    ("Blue Ridge Health", "BRH22"),
    ("Summit Care PPO", "SCP37"),
    ("Evergreen HMO", "EVH45"),
    ("Self Pay", None),
)
DIVISIONS = ("North Clinic", "South Clinic", "Telehealth")
CLIENT_GROUPS = ("Adult", "Child & Family", "Intensive Outpatient")
THERAPY_GROUP = ("90832", "90834", "90837", "90853")


def demo_rows(as_of: date, clients: int = 300, seed: int = 7) -> dict[str, list[dict]]:
    """Rows for every input sheet of a demo practice, built around ``as_of``."""
    rng = random.Random(seed)
    requests = random.Random(seed + 1)  # request outcomes: kept apart so the rest stays the same
    rows: dict[str, list[dict]] = {
        "Providers": [{"provider": n, "credentials": c, "active": True} for n, c in PROVIDERS],
        "Payers": [{"payer": p, "payer_id": i, "active": True} for p, i in PAYERS],
        "AuthGroups": [
            {
                "group_name": "Therapy Pool",
                "active": True,
                "description": "Sessions shared by individual and group therapy codes",
            },
            {
                "group_name": "Community Support",
                "active": True,
                "description": "Medicaid rehabilitation hours shared across H-codes",
            },
        ],
        "Clients": [],
        "Auths": [],
        "Notes": [],
    }
    counter = {"auth": 0, "note": 0}

    def auth(client, code, start, end, allotted, **extra):
        counter["auth"] += 1
        row = {
            "auth_no": extra.pop("auth_no", f"AB{counter['auth']:06d}"),
            "client_id": client["client_id"],
            "billing_code": code,
            "diagnosis": extra.pop("diagnosis", rng.choice(("F32.1", "F41.1", "F43.10", "F90.0"))),
            "start_date": start,
            "end_date": end,
            "allotted_units": allotted,
            "prior_units_used": extra.pop("prior", 0),
            "unit_alert_level": extra.pop("alert", 3),
            "exp_alert_days": extra.pop("exp_days", 21),
            "payer": extra.pop("payer", client["primary_payer"]),
            **extra,
        }
        if allotted and not row.get("unmanaged") and "request_status" not in row:
            outcome = requests.random()
            if outcome < 0.15:  # the payer approved fewer units than asked
                row.update(request_status="Partial", requested_units=allotted + allotted // 2)
            elif outcome < 0.85:
                row.update(request_status="Approved", requested_units=allotted)
        rows["Auths"].append(row)
        return row

    def note(client, day, code, provider, units=1, status=None, minutes=None, **extra):
        counter["note"] += 1
        if status is None:
            status = "Released" if (as_of - day).days > 10 else "Pending"
        rows["Notes"].append(
            {
                "note_id": f"N{counter['note']:07d}",
                "client_id": client["client_id"],
                "service_date": day,
                "provider": provider,
                "billing_code": code,
                "units": units,
                "minutes": minutes,
                "status": status,
                **extra,
            }
        )

    for i in range(1, clients + 1):
        payer = rng.choices([p for p, _ in PAYERS], weights=(5, 3, 3, 2, 1))[0]
        client = {
            "client_id": f"C{i:04d}",
            "last_name": rng.choice(LAST),
            "first_name": rng.choice(FIRST),
            "dob": date(rng.randint(1950, 2016), rng.randint(1, 12), rng.randint(1, 28)),
            "primary_therapist": rng.choice(PROVIDERS)[0],
            "primary_payer": payer,
            "secondary_payer": "Self Pay" if payer != "Self Pay" and rng.random() < 0.2 else None,
            "division": rng.choice(DIVISIONS),
            "client_group": rng.choice(CLIENT_GROUPS),
            "active": rng.random() > 0.05,
        }
        rows["Clients"].append(client)
        client["primary_therapist"]
        _client_history(rng, client, as_of, auth, note)

    _showcase(rows, as_of, auth, note)
    return rows


def payer_number(payer: str, client_id: str, start: date) -> str | None:
    """A made-up approval number in the payer's style, one per client and period (None:
    AuthBook numbers the lines)."""
    payer_id = dict(PAYERS).get(payer)
    return f"{payer_id[:3]}-{client_id[1:]}{start:%y%m%d}" if payer_id else None


def _client_history(rng, client, as_of, auth, note) -> None:
    """One client's auths period by period, renewed most of the time, with weekly sessions."""
    therapist = client["primary_therapist"]
    payer = client["primary_payer"]
    start = as_of - timedelta(days=rng.randint(20, 300))
    weekly = rng.choice((7, 7, 14))
    kind = rng.random()
    auth(client, "90791", start, start + timedelta(days=30), 1, suspend_alerts=True)
    note(client, start, "90791", therapist, minutes=60)
    while True:
        length = rng.choice((90, 120, 180))
        end = start + timedelta(days=length - 1)
        sessions = length / weekly
        fit = rng.uniform(1.0, 1.5) if rng.random() > 0.1 else 0.85
        if payer == "Self Pay":
            auth(client, "90834", start, end, None, unmanaged=True, alert=None, exp_days=None)
            codes = ["90834"]
        elif payer == "State Medicaid" and kind < 0.35:
            units = int(sessions * 4 * fit)
            for code in ("H0004", "H2019"):
                auth(client, code, start, end, units, auth_group="Community Support", alert=12)
            codes = ["H0004", "H2019"]
        elif kind < 0.7:
            allotted = max(4, int(sessions * fit))
            # one approval letter, one payer number on its four code lines
            number = payer_number(payer, client["client_id"], start)
            for code in THERAPY_GROUP:
                auth(client, code, start, end, allotted, auth_group="Therapy Pool", auth_no=number)
            codes = ["90834", "90837", "90853"]
        else:
            allotted = max(4, int(sessions * fit))
            auth(client, "90837", start, end, allotted, provider=therapist)
            codes = ["90837"]
        day = start + timedelta(days=rng.randint(3, 9))
        while day <= min(end, as_of + timedelta(days=3)):
            code = rng.choice(codes)
            if code.startswith("H"):
                minutes = rng.choice((45, 60, 90))
                note(client, day, code, therapist, units=minutes // 15, minutes=minutes)
            else:
                minutes = {"90832": 30, "90834": 45, "90837": 55, "90853": 60}[code]
                status = "Draft" if day > as_of else None
                note(client, day, code, therapist, minutes=minutes, status=status)
            day += timedelta(days=weekly)
        if end >= as_of:
            return
        if rng.random() < 0.12:  # not renewed: most of these clients were discharged
            client["active"] = rng.random() < 0.3
            return
        start = end + timedelta(days=1)


def _showcase(rows, as_of, auth, note) -> None:
    """A few clients set up so that every alert kind and every common denial appears."""
    clients = rows["Clients"]
    base = len(clients)
    provider = PROVIDERS[0][0]

    def client(n, payer="Blue Ridge Health", active=True):
        row = {
            "client_id": f"C{base + n:04d}",
            "last_name": LAST[n % len(LAST)],
            "first_name": FIRST[n % len(FIRST)],
            "dob": date(1985, n % 12 + 1, 10),
            "primary_therapist": provider,
            "primary_payer": payer,
            "division": DIVISIONS[n % 3],
            "client_group": CLIENT_GROUPS[0],
            "active": active,
        }
        clients.append(row)
        return row

    # OVER: 4 sessions approved, 6 released.
    c = client(1)
    start = as_of - timedelta(days=60)
    auth(c, "90834", start, as_of + timedelta(days=60), 4, alert=1)
    for week in range(6):
        note(c, start + timedelta(days=7 * week), "90834", provider, status="Released")
    # EXHAUSTED: 6 of 6 used.
    c = client(2)
    auth(c, "90837", start, as_of + timedelta(days=90), 6, alert=2)
    for week in range(6):
        note(c, start + timedelta(days=7 * week), "90837", provider, status="Released")
    # LOW and EXPIRING: 2 left, ends in 10 days; one more session pending.
    c = client(3)
    auth(
        c, "90834", as_of - timedelta(days=80), as_of + timedelta(days=10), 10, alert=3, exp_days=21
    )
    for week in range(8):
        note(c, as_of - timedelta(days=75 - 9 * week), "90834", provider)
    # EXPIRED: ended last month, client still active, no renewal; a session after the end.
    c = client(4)
    auth(c, "90834", as_of - timedelta(days=200), as_of - timedelta(days=20), 20)
    note(c, as_of - timedelta(days=5), "90834", provider)
    # Provider-restricted auth seen by another clinician; a code with no auth at all;
    # a blank Auth # that AuthBook numbers on refresh; a backdated note on an ended auth.
    c = client(5)
    auth(
        c,
        "90837",
        as_of - timedelta(days=30),
        as_of + timedelta(days=150),
        12,
        provider=PROVIDERS[2][0],
        auth_no=None,
    )
    note(c, as_of - timedelta(days=14), "90837", PROVIDERS[1][0])
    note(c, as_of - timedelta(days=7), "90846", PROVIDERS[2][0])
    note(c, as_of - timedelta(days=2), "90837", PROVIDERS[2][0])
    # The request pipeline: a renewal submitted and due for a follow-up, and one denied.
    c = client(6, payer="Summit Care PPO")
    old = auth(c, "90834", as_of - timedelta(days=80), as_of + timedelta(days=9), 12)
    note(c, as_of - timedelta(days=6), "90834", provider, minutes=45)
    auth(
        c,
        "90834",
        as_of + timedelta(days=10),
        as_of + timedelta(days=99),
        None,
        request_status="Submitted",
        requested_units=12,
        date_requested=as_of - timedelta(days=20),
        follow_up_date=as_of - timedelta(days=3),
        owner="Front Desk",
        prior=None,
    )
    old["owner"] = "Front Desk"
    c = client(7, payer="Evergreen HMO")
    auth(c, "90837", as_of - timedelta(days=40), as_of + timedelta(days=50), 10)
    auth(
        c,
        "90847",
        as_of - timedelta(days=40),
        as_of + timedelta(days=50),
        None,
        request_status="Denied",
        requested_units=6,
        date_requested=as_of - timedelta(days=45),
        prior=None,
    )
    # Coding and period limits: 90837 billed for a 45-minute session; two sessions in a week
    # on an auth limited to one a week.
    note(c, as_of - timedelta(days=20), "90837", provider, minutes=45)
    c = client(8, payer="State Medicaid")
    monday = as_of - timedelta(days=as_of.weekday() + 7)
    auth(
        c,
        "90834",
        monday - timedelta(days=30),
        monday + timedelta(days=150),
        24,
        max_units=1,
        per="Week",
    )
    note(c, monday, "90834", provider, minutes=45)
    note(c, monday + timedelta(days=2), "90834", provider, minutes=45)
    # A renewal that starts before the old approval ends, in the same Auth Group: sessions
    # in the overlap name the old approval's number and draw from it alone; the renewal's
    # units stay untouched until its own sessions.
    c = client(9, payer="Summit Care PPO")
    old_start, renewal_start = as_of - timedelta(days=150), as_of - timedelta(days=20)
    old_end = as_of + timedelta(days=10)
    for code in THERAPY_GROUP:
        auth(c, code, old_start, old_end, 24, auth_group="Therapy Pool", auth_no="SCP-7788")
        auth(
            c,
            code,
            renewal_start,
            renewal_start + timedelta(days=179),
            20,
            auth_group="Therapy Pool",
            auth_no="SCP-9900",
        )
    for week in range(21):
        day = old_start + timedelta(days=7 * week + 2)
        code = THERAPY_GROUP[week % 4]
        minutes = {"90832": 30, "90834": 45, "90837": 55, "90853": 60}[code]
        note(c, day, code, provider, minutes=minutes, auth_no="SCP-7788")
