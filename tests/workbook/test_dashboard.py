"""The Dashboard sheet: figures checked by hand on a small workbook, native charts, rebuilt by
each refresh, `authbook report` printing the same figures, and LibreOffice rendering it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zlib
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from authbook.services import refresh as app
from authbook.workbook import template
from tests.lo_helpers import require_libreoffice, run_uno_script, running_office

AS_OF = date(2026, 3, 1)


def auth(no, client, code, start, end, allotted, **extra):
    return {
        "auth_no": no,
        "client_id": client,
        "billing_code": code,
        "start_date": start,
        "end_date": end,
        "allotted_units": allotted,
        **extra,
    }


def note(no, client, day, code, status, minutes):
    return {
        "note_id": no,
        "client_id": client,
        "service_date": day,
        "billing_code": code,
        "status": status,
        "minutes": minutes,
    }


#: Figures worked out by hand in the comments of test_dashboard_figures_match_the_hand_count.
HAND_BOOK = {
    "Payers": [{"payer": p, "active": True} for p in ("Medicaid", "Blue Plan", "Self Pay")],
    "Clients": [
        {"client_id": "C1", "primary_payer": "Medicaid", "active": True},
        {"client_id": "C2", "primary_payer": "Blue Plan", "active": True},
    ],
    "Auths": [
        auth(
            "A1",
            "C1",
            "90834",
            date(2026, 1, 1),
            date(2026, 3, 20),
            10,
            unit_alert_level=2,
            exp_alert_days=30,
            payer="Medicaid",
            request_status="Approved",
            requested_units=10,
        ),
        auth(
            "A2",
            "C1",
            "90837",
            date(2026, 1, 1),
            date(2026, 6, 30),
            4,
            payer="Medicaid",
            request_status="Partial",
            requested_units=8,
        ),
        auth("A3", "C2", "90834", date(2026, 2, 1), date(2026, 4, 15), 6, auth_group="Group 1"),
        auth("A4", "C2", "90832", date(2026, 2, 1), date(2026, 4, 15), 6, auth_group="Group 1"),
        auth(
            "A5",
            "C2",
            "90847",
            date(2026, 3, 1),
            date(2026, 5, 31),
            None,
            payer="Blue Plan",
            request_status="Denied",
            requested_units=5,
        ),
    ],
    "Notes": [
        note("N1", "C1", date(2026, 1, 5), "90834", "Released", 45),
        note("N2", "C1", date(2026, 2, 2), "90834", "Released", 45),
        note("N3", "C1", date(2026, 2, 9), "90837", "Released", 45),
        note("N4", "C2", date(2026, 2, 10), "90834", "Pending", 45),
        note("N5", "C2", date(2026, 2, 17), "90832", "Released", 30),
        note("N6", "C2", date(2026, 3, 1), "90847", "Pending", 50),
        note("N7", "C1", date(2026, 2, 23), "90791", "Pending", 60),
    ],
}

HAND_FIGURES = {
    # Only A1 alerts: EXPIRING (ends 03/20, within its 30 alert days). A5 is Denied: no alerts.
    "Alerts by kind (one per pool)": [
        ["OVER", 0],
        ["EXHAUSTED", 0],
        ["LOW", 0],
        ["RUNS OUT", 0],
        ["EXPIRING", 1],
        ["EXPIRED", 0],
    ],
    # A1 ends 03/20 (19 days), A3 and A4 04/15 (45 days: one approval, same dates and
    # group), A2 06/30 (121 days); A5 is Denied. Issue 23: approvals are counted, not lines.
    "Approvals expiring": [["0-30 days", 1], ["31-60 days", 1], ["61-90 days", 0]],
    # Medicaid: A1 10 allotted, N1+N2 used; A2 4 allotted, N3 used.
    # Blue Plan: the Group 1 pool (A3 and A4, one pool of 6) once: N5 used, N4 pending.
    "Units by payer (current auths)": [
        ["Blue Plan", 6, 1, 1, 5],
        ["Medicaid", 14, 3, 0, 11],
    ],
    "Units by program (auth group)": [
        ["(no group)", 14, 3, 0, 11],
        ["Group 1", 6, 1, 1, 5],
    ],
    # N7 90791 has no auth ($180), N6 only a Denied request ($110), N3 45 minutes as 90837 ($150).
    "Notes at risk: 3 notes, $440.00 (would be denied)": [
        ["No auth for the date (197/39)", 2, 290.0],
        ["Units beyond the auth (198)", 0, 0],
        ["Auth # or provider (15)", 0, 0],
        ["Period limit (119)", 0, 0],
        ["Coding (150/151/236/B15)", 1, 150.0],
        ["Unreadable note", 0, 0],
    ],
    # Medicaid: asked 10 + 8, got 10 + 4, both approved (one in part). Blue Plan: 5 asked, denied.
    "Renewal requests by payer": [
        ["Blue Plan", 5, 0, 1, 0.0],
        ["Medicaid", 18, 14, 2, 1.0],
    ],
}


@pytest.fixture
def hand_book(tmp_path):
    path = tmp_path / "hand.xlsx"
    template.write_new(path, HAND_BOOK)
    return path


def dashboard_tables(path: Path) -> dict[str, list[list[object]]]:
    """Each panel of the Dashboard sheet: title -> its rows under the header."""
    ws = load_workbook(path)["Dashboard"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    tables = {}
    for i, row in enumerate(rows[:-1]):
        title, header = row[0] if row else None, rows[i + 1]
        alone = all(v is None for v in row[1:])
        if isinstance(title, str) and header and header[0] and i >= 2 and alone:
            body = []
            for values in rows[i + 2 :]:
                if not values or values[0] is None:
                    break
                width = sum(1 for h in header if h is not None)
                body.append(values[:width])
            tables[title] = body
    return tables


def test_dashboard_figures_match_the_hand_count(hand_book):
    computed = app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    assert computed.problems == []
    assert dashboard_tables(hand_book) == HAND_FIGURES


def test_report_prints_the_same_figures_as_the_dashboard(hand_book):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "authbook.cli",
            "report",
            str(hand_book),
            "--as-of",
            "2026-03-01",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    panels = json.loads(done.stdout)["panels"]
    assert {
        title: [list(r.values()) for r in rows] for title, rows in panels.items()
    } == HAND_FIGURES
    table = subprocess.run(
        [sys.executable, "-m", "authbook.cli", "report", str(hand_book), "--as-of", "2026-03-01"],
        capture_output=True,
        text=True,
    )
    assert "Notes at risk: 3 notes, $440.00" in table.stdout
    # issue 23: the columns say what they count, so 18 requested and 14 approved at 100%
    # reads as units against requests, not as a contradiction
    assert re.search(r"Medicaid +18 +14 +2 +100\.0%", table.stdout)
    assert re.search(r"Units requested +Units approved +Requests decided", table.stdout)


def test_dashboard_keeps_its_native_charts_and_styles_through_refreshes(hand_book):
    app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    wb = load_workbook(hand_book)
    ws = wb["Dashboard"]
    assert len(ws._charts) == 6  # one per panel, not doubled by the second refresh
    assert wb.sheetnames.count("Dashboard") == 1
    assert ws["A5"].fill.fgColor.rgb.endswith("1F4E78")  # header style kept by the fast save
    assert dashboard_tables(hand_book) == HAND_FIGURES


# --- LibreOffice renders it ------------------------------------------------------------------

RENDER = """
src, out = sys.argv[1], sys.argv[2]
doc = load(src)
for name in list(doc.Sheets.ElementNames):
    if name != "Dashboard":
        doc.Sheets.removeByName(name)
