"""The checks a note goes through before billing, and the Check text a biller reads on it.

Every check is a plain function ``check_…(draw, context) -> list[Finding]`` kept in ``CHECKS``;
``run_checks`` runs them all on every Pending and Released note (Draft notes are not checked
until they are Pending). Each finding names the claim adjustment reason code (CARC) a payer
would deny the claim with: 197 no auth, 198 units beyond the auth, 15 an Auth # that does not
fit, 39 denied when requested, 119 period limit reached, and the coding CARCs of
``authbook.rules.coding``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from operator import gt

from authbook.models import Finding
from authbook.rules import coding
from authbook.rules import findings as context_rules
from authbook.rules.findings import CheckContext, finding
from authbook.rules.units import Draw
from authbook.rules.values import code_key, name_key, parse_date, short

__all__ = ["CHECKS", "CheckContext", "build_context", "run_checks", "check_text"]

OK = "OK"
DRAFT = "DRAFT: not checked until Pending"


def _span(auth) -> str:
    return f"{auth.start_date:%m/%d/%Y}-{auth.end_date:%m/%d/%Y}"


def _units(n: int) -> str:
    return f"{n} unit{'s' if n != 1 else ''}"


def build_context(book, draws: list[Draw], excesses, unusable=None) -> CheckContext:
    """The context the checks of ``CHECKS`` need for ``draws`` of a parsed book
    (``unusable``: ``findings.unusable_auths``)."""
    return context_rules.build_context(
        book, draws, excesses, same_day_codes=coding.SAME_DAY_CODES, unusable=unusable
    )


def check_auth(draw: Draw, context: CheckContext) -> list[Finding]:
    """The note has an auth that fits its client, code, dates and provider, with units left."""
    note, auth, detail = draw.note, draw.auth, draw.detail
    reason = draw.reason
    if reason in ("ok", "draft"):
        return []
    if reason == "over":
        available = max(draw.available_before or 0, 0)
        text = f"{auth.key} had {_units(available)} available for {note.units}"
        return [finding(note, "OVER UNITS", "198", text, auth)]
    if reason == "no_auth":
        return [finding(note, "NO AUTH", "197", _no_auth_text(note, context))]
    if reason == "outside_dates":
        text = f"{detail.key} covers {_span(detail)}"
        return [finding(note, "OUTSIDE DATES", "197", text, detail)]
    if reason == "excluded":
        return [finding(note, "EXCLUDED", "197", f"{detail.key} is excluded from notes", detail)]
    if reason == "not_approved":
        if detail.request_status == "Denied":
            text = f"{detail.key} was denied when requested"
            return [finding(note, "REQUEST DENIED", "39", text, detail)]
        text = f"{detail.key} is {detail.request_status}, not approved yet"
        return [finding(note, "NOT APPROVED", "197", text, detail)]
    if reason == "provider":
        text = f"{detail.key} is for {detail.provider} only"
        return [finding(note, "PROVIDER NOT ALLOWED", "15", text, detail)]
    if reason == "pin_unknown":
        text = f"no auth numbered {note.auth_no}"
        return [finding(note, "AUTH # NOT FOUND", "15", text)]
    if reason == "pin_mismatch":
        text = f"{detail.key} {_misfit(draw, context)}"
        return [finding(note, "AUTH # DOES NOT FIT", "15", text, detail)]
    raise ValueError(f"unknown draw reason {reason!r}")  # a bug, not bad input


def _no_auth_text(note, context: CheckContext) -> str:
    """Why no auth serves the note, as far as the sheets tell: its client is not on the
    Clients sheet, or the auth for its code has a problem, or there is none."""
    client = name_key(note.client_id)
    if context.clients is not None and client not in context.clients:
        return "the Client ID is not on the Clients sheet"
    unusable = context.unusable_auths.get((client, code_key(note.billing_code)))
    if unusable is not None:
        row, why = unusable
        return f"the auth for {short(note.billing_code)} on Auths row {row} is not used: {why}"
    return f"no auth for {short(note.billing_code)} for this client"


def _misfit(draw: Draw, context: CheckContext) -> str:
    note, auth = draw.note, draw.detail
    if name_key(auth.client_id) != name_key(note.client_id):
        return "is for another client"
    if code_key(auth.billing_code) != code_key(note.billing_code):
        key = (name_key(note.client_id), name_key(note.auth_no))
        codes = ", ".join(context.codes_of_number.get(key) or [auth.billing_code])
        return f"is for {codes}, not {note.billing_code}"
    if not auth.covers(note.service_date):
        return f"covers {_span(auth)}"
    if auth.exclude_from_notes:
        return "is excluded from notes"
    if not auth.is_approved:
        return f"is {auth.request_status}, not approved"
    return f"is for {auth.provider} only"


def check_period_limit(draw: Draw, context: CheckContext) -> list[Finding]:
    """The note keeps its auth within Max Units per Day, Week or Month."""
    excess = context.excesses.get(draw.note.source.row)
    if excess is None:
        return []
    auth = excess.auth
    period = f"{excess.start:%m/%d/%Y}" + (
        f"-{excess.end:%m/%d/%Y}" if excess.end != excess.start else ""
    )
    text = (
        f"{auth.key} allows {_units(auth.max_units)} per {auth.per.lower()}; "
        f"{excess.before} already billed {period}"
    )
    return [finding(draw.note, "PERIOD LIMIT", "119", text, auth)]


Check = Callable[[Draw, CheckContext], list[Finding]]


#: Every check, in the order its findings are listed on a note.
#:
#: A check looks at one client's notes only (the note, its draw, and through the context that
#: client's notes and auths): a large refresh draws each client's notes in one of two parts,
#: in two processes (``parallel.notes``). tests/rules/test_notes_in_parts.py runs every check
#: here split and unsplit on generated books, and shows that a check looking across clients
#: fails it.
CHECKS: tuple[Check, ...] = (
    check_auth,
    check_period_limit,
    coding.check_psychotherapy_minutes,
    coding.check_add_on_has_primary,
    coding.check_interactive_complexity,
    coding.check_once_a_day,
    coding.check_timed_units,
)


def run_checks(
    draws: list[Draw], context: CheckContext, checks: tuple[Check, ...] = CHECKS
) -> list[Finding]:
    """Findings of every check on every Pending or Released note, in sheet-row order."""
    found: list[Finding] = []
    # (code as typed, drew fine) -> the checks that can find something on such a note: those
    # looking at its code, and check_auth only when the draw was not plainly ok
    plan: dict[tuple[str, bool], list[Check]] = {}
    limits = {check: _codes_of(check, context) for check in checks}
    rows = [d.note.source.row for d in draws]
    if any(map(gt, rows, rows[1:])):  # a refresh hands them in row order already
        draws = sorted(draws, key=lambda d: d.note.source.row)
    for draw in draws:
        note = draw.note
        if note.status in ("Pending", "Released"):  # Note.draws_units, inlined
            key = (note.billing_code, draw.reason == "ok")
            to_run = plan.get(key)
            if to_run is None:
                code = code_key(note.billing_code)
                to_run = plan[key] = [
                    c
                    for c in checks
                    if (limits[c] is None or code in limits[c])
                    and not (c is check_auth and key[1])  # check_auth: nothing on an ok draw
                ]
            for check in to_run:
                result = check(draw, context)
                if result:
                    found.extend(_with_auth(f, draw) for f in result)
    return found


def _period_limit_codes(context: CheckContext) -> frozenset[str] | None:
    """Every code when some note broke a period limit, else none (most workbooks set none)."""
    return None if context.excesses else frozenset()


#: The codes each check looks at, as in ``coding.CHECK_CODES`` (a check not listed looks at
#: every code; a function of the context may also answer None for every code).
CHECK_CODES = {**coding.CHECK_CODES, check_period_limit: _period_limit_codes}


def _codes_of(check: Check, context: CheckContext) -> frozenset[str] | None:
    """The codes ``check`` looks at (``CHECK_CODES``), or None for every code."""
    codes = CHECK_CODES.get(check)
    return codes(context) if callable(codes) else codes


def _with_auth(found: Finding, draw: Draw) -> Finding:
    """A finding names the auth the note draws from when it names none itself."""
    if found.auth_no or draw.auth is None:
        return found
    return replace(found, auth_no=draw.auth.auth_no)


def check_text(draw: Draw, findings: list[Finding]) -> str:
    """The Notes sheet's Check cell: DRAFT, OK, or every finding's text joined by '; '."""
    if draw.reason == "draft":
        return DRAFT
    return findings_text(findings)


def findings_text(findings: list[Finding]) -> str:
    """The Check cell of a note checked: OK, or every finding's text joined by '; '."""
    if not findings:
        return OK
    return "; ".join(f.text for f in findings) or OK


def check_draw(draw: Draw, context: CheckContext | None = None) -> str:
    """The Check text from the auth check alone (no coding or period checks)."""
    return check_text(draw, check_auth(draw, context or CheckContext()))


def input_problem_check(message: str) -> str:
    """The Check of a note whose own cells could not be read."""
    return f"INPUT PROBLEM: {message}"


def input_problem_finding(raw, message: str, date_order: str = "MDY") -> Finding:
    """A finding for a note row that could not be read: it cannot be billed as it stands.
    It names the row's Service Date when that cell reads as a date (``date_order`` as the
    Settings sheet says), so the Checks sheet can be sorted and filtered by it."""
    values = raw.values
    day, _ = parse_date(values.get("service_date"), date_order)
    return Finding(
        source=raw.source,
        note_id=_text(values.get("note_id")),
        client_id=_text(values.get("client_id")),
        service_date=day,
        billing_code=_text(values.get("billing_code")),
        kind="INPUT PROBLEM",
        message=message,
    )


def _text(value) -> str | None:
    return None if value is None or value == "" else str(value).strip()
