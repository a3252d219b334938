"""A small practice's workbook and 837P/835 files built in code, for the claim-loop tests.

Every X12 file a test writes goes through ``write_x12``, which validates it with pyx12's
validator (the 5010 implementation guide's map): an independent check that the files the
tests feed AuthBook are real X12.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from authbook.claims import build, x12
from authbook.workbook import template

CREATED = datetime(2026, 3, 20, 9, 30)
AS_OF = "2026-03-15"

CLIENTS = [
    {
        "client_id": "C1",
        "last_name": "Zedsecret",
        "first_name": "Quinn",
        "member_id": "MEM001",
        "primary_payer": "Summit Care",
    },
    {
        "client_id": "C2",
        "last_name": "Yodsecret",
        "first_name": "Robin",
        "member_id": "MEM002",
        "primary_payer": "Evergreen HMO",
    },
    # C3 and C4 share a Member ID (a family plan typed twice): lines for it are ambiguous
    {"client_id": "C3", "last_name": "Xan", "first_name": "Lee", "member_id": "MEM003"},
    {"client_id": "C4", "last_name": "Xan", "first_name": "Kim", "member_id": "MEM003"},
]


def auth(no, client, code, allotted=10, start=date(2026, 1, 1), end=date(2026, 6, 30), **extra):
    return {
        "auth_no": no,
        "client_id": client,
        "billing_code": code,
        "start_date": start,
        "end_date": end,
        "allotted_units": allotted,
        **extra,
    }


def note(no, client, day, code, units=1, status="Released", provider="Rowan Ellis"):
    return {
        "note_id": no,
        "client_id": client,
        "service_date": day,
        "billing_code": code,
        "units": units,
        "status": status,
        "provider": provider,
    }


AUTHS = [
    auth("SUM-100", "C1", "90834", 10, payer="Summit Care"),
    auth("SUM-101", "C1", "90837", 10, payer="Summit Care"),
    auth("EVG-7", "C2", "90837", 2, payer="Evergreen HMO"),
    auth("EVG-8", "C2", "90834", 5, start=date(2026, 4, 1), end=date(2026, 6, 30)),
    auth("FAM-1", "C3", "90834", 10),
    auth("FAM-2", "C4", "90834", 10),
]

NOTES = [
    note("N1", "C1", date(2026, 3, 2), "90834"),
    note("N2", "C1", date(2026, 3, 9), "90837"),
    note("N3", "C2", date(2026, 3, 3), "90837"),
    note("N4", "C2", date(2026, 3, 10), "90837"),
    note("N5", "C2", date(2026, 3, 11), "90837"),  # the third on a 2-unit auth: 198
    note("N6", "C3", date(2026, 3, 4), "90834"),
    note("N7", "C4", date(2026, 3, 4), "90834"),
    note("N8", "C2", date(2026, 3, 12), "90834"),  # before EVG-8 starts: 197
]


PAYERS = [
    {"payer": "Summit Care", "payer_id": "SUMMIT"},
    {"payer": "Evergreen HMO", "payer_id": "EVERG"},
]
PROVIDERS = [{"provider": "Rowan Ellis"}]


def write_book(path: Path, notes=NOTES, auths=AUTHS, clients=CLIENTS, settings=None) -> Path:
    rows = {
        "Clients": clients,
        "Auths": auths,
        "Notes": notes,
        "Payers": PAYERS,
        "Providers": PROVIDERS,
    }
    template.write_new(path, rows)
    if settings:
        from openpyxl import load_workbook

        wb = load_workbook(path)
        for row in wb["Settings"].iter_rows(min_row=2):
            if row[0].value in settings:
                row[1].value = settings[row[0].value]
        wb.save(path)
    return path


def write_x12(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` after checking pyx12's validator accepts it."""
    path.write_text(text, encoding="ascii")
    problems = x12.validate(path)
    assert problems == [], problems
    return path


def claims_file(path: Path, claims: list[build.Claim]) -> Path:
    return write_x12(path, build.claims_837p(claims, CREATED))


def remit_file(path: Path, checks: list[build.Check]) -> Path:
    return write_x12(path, build.remittance_835(checks, CREATED))


def line(code, day, units=1, charge=150.0, **extra) -> build.Line:
    return build.Line(code=code, units=units, charge=charge, service_date=day, **extra)
