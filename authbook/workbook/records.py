"""Translating records into cells, by the schema: computed statuses, alerts and problems
out as SheetWrites (``record_writes``, ``alert_rows``, ``problem_rows``), and how a problem
names its cell. Rows come in as records in ``authbook.workbook.rawbook``. No decisions are
made here, only the mapping of fields to headers and cells.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from datetime import date, datetime
from operator import attrgetter, itemgetter

from authbook.models import (
    NOTE_STATUS_FIELDS,
    Alert,
    AuthStatus,
    NoteStatuses,
    Problem,
)
from authbook.workbook import schema
from authbook.workbook.errors import WorkbookError
from authbook.workbook.privacy import is_id_like, scrubbed
from authbook.workbook.rawbook import formula_cells
from authbook.workbook.sheetdata import (
    CellColumns,
    ColumnRows,
    Formula,
    RowRead,
    SheetRead,
    SheetWrite,
    SheetWriteLater,
    ascending,
)

DATE_FORMAT = "mm/dd/yyyy"
MONEY_FORMAT = "#,##0.00"


def cell_value(value: object) -> object:
    """How a computed value is shown in a cell: booleans as Y/N, everything else as is."""
    if isinstance(value, bool):
        return "Y" if value else "N"
    return value


def _same(old: object, new: object) -> bool:
    if isinstance(old, datetime) and isinstance(new, date) and not isinstance(new, datetime):
        return old.date() == new and old.time() == datetime.min.time()
    if isinstance(old, (int, float)) and isinstance(new, (int, float)):
        return not isinstance(old, bool) and float(old) == float(new)
    if old in ("", None) and new in ("", None):  # a blank cell is blank, however written
        return True
    return old == new and type(old) is type(new)


def _formats(spec: schema.Sheet, positions: dict[str, int]) -> dict[int, str]:
    formats = {}
    for column in spec.columns:
        if column.field in positions:
            if column.kind == "date":
                formats[positions[column.field] + 1] = DATE_FORMAT
            elif column.kind == "money":
                formats[positions[column.field] + 1] = MONEY_FORMAT
    return formats


def column_writes(
    spec: schema.Sheet, read: SheetRead, rows: dict[int, dict[str, object]]
) -> SheetWrite:
    """Cells to set for ``rows`` (sheet row -> field -> value), skipping cells already equal.

    Fields whose column the sheet lacks are skipped; the Table is re-fitted to the last row.
    """
    positions = schema.map_headers(spec, read.headers)
    current = {r.row: r.values for r in read.rows}
    cells: dict[tuple[int, int], object] = {}
    for row, values in rows.items():
        old_row = current.get(row, ())
        width = len(old_row)
        for name, value in values.items():
            index = positions.get(name)
            if index is None:
                continue
            _set_if_changed(cells, row, index, old_row, width, cell_value(value))
    formats = _formats(spec, positions)
    return SheetWrite(cells=cells, last_row=last_row(read), number_formats=formats)


def record_writes(
    spec: schema.Sheet, read: SheetRead, statuses, names: tuple[str, ...]
) -> SheetWrite:
    """Cells to set for the ``names`` fields of ``statuses`` (records with a ``source``, one
    per sheet row, or a ``NoteStatuses``), skipping cells already equal: ``column_writes``
    for a refresh's hundreds of thousands of statuses, without a dict per row."""
    positions = schema.map_headers(spec, read.headers)
    present = [(name, positions[name]) for name in names if name in positions]
    cells: Mapping[tuple[int, int], object] = {}
    if present:
        rows, columns, kinds = status_columns(statuses, [name for name, _ in present])
        indexes = [index for _, index in present]
        if isinstance(read.rows, ColumnRows):
            cells = _cells_by_column(indexes, read.rows, rows, columns, kinds)
        else:
            current = {r.row: r.values for r in read.rows}
            cells = _cells_of_empty_columns(indexes, current, rows, columns, kinds)
            if cells is None:
                cells = _changed_cells(*_changed_columns(indexes, current, rows, columns))
        cells = _over_formulas(cells, read.rows, indexes, rows, columns)
    formats = _formats(spec, positions)
    return SheetWrite(cells=cells, last_row=last_row(read), number_formats=formats)


def _over_formulas(cells: Mapping, read, indexes, rows, columns) -> Mapping:
    """``cells`` with, in addition, the value for every cell of the columns of ``indexes``
    (0-based) that holds a formula on a row of ``rows``, even where the formula's last
    result equals the value (the spreadsheet would recalculate it to something else):
    a column AuthBook fills holds its values only."""
    marked = formula_cells(read, [i + 1 for i in indexes])
    if not marked:
        return cells
    at = {row: position for position, row in enumerate(rows)}
    column_of = {index + 1: column for index, column in zip(indexes, columns)}
    over = {
        (row, col): column_of[col][at[row]]
        for row, cols in marked
        if row in at  # a row with no status is left as it is
        for col in cols
    }
    if isinstance(cells, CellColumns) and None not in over.values():
        return cells  # (a first refresh) it sets every cell with a value already
    return dict(sorted({**cells, **over}.items()))


