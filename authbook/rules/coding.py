"""Coding checks: does the code billed fit the session's minutes and the day's other codes?

Facts used (AuthBook's own summary of the code rules; see domain.md):

- Psychotherapy by time: 90832 16-37 minutes, 90834 38-52, 90837 53 or more; the add-ons with
  an E/M visit +90833, +90836, +90838 use the same ranges. Crisis 90839 is 30-74 minutes;
  family therapy 90846/90847 needs 26 minutes. Checked when Minutes is filled in.
- +90833/+90836/+90838 need an E/M code (99202-99215) the same day and never go with
  90832/90834/90837; +90840 needs 90839; +90785 needs one of 90791, 90792, 90832-90838, 90853.
- +90785 may not accompany 90839, +90840, 90846 or 90847.
- 90791 and 90792: one of them, once, per client per day.
- 15-minute codes (Unit Minutes on BillingCodes, or H0004/H2017/H2019): Units must match Minutes
  under the Settings' Timed Unit Rule.

"The same day" means the client's Pending and Released notes on that service date.
"""

from __future__ import annotations

from authbook.models import Finding, Note
from authbook.rules.findings import CheckContext, finding
from authbook.rules.units import Draw
from authbook.rules.values import code_key

#: code -> (fewest minutes, most minutes or None)
TIME_RANGES: dict[str, tuple[int, int | None]] = {
    "90832": (16, 37),
    "90834": (38, 52),
    "90837": (53, None),
    "90833": (16, 37),
    "90836": (38, 52),
    "90838": (53, None),
    "90839": (30, 74),
    "90846": (26, None),
    "90847": (26, None),
}
#: Codes billed by time that stand in for one another, by length.
TIME_FAMILIES = (("90832", "90834", "90837"), ("90833", "90836", "90838"))

PSYCHOTHERAPY = ("90832", "90834", "90837")
EM_CODES = tuple(str(c) for c in (*range(99202, 99206), *range(99211, 99216)))
#: add-on -> codes that must be billed the same day (any one of them)
ADD_ON_PRIMARIES: dict[str, tuple[str, ...]] = {
    "90833": EM_CODES,
    "90836": EM_CODES,
    "90838": EM_CODES,
    "90840": ("90839",),
    "90785": ("90791", "90792", "90832", "90833", "90834", "90836", "90837", "90838", "90853"),
}
INTERACTIVE_COMPLEXITY = "90785"
NOT_WITH_INTERACTIVE_COMPLEXITY = ("90839", "90840", "90846", "90847")
ONCE_A_DAY = ("90791", "90792")
#: Codes whose checks look at the client's other notes the same day (``notes_that_day``).
SAME_DAY_CODES = frozenset((*ADD_ON_PRIMARIES, INTERACTIVE_COMPLEXITY, *ONCE_A_DAY))
#: 15-minute codes when the BillingCodes sheet gives no Unit Minutes.
TIMED_15 = ("H0004", "H2017", "H2019")


def _range_text(code: str) -> str:
    low, high = TIME_RANGES[code]
    return f"{low}-{high}" if high is not None else f"{low}+"


def fits_minutes(code: str, minutes: int) -> bool:
    """True when ``minutes`` is inside the time range of ``code`` (True for untimed codes)."""
    low, high = TIME_RANGES.get(code_key(code), (0, None))
    return minutes >= low and (high is None or minutes <= high)


def code_for_minutes(code: str, minutes: int) -> str | None:
    """The code of the same family whose range holds ``minutes`` (90834 at 55 min -> 90837)."""
    for family in TIME_FAMILIES:
        if code_key(code) in family:
            return next((c for c in family if fits_minutes(c, minutes)), None)
    return None


def check_psychotherapy_minutes(draw: Draw, context: CheckContext) -> list[Finding]:
    """A time-based psychotherapy code fits the Minutes of the session."""
    note = draw.note
    code = code_key(note.billing_code)
    if code not in TIME_RANGES or note.minutes is None or fits_minutes(code, note.minutes):
        return []
    text = f"{note.minutes} minutes do not fit {code} ({_range_text(code)} minutes)"
    better = code_for_minutes(code, note.minutes)
    if better:
        text += f"; bill {better}"
    return [finding(note, "TIME DOES NOT FIT CODE", "150", text)]


def _codes_that_day(note: Note, context: CheckContext) -> set[str]:
    return {code_key(n.billing_code) for n in context.notes_that_day(note) if n is not note}


