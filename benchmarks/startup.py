"""How long a command takes for a practice that is not huge, from Python's start to exit.

    python benchmarks/startup.py --rounds 7
    python benchmarks/startup.py --sizes 20000/200000 --rounds 3   # + Excel-like large ones
    python benchmarks/startup.py --compare ../before               # and another checkout's

Every command, and every click of the ribbon (RunPython), starts a new Python process, so
what a biller waits for is the process: Python starting, the imports, the work, the exit.
Each figure is printed as a ratio to what it cannot beat, measured in the same run:

- ``bare``: ``python -c pass``, Python starting and ending;
- ``calamine``: a process that reads every sheet of the file with python-calamine (Python
  starting, python-calamine imported, the read): "bare start + calamine read";
- ``help``: ``authbook --help``, against ``bare`` (target <= 5x);
- ``refresh``: ``authbook refresh`` of a fresh copy of the file, against ``calamine``
  (target <= 2x at the demo's size, <= 2.5x at 20k/200k);
- ``eligible``: ``authbook eligible`` of one client on one day, against ``calamine``
  (target <= 2x);
- with ``--sizes``, two daily refreshes, each against a calamine read of its own file
  (``calamine-daily``, ``calamine-again``; target <= 2.5x): ``daily``, of the workbook
  refreshed once by AuthBook and then saved again by LibreOffice, as a biller's file is
  after they open and save it in Excel; ``again``, of the workbook as AuthBook's refresh
  saved it. A refreshed workbook holds the computed columns the first one lacks: its XML
  is about half as large again, so it is compared with a read of itself, not of the first.

Every AuthBook command's peak memory (the process's largest resident size, its writer
or helper process included) is printed beside its time (target <= 1 GiB).

The workbooks: ``demo``, the ``authbook demo`` workbook (300 clients: about 1,600 auths and
5,600 notes; openpyxl wrote it from the template, with the template's styles and Tables,
then AuthBook refreshed it; openpyxl 3.1 writes text as inline strings); with
``--libreoffice`` the same file re-saved by LibreOffice (shared strings, as Excel and
LibreOffice save); with ``--sizes`` the large workbook of ``benchmarks/refresh.py`` (the
surgical writer's, inline strings) re-saved by LibreOffice (shared strings).

``--compare OTHER_CHECKOUT`` runs the commands of another checkout too (the code before a
change), in the same rounds: ``refresh@2`` and so on. AuthBook's modules are compiled to
bytecode first, as ``pip install`` does. The machine is shared and its speed drifts from one
minute to the next, so the commands run in alternation, one round after another (each
command once per round), and every ratio is taken within a round: the median and range over
the rounds are printed.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: The commands run this checkout's code (not an installed copy's).
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
TODAY = date(2026, 3, 1)
#: A client of the demo practice, and a day it has notes on.
CLIENT, DAY = "C0001", "2026-02-02"

#: ``authbook`` as its console script runs it.
AUTHBOOK = "import sys; from authbook.cli import run; sys.argv[0] = 'authbook'; run()"
#: A calamine read of every sheet, every cell looked at.
CALAMINE = (
    "import sys; from python_calamine import CalamineWorkbook\n"
    "with CalamineWorkbook.from_path(sys.argv[1]) as book:\n"
    "    for name in book.sheet_names:\n"
    "        for row in book.get_sheet_by_name(name).iter_rows():\n"
    "            len(row)\n"
)
#: Measurement -> (what it is a ratio to, target ratio at the demo's size, at 20k/200k+).
AGAINST = {
    "help": ("bare", 5.0, 5.0),
    "refresh": ("calamine", 2.0, 2.5),
    "eligible": ("calamine", 2.0, 2.0),
    "daily": ("calamine-daily", 2.5, 2.5),
    "again": ("calamine-again", 2.5, 2.5),
}
#: Peak memory target of an AuthBook command (MiB).
PEAK_MIB = 1024


def demo_workbook(folder: Path) -> Path:
    """The ``authbook demo`` workbook, made by the command as a user makes it."""
    path = folder / "demo.xlsx"
    command = [sys.executable, "-c", AUTHBOOK, "demo", str(path), "--as-of", TODAY.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=ENV)
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr.strip() or "authbook demo failed")
    path.with_name(path.name + ".bak").unlink(missing_ok=True)
    return path


def libreoffice_copy(path: Path, folder: Path) -> Path:
    """``path`` opened and saved again by LibreOffice (its own dialect of xlsx)."""
    out = folder / "libreoffice"
    out.mkdir(exist_ok=True)
    command = ["soffice", "--headless", "--norestore", "--convert-to", "xlsx"]
    command += ["--outdir", str(out), str(path)]
    subprocess.run(command, capture_output=True, check=True, timeout=600)
    saved = out / path.name
    return saved.rename(folder / f"{path.stem}-libreoffice.xlsx")


def saved_by_libreoffice(path: Path) -> bool:
    """Whether LibreOffice saved the workbook at ``path`` last (its document properties name
    the program that saved it) with its text in shared strings, as Excel saves it."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            app = package.read("docProps/app.xml") if "docProps/app.xml" in names else b""
    except (OSError, zipfile.BadZipFile):
        return False
    return b"<Application>LibreOffice" in app and "xl/sharedStrings.xml" in names


