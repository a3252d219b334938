"""Limits on what a workbook package may hold, checked from its zip directory before any part
is inflated: a hostile or broken file (a 2 MB workbook whose shared strings inflate to
1.5 GB; twenty million tiny strings) is refused with a message instead of taking the
machine's memory and minutes.

A real practice's workbook stays far inside them: AuthBook's own workbook at 500,000 notes
has a Notes sheet near 330 MB of XML (the demo writes about 650 bytes a note) packed about
10 to 1, shared strings (when a program writes them) of tens of MB, and some 70 parts.
"""

from __future__ import annotations

import re
import zipfile

from authbook.modelbase import dataclass

MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    """What a package may hold. ``max_ratio`` applies to parts over ``ratio_from`` bytes
    (a small part may compress any amount)."""

    max_parts: int = 10_000
    max_part_bytes: int = 1024 * MB
    max_total_bytes: int = 4096 * MB
    max_shared_strings_bytes: int = 256 * MB
    max_strings: int = 5_000_000
    max_ratio: int = 500
    ratio_from: int = 1 * MB


LIMITS = Limits()

_SST = re.compile(rb"<(?:\w+:)?sst\b[^>]*>")
_COUNT = re.compile(rb'\b(uniqueCount|count)="(\d+)"')


def _is_shared_strings(name: str) -> bool:
    return "sharedstrings" in name.rsplit("/", 1)[-1].casefold()


def _declared_strings(package: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The number of different strings a shared-strings part says it holds (only its
    first bytes are inflated); 0 when it does not say."""
    try:
        with package.open(info) as part:
            head = part.read(1024)
    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError):
        return 0  # (said by whatever reads it next)
    tag = _SST.search(head)
    counts = {key: int(n) for key, n in _COUNT.findall(tag.group())} if tag else {}
    # the different strings (what takes memory); else the cells that use one, an upper bound
    return counts.get(b"uniqueCount", counts.get(b"count", 0))


def limits_problem(package: zipfile.ZipFile, name: str, limits: Limits | None = None) -> str | None:
    """Why the package ``name`` (a file name, for the message) is refused, or None.
    ``limits``: default ``LIMITS``."""
    limits = limits or LIMITS
    entries = package.infolist()
    advice = (
        "; a practice's workbook is far smaller, so this file is damaged or was not made "
        "by a spreadsheet program. Nothing was read or written"
    )
    if len(entries) > limits.max_parts:
        return f"{name} holds {len(entries):,} parts (more than {limits.max_parts:,}){advice}"
    total = 0
    for info in entries:
        size, packed = info.file_size, max(info.compress_size, 1)
        total += size
        part = info.filename
        if size > limits.max_part_bytes:
            return f"{name}: its part {part} is {size / MB:,.0f} MB unpacked{advice}"
        if _is_shared_strings(part) and size > limits.max_shared_strings_bytes:
            return (
                f"{name}: its shared strings ({part}) are {size / MB:,.0f} MB unpacked "
                f"(more than {limits.max_shared_strings_bytes / MB:,.0f} MB){advice}"
            )
        if size > limits.ratio_from and size / packed > limits.max_ratio:
            return (
                f"{name}: its part {part} unpacks to {size / packed:,.0f} times its packed "
                f"size (more than {limits.max_ratio}){advice}"
            )
    if total > limits.max_total_bytes:
        return f"{name} unpacks to {total / MB:,.0f} MB{advice}"
    for info in entries:
        if _is_shared_strings(info.filename):
            count = _declared_strings(package, info)
            if count > limits.max_strings:
                return (
                    f"{name}: its shared strings number {count:,} (more than "
                    f"{limits.max_strings:,}){advice}"
                )
    return None
