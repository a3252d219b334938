"""How long an AuthBook worksheet function takes when a sheet holds thousands of them.

    python benchmarks/udfs.py            # 5k auths / 50k notes, then 50k auths / 500k notes
    python benchmarks/udfs.py --small    # the smaller size only

Tables are passed as xlwings passes them: 2-D lists, header row first, numbers as floats,
date cells as datetimes, and every call gets its own copy (fresh objects, as each call from
Excel does), so the content comparison of the cache does its full work. Prints, per size, the
first call (reading the tables and running the rules) and the average per-call time of 2,000
calls mixing AB_REMAINING, AB_AVAILABLE, AB_STATUS, AB_AUTH_FOR and AB_ELIGIBLE_CODES.

The time Excel itself takes to hand a 500k-row range to Python on every call is not included
(it cannot be measured without Excel).
"""

from __future__ import annotations

import argparse
import pickle
import random
import time
from datetime import date, datetime, timedelta

from authbook.functions import udfs
from authbook.workbook import schema

try:
    import resource  # Unix only: peak memory
except ImportError:  # Windows
    resource = None

CODES = ("90832", "90834", "90837", "90853", "H0004")
START = date(2026, 1, 1)


def tables(auth_count: int, note_count: int, seed: int = 4) -> tuple[list, list]:
    """Auths and Notes tables as xlwings passes them (every header, computed columns blank)."""
    rng = random.Random(seed)
    auth_headers, note_headers = schema.AUTHS.headers, schema.NOTES.headers
    a_pos = {c.field: i for i, c in enumerate(schema.AUTHS.columns)}
    n_pos = {c.field: i for i, c in enumerate(schema.NOTES.columns)}
    clients = max(1, auth_count // len(CODES))
    auths = [auth_headers]
    for i in range(auth_count):
        row: list[object] = [None] * len(auth_headers)
        row[a_pos["auth_no"]] = f"AB{i + 1:06d}"
        row[a_pos["client_id"]] = f"C{i % clients:05d}"
        code = CODES[i // clients % len(CODES)]
        row[a_pos["billing_code"]] = float(code) if code.isdigit() else code  # as Excel stores it
        row[a_pos["start_date"]] = datetime(2026, 1, 1)
        row[a_pos["end_date"]] = datetime(2026, 12, 31)
        row[a_pos["allotted_units"]] = float(rng.choice((12, 20, 24, 52)))
        row[a_pos["unit_alert_level"]] = 4.0
        row[a_pos["exp_alert_days"]] = 30.0
        auths.append(row)
    notes = [note_headers]
    for i in range(note_count):
        row = [None] * len(note_headers)
        row[n_pos["note_id"]] = f"N{i + 1:07d}"
        row[n_pos["client_id"]] = f"C{rng.randrange(clients):05d}"
        row[n_pos["service_date"]] = datetime.combine(
            START + timedelta(days=rng.randrange(300)), datetime.min.time()
        )
        row[n_pos["billing_code"]] = rng.choice(CODES[:4])
        row[n_pos["units"]] = 1.0
        row[n_pos["status"]] = rng.choice(("Released", "Released", "Pending", "Draft"))
        notes.append(row)
    return auths, notes


def fresh(table: list) -> list:
    """A copy made of new objects, like the lists xlwings builds for each call."""
    return pickle.loads(pickle.dumps(table))


def run(auth_count: int, note_count: int, calls: int = 2000) -> None:
    udfs._computed_books.clear()
    auths, notes = tables(auth_count, note_count)
    clients = max(1, auth_count // len(CODES))
    copies = [(fresh(auths), fresh(notes)) for _ in range(2)]
    day = datetime(2026, 6, 1)

    start = time.perf_counter()
    first = udfs.AB_REMAINING(auths, notes, "AB000001")
    cold = time.perf_counter() - start
    assert not str(first).startswith(udfs.ERROR), first

    rng = random.Random(1)
    functions = (
        lambda a, n, i: udfs.AB_REMAINING(a, n, f"AB{i:06d}"),
        lambda a, n, i: udfs.AB_AVAILABLE(a, n, f"AB{i:06d}"),
        lambda a, n, i: udfs.AB_STATUS(a, n, f"AB{i:06d}"),
        lambda a, n, i: udfs.AB_AUTH_FOR(a, n, f"C{i % clients:05d}", "90834", day),
        lambda a, n, i: udfs.AB_ELIGIBLE_CODES(a, n, f"C{i % clients:05d}", day),
    )
    spent = 0.0
    for call in range(calls):
        a, n = copies[call % len(copies)]
        number = rng.randrange(1, auth_count + 1)
        start = time.perf_counter()
        value = functions[call % len(functions)](a, n, number)
        spent += time.perf_counter() - start
        assert not str(value).startswith(udfs.ERROR), value
    cache = udfs._computed_books
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024 if resource else 0
    print(
        f"{auth_count:>6} auths / {note_count:>6} notes: first call {cold:6.2f} s; "
        f"{calls} calls {spent:6.2f} s = {spent / calls * 1000:7.2f} ms per call "
        f"(cache hits {cache.hits}, misses {cache.misses}; peak memory {peak:.1f} GB "
        "including the test tables)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="only 5k auths / 50k notes")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    run(5_000, 50_000, args.calls)
    if not args.small:
        run(50_000, 500_000, args.calls)


if __name__ == "__main__":
    main()
