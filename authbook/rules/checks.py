"""The Check a biller reads on each note: OK, or the reason the claim would be denied.

Each reason names the claim adjustment reason code (CARC) a payer would send back.
"""

from __future__ import annotations

from authbook.rules.units import Draw

OK = "OK"
DRAFT = "DRAFT: not checked until Pending"


def _span(auth) -> str:
    return f"{auth.start_date:%m/%d/%Y}-{auth.end_date:%m/%d/%Y}"


def check_draw(draw: Draw) -> str:
    """The Check text for a note that has been applied to the auths."""
    note, auth, detail = draw.note, draw.auth, draw.detail
    code = note.billing_code
    if draw.reason == "ok":
        return OK
    if draw.reason == "draft":
        return DRAFT
    if draw.reason == "over":
        available = draw.available_before or 0
        return (
            f"OVER UNITS (CARC 198): {auth.key} had {max(available, 0)} "
            f"unit{'s' if available != 1 else ''} available for {note.units}"
        )
    if draw.reason == "no_auth":
        return f"NO AUTH (CARC 197): no auth for {code} for this client"
    if draw.reason == "outside_dates":
        return f"OUTSIDE DATES (CARC 197): {detail.key} covers {_span(detail)}"
    if draw.reason == "excluded":
        return f"EXCLUDED (CARC 197): {detail.key} is excluded from notes"
    if draw.reason == "provider":
        return f"PROVIDER NOT ALLOWED (CARC 15): {detail.key} is for {detail.provider} only"
    if draw.reason == "pin_unknown":
        return f"AUTH # NOT FOUND (CARC 15): no auth numbered {note.auth_no}"
    if draw.reason == "pin_mismatch":
        return f"AUTH # DOES NOT FIT (CARC 15): {detail.key} {_misfit(draw)}"
    raise ValueError(f"unknown draw reason {draw.reason!r}")  # a bug, not bad input


def _misfit(draw: Draw) -> str:
    from authbook.rules.values import code_key, name_key

    note, auth = draw.note, draw.detail
    if name_key(auth.client_id) != name_key(note.client_id):
        return "is for another client"
    if code_key(auth.billing_code) != code_key(note.billing_code):
        return f"is for {auth.billing_code}, not {note.billing_code}"
    if not auth.covers(note.service_date):
        return f"covers {_span(auth)}"
    if auth.exclude_from_notes:
        return "is excluded from notes"
    return f"is for {auth.provider} only"


def input_problem_check(message: str) -> str:
    """The Check of a note whose own cells could not be read."""
    return f"INPUT PROBLEM: {message}"
