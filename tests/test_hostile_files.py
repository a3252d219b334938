"""Hostile use of the files a user hands AuthBook (issue 25): nothing lost, nothing silent.

Each test is named as the rule; each runs the command as a user would, on real files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from authbook.cli import main
from authbook.workbook import template

AS_OF = "2026-03-01"


def practice(path: Path) -> Path:
    """A small practice's workbook: one client, one auth, one note."""
    return template.write_new(
        path,
        {
            "Clients": [{"client_id": "P1", "last_name": "Practice", "first_name": "Own"}],
            "Auths": [
                {
                    "auth_no": "OWN1",
                    "client_id": "P1",
                    "billing_code": "90834",
                    "start_date": date(2026, 1, 1),
                    "end_date": date(2026, 6, 30),
                    "allotted_units": 12,
                }
            ],
            "Notes": [
                {
                    "note_id": "N1",
                    "client_id": "P1",
                    "service_date": date(2026, 2, 1),
                    "billing_code": "90834",
                    "status": "Released",
                }
            ],
        },
    )


def client_ids(path: Path) -> set[str]:
    with open(path, "rb") as f:  # (openpyxl goes by the name's ending: a .bak is a workbook too)
        ws = load_workbook(f, read_only=True)["Clients"]
        return {row[0] for row in ws.iter_rows(min_row=2, values_only=True) if row[0]}


@pytest.fixture
def book(tmp_path) -> Path:
    path = practice(tmp_path / "practice.xlsx")
    Path(str(path) + ".bak").unlink(missing_ok=True)
    return path


