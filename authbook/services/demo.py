"""``authbook demo``: a synthetic practice's workbook, built and refreshed.

Build the rows (``authbook.demo``) -> write a new workbook from the template -> refresh it
(``services.refresh.refresh_file``) -> put it in place in one step. Its claim files for
``authbook scrub`` / ``remit`` are written by ``services.claims.write_demo_examples``.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from authbook.demo import demo_rows
from authbook.services.refresh import Computed, refresh_file
from authbook.workbook import template
from authbook.workbook.locks import check_not_open
from authbook.workbook.xlsxfile import replace_atomically


def build_demo(path: Path, today: date, as_of: date, clients: int) -> Computed:
    """Write the demo workbook of ``clients`` made-up clients, as of ``as_of``, to ``path``.

    Built and refreshed in a folder of its own, then put in place in one step: the workbook
    there before is what ``PATH.bak`` keeps, never a half-built demo."""
    with tempfile.TemporaryDirectory(prefix="authbook-demo-") as work:
        built = Path(work) / path.name
        template.write_new(built, demo_rows(as_of, clients=clients))
        computed = refresh_file(built, today, as_of, user="demo")
        replace_atomically(
            path,
            lambda tmp: shutil.copyfile(built, tmp),
            before_replace=lambda: check_not_open(path),
        )
    return computed