def record_writes_later(
    spec: schema.Sheet, read: SheetRead, statuses, names: tuple[str, ...]
) -> SheetWrite:
    """``record_writes``, its cells worked out only when first looked at (``SheetWriteLater``):
    ``statuses`` (NoteStatusesLater, say) are not looked at before then either. Only for a
    first refresh (every column to fill is empty on every row); any other write is worked
    out now and its SheetWrite returned."""
    positions = schema.map_headers(spec, read.headers)
    indexes = [positions[name] for name in names if name in positions]
    if not (indexes and _empty(read.rows, indexes)):
        return record_writes(spec, read, statuses, names)
    return SheetWriteLater(
        lambda: record_writes(spec, read, statuses, names),
        expected_rows=len(read.rows),
        last_row=last_row(read),
        number_formats=_formats(spec, positions),
        columns=frozenset(i + 1 for i in indexes),
    )


def status_columns(statuses, names: list[str]) -> tuple[list[int], list[list], list[frozenset]]:
    """The row numbers of ``statuses``, the values of each field of ``names``, one list per
    field (a Yes/No field as "Y"/"N", as the sheet shows it), and the types of each list's
    values."""
    if isinstance(statuses, NoteStatuses):
        rows, columns = statuses.rows, statuses.columns(names)
    else:
        rows = [status.source.row for status in statuses]
        columns = [list(map(attrgetter(name), statuses)) for name in names]
    kinds = [frozenset(map(type, column)) for column in columns]
    for i, column in enumerate(columns):
        if bool not in kinds[i]:
            continue
        if kinds[i] <= _YES_NO_KINDS:  # (the usual Yes/No column: looked up in C)
            columns[i] = list(map(_YES_NO.get, column))
        else:
            columns[i] = [("Y" if v else "N") if type(v) is bool else v for v in column]
        kinds[i] = kinds[i] - {bool} | {str}
    return rows, columns, kinds


_YES_NO = {True: "Y", False: "N"}
_YES_NO_KINDS = frozenset({bool, type(None)})


def _cells_by_column(indexes, read: ColumnRows, rows, columns, kinds=None) -> Mapping:
    """``record_writes``'s cells for a sheet read by column: the columns as they are when
    every column to fill is empty (a first refresh), else compared cell by cell. ``kinds``:
    the types of each column's values, if known (``status_columns``)."""
    width = len(read.columns)
    olds = [read.columns[i] if i < width else None for i in indexes]
    if _empty(read, indexes):
        empty = _cells_of_empty_columns(indexes, None, rows, columns, kinds)
        if empty is not None:
            return empty
    blank = [None] * len(read.numbers)
    picked = [blank if old is None else old for old in olds]
    if rows == read.numbers:  # a status for every row: whole columns can be compared
        kept = [j for j in range(len(indexes)) if not _unchanged(picked[j], columns[j])]
        if len(kept) < len(indexes):  # only the columns that changed, cell by cell
            indexes = [indexes[j] for j in kept]
            picked = [picked[j] for j in kept]
            columns = [columns[j] for j in kept]
            if not kept:
                return {}
    current = dict(zip(read.numbers, zip(*picked)))  # row -> its cells in ``indexes`` order
    return _changed_cells(indexes, current, rows, columns, range(len(indexes)))


def _changed_columns(indexes, current: dict, rows, columns):
    """``_changed_cells``'s arguments for the rows of a sheet read by row (``current``: row
    -> its cells), leaving out the columns whose every cell is already what it is to be
    (most of them, refreshed again on another day): (indexes, current, rows, columns,
    old_at)."""
    at = list(range(len(indexes)))
    if list(current) == rows:  # a value for every row: whole columns compared, in C
        olds = [[v[i] if i < len(v) else None for v in current.values()] for i in indexes]
        at = [j for j in at if not _unchanged(olds[j], columns[j])]
    return (
        [indexes[j] for j in at],
        current,
        rows,
        [columns[j] for j in at],
        [indexes[j] for j in at],
    )


def _empty(read: ColumnRows | list[RowRead], indexes: list[int]) -> bool:
    """Whether every column of ``indexes`` (0-based) is read and empty on every row."""
    if not isinstance(read, ColumnRows):
        reach = max(indexes) + 1
        return all(
            len(row.values) >= reach and all(row.values[i] is None for i in indexes) for row in read
        )
    width = len(read.columns)
    olds = [read.columns[i] if i < width else None for i in indexes]
    return None not in olds and all(old.count(None) == len(old) for old in olds)


