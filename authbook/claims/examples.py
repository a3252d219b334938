"""The demo's ``examples/`` folder: a small 837P of some of the demo workbook's notes and an 835
"paying" it, so a new user can run ``authbook scrub`` and ``authbook remit`` on them.

They are written by ``authbook demo`` next to the workbook rather than shipped: the demo's
notes are dated around the day it is built (``--as-of``), so files made once would bill
sessions the next demo does not have. The choice of notes is fixed by sheet order, so the same
demo gives the same files.

What the files show: claims that pass; a claim without its REF*G1 (scrub: CARC 15, and
``--write`` fills it); notes the Check already says a payer would deny (198 or 197); in the
835 those denied, one more denied CO-197 that the Check had passed (a miss the Dashboard
counts), one paid in part, and the rest paid.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

from authbook.claims.build import Check, Claim, Line, claims_837p, remittance_835

CLAIMS_FILE = "claims.837"
REMITTANCE_FILE = "remittance.835"
OK_CLAIMS = 5


def _member(client_id: str) -> str:
    return f"DEMO{client_id}"  # the demo's clients have no Member ID: the Note ID matches


def _pick(result):
    """(passing notes, notes the Check denies) among the Released notes, in sheet order."""
    denied_rows = {f.source.row for f in result.findings if f.denies}
    ok, denied = [], []
    for draw in result.draws:
        note = draw.note
        if note.status != "Released" or not note.note_id or draw.auth is None:
            continue
        if note.source.row in denied_rows:
            if len(denied) < 2 and draw.reason in ("over", "ok"):
                denied.append(draw)
        elif len(ok) < OK_CLAIMS + 3 and draw.auth.auth_no:
            ok.append(draw)
    return ok, denied


def write_examples(folder: Path | str, result, payer_of: dict[int, str | None]) -> list[Path]:
    """Write the 837P and 835 for a refreshed demo workbook (``result``: its Refreshed;
    ``payer_of``: Notes row -> the Payer its refresh computed) into ``folder``."""
    ok, denied = _pick(result)
    if len(ok) < OK_CLAIMS + 1:  # a demo too small to show every case: no examples
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    as_of = result.as_of
    created = datetime(as_of.year, as_of.month, as_of.day, 9, 0)
    rates = {c.code: c.rate or 100.0 for c in result.book.billing_codes}

    def claim_line(draw, **paid) -> Line:
        note = draw.note
        charge = round((rates.get(note.billing_code) or 100.0) * note.units, 2)
        return Line(
            code=note.billing_code,
            units=note.units,
            charge=charge,
            service_date=note.service_date,
            control=note.note_id,
            **paid,
        )

    def claim(draw, auth=True, **paid) -> Claim:
        note = draw.note
        return Claim(
            claim_id=f"CLM{note.source.row}",
            member_id=_member(note.client_id),
            lines=(claim_line(draw, **paid),),
            auth=draw.auth.auth_no if auth else None,
            provider=note.provider,
        )

    sent = [claim(d) for d in ok[:OK_CLAIMS]]
    missing = [claim(d, auth=False) for d in ok[OK_CLAIMS : OK_CLAIMS + 1]]
    at_risk = [claim(d) for d in denied]
    claims_path = folder / CLAIMS_FILE
    claims_path.write_text(claims_837p([*sent, *missing, *at_risk], created), encoding="ascii")

    def denial(draw, carc: str) -> Claim:
        line = claim_line(draw)
        return claim(draw, paid=0, units_paid=0, adjustments=(("CO", carc, line.charge),))

    def partial(draw) -> Claim:  # half paid, half over the period's benefit maximum
        half = round(claim_line(draw).charge / 2, 2)
        return claim(draw, paid=half, adjustments=(("CO", "119", half),))

    answers = [
        (ok[0], claim(ok[0])),
        (ok[1], partial(ok[1])),
        (ok[2], denial(ok[2], "197")),  # the Check passed it: a miss
        *((d, claim(d)) for d in ok[3 : OK_CLAIMS + 1]),
        *((d, denial(d, "198" if d.reason == "over" else "197")) for d in denied),
    ]
    by_payer: dict[str, list[Claim]] = defaultdict(list)
    for draw, answer in answers:
        by_payer[payer_of.get(draw.note.source.row) or "DEMO PAYER"].append(answer)
    checks = [
        Check(
            payer=payer.upper(),
            payer_id=f"PAYER{number}",
            check_no=f"EFT{as_of:%y%m%d}{number:02d}",
            check_date=as_of + timedelta(days=14),
            claims=tuple(claims),
        )
        for number, (payer, claims) in enumerate(sorted(by_payer.items()), start=1)
    ]
    remit_path = folder / REMITTANCE_FILE
    remit_path.write_text(remittance_835(checks, created + timedelta(days=14)), encoding="ascii")
    return [claims_path, remit_path]