doc.storeToURL(file_url(out), props(FilterName="calc_pdf_Export"))
doc.close(True)
print("rendered")
"""


def require_pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI is set but pdftoppm is missing; install poppler-utils")
    pytest.skip("pdftoppm not found; install poppler-utils")


def png_gray_rows(path: Path) -> list[list[int]]:
    """The pixels of an 8-bit grayscale or RGB PNG as rows of gray levels (0 black..255 white)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width, step = 8, b"", 0, 1
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width = int.from_bytes(body[:4], "big")
            assert body[8] == 8 and body[9] in (0, 2) and body[12] == 0, "8-bit gray or RGB"
            step = 1 if body[9] == 0 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, size = zlib.decompress(idat), width * step
    rows, previous = [], bytearray(size)
    for start in range(0, len(raw), size + 1):
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + size])
        for x in range(size):
            left = line[x - step] if x >= step else 0
            up = previous[x]
            corner = previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                near = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[x] = (line[x] + near) & 255
        rows.append([sum(line[i : i + step]) // step for i in range(0, size, step)])
        previous = line
    return rows


def test_libreoffice_renders_the_dashboard_of_a_refreshed_demo_and_a_page_is_not_blank(tmp_path):
    soffice, uno_python = require_libreoffice()
    pdftoppm = require_pdftoppm()
    book = tmp_path / "demo.xlsx"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "authbook.cli",
            "demo",
            str(book),
            "--as-of",
            "2026-03-01",
            "--clients",
            "30",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    pdf = tmp_path / "dashboard.pdf"
    with running_office(soffice, tmp_path) as office:
        result = run_uno_script(uno_python, office, RENDER, str(book), str(pdf))
    assert "rendered" in result.stdout
    assert pdf.read_bytes()[:5] == b"%PDF-"
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-gray",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            str(pdf),
            str(tmp_path / "page"),
        ],
        check=True,
        timeout=120,
    )
    rows = png_gray_rows(next(tmp_path.glob("page*.png")))
    width = len(rows[0])
    dark = sum(1 for row in rows for value in row if value < 200)
    right = sum(1 for row in rows for value in row[width // 2 :] if value < 200)
    assert dark > 0.01 * width * len(rows)  # text, tables and bars, not an empty page
    assert right > 0.003 * width * len(rows)  # the charts, drawn right of the tables


def chart_ranges(path: Path) -> list[str]:
    ws = load_workbook(path)["Dashboard"]
    return [chart.series[-1].val.numRef.f for chart in ws._charts]


def test_charts_are_drawn_once_for_a_workbook_made_before_the_dashboard(hand_book, monkeypatch):
    from authbook.workbook import dashboard

    drawn = []
    original = dashboard.redraw_file
    monkeypatch.setattr(
        dashboard, "redraw_file", lambda *a, **k: (drawn.append(1), original(*a, **k))
    )
    app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    assert drawn == []  # the template ships the Dashboard drawn: refresh fills in cells only
    before = chart_ranges(hand_book)

    wb = load_workbook(hand_book)
    del wb["Dashboard"]
    wb.save(hand_book)
    app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    assert drawn == [1]
    app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    assert drawn == [1]
    assert chart_ranges(hand_book) == before
    assert dashboard_tables(hand_book) == HAND_FIGURES


def test_more_payers_than_rows_are_summed_as_other(tmp_path):
    book = {
        **HAND_BOOK,
        "Payers": [{"payer": f"P{i}", "active": True} for i in range(10)],
        "Clients": [{"client_id": "C1", "primary_payer": "P0", "active": True}],
        "Auths": [
            auth(f"A{i}", "C1", "90834", date(2026, 1, 1), date(2026, 6, 30), 10 + i, payer=f"P{i}")
            for i in range(10)
        ],
        "Notes": [],
    }
    path = tmp_path / "many.xlsx"
    template.write_new(path, book)
    app.refresh_file(path, AS_OF, AS_OF, user="test")
    rows = dashboard_tables(path)["Units by payer (current auths)"]
    # The 7 with the most units (P3..P9, 13..19), then P0+P1+P2 = 10+11+12.
    assert [r[0] for r in rows] == [f"P{i}" for i in range(3, 10)] + ["Other"]
    assert rows[-1] == ["Other", 33, 0, 0, 33]


def test_dashboard_charts_are_never_redrawn_at_the_cost_of_the_users_own_parts(
    hand_book, monkeypatch
):
    """A workbook without the Dashboard that holds parts openpyxl cannot keep (here a picture)
    gets the Dashboard's values only; the picture survives byte for byte."""
    import zipfile

    from authbook.workbook import dashboard

    wb = load_workbook(hand_book)
    del wb["Dashboard"]
    wb.save(hand_book)
    picture = b"\x89PNG\r\n\x1a\n not really a picture"
    with zipfile.ZipFile(hand_book, "a") as package:
        package.writestr("xl/media/image1.png", picture)
    drawn = []
    monkeypatch.setattr(dashboard, "redraw_file", lambda *a, **k: drawn.append(1))
    app.refresh_file(hand_book, AS_OF, AS_OF, user="test")
    assert drawn == []
    with zipfile.ZipFile(hand_book) as package:
        assert package.read("xl/media/image1.png") == picture
    assert dashboard_tables(hand_book) == HAND_FIGURES