def refreshed_names(path: Path) -> dict[str, Path]:
    """Where ``refreshed_copies`` keeps the daily workbooks made from ``path``."""
    return {
        "daily": path.with_name(f"{path.stem}-daily.xlsx"),
        "again": path.with_name(f"{path.stem}-again.xlsx"),
    }


def saved_copy(auths: int, notes: int, folder: Path) -> Path:
    """``benchmarks/refresh.py``'s workbook of that size, re-saved by LibreOffice: shared
    strings, as Excel and LibreOffice save them, where the surgical writer (and openpyxl
    3.1) write inline strings. One already in ``folder`` (``--keep``) is used as it is."""
    from benchmarks.refresh import generate

    path = folder / f"shared-{auths}-{notes}.xlsx"
    if path.exists() and saved_by_libreoffice(path):
        return path
    # (one kept from before this check, or written by another program, is made again: the
    # first session's kept files were openpyxl's, inline strings, and were measured as if
    # LibreOffice had saved them)
    for stale in (path, *refreshed_names(path).values()):
        stale.unlink(missing_ok=True)
    made = generate(folder / f"shared-{auths}-{notes}-made.xlsx", auths, notes)
    libreoffice_copy(made, folder).rename(path)
    made.unlink()
    return path


#: Peak resident memory (MiB) of the last process ``timed`` ran, by measurement name.
PEAKS: dict[str, list[float]] = {}


def timed(command: list[str], root: Path = ROOT, peak: str | None = None) -> float:
    """Seconds from starting ``command`` (with the code of checkout ``root``) to its exit;
    with ``peak``, its peak memory (its own or a process it forked and waited for, the
    larger) is kept in ``PEAKS[peak]``."""
    env = {**ENV, "PYTHONPATH": str(root)}
    t0 = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - t0
    error = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):  # 1: data problems found (the refresh still saved)
        raise RuntimeError(f"{command[3:5]}: {error.strip()[-300:]}")
    if peak:
        PEAKS.setdefault(peak, []).append(usage.ru_maxrss / 1024)
    return seconds


def one_round(
    path: Path, work: Path, eligible: bool, roots: list[Path], daily: dict[str, Path]
) -> dict[str, float]:
    """Each measurement once, one right after the other; the commands once with the code
    of each checkout of ``roots`` (named ``refresh``, ``refresh@2``, ...). ``daily``: the
    refreshed workbooks (``daily``, ``again``) refreshed too, each after a calamine read of
    it."""
    python = [sys.executable]
    found = {
        "bare": timed([*python, "-c", "pass"]),
        "calamine": timed([*python, "-c", CALAMINE, str(path)]),
    }
    for kind, refreshed in daily.items():
        found["calamine-" + kind] = timed([*python, "-c", CALAMINE, str(refreshed)])
    for n, root in enumerate(roots, 1):
        at = "" if n == 1 else f"@{n}"
        shutil.copy(path, work)
        refresh = ["refresh", str(work), "--as-of", TODAY.isoformat()]
        found["help" + at] = timed([*python, "-c", AUTHBOOK, "--help"], root)
        found["refresh" + at] = timed([*python, "-c", AUTHBOOK, *refresh], root, "refresh" + at)
        if eligible:
            argv = ["eligible", str(path), "--client", CLIENT, "--date", DAY]
            found["eligible" + at] = timed([*python, "-c", AUTHBOOK, *argv], root)
        for kind, refreshed in daily.items():
            shutil.copy(refreshed, work)
            found[kind + at] = timed([*python, "-c", AUTHBOOK, *refresh], root, kind + at)
    return found


