"""Small books for the billing tests (issue 5): inline ledgers with settings and a code list
that knows 15-minute codes, and a tiny real workbook file."""

from __future__ import annotations

from datetime import date

from authbook.models import Finding, RawBook, RawRecord, Source
from authbook.rules.refresh import Refreshed, refresh
from tests.rules.ledger import table

AS_OF = date(2026, 3, 1)

CLIENTS = """
client_id | primary_payer | active
C1        | Medicaid      | Y
C2        | Blue Plan     | Y
"""

CODES = """
code  | rate | unit_minutes
90791 | 180  |
90792 | 200  |
90832 | 75   |
90833 | 70   |
90834 | 110  |
90836 | 95   |
90837 | 150  |
90785 | 15   |
90839 | 160  |
90840 | 75   |
90846 | 105  |
90847 | 110  |
90853 | 35   |
99213 | 90   |
H0004 | 25   | 15
H2019 | 22   | 15
"""

#: One open-ended auth per code for C1, so coding tests are about coding only.
EVERY_CODE = (
    "auth_no | client_id | billing_code | start_date | end_date | allotted_units\n"
    + "\n".join(
        f"A{code} | C1 | {code} | 2026-01-01 | 2026-12-31 | 100"
        for code in (
            "90791 90792 90832 90833 90834 90836 90837 90785 90839 90840 90846 90847 "
            "90853 99213 H0004 H2019"
        ).split()
    )
)


def settings_rows(**values: object) -> tuple[RawRecord, ...]:
    """Settings records as the workbook layer gives them: {"field": name, "value": v}."""
    return tuple(
        RawRecord(source=Source(sheet="Settings", row=i), values={"field": k, "value": v})
        for i, (k, v) in enumerate(values.items(), start=2)
    )


def run_book(
    auths: str = EVERY_CODE,
    notes: str = "",
    as_of: date = AS_OF,
    clients: str = CLIENTS,
    codes: str = CODES,
    **settings: object,
) -> Refreshed:
    raw = RawBook(
        clients=table("Clients", clients),
        auths=table("Auths", auths) if auths else (),
        notes=table("Notes", notes) if notes else (),
        billing_codes=table("BillingCodes", codes),
        auth_groups=table("AuthGroups", "group_name\nG1\nG2"),
        settings=settings_rows(**settings),
    )
    return refresh(raw, today=as_of)


def findings_on(result: Refreshed, row: int) -> list[Finding]:
    """The findings of the note on this sheet row (first data line = row 2)."""
    return [f for f in result.findings if f.source.row == row]


def kinds_on(result: Refreshed, row: int) -> list[tuple[str, str | None]]:
    """(kind, CARC) of each finding on the note on this row."""
    return [(f.kind, f.carc) for f in findings_on(result, row)]
