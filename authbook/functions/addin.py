"""The AuthBook Excel add-in (``AuthBook.xlam``) on the command line, and where its parts live.

``authbook addin build [PATH]`` writes the add-in (any OS, no Excel needed);
``authbook addin install`` builds it for this Python and puts it in Excel's start-up folder;
``authbook doctor`` checks what a first run in Excel needs. The work is done by:

- :mod:`authbook.functions.sources`: the ribbon and buttons' sources in ``macros/``;
- :mod:`authbook.functions.xlwings_vba`: what the add-in takes from the installed xlwings;
- :mod:`authbook.functions.xlam`: the ``.xlam`` package;
- :mod:`authbook.functions.vbaproject`, :mod:`~authbook.functions.compoundfile`,
  :mod:`~authbook.functions.vbacompress`: the VBA project and its containers;
- :mod:`authbook.functions.install` and :mod:`authbook.functions.doctor`.

The names below are re-exported for callers of the former single module.
"""

from __future__ import annotations

import sys
from pathlib import Path

from authbook.functions import doctor
from authbook.functions.install import install_addin, startup_folder
from authbook.functions.sources import (
    MACROS_DIR,
    AddinError,
    module_source,
    ribbon_actions,
    runpython_targets,
    vba_subs,
)
from authbook.functions.vbacompress import compress, decompress
from authbook.functions.xlam import ADDIN_NAME, build_addin
from authbook.functions.xlam import single_module_project as vba_project_bin

__all__ = [
    "ADDIN_NAME",
    "AddinError",
    "MACROS_DIR",
    "build_addin",
    "compress",
    "decompress",
    "install_addin",
    "module_source",
    "register",
    "ribbon_actions",
    "runpython_targets",
    "startup_folder",
    "vba_project_bin",
    "vba_subs",
]


def register(subparsers) -> None:
    """Add the ``addin`` and ``doctor`` commands to ``authbook`` (see ``FEATURE_COMMANDS``)."""
    parser = subparsers.add_parser(
        "addin", help="build or install the AuthBook Excel add-in (ribbon tab and AB_ functions)"
    )
    actions = parser.add_subparsers(dest="addin_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write AuthBook.xlam (any OS; Excel is not needed)")
    build.add_argument(
        "path", nargs="?", default=ADDIN_NAME, help="file or folder to write (default: here)"
    )
    build.add_argument(
        "--force", action="store_true", help="replace an existing file that is not an add-in"
    )
    build.set_defaults(run=_cmd_build)
    install = actions.add_parser(
        "install", help="put AuthBook.xlam into Excel's start-up folder (Windows, macOS)"
    )
    install.add_argument(
        "--file", help="an AuthBook.xlam already built (default: build it now for this Python)"
    )
    install.set_defaults(run=_cmd_install)
    doctor.register(subparsers)


def _cmd_build(args) -> int:
    try:
        target = build_addin(Path(args.path), force=args.force)
    except AddinError as exc:
        print(f"authbook: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {target}")
    print(
        "It names no Python yet: on the computer that runs Excel, use "
        "'authbook addin install' instead, which builds it for that Python."
    )
    return 0


def _cmd_install(args) -> int:
    try:
        target = install_addin(Path(args.file) if args.file else None)
    except AddinError as exc:
        print(f"authbook: {exc}", file=sys.stderr)
        return 2
    print(f"Installed {target}")
    print(f"It runs Python from {sys.executable}.")
    print(
        "Restart Excel: the AuthBook tab appears on the ribbon and the AB_ functions work in "
        "any open workbook. If something is missing, run 'authbook doctor'."
    )
    return 0