def files_in(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


# --- item 1: demo over an existing workbook ------------------------------------------------


def test_demo_refuses_to_replace_an_existing_workbook_without_force(book, capsys):
    before = files_in(book.parent)
    assert main(["demo", str(book), "--clients", "5", "--as-of", AS_OF]) == 2
    assert "--force" in capsys.readouterr().err
    assert files_in(book.parent) == before


def test_demo_with_force_keeps_the_practice_workbook_in_the_backup(book):
    assert main(["demo", str(book), "--clients", "5", "--as-of", AS_OF, "--force"]) in (0, 1)
    backup = book.with_name(book.name + ".bak")
    assert client_ids(backup) == {"P1"}  # the practice's own file, not the demo
    assert "P1" not in client_ids(book) and len(client_ids(book)) >= 5


# --- item 2: template, read-only workbooks --------------------------------------------------


def test_template_refuses_to_replace_an_existing_workbook_without_force(book, capsys):
    before = book.read_bytes()
    assert main(["template", str(book)]) == 2
    assert "--force" in capsys.readouterr().err
    assert book.read_bytes() == before
    assert main(["template", str(book), "--force"]) == 0
    assert client_ids(book.with_name(book.name + ".bak")) == {"P1"}


@pytest.mark.parametrize(
    "command",
    [
        ["refresh", "{}"],
        ["new", "{}", "--force"],
        ["template", "{}", "--force"],
        ["demo", "{}", "--force", "--clients", "5"],
        ["renew", "{}", "OWN1", "--user", "t"],
        ["bulk-update", "{}", "--where", "Auth #=OWN1", "--set", "Allotted Units=20", "--yes"],
    ],
)
def test_a_read_only_workbook_is_never_replaced(book, command, capsys):
    os.chmod(book, 0o444)
    before = files_in(book.parent)
    code = main([c.format(book) for c in command])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "read-only" in err and "Traceback" not in err
    assert files_in(book.parent) == before
    assert stat.S_IMODE(book.stat().st_mode) == 0o444


# --- item 3: a symbolic link to the workbook ------------------------------------------------


def used_units(path: Path) -> list[object]:
    with open(path, "rb") as f:
        ws = load_workbook(f, read_only=True)["Auths"]
        rows = list(ws.iter_rows(values_only=True))
    return [row[rows[0].index("Used Units")] for row in rows[1:] if row[0]]


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges there")
@pytest.mark.parametrize(
    "command",
    [
        ["refresh", "{}", "--as-of", AS_OF],
        ["renew", "{}", "OWN1", "--user", "t"],
        ["bulk-update", "{}", "--where", "Auth #=OWN1", "--set", "Allotted Units=20", "--yes"],
    ],
)
def test_a_symlinked_workbook_is_written_through_and_stays_a_link(tmp_path, command):
    (tmp_path / "shared").mkdir()
    real = practice(tmp_path / "shared" / "practice.xlsx")
    link = tmp_path / "mine.xlsx"
    link.symlink_to(real)
    before = real.read_bytes()
    assert main([c.format(link) for c in command]) in (0, 1)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() != before
    assert used_units(real)[0] == 1  # refreshed: note N1 drew one unit
    assert real.with_name(real.name + ".bak").read_bytes() == before  # beside the real file
    assert not (tmp_path / "mine.xlsx.bak").exists()


# --- item 5: a required sheet missing or renamed ------------------------------------------


def renamed(path: Path, sheet: str, to: str) -> Path:
    wb = load_workbook(path)
    wb[sheet].title = to
    wb.save(path)
    return path


@pytest.mark.parametrize("sheet", ["Notes", "Clients", "BillingCodes", "Auths"])
@pytest.mark.parametrize(
    "command",
    [
        ["refresh", "{}"],
        ["check", "{}"],
        ["alerts", "{}"],
        ["report", "{}"],
        ["eligible", "{}", "--client", "P1", "--date", "2026-02-02"],
        ["bulk-update", "{}", "--where", "Auth #=OWN1", "--set", "Allotted Units=20", "--yes"],
    ],
)
def test_a_missing_or_renamed_record_sheet_is_an_error_naming_it(book, sheet, command, capsys):
    renamed(book, sheet, sheet + " (old)")
    before = files_in(book.parent)
    code = main([c.format(book) for c in command])
    out, err = capsys.readouterr()
    assert code == 2, err
    assert f"'{sheet}'" in err and "Traceback" not in err
    assert not out.strip()
    assert files_in(book.parent) == before


def test_a_missing_list_sheet_is_no_error(book):
    """The lists (AuthGroups, CodeGroups, Payers, Providers) and Settings may be missing:
    older workbooks lack some, and an empty list only turns off the check against it."""
    wb = load_workbook(book)
    for name in ("AuthGroups", "CodeGroups", "Payers", "Providers", "Settings", "Alerts"):
        del wb[name]
    wb.save(book)
    assert main(["refresh", str(book), "--as-of", AS_OF]) == 0
    assert used_units(book) == [1]


# --- item 10: a title row above an input sheet's header -------------------------------------


def with_title_row(path: Path, sheet: str, rows: int = 1) -> Path:
    wb = load_workbook(path)
    ws = wb[sheet]
    ws.insert_rows(1, rows)
    ws["A1"] = "Practice authorizations 2026"
    wb.save(path)
    return path


@pytest.mark.parametrize("sheet", ["Auths", "Notes", "Clients", "Payers"])
@pytest.mark.parametrize(
    "command",
    [
        ["refresh", "{}"],
        ["check", "{}"],
        ["alerts", "{}"],
        ["report", "{}"],
        ["eligible", "{}", "--client", "P1", "--date", "2026-02-02"],
    ],
)
def test_a_title_row_above_the_header_is_refused_naming_sheet_and_header_row(
    book, sheet, command, capsys
):
    with_title_row(book, sheet)
    before = files_in(book.parent)
    code = main([c.format(book) for c in command])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"the {sheet} sheet's header" in err and "is in row 2" in err
    assert "Traceback" not in err and "internal error" not in err
    assert files_in(book.parent) == before


def test_a_header_pushed_down_by_blank_rows_is_refused_too(book, capsys):
    wb = load_workbook(book)
    wb["Notes"].insert_rows(1, 2)  # row 1 empty: nothing under it is read
    wb.save(book)
    assert main(["refresh", str(book)]) == 2
    assert "the Notes sheet's row 1 holds none of its column headers" in capsys.readouterr().err


# --- item 12: file-system errors --------------------------------------------------------------


def no_lock_files(folder: Path) -> bool:
    return not any(p.name.endswith(".authbook-lock") for p in folder.iterdir())


@pytest.mark.parametrize(
    "command",
    [
        ["refresh", "{folder}/missing/book.xlsx"],
        ["alerts", "{folder}/missing/book.xlsx"],
        ["new", "{folder}/missing/book.xlsx"],
        ["demo", "{folder}/missing/book.xlsx", "--clients", "5"],
        ["refresh", "{folder}/gone.xlsx"],
    ],
)
def test_a_workbook_in_a_missing_folder_or_missing_is_a_file_error(tmp_path, command, capsys):
    code = main([c.format(folder=tmp_path) for c in command])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "does not exist" in err and "internal error" not in err
    assert list(tmp_path.iterdir()) == []  # not even a lock file


@pytest.mark.parametrize("command", [["refresh"], ["check"], ["new", "--force"], ["template"]])
def test_a_folder_named_like_a_workbook_is_a_file_error(tmp_path, command, capsys):
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    code = main([command[0], str(folder), *command[1:]])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "is a folder" in err and "internal error" not in err
    assert no_lock_files(tmp_path) and list(folder.iterdir()) == []


@pytest.mark.skipif(
    sys.platform == "win32" or os.geteuid() == 0, reason="needs a user a folder can refuse"
)
def test_a_read_only_folder_is_a_file_error(book, capsys):
    os.chmod(book.parent, 0o555)
    try:
        before = files_in(book.parent)
        assert main(["refresh", str(book)]) == 2
        assert "read-only" in capsys.readouterr().err
        assert files_in(book.parent) == before
    finally:
        os.chmod(book.parent, 0o755)


def test_a_folder_that_refuses_the_new_file_is_a_file_error(book, capsys, monkeypatch):
    """What an unprivileged user meets in a read-only folder (or a disk mounted read-only):
    the new file cannot be made beside the old one."""
    import errno
    import tempfile

    def refused(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    before = files_in(book.parent)
    monkeypatch.setattr(tempfile, "mkstemp", refused)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert "permission denied" in err and "internal error" not in err
    assert files_in(book.parent) == before and no_lock_files(book.parent)


def test_an_unwritable_mapping_file_on_a_dry_run_is_a_usage_error(book, tmp_path, capsys):
    source = tmp_path / "tracker.csv"
    source.write_text("Client ID,Auth #,CPT,Start,End,Units\nP1,X9,90834,1/1/2026,6/30/2026,5\n")
    mapping = tmp_path / "missing" / "tracker.map.toml"
    before = files_in(tmp_path)
    code = main(["import", str(source), "--into", str(book), "--dry-run", "--map", str(mapping)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "could not be written" in err and "internal error" not in err
    assert files_in(tmp_path) == before and no_lock_files(tmp_path)


@pytest.mark.parametrize(
    "option", [["eligible", "--client", "P1", "--date"], ["alerts", "--as-of"]]
)
def test_an_empty_date_on_the_command_line_is_a_usage_error(book, option, run_cli):
    done = run_cli(option[0], str(book), *option[1:], "")
    assert done.returncode == 2, done.stderr
    assert "a date is needed" in done.stderr and "Traceback" not in done.stderr


# --- item 13: Ctrl-C while loading, a full disk, a full TMPDIR ------------------------------


def test_ctrl_c_while_modules_load_is_a_message_not_a_traceback(tmp_path, book, run_cli):
    """A real SIGINT, delivered while Python imports a library AuthBook needs (a stand-in
    for python-calamine, which the reader imports, found first on the path sends it)."""
    stand_in = tmp_path / "first" / "python_calamine"
    stand_in.mkdir(parents=True)
    (stand_in / "__init__.py").write_text(
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\n"
    )
    path = os.pathsep.join([str(tmp_path / "first"), os.environ.get("PYTHONPATH", "")])
    before = files_in(book.parent)
    done = run_cli("refresh", str(book), env={"PYTHONPATH": path})
    assert done.returncode == 2, done.stderr
    assert "interrupted" in done.stderr and "Traceback" not in done.stderr
    assert files_in(book.parent) == before


@pytest.mark.parametrize(
    "argv",
    [
        ("refresh", "{pipe}.xlsx"),
        ("eligible", "{pipe}.xlsx", "--client", "C0001", "--date", "2026-02-02"),
        ("import", "{pipe}.csv", "--into", "{book}"),
        ("scrub", "{book}", "{pipe}.837"),
        ("remit", "{book}", "{pipe}.835"),
    ],
    ids=["refresh", "eligible", "import", "scrub", "remit"],
)
def test_a_named_pipe_given_as_a_file_is_refused_at_once(tmp_path, book, run_cli, argv):
    """Opening a named pipe waits until something writes into it: a command given one
    (a workbook, a tracker, an X12 file) says it is no regular file, and exits 2."""
    pipe = tmp_path / "pipe"
    suffix = Path(next(a for a in argv if "{pipe}" in a)).suffix
    os.mkfifo(pipe.with_suffix(suffix))
    before = files_in(book.parent)
    args = [a.format(pipe=pipe, book=book) for a in argv]
    done = run_cli(*args, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "not a regular file" in done.stderr and "Traceback" not in done.stderr
    assert files_in(book.parent) == before


@pytest.fixture
def tiny_disk(tmp_path):
    """A folder on a disk of 64 KB of its own (a tmpfs; needs the right to mount one)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small disk here (needs root)")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_during_demo_is_a_message_and_leaves_nothing(tiny_disk, run_cli):
    done = run_cli("demo", str(tiny_disk / "demo.xlsx"), "--clients", "40", "--as-of", AS_OF)
    assert done.returncode == 2, done.stderr
    assert "is full" in done.stderr and "Traceback" not in done.stderr
    assert list(tiny_disk.iterdir()) == []


def test_a_full_temporary_folder_is_named_as_such_not_the_workbooks_disk(tiny_disk, tmp_path):
    """A large workbook's rewritten parts go to the temporary folder (TMPDIR) first once
    past ``SPOOL_BYTES``; here that size is made small so a small workbook does the same."""
    path = tmp_path / "demo.xlsx"
    assert main(["demo", str(path), "--clients", "40", "--as-of", AS_OF]) in (0, 1)
    before = path.read_bytes()
    # the temporary folder nearly full: 12 KB left (Python passes over a folder it cannot
    # write at all, and goes back to the system's)
    (tiny_disk / "filler").write_bytes(bytes(52 << 10))
    code = (
        "import authbook.workbook.xlsx.entries as s; s.SPOOL_BYTES = 512; "
        "from authbook.cli import run; run()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "refresh", str(path), "--as-of", "2026-04-01"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMPDIR": str(tiny_disk)},
    )
    assert done.returncode == 2, done.stderr
    assert "TMPDIR" in done.stderr and "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert path.read_bytes() == before


# --- item 7: other programs' locks and AuthBook's own across computers ----------------------


def test_a_workbook_open_in_libreoffice_is_refused(book, capsys):
    lock = book.with_name(".~lock." + book.name + "#")
    lock.write_text("1,someone,pc,06.12.2026 10:00,file:///home/someone/.config/libreoffice/4;")
    before = files_in(book.parent)
    assert main(["refresh", str(book)]) == 2
    assert "open in LibreOffice" in capsys.readouterr().err
    assert files_in(book.parent) == before


@pytest.mark.parametrize("lock_name", ["~${}", ".~lock.{}#"])
def test_a_workbook_opened_while_bulk_update_waits_at_its_prompt_is_not_written(
    book, lock_name, monkeypatch, capsys
):
    """The lock is looked for again right before the new file replaces the old one."""
    before = files_in(book.parent)

    def answer_after_opening_it_elsewhere(question: str) -> str:
        book.with_name(lock_name.format(book.name)).write_bytes(b"lock")
        return "y"

    monkeypatch.setattr("builtins.input", answer_after_opening_it_elsewhere)
    command = ["bulk-update", str(book), "--where", "Auth #=OWN1", "--set", "Allotted Units=20"]
    assert main(command) == 2
    assert "is open in" in capsys.readouterr().err
    after = files_in(book.parent)
    assert {n: after[n] for n in before} == before  # the workbook, no .bak, nothing else
    assert set(after) - set(before) == {lock_name.format(book.name)}


def lock_of(path: Path) -> Path:
    return path.with_name("." + path.name + ".authbook-lock")


def test_a_refresh_lock_taken_on_another_computer_is_not_broken(book, capsys):
    lock = lock_of(book)
    lock.write_text("pid=999999999\nhost=front-desk-pc\ntime=1796000000\n")
    before = files_in(book.parent)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert "another AuthBook run" in err and "front-desk-pc" in err
    assert files_in(book.parent) == before and lock.exists()


def test_a_day_old_lock_of_another_computer_is_taken_as_left_behind(book):
    lock = lock_of(book)
    lock.write_text("pid=999999999\nhost=front-desk-pc\ntime=1\n")
    os.utime(lock, (1, 1))
    assert main(["refresh", str(book), "--as-of", AS_OF]) == 0
    assert not lock.exists()


def test_a_refresh_lock_records_the_process_and_the_computer(book, monkeypatch):
    from authbook.workbook import locks

    seen = []
    real_replace = locks.check_not_open

    def look(path):
        seen.append(lock_of(book).read_text())
        return real_replace(path)

    monkeypatch.setattr("authbook.workbook.xlsxfile.check_not_open", look)
    assert main(["refresh", str(book), "--as-of", AS_OF]) == 0
    assert seen and locks.parse_lock(seen[0]) == (os.getpid(), locks.this_computer())


def test_on_windows_a_process_is_never_probed_with_os_kill(monkeypatch):
    """``os.kill(pid, 0)`` ends the process on Windows: there it is asked about instead."""
    from authbook.workbook import locks

    def never(*args):
        raise AssertionError("os.kill called")

    monkeypatch.setattr(locks.os, "kill", never)
    monkeypatch.setattr(locks.sys, "platform", "win32")
    asked = []
    monkeypatch.setattr(locks, "_is_running_windows", lambda pid: asked.append(pid) or True)
    assert locks.is_running(4242) and asked == [4242]


# --- item 14: limits for hostile packages ---------------------------------------------------


def with_shared_strings(path: Path, strings: int, unique_count: int | None = None) -> Path:
    """``path`` with its shared strings replaced by ``strings`` one-letter strings (written
    a piece at a time: 300 MB unpacked packs to under 1 MB)."""
    import zipfile

    copy = path.with_name("crafted.xlsx")
    declared = strings if unique_count is None else unique_count
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "xl/sharedStrings.xml":
                out.writestr(info, src.read(info))
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                b'<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="http://schemas.openxml'
                b'formats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">'
                % (declared, declared)
            )
            piece = b"<si><t>a</t></si>" * 65536
            for _ in range(strings // 65536):
                part.write(piece)
            part.write(b"<si><t>a</t></si>" * (strings % 65536) + b"</sst>")
    copy.replace(path)
    return path


def test_a_workbook_whose_shared_strings_unpack_to_hundreds_of_mb_is_refused(book, capsys):
    with_shared_strings(book, 18_000_000)  # 306 MB unpacked
    assert book.stat().st_size < 2 << 20
    before = files_in(book.parent)
    assert main(["refresh", str(book)]) == 2
    err = capsys.readouterr().err
    assert "shared strings" in err and "Nothing was read or written" in err
    assert files_in(book.parent) == before


@pytest.mark.parametrize(
    "limit, words",
    [
        ({"max_strings": 1000}, "shared strings number 5,000"),
        ({"max_shared_strings_bytes": 50_000}, "shared strings (xl/sharedStrings.xml) are"),
        ({"max_part_bytes": 50_000}, "its part xl/sharedStrings.xml is"),
        ({"max_ratio": 50, "ratio_from": 10_000}, "times its packed size"),
        ({"max_total_bytes": 50_000}, "unpacks to"),
        ({"max_parts": 5}, "parts (more than 5)"),
    ],
)
def test_each_package_limit_refuses_a_workbook_past_it(book, limit, words, monkeypatch, capsys):
    from authbook.workbook import limits

    with_shared_strings(book, 5_000)  # 85 KB unpacked, packed about 400 times
    assert main(["alerts", str(book)]) == 0  # inside the usual limits
    capsys.readouterr()
    monkeypatch.setattr(limits, "LIMITS", limits.Limits(**limit))
    assert main(["refresh", str(book)]) == 2
    assert words in capsys.readouterr().err


def test_a_practice_a_hundred_times_the_demo_stays_far_inside_the_limits(tmp_path):
    """The demo (300 clients, about 5,600 notes) grown a hundredfold, 560,000 notes: each
    part, the total, and how far they pack all stay inside the limits."""
    import zipfile

    from authbook.workbook.limits import LIMITS

    path = tmp_path / "demo.xlsx"
    assert main(["demo", str(path), "--as-of", AS_OF]) in (0, 1)
    with zipfile.ZipFile(path) as package:
        entries = package.infolist()
    assert len(entries) * 10 < LIMITS.max_parts
    assert sum(i.file_size for i in entries) * 100 < LIMITS.max_total_bytes
    for info in entries:
        assert info.file_size * 100 < LIMITS.max_part_bytes, info.filename
        assert info.file_size < 2 * LIMITS.ratio_from or (
            info.file_size / info.compress_size * 4 < LIMITS.max_ratio
        ), info.filename


@settings(max_examples=200, deadline=None)
@given(
    pid=st.integers(min_value=1, max_value=2**31),
    host=st.text(
        st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=60
    ).filter(lambda h: h.strip()),
    when=st.floats(min_value=0, max_value=4e9),
)
def test_a_lock_file_reads_back_as_the_process_and_computer_that_wrote_it(pid, host, when):
    from authbook.workbook.locks import lock_text, parse_lock

    assert parse_lock(lock_text(pid, host, when)) == (pid, host.strip())


def test_a_workbook_on_a_read_only_disk_is_a_file_error(tiny_disk, capsys):
    """A disk mounted read-only refuses every user, an administrator too."""
    path = practice(tiny_disk / "practice.xlsx")
    remounted = subprocess.run(
        ["mount", "-o", "remount,ro", str(tiny_disk)], capture_output=True, text=True
    )
    if remounted.returncode != 0:
        pytest.skip("cannot remount the small disk read-only here")
    before = files_in(tiny_disk)
    assert main(["refresh", str(path), "--as-of", AS_OF]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and "internal error" not in err
    assert files_in(tiny_disk) == before
