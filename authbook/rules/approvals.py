"""Payer approvals as they arrive: which Auths lines make one approval, and which share units.

The rule (seed 001, issue 23):

- **Auth #** holds the payer's number where there is one. Several lines of one client may
  carry the same number: one approval covering several codes. Numbers AuthBook generates
  for blank cells are unique per line.
- **An approval** is the lines of one client that share a payer number, or, where numbers
  differ or were generated, that have the same Start and End dates and the same Auth Group.
- **A pool** is the lines of one approval that share an Auth Group. A note draws from one
  line and counts against every line of that line's pool (whose dates contain the session),
  never against lines of another approval whose dates happen to contain it. A line without
  an Auth Group is a pool of its own.
- **A pinned note** (Auth # typed on the note) draws from the line of that number whose code,
  dates and provider fit; CARC 15 only when no line of that number fits.
- **A real ambiguity is a problem, not a guess:** the same number on lines of different
  clients, or twice for the same client and code with overlapping dates. Each line gets a
  problem naming the other; the lines still count their units.

Approvals and pools are named by the sheet row of their first line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from authbook.models import Auth, Problem
from authbook.rules.values import code_key, name_key


def approval_rows(auths: Iterable[Auth]) -> dict[int, int]:
    """Sheet row of each auth -> the row naming its approval (the first row of it).

    Lines join when they are of one client and share an Auth #, or share Start Date, End
    Date and a (non-blank) Auth Group; joined lines of joined lines are one approval.
    Runs once per refresh over every auth: one pass, a dict lookup per key."""
    parent: dict[int, int] = {}

    def root(row: int) -> int:
        while parent[row] != row:
            parent[row] = parent[parent[row]]
            row = parent[row]
        return row

    # (client, number) and (client, start, end, group) cannot be equal: one dict holds both
    first_of: dict[tuple, int] = {}
    first = first_of.setdefault
    for auth in auths:
        row = auth.source.row
        parent[row] = row
        client = name_key(auth.client_id)
        number, group = auth.auth_no, auth.auth_group
        if number:
            other = first((client, name_key(number)), row)
            if other != row:
                a, b = root(other), root(row)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        if group:
            other = first((client, auth.start_date, auth.end_date, name_key(group)), row)
            if other != row:
                a, b = root(other), root(row)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {row: root(row) for row in parent}


def pool_rows(auths: Iterable[Auth], approvals: dict[int, int] | None = None) -> dict[int, int]:
    """Sheet row of each auth -> the row naming its pool (the first line, in the order
    given, of its approval with the same Auth Group; the line itself when it has no Auth
    Group). ``auths`` in sheet order, as a Book holds them."""
    auths = list(auths)
    approvals = approvals if approvals is not None else approval_rows(auths)
    first = {}.setdefault
    pools = {}
    for auth in auths:
        row = auth.source.row
        group = auth.auth_group
        pools[row] = first((approvals[row], name_key(group)), row) if group else row
    return pools


def lines_by_number(auths: Iterable[Auth]) -> dict[str, list[Auth]]:
    """Auth # (compared as names are) -> its lines, in the order given."""
    found: dict[str, list[Auth]] = defaultdict(list)
    for auth in auths:
        if auth.auth_no:
            found[name_key(auth.auth_no)].append(auth)
    return dict(found)


def is_ambiguous_pair(a: Auth, b: Auth) -> bool:
    """True when two lines of one Auth # cannot both be meant: different clients, or the same
    client and code with overlapping dates."""
    if name_key(a.client_id) != name_key(b.client_id):
        return True
    return (
        code_key(a.billing_code) == code_key(b.billing_code)
        and a.start_date <= b.end_date
        and b.start_date <= a.end_date
    )


def number_problems(auths: Iterable[Auth], field: str = "auth_no") -> list[Problem]:
    """A problem on each line of an Auth # that is ambiguous (``is_ambiguous_pair``) with
    another line of it, naming the other rows and saying what to do; in sheet row order."""
    found: list[Problem] = []
    for lines in lines_by_number(auths).values():
        if len(lines) < 2:
            continue
        for line in lines:
            clients = [o for o in lines if o is not line and is_ambiguous_pair(line, o)]
            if not clients:
                continue
            found.append(_ambiguity(line, clients, field))
    return sorted(found, key=lambda p: p.source.row)


def _ambiguity(line: Auth, others: list[Auth], field: str) -> Problem:
    other_clients = [o for o in others if name_key(o.client_id) != name_key(line.client_id)]
    rows = ", ".join(str(o.source.row) for o in others)
    plural = "s" if len(others) > 1 else ""
    if other_clients:
        message = (
            f"Auth # {line.auth_no} is also on row{plural} {rows} for another client; "
            "an approval belongs to one client: correct the number on the wrong line"
        )
    else:
        message = (
            f"Auth # {line.auth_no} is also on row{plural} {rows} for the same code with "
            "overlapping dates; correct the dates, or the number on the line that is not "
            "this approval"
        )
    return Problem(source=line.source, field=field, value=line.auth_no, message=message,
                   entity=line.auth_no)  # fmt: skip


def pinned_choice(lines: list[Auth], client_id: str, code: str) -> Auth:
    """Of the lines of a pinned Auth # none of which fits a note, the one that best says why:
    the client's line for the note's code, else the client's, else the first."""
    client = name_key(client_id)
    mine = [a for a in lines if name_key(a.client_id) == client]
    same_code = [a for a in mine if code_key(a.billing_code) == code_key(code)]
    return (same_code or mine or lines)[0]


def approvals_of_number(auths: Iterable[Auth], number: str) -> list[list[Auth]]:
    """The approvals carrying Auth # ``number`` (compared as names are), each as its lines in
    sheet order: every line of the approval, also those joined to it by dates and Auth
    Group. More than one only when the number is on several clients' lines."""
    auths = list(auths)
    approval_of = approval_rows(auths)
    wanted = name_key(number)
    heads = {
        approval_of[a.source.row] for a in auths if a.auth_no and name_key(a.auth_no) == wanted
    }
    found: dict[int, list[Auth]] = {head: [] for head in sorted(heads)}
    for auth in sorted(auths, key=lambda a: a.source.row):
        head = approval_of[auth.source.row]
        if head in found:
            found[head].append(auth)
    return list(found.values())


_LINE_REFERENCE = re.compile(r"^\s*(?:auths\s*!\s*\$?[a-z]{0,3}\$?|row\s+)(\d+)\s*$", re.I)


def line_reference(text: str) -> int | None:
    """The sheet row of a reference to one Auths line (``Auths!12``, ``Auths!F12``,
    ``row 12``), or None when ``text`` is not one (an Auth #)."""
    match = _LINE_REFERENCE.match(text or "")
    return int(match.group(1)) if match else None
