"""Reading remittances back: what the payer did with each billed note.

The rule:
- Each 835 service line is matched to a note as claim lines are (``claims.match_line``:
  REF*6R or CLP01 Note ID, else Member ID + date + code + units); none or several is said.
- Its Remit Status: *Reversed* when the claim reverses an earlier payment (CLP02 = 22);
  *Denied* when nothing was paid; *Partial* when something was paid but fewer units than
  billed, or the payer adjusted it for a reason other than the contract (CO-45) or the
  patient's share (group PR); else *Paid*.
- A line already imported (same check, claim, line and amounts) is not imported again, so
  importing an ERA twice changes nothing.
- A note's outcome is its last remittance line in import order: a reversal replaces the
  payment it reverses, and a corrected claim sent later (same control number) replaces both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

from authbook.modelbase import dataclass
from authbook.models import RawRows

if TYPE_CHECKING:  # (only named here: a refresh reads no remittance file, start-up time)
    from authbook.rules.claimlines import RemitLine

PAID, DENIED, PARTIAL, REVERSED = "Paid", "Denied", "Partial", "Reversed"
REMIT_STATUSES = (PAID, DENIED, PARTIAL, REVERSED)
#: Reason codes that say the authorization was the problem (what AuthBook should predict).
AUTH_CARCS = frozenset({"15", "197", "198", "119"})
#: The adjustments that are not a denial: the contractual write-off and the patient's share.
CONTRACTUAL = ("CO", "45")
PATIENT_GROUP = "PR"


def is_denial_adjustment(group: str, carc: str) -> bool:
    """Whether an adjustment takes money away for a reason other than the contract's
    write-off or the patient's share."""
    return (group, carc) != CONTRACTUAL and group != PATIENT_GROUP


def remit_status(line: RemitLine) -> str:
    """Paid, Denied, Partial or Reversed (module docstring)."""
    if line.is_reversal:
        return REVERSED
    paid = line.paid or 0
    if paid <= 0 or line.units_paid == 0:
        return DENIED
    fewer = (
        line.units_paid is not None
        and line.units_billed is not None
        and line.units_paid < line.units_billed
    )
    denied_part = any(is_denial_adjustment(a.group, a.carc) for a in line.adjustments)
    return PARTIAL if fewer or denied_part else PAID


def denial_carcs(line: RemitLine) -> str:
    """The reason codes that denied (part of) the line, as ``197`` or ``197, 198``."""
    codes = [a.carc for a in line.adjustments if is_denial_adjustment(a.group, a.carc)]
    return ", ".join(dict.fromkeys(codes))


def adjustments_text(line: RemitLine) -> str:
    """Every adjustment as ``CO-197 150.00; PR-2 20.00``."""
    return "; ".join(f"{a.group}-{a.carc} {a.amount:.2f}" for a in line.adjustments)


def paid_units(line: RemitLine) -> float:
    """Units the payer paid: none when denied or reversed."""
    status = remit_status(line)
    if status in (DENIED, REVERSED):
        return 0
    return line.units_paid if line.units_paid is not None else (line.units_billed or 0)