def check_add_on_has_primary(draw: Draw, context: CheckContext) -> list[Finding]:
    """An add-on code has its primary code the same day (and a psychotherapy add-on is not
    billed with a standalone psychotherapy code)."""
    note = draw.note
    code = code_key(note.billing_code)
    primaries = ADD_ON_PRIMARIES.get(code)
    if primaries is None:
        return []
    others = _codes_that_day(note, context)
    found = []
    if not others & set(primaries):
        wanted = "an E/M code (99202-99215)" if primaries == EM_CODES else ", ".join(primaries)
        text = f"+{code} is an add-on: bill {wanted} for this client the same day"
        found.append(finding(note, "ADD-ON WITHOUT PRIMARY", "B15", text))
    clash = sorted(others & set(PSYCHOTHERAPY)) if primaries == EM_CODES else []
    if clash:
        text = f"+{code} goes with an E/M visit, never with {', '.join(clash)} the same day"
        found.append(finding(note, "CODES DO NOT GO TOGETHER", "236", text))
    return found


def check_interactive_complexity(draw: Draw, context: CheckContext) -> list[Finding]:
    """+90785 is not billed on a day with 90839, +90840, 90846 or 90847."""
    note = draw.note
    if code_key(note.billing_code) != INTERACTIVE_COMPLEXITY:
        return []
    clash = sorted(_codes_that_day(note, context) & set(NOT_WITH_INTERACTIVE_COMPLEXITY))
    if not clash:
        return []
    text = f"+90785 may not accompany {', '.join(clash)}"
    return [finding(note, "CODES DO NOT GO TOGETHER", "236", text)]


def check_once_a_day(draw: Draw, context: CheckContext) -> list[Finding]:
    """90791/90792 are billed at most once per client per day (one unit, one note)."""
    note = draw.note
    code = code_key(note.billing_code)
    if code not in ONCE_A_DAY:
        return []
    earlier = []
    for other in context.notes_that_day(note):
        if other is note:
            break
        if code_key(other.billing_code) in ONCE_A_DAY:
            earlier.append(other)
    if earlier:
        first = earlier[0]
        text = (
            f"{code_key(first.billing_code)} is already billed this day "
            f"(note {first.key}); 90791/90792 once per day"
        )
        return [finding(note, "ONCE A DAY", "151", text)]
    if note.units > 1:
        text = f"{note.units} units of {code}; it is billed once per day"
        return [finding(note, "ONCE A DAY", "151", text)]
    return []


def units_for_minutes(minutes: int, rule: str, unit_minutes: int = 15) -> int:
    """Units for ``minutes`` of a timed code under a Timed Unit Rule (see UNIT_RULES).

    With 15-minute units: "8 Minutes" gives 0-7 -> 0, 8-22 -> 1, 23-37 -> 2; "Any Minute" gives
    1-15 -> 1, 16-30 -> 2; "Full 15" gives 15-29 -> 1, 30-44 -> 2.
    """
    if rule == "Any Minute":
        return -(-minutes // unit_minutes)
    if rule == "Full 15":
        return minutes // unit_minutes
    return (minutes + unit_minutes // 2) // unit_minutes


def check_timed_units(draw: Draw, context: CheckContext) -> list[Finding]:
    """Units of a 15-minute code agree with Minutes under the Timed Unit Rule."""
    note = draw.note
    code = code_key(note.billing_code)
    listed = context.codes.get(code)
    unit_minutes = listed.unit_minutes if listed is not None else None
    if unit_minutes is None and code in TIMED_15:
        unit_minutes = 15
    if not unit_minutes or note.minutes is None:
        return []
    rule = context.settings.timed_unit_rule
    expected = units_for_minutes(note.minutes, rule, unit_minutes)
    if note.units == expected:
        return []
    text = (
        f"{note.minutes} minutes make {expected} unit{'s' if expected != 1 else ''} "
        f"under the '{rule}' rule, not {note.units}"
    )
    if note.units > expected:
        return [finding(note, "UNITS EXCEED MINUTES", "151", text)]
    return [finding(note, "UNITS BELOW MINUTES", None, text, denies=False)]


def timed_codes(context: CheckContext) -> frozenset[str]:
    """The codes ``check_timed_units`` may find something on: those with Unit Minutes on
    BillingCodes, and TIMED_15."""
    return frozenset({code for code, c in context.codes.items() if c.unit_minutes} | set(TIMED_15))


#: The codes each coding check looks at (a note of any other code passes it untouched):
#: a set of codes, or a function of the CheckContext giving one. ``run_checks`` uses this to
#: run on each note only the checks that can find something.
CHECK_CODES = {
    check_psychotherapy_minutes: frozenset(TIME_RANGES),
    check_add_on_has_primary: frozenset(ADD_ON_PRIMARIES),
    check_interactive_complexity: frozenset((INTERACTIVE_COMPLEXITY,)),
    check_once_a_day: frozenset(ONCE_A_DAY),
    check_timed_units: timed_codes,
}
