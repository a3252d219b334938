"""Does each process mechanism pay for itself? Commands timed with each switched off.

    python benchmarks/mechanisms.py --size 50000/500000 --rounds 3

A refresh on Linux may fork two kinds of process (Windows and macOS never do):

- ``fork``: the surgical writer's child writing the Notes sheet of a first refresh while
  this process works out the rest (``authbook.workbook.xlsx.child.FORK``);
- ``helper``: the helper drawing half the notes of a refresh that is not a first
  (``authbook.parallel.notes.HELPER``).

Each variant (``both`` on, ``no-fork``, ``no-helper``, ``neither``: the path Windows and
macOS take) runs three commands, each in a process of its own, from Python's start to its
exit, on the workbook of ``benchmarks/refresh.py`` at the size given:

- ``first``: ``authbook refresh`` of the generated workbook (never refreshed);
- ``daily``: ``authbook refresh`` of a copy refreshed once before;
- ``bulk-update``: ``authbook bulk-update`` of a quarter of the auths on a refreshed copy.

The machine is shared and its speed drifts, so the variants run in alternation: each round
runs every command of every variant once, one right after the other, and each variant's
time is also given as a ratio to ``both``'s in the same round. The peak is the command's
own process (a forked process's memory is not added).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.refresh import BULK_UPDATE, TODAY, generate  # noqa: E402

VARIANTS = {"both": "", "no-fork": "fork", "no-helper": "helper", "neither": "fork,helper"}
COMMANDS = ("first", "daily", "bulk-update")

#: ``authbook ARGV`` as its entry point runs it, the mechanisms named in AUTHBOOK_BENCH_OFF
#: switched off first; prints the exit code and the process's own peak before it ends.
_RUN = (
    "import json, os, resource, sys\n"
    "from authbook import cli\n"
    "from authbook.parallel import notes\n"
    "from authbook.workbook.xlsx import child\n"
    "off = os.environ.get('AUTHBOOK_BENCH_OFF', '').split(',')\n"
    "child.FORK = child.FORK and 'fork' not in off\n"
    "notes.HELPER = notes.HELPER and 'helper' not in off\n"
    "cli._KEPT_UNTIL_EXIT = []\n"
    "code = cli.main(sys.argv[1:])\n"
    "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
    "print(json.dumps({'code': code, 'peak_mb': peak}), flush=True)\n"
    "os._exit(0)\n"
)


def timed(argv: list[str], off: str) -> tuple[float, float]:
    """Seconds from starting ``authbook ARGV`` (mechanisms ``off`` switched off) to its
    exit, and its peak in MiB."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AUTHBOOK_BENCH_OFF": off}
    command = [sys.executable, "-c", _RUN, *argv, "--as-of", TODAY.isoformat()]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    seconds = time.perf_counter() - t0
    *_, last = done.stdout.strip().splitlines() or [""]
    result = json.loads(last) if last.startswith("{") else {}
    if result.get("code") not in (0, 1):  # 1: data problems found, still saved
        raise RuntimeError(f"{argv[0]}: {done.stderr.strip()[-300:]}")
    return seconds, result["peak_mb"]


def one_round(made: Path, refreshed: Path, work: Path) -> dict[tuple[str, str], tuple]:
    """Every command of every variant once: (variant, command) -> (seconds, MiB)."""
    found = {}
    copy = work / "book.xlsx"
    for variant, off in VARIANTS.items():
        for command in COMMANDS:
            shutil.copy(made if command == "first" else refreshed, copy)
            copy.with_name(copy.name + ".bak").unlink(missing_ok=True)
            if command == "bulk-update":
                argv = ["bulk-update", str(copy), *BULK_UPDATE, "--user", "bench"]
            else:
                argv = ["refresh", str(copy), "--user", "bench"]
            found[variant, command] = timed(argv, off)
    return found


def report(rounds: list[dict]) -> None:
    for command in COMMANDS:
        print(f"  {command}:")
        for variant in VARIANTS:
            seconds = sorted(r[variant, command][0] for r in rounds)
            peaks = [r[variant, command][1] for r in rounds]
            ratios = sorted(r[variant, command][0] / r["both", command][0] for r in rounds)
            print(
                f"    {variant:10} median {statistics.median(seconds):6.2f} s "
                f"(fastest {seconds[0]:.2f}, slowest {seconds[-1]:.2f})  "
                f"/ both = {statistics.median(ratios):.2f}x "
                f"(range {ratios[0]:.2f}-{ratios[-1]:.2f}x)  peak {max(peaks):5.0f} MiB"
            )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="50000/500000", help="auths/notes")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of alternation")
    args = parser.parse_args(argv)
    auths, notes = (int(x) for x in args.size.split("/"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = generate(folder / f"bench-{auths}-{notes}.xlsx", auths, notes)
        refreshed = folder / "refreshed.xlsx"
        shutil.copy(made, refreshed)
        timed(["refresh", str(refreshed), "--user", "bench"], "")  # untimed: the daily base
        work = folder / "work"
        work.mkdir()
        print(f"{auths} auths / {notes} notes, {args.rounds} rounds, os.cpu_count() = "
              f"{os.cpu_count()}")  # fmt: skip
        rounds = []
        for n in range(args.rounds):
            rounds.append(one_round(made, refreshed, work))
            print(f"  (round {n + 1} done)", flush=True)
        report(rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
