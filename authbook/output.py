"""What the command line prints: values as a biller reads them, rows as a table, CSV or JSON,
and the yes/no question asked before a change is written."""

from __future__ import annotations

import contextlib
import csv
import re
import sys
from collections.abc import Iterator
from datetime import date, datetime

from authbook.rules.cells import csv_text

#: What a terminal would act on instead of print: C0 controls but tab and newline, DEL, C1
#: controls (ESC sequences can recolour, retitle or rewrite the screen) and the bidi
#: overrides that reorder what is shown.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escaped(text: str) -> str:
    """``text`` with terminal controls written out (ESC -> ``\\x1b``), so a cell printed
    to a terminal shows what it holds and cannot move the cursor or change colours."""
    if not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class _EscapingStream:
    """A text stream that writes through ``escaped``; everything else goes to ``inner``."""

    def __init__(self, inner) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(escaped(text))
        return len(text)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


@contextlib.contextmanager
def escaping_output() -> Iterator[None]:
    """While inside, stdout and stderr escape terminal controls: every line a command prints
    may carry a cell's text, so the rule is kept in one place rather than at each print."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _EscapingStream(out), _EscapingStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def show(value: object, blank: str = "") -> str:
    """A value for the terminal: dates as mm/dd/yyyy, ``blank`` for an empty cell."""
    if value is None or value == "":
        return blank
    if isinstance(value, datetime) and value.time() != datetime.min.time():
        return str(value)
    if isinstance(value, date):
        return f"{value:%m/%d/%Y}"
    return str(value)


def print_rows(
    header: list[str], body: list[list[object]], fmt: str, keys: list[str] | None = None
) -> None:
    """Print rows as an aligned table, CSV (formula-looking text behind a quote) or JSON
    (one object per row, keyed by ``keys`` or else the header names; dates as ISO)."""
    if fmt == "json":
        import json  # here, not at the top: only --format json needs it (start-up time)

        names = keys or header
        out = [
            {k: (v.isoformat() if isinstance(v, date) else v) for k, v in zip(names, r)}
            for r in body
        ]
        print(json.dumps(out, indent=2))
    elif fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(header)
        for r in body:
            writer.writerow([csv_text(v) for v in r])
    else:
        shown = [[show(v) for v in r] for r in [header, *body]]
        widths = [max(len(r[i]) for r in shown) for i in range(len(header))]
        for r in shown:
            print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())


class NoAnswer(Exception):
    """The question could not be asked: standard input is closed."""


def confirm(question: str) -> bool:
    """Ask ``question [y/N]`` on the terminal; True only for y/yes. Raises NoAnswer when
    standard input is closed (scripts should pass --yes)."""
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        raise NoAnswer(
            "no answer to the confirmation (standard input is closed); "
            "add --yes to write without asking"
        ) from None
    return answer.strip().casefold() in ("y", "yes")
