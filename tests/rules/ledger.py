"""Tiny inline ledgers for rule tests: a table of text becomes the raw rows of one sheet.

    auths = table("Auths", '''
        auth_no | client_id | billing_code | start_date | end_date   | allotted_units
        A1      | C1        | 90834        | 2026-01-01 | 2026-06-30 | 20
    ''')

Columns are field names (see authbook.models); row numbers start at 2 as in a sheet, so
``source.row`` in a result points at the table line (first data line = row 2). A blank cell
is None; cells are passed as text, exactly as a person would type them.
"""

from __future__ import annotations

from datetime import date

from authbook.models import RawBook, RawRecord, Source
from authbook.rules.refresh import Refreshed, refresh


def table(sheet: str, text: str) -> tuple[RawRecord, ...]:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    header = [h.strip() for h in lines[0].split("|")]
    rows = []
    for offset, line in enumerate(lines[1:], start=2):
        cells = [c.strip() or None for c in line.split("|")]
        rows.append(
            RawRecord(source=Source(sheet=sheet, row=offset), values=dict(zip(header, cells)))
        )
    return tuple(rows)


CLIENTS = """
client_id | primary_payer | primary_therapist | active
C1        | Medicaid      | Dr Ash            | Y
C2        | Blue Plan     | Dr Birch          | Y
"""

CODES = """
code  | rate
90832 | 75
90834 | 110
90837 | 150
90853 | 35
90791 | 180
"""


def run(
    auths: str = "",
    notes: str = "",
    clients: str = CLIENTS,
    codes: str = CODES,
    as_of: date = date(2026, 3, 1),
    groups: str = "group_name\nG1\nG2",
) -> Refreshed:
    """Refresh a small book given as text tables, as of ``as_of``."""
    raw = RawBook(
        clients=table("Clients", clients) if clients else (),
        auths=table("Auths", auths) if auths else (),
        notes=table("Notes", notes) if notes else (),
        billing_codes=table("BillingCodes", codes) if codes else (),
        auth_groups=table("AuthGroups", groups) if groups else (),
    )
    return refresh(raw, today=as_of)


def auth_status(result: Refreshed, auth_no: str):
    """The computed status of the auth with this Auth #."""
    return next(s for s in result.auths if s.auth_no == auth_no)


def note_status(result: Refreshed, row: int):
    """The computed status of the note on this sheet row (first data line = row 2)."""
    return next(s for s in result.notes if s.source.row == row)


def alert_kinds(result: Refreshed, auth_no: str) -> set[str]:
    return {a.kind for a in result.alerts if a.auth_no == auth_no}
