"""The raw book: what a file adapter read (``SheetRead``s) turned into a ``RawBook`` by the
schema (field names, each row's source), with the problems of the workbook's structure: a
sheet missing, a column missing from a header row, an input cell whose formula has no saved
result. No decisions are made here (``authbook.rules`` makes them), only the mapping of
headers to fields.

``raw_book(sheets)`` is the whole of it; ``with_sheets`` adds sheets read later (the Notes
sheet of a large refresh, ``store.read_sheets_in_turn``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import compress
from operator import itemgetter

from authbook.models import Problem, RawBook, RawRecord, RawRows, Source
from authbook.workbook import schema
from authbook.workbook.header_row import check_header_row
from authbook.workbook.sheetdata import ColumnRows, SheetRead

#: RawBook field -> sheet it is read from.
RAW_SHEETS = {
    "clients": schema.CLIENTS,
    "auths": schema.AUTHS,
    "notes": schema.NOTES_READ,  # with the remit columns where the sheet has them (issue 26)
    "billing_codes": schema.BILLING_CODES,
    "auth_groups": schema.AUTH_GROUPS,
    "code_groups": schema.CODE_GROUPS,
    "payers": schema.PAYERS,
    "providers": schema.PROVIDERS,
}


class NotAnAuthBook(Exception):
    """The file has none of the sheets an AuthBook workbook must have."""


class MissingSheet(NotAnAuthBook):
    """An AuthBook workbook lacks a sheet its records are read from (renamed or deleted)."""


def raw_rows(spec: schema.Sheet, read: SheetRead) -> RawRows:
    """The non-blank rows of one sheet as RawRows (unknown columns left out)."""
    positions = schema.map_headers(spec, read.headers)
    names = tuple(positions)
    count = len(names)
    indexes = tuple(positions.values())
    if not count:  # no known column: no record
        return RawRows(read.name, names, [], [])
    if isinstance(read.rows, ColumnRows):
        return _raw_columns(read.name, names, indexes, read.rows)
    width = max(indexes, default=-1) + 1
    if count == 1:
        only = indexes[0]
        pick = lambda cells: (cells[only],)  # noqa: E731
    else:
        pick = itemgetter(*indexes)
    rows: list[int] = []
    kept: list[tuple] = []
    for row in read.rows:
        cells = row.values
        if len(cells) < width:
            cells = cells + [None] * (width - len(cells))
        picked = pick(cells) if count else ()
        if picked.count(None) + picked.count("") < count:  # not all blank
            rows.append(row.row)
            kept.append(picked)
    return RawRows(read.name, names, rows, kept)


def _raw_columns(sheet: str, names, indexes, rows: ColumnRows) -> RawRows:
    """``raw_rows`` of rows read by column: the columns as they are, unless some row is blank
    in every known column (then those rows are left out of every column)."""
    width = len(rows.columns)
    blank = [None] * len(rows)
    columns = [rows.columns[i] if i < width else blank for i in indexes]
    empty = (None,) * len(columns)  # ColumnRows hold None for empty text too
    # a column without a blank cell (Note ID, say) rules out blank rows, counted in C
    if any(column.count(None) == 0 for column in columns) or not any(
        map(empty.__eq__, zip(*columns))
    ):
        return RawRows.of_columns(sheet, names, rows.numbers, columns)
    keep = list(map(empty.__ne__, zip(*columns)))
    return RawRows.of_columns(
        sheet,
        names,
        list(compress(rows.numbers, keep)),
        [list(compress(column, keep)) for column in columns],
    )


def raw_records(spec: schema.Sheet, read: SheetRead) -> list[RawRecord]:
    """The rows of one sheet as RawRecords keyed by field name (unknown columns left out)."""
    return list(raw_rows(spec, read))


#: Sheets read as RawRows rather than a tuple of RawRecords (the ones that grow to
#: tens or hundreds of thousands of rows: notes, auths).
COMPACT_SHEETS = ("notes", "auths")


def settings_records(read: SheetRead) -> list[RawRecord]:
    """Settings rows as ``{"field": name, "value": v}`` records (unknown settings left out)."""
    positions = schema.map_headers(schema.SETTINGS, read.headers)
    names = {schema.header_key(label): name for label, name, _, _ in schema.SETTING_ROWS}
    records = []
    for row in read.rows:
        label = row.values[positions["setting"]] if "setting" in positions else None
        name = names.get(schema.header_key(label))
        if name and "value" in positions:
            records.append(
                RawRecord(
                    source=Source(sheet=read.name, row=row.row),
                    values={"field": name, "value": row.values[positions["value"]]},
                )
            )
    return records


def missing_headers(spec: schema.Sheet, read: SheetRead) -> list[Problem]:
    """A problem for each input column the sheet's header row lacks."""
    positions = schema.map_headers(spec, read.headers)
    return [
        Problem(
            source=Source(sheet=read.name, row=1),
            field=c.field,
            message=f"the column '{c.header}' is missing from the header row",
        )
        for c in spec.columns
        if not c.computed and not c.optional and c.field not in positions
    ]


#: Why an input cell holding a formula reads as blank.
NO_RESULT = (
    "holds a formula whose result was not saved with the file (the program that last saved "
    "it does not calculate formulas): open the workbook in Excel or LibreOffice, save it, "
    "and refresh again"
)