def _unchanged(old: list, new: list) -> bool:
    """Whether a column holding ``old`` needs none of the cells ``new`` (a refresh of an
    unchanged workbook): each equal as ``_changed_cells`` compares them, with the loops in C.
    A Yes/No cell (bool) in the sheet is left to the cell-by-cell comparison, where True is
    not the number 1."""
    return old == new and bool not in set(map(type, old))


def _changed_cells(indexes, current, rows, columns, old_at=None) -> dict[tuple[int, int], object]:
    """``record_writes``'s cells, compared cell by cell with what the sheet holds:
    ``current[row][old_at[k]]`` is the cell now in column ``indexes[k] + 1`` (``old_at``:
    ``indexes`` unless given)."""
    cells: dict[tuple[int, int], object] = {}
    old_at = indexes if old_at is None else old_at
    for row, values in zip(rows, zip(*columns)):
        old_row = current.get(row, ())
        width = len(old_row)
        for index, at, value in zip(indexes, old_at, values):
            old = old_row[at] if at < width else None
            if old is None:  # the cell is empty
                if value is not None and value != "":
                    cells[(row, index + 1)] = value
            elif old == value and type(old) is type(value):  # unchanged: the usual case
                continue
            elif not _same(old, value):
                cells[(row, index + 1)] = value
    return cells


_BLANK_TEXT = {"": None}


def _cells_of_empty_columns(indexes, current, rows, columns, kinds=None) -> CellColumns | None:
    """``record_writes``'s cells when every one of the columns to fill is empty on every row
    (a first refresh), else None: the columns as they are (``CellColumns``, with ``kinds``,
    the types of each column's values, when known), checked with the loops in C. On
    500,000 notes that is 2.4 million cells."""
    if current is not None:  # else the caller has checked the columns are empty
        pick = itemgetter(*indexes)
        reach = max(indexes) + 1
        blank = (None,) * len(indexes) if len(indexes) > 1 else None
        olds = [current.get(row, ()) for row in rows]
        if olds and min(map(len, olds)) < reach:
            return None
        if list(map(pick, olds)).count(blank) != len(olds):
            return None
    # empty text is a blank cell, which the cell-by-cell path leaves blank (``_same``): the
    # Auths sheet's Alert is "" on most rows
    texts = [True] * len(columns) if kinds is None else [str in k for k in kinds]
    columns = [
        list(map(_BLANK_TEXT.get, c, c)) if text and "" in c else c
        for c, text in zip(columns, texts)
    ]
    if not ascending(rows):
        return None  # statuses not in row order: the cell-by-cell path sorts them out
    order = sorted(range(len(indexes)), key=indexes.__getitem__)
    return CellColumns(
        rows,
        [indexes[j] + 1 for j in order],
        [columns[j] for j in order],
        None if kinds is None else [kinds[j] for j in order],
    )


def _set_if_changed(cells, row: int, index: int, old_row, width: int, new: object) -> None:
    old = old_row[index] if index < width else None
    if old == new and type(old) is type(new):  # unchanged (``_same``'s usual case)
        return
    if not _same(old, new):
        cells[(row, index + 1)] = new


def last_row(read: SheetRead | None) -> int:
    """The last non-empty row of a sheet (1, the header row, when it has none or is missing);
    a Table's Total Row does not count."""
    if read is None:
        return 1
    if isinstance(read.rows, ColumnRows):  # in row order
        return max(read.rows.numbers[-1], 1) if read.rows.numbers else 1
    return max([r.row for r in read.rows] + [1])


def first_new_row(read: SheetRead | None) -> int:
    """The row new rows start at: the one below the sheet's last row. Raises WorkbookError
    when the sheet's Table has a Total Row: new rows would have to go above it, and AuthBook
    does not move the rows of a workbook."""
    if read is not None and read.total_rows:
        raise WorkbookError(
            f"the {read.name} Table has a Total Row (row {min(read.total_rows)}), and new rows "
            "would have to go above it. Turn the Total Row off (Table Design > Total Row), "
            "run this again, then turn it back on"
        )
    return last_row(read) + 1


def calculated_cells(read: SheetRead | None, rows: Iterable[int], cells: Mapping) -> dict:
    """The cells of the calculated columns of the user's own in the sheet's Table, on the
    new ``rows``, that ``cells`` does not set: their formula (``Formula``), as Excel fills a
    calculated column into the rows added to a Table. A column of AuthBook's is left as
    AuthBook writes it (it could not read a result that is calculated only later)."""
    if read is None or not read.calculated:
        return {}
    columns = [
        (col, Formula(text))
        for col, text in sorted(read.calculated.items())
        if col <= len(read.headers) and schema.users_own(read.name, read.headers[col - 1])
    ]
    return {(r, col): formula for r in rows for col, formula in columns if (r, col) not in cells}