def refreshed_copies(path: Path, folder: Path) -> dict[str, Path]:
    """``path`` refreshed once by AuthBook (``again``) and that saved again by LibreOffice
    (``daily``), in ``folder``; ones already there (``--keep``) are used as they are."""
    names = refreshed_names(folder / path.name)
    again, daily = names["again"], names["daily"]
    if not again.exists():
        shutil.copy(path, again)
        command = [sys.executable, "-c", AUTHBOOK, "refresh", str(again)]
        done = subprocess.run([*command, "--as-of", TODAY.isoformat()], capture_output=True,
                              cwd=ROOT, env=ENV)  # fmt: skip
        if done.returncode not in (0, 1):
            raise RuntimeError(done.stderr.decode(errors="replace").strip()[-300:])
        again.with_name(again.name + ".bak").unlink(missing_ok=True)
    if not daily.exists():
        libreoffice_copy(again, folder).rename(daily)
    return {"daily": daily, "again": again}


def report(
    name: str,
    path: Path,
    rounds: int,
    eligible: bool,
    roots: list[Path],
    daily: dict[str, Path] | None = None,
) -> None:
    size = path.stat().st_size / 2**20
    print(f"\n{name}: {path.name}, {size:.1f} MiB, {rounds} rounds")
    for kind, refreshed in (daily or {}).items():
        print(f"  ({kind}: {refreshed.name}, {refreshed.stat().st_size / 2**20:.1f} MiB)")
    runs = []
    PEAKS.clear()
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            runs.append(one_round(path, Path(tmp) / path.name, eligible, roots, daily or {}))
    for kind in runs[0]:
        times = sorted(r[kind] for r in runs)
        line = (f"  {kind:14} median {statistics.median(times):6.3f} s  "
                f"(fastest {times[0]:.3f}, slowest {times[-1]:.3f})")  # fmt: skip
        if kind.split("@")[0] in AGAINST:
            base, small, large = AGAINST[kind.split("@")[0]]
            target = small if eligible else large  # (only the demo's size runs eligible)
            ratios = sorted(r[kind] / r[base] for r in runs)
            median = statistics.median(ratios)
            verdict = "met" if median <= target else "NOT met"
            line += (f"  / {base} = {median:.2f}x (range {ratios[0]:.2f}-{ratios[-1]:.2f}x; "
                     f"target <= {target:g}x: {verdict})")  # fmt: skip
        if kind in PEAKS:
            top = max(PEAKS[kind])
            line += f"; peak {top:.0f} MiB ({'met' if top <= PEAK_MIB else 'NOT met'})"
        print(line)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds of alternation")
    parser.add_argument(
        "--libreoffice", action="store_true", help="also the demo LibreOffice saved"
    )
    parser.add_argument("--sizes", default="", help="auths/notes,... re-saved by LibreOffice")
    parser.add_argument("--no-demo", action="store_true", help="only the --sizes workbooks")
    parser.add_argument(
        "--keep",
        type=Path,
        help="make the --sizes workbooks in this folder and keep them; ones already there "
        "are used as they are (re-saving 50k/500k takes minutes)",
    )
    parser.add_argument(
        "--compare",
        type=Path,
        action="append",
        default=[],
        help="another checkout (e.g. the code before a change): its commands run in the same "
        "rounds, reported as refresh@2, ...",
    )
    args = parser.parse_args(argv)
    # Bytecode, as pip writes it when it installs a package: without it every process
    # compiles AuthBook's modules again (about 0.25 s; where PYTHONDONTWRITEBYTECODE is set,
    # as on the machine these figures come from, Python never writes it itself).
    roots = [ROOT, *(path.resolve() for path in args.compare)]
    for n, root in enumerate(roots, 1):
        compileall.compile_dir(root / "authbook", quiet=1)
        print(("this checkout" if n == 1 else f"@{n}") + f": {root}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        books = []
        if not args.no_demo:
            demo = demo_workbook(folder)
            books.append(("demo (authbook demo, 300 clients)", demo, True))
            if args.libreoffice:
                books.append(("demo saved by LibreOffice", libreoffice_copy(demo, folder), True))
        for size in filter(None, args.sizes.split(",")):
            auths, notes = (int(x) for x in size.split("/"))
            t0 = time.perf_counter()
            path = saved_copy(auths, notes, args.keep or folder)
            print(f"({auths}/{notes} generated and re-saved by LibreOffice in "
                  f"{time.perf_counter() - t0:.0f} s)")  # fmt: skip
            daily = refreshed_copies(path, args.keep or folder)
            print(f"(refreshed once, and that saved by LibreOffice, in "
                  f"{time.perf_counter() - t0:.0f} s)")  # fmt: skip
            books.append(
                (f"{auths} auths / {notes} notes, re-saved by LibreOffice", path, False, daily)
            )
        for name, path, eligible, *daily in books:
            report(name, path, args.rounds, eligible, roots, *daily)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