def key_text(value: object) -> str:
    """How a cell of a remittance's identity compares: numbers without a trailing .0, dates
    as ISO, text stripped and case-folded."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split()).casefold()


#: The Remittances fields that identify one remitted line (check, claim, line, amounts).
IDENTITY = (
    "check_no",
    "patient_control_no",
    "claim_status",
    "payer_claim_no",
    "line_control",
    "service_date",
    "billing_code",
    "units_billed",
    "billed",
    "paid",
)


def identity(values: dict[str, object]) -> tuple[str, ...]:
    return tuple(key_text(values.get(name)) for name in IDENTITY)


def line_values(line: RemitLine) -> dict[str, object]:
    """A remittance line as Remittances fields (without the match)."""
    return {
        "payer": line.payer,
        "check_no": line.check_no,
        "check_date": line.check_date,
        "payer_claim_no": line.payer_claim_no,
        "patient_control_no": line.claim_id,
        "claim_status": line.claim_status,
        "line_control": line.line_control,
        "service_date": line.service_date,
        "billing_code": line.code,
        "units_billed": line.units_billed,
        "units_paid": line.units_paid,
        "billed": line.billed,
        "paid": line.paid,
        "adjustments": adjustments_text(line) or None,
        "denial_carc": denial_carcs(line) or None,
        "rarc": ", ".join(line.remarks) or None,
        "remit_status": remit_status(line),
        "source_file": line.file,
        "segment": line.position,
    }


def new_only(
    rows: Sequence[dict[str, object]], existing: Iterable[dict[str, object]]
) -> tuple[list[dict[str, object]], int]:
    """The ``rows`` not already among ``existing`` (by ``identity``; a line that appears
    twice in an ERA is kept twice) and how many were already there."""
    seen = Counter(identity(values) for values in existing)
    new = []
    for values in rows:
        key = identity(values)
        if seen[key] > 0:
            seen[key] -= 1
        else:
            new.append(values)
    return new, len(rows) - len(new)


@dataclass(frozen=True)
class Outcome:
    """What the payer last did with one note."""

    status: str
    paid_units: float
    carc: str | None


def outcomes(rows: Iterable[dict[str, object]]) -> dict[str, Outcome]:
    """Note key -> its outcome, from Remittances rows in sheet (import) order: the last row
    naming a note wins (a reversal replaces a payment, a correction both)."""
    found: dict[str, Outcome] = {}
    for values in rows:
        note = values.get("note_id")
        status = values.get("remit_status")
        if not note or status not in REMIT_STATUSES:
            continue
        units = values.get("units_paid")
        units = units if isinstance(units, (int, float)) and status in (PAID, PARTIAL) else 0
        carcs = [c.strip() for c in str(values.get("denial_carc") or "").split(",") if c.strip()]
        found[key_text(note)] = Outcome(str(status), units, ", ".join(carcs) or None)
    return found


def denied_rows(rows: RawRows) -> frozenset[int]:
    """The Excel rows of the raw Notes ``rows`` whose Remit Status is Denied: the notes whose
    units stop counting when Settings say *Denied Notes Use Units: No*."""
    (statuses,) = rows.columns(["remit_status"])
    numbers = rows.rows
    wanted = DENIED.casefold()
    return frozenset(
        row
        for row, status in zip(numbers, statuses)
        if isinstance(status, str) and status.strip().casefold() == wanted
    )


@dataclass(frozen=True)
class PayerOutcomes:
    """How AuthBook's Check compared with one payer's answers on remitted notes.

    ``remitted``: notes with a final answer (Paid, Partial or Denied; a reversal alone is
    no answer); ``denied_as_predicted``: the Check said deny and the payer denied;
    ``missed``: the Check said OK and the payer denied for an authorization reason (15, 197,
    198, 119): what AuthBook did not see; ``paid_despite_check``: the Check said deny and
    the payer paid (all or part)."""

    payer: str
    remitted: int = 0
    denied_as_predicted: int = 0
    missed: int = 0
    paid_despite_check: int = 0


def prediction_vs_outcome(notes: Iterable[tuple[str | None, bool, object, object]]):
    """Per payer (by name, blank as "(no payer)"), from one (payer, predicted denial, Remit
    Status, Remit CARC) per note. Sorted by payer."""
    counts: dict[str, list[int]] = {}
    for payer, predicted, status, carc in notes:
        status = str(status or "").strip().capitalize()
        if status not in (PAID, PARTIAL, DENIED):
            continue
        tally = counts.setdefault(str(payer or "(no payer)"), [0, 0, 0, 0])
        tally[0] += 1
        denied = status == DENIED
        carcs = {c.strip() for c in str(carc or "").split(",")}
        if predicted and denied:
            tally[1] += 1
        elif not predicted and denied and carcs & AUTH_CARCS:
            tally[2] += 1
        elif predicted and not denied:
            tally[3] += 1
    return [PayerOutcomes(p, *t) for p, t in sorted(counts.items())]