#: The Auths sheet's computed fields, as a refresh writes them from each AuthStatus.
AUTH_COMPUTED = tuple(f.name for f in fields(AuthStatus) if f.name not in ("source", "auth_no"))


def numbered_rows(
    new_numbers: dict[int, str], edited_by: str, edited_on: date
) -> dict[int, dict[str, object]]:
    """The Auth # and Last Edited cells of the rows a refresh numbered."""
    return {
        row: {"auth_no": number, "last_edited_date": edited_on, "last_edited_by": edited_by}
        for row, number in new_numbers.items()
    }


#: The Notes sheet's computed fields, as a refresh writes them from each NoteStatus.
NOTE_COMPUTED = NOTE_STATUS_FIELDS


def _cell_ref(read: SheetRead | None, spec: schema.Sheet | None, problem: Problem) -> tuple:
    """(column header, cell like G12) for a problem, as far as the sheet tells."""
    if spec is None or problem.field is None:
        return "", ""
    column = spec.by_field.get(problem.field)
    header = column.header if column else problem.field
    if read is not None and column is not None:
        positions = schema.map_headers(spec, read.headers)
        if problem.field in positions:
            letter = schema.column_letter(positions[problem.field] + 1)
            return header, f"{letter}{problem.source.row}"
    return header, ""


#: The most characters an Excel cell holds (a longer one is cut by Excel or refused).
EXCEL_CELL_CHARS = 32_767


def _fit(value: object) -> object:
    """Text cut to fit in one cell, an ellipsis at the end; anything else as it is. A
    generated cell may copy an input that another program let grow past Excel's limit."""
    if isinstance(value, str) and len(value) > EXCEL_CELL_CHARS:
        return value[: EXCEL_CELL_CHARS - 1] + "…"
    return value


def problem_rows(problems: list[Problem], sheets: dict[str, SheetRead]) -> list[list[object]]:
    """The Problems sheet: header, then one row per problem, in sheet and row order."""
    rows: list[list[object]] = [schema.PROBLEMS.headers]
    for p in sorted(problems, key=lambda p: (p.source.sheet, p.source.row)):
        spec = schema.BY_NAME.get(p.source.sheet)
        header, cell = _cell_ref(sheets.get(p.source.sheet), spec, p)
        value = p.value
        if value is not None and not isinstance(value, (str, int, float, date)):
            value = str(value)
        message, entity = _fit(p.message), _fit(p.entity)
        rows.append([p.source.sheet, p.source.row, header, cell, _fit(value), message, entity])
    return rows


def alert_rows(alerts: list[Alert], sheets: dict[str, SheetRead]) -> list[list[object]]:
    """The Alerts sheet: header, then one row per alert."""
    rows: list[list[object]] = [schema.ALERTS.headers]
    auths = sheets.get(schema.AUTHS.name)
    positions = schema.map_headers(schema.AUTHS, auths.headers) if auths else {}
    letter = schema.column_letter(positions.get("alert", 0) + 1)
    for a in alerts:
        rows.append(
            [
                a.kind,
                a.message,
                a.auth_no,
                a.client_id,
                a.billing_code,
                a.end_date,
                a.remaining_units,
                a.provider,
                a.payer,
                f"{a.source.sheet}!{letter}{a.source.row}",
            ]
        )
    return rows


def describe_problem(
    problem: Problem, sheets: dict[str, SheetRead] | None = None, in_workbook: bool = False
) -> str:
    """One line for stderr or logs: cell reference, column, and what is wrong.

    Never the cell's contents (see ``privacy``): whatever the column, a name or a date of
    birth may have been typed into it. The row's key is shown only when it reads as an ID
    (C0012, AB000123); the cell reference says where to look. ``in_workbook``: the line goes
    into a cell of the same workbook (an Excel function's answer), which may quote the value.
    """
    spec = schema.BY_NAME.get(problem.source.sheet)
    header, cell = _cell_ref((sheets or {}).get(problem.source.sheet), spec, problem)
    sheet_name, row = problem.source.sheet, problem.source.row
    where = f"{sheet_name}!{cell}" if cell else f"{sheet_name} row {row}"
    if header:
        where += f" ({header})"
    if in_workbook:
        key = f" [{problem.entity}]" if problem.entity else ""
        return f"{where}{key}: {problem.message}"
    shown = problem.entity
    if shown and not is_id_like(shown):
        shown = None  # a name or a date typed where an ID belongs
    key = f" [{shown}]" if shown else ""
    return f"{where}{key}: {scrubbed(problem.message, problem.value)}"
