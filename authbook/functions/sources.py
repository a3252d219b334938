"""The add-in's own sources in ``macros/``: the ribbon (``customUI14.xml``) and the buttons'
VBA module (``AuthBook.bas``), and what the builder and the tests read from them.

``macros/`` sits at the top of the source tree; a built wheel carries a copy in
``authbook/macros/`` (see ``setup.py``), so a plain ``pip install`` can build the add-in too.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree import ElementTree

__all__ = [
    "AddinError",
    "CUSTOMUI_NS",
    "MACROS_DIR",
    "SourceError",
    "check_sources",
    "module_source",
    "ribbon_actions",
    "runpython_targets",
    "vba_subs",
]


class AddinError(Exception):
    """The add-in cannot be built, installed or checked here; the message says why and what
    to do. Every error of the add-in modules is one of these."""


class SourceError(AddinError):
    """A source in ``macros/`` is missing or does not fit with the others."""


def _find_macros_dir() -> Path:
    here = Path(__file__).resolve()
    for candidate in (here.parents[2] / "macros", here.parents[1] / "macros"):
        if (candidate / "AuthBook.bas").is_file():
            return candidate
    return here.parents[2] / "macros"


MACROS_DIR = _find_macros_dir()
"""Where ``AuthBook.bas`` and ``customUI14.xml`` live: ``macros/`` at the top of the source
tree, or ``authbook/macros/`` inside an installed wheel."""

CODEPAGE = 1252
RIBBON_MODULE = "authbook.functions.ribbon"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2009/07/customui"


def ribbon_actions(customui: Path | None = None) -> list[str]:
    """Return the ``onAction`` callback names of the ribbon, in document order.

    ``customui`` defaults to ``macros/customUI14.xml``. Each name must be a Sub in
    ``AuthBook.bas``.
    """
    path = customui or MACROS_DIR / "customUI14.xml"
    root = ElementTree.parse(path).getroot()
    return [el.attrib["onAction"] for el in root.iter() if "onAction" in el.attrib]


_SUB_RE = re.compile(r"^\s*(?:Public\s+|Private\s+)?Sub\s+(\w+)\s*\(", re.IGNORECASE)
_END_SUB_RE = re.compile(r"^\s*End\s+Sub\b", re.IGNORECASE)
_PYTHON_CALL_RE = re.compile(
    r'"import\s+' + re.escape(RIBBON_MODULE) + r"\s+as\s+(\w+)\s*;\s*(\w+)\.(\w+)\(\)\s*\""
)


def vba_subs(bas: Path | None = None) -> list[str]:
    """Return the names of every Sub in ``AuthBook.bas`` (``bas`` defaults to the project's)."""
    source = (bas or MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    return [m.group(1) for line in source.splitlines() if (m := _SUB_RE.match(line))]


def runpython_targets(bas: Path | None = None) -> list[tuple[str, str]]:
    """Return ``(sub name, python function name)`` for each Sub that runs Python.

    A Sub runs Python when its body holds the string
    ``"import authbook.functions.ribbon as ab; ab.<function>()"``, which it passes to xlwings'
    ``RunPython``. ``bas`` defaults to ``macros/AuthBook.bas``.
    """
    source = (bas or MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    targets: list[tuple[str, str]] = []
    current: str | None = None
    for line in source.splitlines():
        if m := _SUB_RE.match(line):
            current = m.group(1)
        elif _END_SUB_RE.match(line):
            current = None
        elif current and (m := _PYTHON_CALL_RE.search(line)):
            alias, used, function = m.groups()
            if alias != used:
                raise SourceError(
                    f"{current}: imports the ribbon module as {alias!r} but calls {used!r}"
                )
            targets.append((current, function))
    return targets


def module_source(bas: Path | None = None) -> str:
    """Return the module source as the VBA project stores it: the ``.bas`` text with CRLF lines."""
    text = (bas or MACROS_DIR / "AuthBook.bas").read_text(encoding="utf-8")
    return "".join(line + "\r\n" for line in text.splitlines())


def check_sources(bas: Path, customui: Path) -> None:
    """Refuse sources that are missing, or whose buttons call Subs that do not exist."""
    for source in (bas, customui):
        if not source.is_file():
            raise SourceError(f"add-in source not found: {source}")
    root = ElementTree.parse(customui).getroot()
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise SourceError(f'{customui}: root must be <customUI xmlns="{CUSTOMUI_NS}">')
    missing = sorted(set(ribbon_actions(customui)) - set(vba_subs(bas)))
    if missing:
        raise SourceError(f"ribbon buttons call Subs missing from {bas.name}: {', '.join(missing)}")
    try:
        module_source(bas).encode(f"cp{CODEPAGE}")
    except UnicodeEncodeError as exc:
        raise SourceError(f"{bas.name} must be plain Windows-1252 text: {exc}") from exc