def formulas_without_results(spec: schema.Sheet, read: SheetRead) -> list[Problem]:
    """A problem for each input cell of ``read`` that holds a formula with no result saved
    (it reads as blank), in row order: the formula is kept as it is, but AuthBook cannot
    know its value until a spreadsheet program calculates and saves it."""
    positions = schema.map_headers(spec, read.headers)
    inputs = {i + 1: name for name, i in positions.items() if not spec.by_field[name].computed}
    rows = read.rows
    marked = formula_cells(rows, inputs.keys())
    if not marked:
        return []
    if isinstance(rows, ColumnRows):
        at = {n: i for i, n in enumerate(rows.numbers)}
        width = len(rows.columns)

        def value(row: int, col: int):
            return rows.columns[col - 1][at[row]] if col <= width else None
    else:
        by_row = {r.row: r.values for r in rows if r.formulas}

        def value(row: int, col: int):
            values = by_row[row]
            return values[col - 1] if col <= len(values) else None

    return [
        Problem(source=Source(sheet=read.name, row=row), field=inputs[col], message=NO_RESULT)
        for row, cols in marked
        for col in cols
        if value(row, col) in (None, "")
    ]


def formula_cells(rows, columns) -> list[tuple[int, list[int]]]:
    """(row, its columns of ``columns`` holding a formula), in row order, for the rows read
    (a list of RowRead, or ColumnRows) with a formula in any of ``columns`` (1-based)."""
    if isinstance(rows, ColumnRows):
        marks = rows.formulas.items()
    else:
        marks = ((r.row, r.formulas) for r in rows if r.formulas)
    wanted = frozenset(columns)
    hits: dict[frozenset, list[int]] = {}  # rows mostly share their sets of formula columns
    found = []
    for row, cols in marks:
        hit = hits.get(cols)
        if hit is None:
            hit = hits[cols] = sorted(cols & wanted)
        if hit:
            found.append((row, hit))
    return sorted(found)


def with_structure(raw: RawBook, structure: list[Problem], found: list[Problem]) -> list[Problem]:
    """The problems of a workbook: those of its structure (``raw_book`` gave ``raw`` and
    ``structure``) then those the rules ``found``, leaving out the ones about a cell whose
    formula has no saved result (``raw.uncalculated``: its own problem says why it reads as
    blank)."""
    unknown = raw.uncalculated
    if unknown:
        found = [p for p in found if (p.source.sheet, p.source.row, p.field) not in unknown]
    return structure + found


def raw_book(
    sheets: dict[str, SheetRead],
    required: tuple[str, ...] = schema.RECORD_SHEETS,
    coming: Iterable[str] = (),
) -> tuple[RawBook, list[Problem]]:
    """A RawBook from the sheets read, with a problem for each expected column not found and
    each input cell whose formula has no saved result (``formulas_without_results``).

    Raises NotAnAuthBook when none of the required sheets is there, and MissingSheet when
    one of ``required`` (by default the sheets of the practice's records) is not: read as
    empty, it would silently change every figure drawn from it. Raises
    ``header_row.NoHeaderRow`` (a WorkbookError) for an input sheet whose row 1 holds none
    of its headers.

    ``coming`` names sheets the workbook has that are not read yet (``SheetsInTurn``): they
    count as there, and ``with_sheets`` adds their records once they are read.
    """
    there = set(sheets).union(coming)
    if not there.intersection(schema.REQUIRED_SHEETS):
        raise NotAnAuthBook(
            "this is not an AuthBook workbook: it has no "
            + " or ".join(f"'{n}'" for n in schema.REQUIRED_SHEETS)
            + " sheet (create one with 'authbook new PATH')"
        )
    missing = [name for name in required if name not in there]
    if missing:
        names = " and ".join(f"'{n}'" for n in missing)
        raise MissingSheet(
            f"the workbook has no {names} sheet{'s' if len(missing) > 1 else ''} (renamed or "
            "deleted?): AuthBook would read it as empty. Nothing was written. Give the sheet "
            "its name back (sheet names are matched exactly), or copy it from the .bak "
            "AuthBook keeps beside the workbook"
        )
    return with_sheets(RawBook(), [], sheets, required)


def with_sheets(
    raw: RawBook,
    structure: list[Problem],
    sheets: dict[str, SheetRead],
    required: tuple[str, ...] = schema.RECORD_SHEETS,
) -> tuple[RawBook, list[Problem]]:
    """``raw`` and its ``structure`` problems (``raw_book`` of some sheets) with the records
    and problems of more ``sheets``, read since (its ``coming``): what ``raw_book`` of all
    the sheets gives. Raises ``header_row.NoHeaderRow`` as ``raw_book`` does."""
    for spec in (*RAW_SHEETS.values(), schema.SETTINGS):
        if spec.name in sheets:
            check_header_row(spec, sheets[spec.name], required=spec.name in required)
    values: dict[str, object] = {}
    problems: list[Problem] = list(structure)
    uncalculated: set[tuple[str, int, str]] = set(raw.uncalculated)
    for field_name, spec in RAW_SHEETS.items():
        read = sheets.get(spec.name)
        if read is None:
            continue
        rows = raw_rows(spec, read)
        values[field_name] = rows if field_name in COMPACT_SHEETS else tuple(rows)
        problems.extend(missing_headers(spec, read))
        unknown = formulas_without_results(spec, read)
        problems.extend(unknown)
        uncalculated.update((p.source.sheet, p.source.row, p.field) for p in unknown)
    if schema.SETTINGS.name in sheets:
        values["settings"] = tuple(settings_records(sheets[schema.SETTINGS.name]))
    if structure:  # the problems in the order of the sheets, as one raw_book gives them
        order = {spec.name: i for i, spec in enumerate(RAW_SHEETS.values())}
        problems.sort(key=lambda p: order.get(p.source.sheet, len(order)))
    return raw.model_copy(update={**values, "uncalculated": frozenset(uncalculated)}), problems
