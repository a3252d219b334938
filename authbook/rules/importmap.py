"""Reading a tracker's layout: which row is the header, which column is which field (names
and synonyms, or a mapping file), which rows are blank, totals or titles, and which date order
its text dates use. Pure, like ``importing``, which plans the import with it.
"""

from __future__ import annotations

import re
from datetime import date

from authbook.modelbase import dataclass
from authbook.rules.values import (
    is_blank,
)

KINDS = ("auths", "clients", "notes")
#: How far down a header row is looked for.
HEADER_SCAN_ROWS = 30
#: A field that names the client in a record row (auths or notes) or a client row.
CLIENT_FIELDS = (
    "client_id",
    "client_name",
    "last_name",
    "first_name",
    "dob",
    "member_id",
    "primary_therapist",
    "primary_payer",
    "secondary_payer",
    "division",
    "client_group",
    "active",
)
#: Fields that identify a client; a record row needs at least one of them.
CLIENT_KEYS = ("client_id", "member_id", "client_name", "last_name")
#: Fields the import reads that are not a column of their own: a full name ("Doe, Jane").
PSEUDO_FIELDS = {"client_name": "Client Name"}

#: Tracker headers people use for each field, besides AuthBook's own header. Matching ignores
#: case, spacing and punctuation, and reads '#', 'No' and 'Number' alike ("Auth #" = "Auth No.").
SYNONYMS: dict[str, tuple[str, ...]] = {
    "auth_no": (
        "Auth Number",
        "Authorization #",
        "Authorization Number",
        "Auth ID",
        "Prior Auth #",
        "PA #",
        "Auth",
        "Authorization",
        "Auth Code",
        "Approval #",
        "Reference #",
    ),
    "client_id": (
        "Client #",
        "Patient ID",
        "Patient #",
        "MRN",
        "Chart #",
        "Chart",
        "Account #",
        "Acct #",
        "Client Number",
    ),
    "member_id": (
        "Member #",
        "Member Number",
        "Subscriber ID",
        "Subscriber #",
        "Insurance ID",
        "Ins ID",
        "Policy #",
        "Policy Number",
        "Medicaid ID",
        "Medicaid #",
        "Member",
    ),
    "client_name": ("Patient", "Client", "Patient Name", "Client Name", "Name", "Full Name"),
    "last_name": ("Last", "Surname", "Patient Last Name", "Client Last Name", "LName"),
    "first_name": ("First", "Given Name", "Patient First Name", "Client First Name", "FName"),
    "dob": ("Date of Birth", "Birth Date", "Birthdate", "Birthday", "Patient DOB"),
    "billing_code": (
        "CPT",
        "CPT Code",
        "CPT Codes",
        "Code",
        "Service Code",
        "Procedure Code",
        "Proc Code",
        "HCPCS",
        "Service",
        "Billing Codes",
    ),
    "diagnosis": ("Dx", "Dx Code", "ICD", "ICD10", "ICD-10", "ICD Code", "Diagnosis Code"),
    "start_date": (
        "Start",
        "From",
        "From Date",
        "Begin",
        "Begin Date",
        "Effective",
        "Effective Date",
        "Eff Date",
        "Auth Start",
        "Valid From",
        "Start Of Auth",
    ),
    "end_date": (
        "End",
        "To",
        "To Date",
        "Thru",
        "Through",
        "Exp",
        "Exp Date",
        "Expiration",
        "Expiration Date",
        "Expires",
        "Auth End",
        "Auth Exp",
        "Valid To",
        "End Of Auth",
    ),
    "allotted_units": (
        "Visits Approved",
        "Approved Visits",
        "Approved Units",
        "Units Approved",
        "Authorized Units",
        "Units Authorized",
        "Visits Authorized",
        "Authorized Visits",
        "Sessions Approved",
        "Approved Sessions",
        "Approved",
        "Total Visits",
        "Allowed Visits",
        "Units",
        "Visits",
        "Sessions",
    ),
    "prior_units_used": (
        "Visits Used",
        "Units Used",
        "Sessions Used",
        "Used Visits",
        "Used",
        "Visits To Date",
    ),
    "requested_units": ("Units Requested", "Visits Requested", "Requested"),
    "unit_alert_level": ("Alert At", "Alert Level", "Unit Alert"),
    "exp_alert_days": ("Alert Days", "Expiration Alert Days", "Exp Alert"),
    "provider": ("Specific Provider", "Rendering Provider", "Auth Provider"),
    "primary_therapist": ("Therapist", "Clinician", "Counselor", "Assigned Therapist"),
    "payer": (
        "Insurance",
        "Insurance Company",
        "Insurance Name",
        "Ins",
        "Payor",
        "Plan",
        "Health Plan",
        "Carrier",
        "Insurer",
    ),
    "primary_payer": (
        "Insurance",
        "Primary Insurance",
        "Insurance Company",
        "Payer",
        "Payor",
        "Plan",
        "Carrier",
    ),
    "secondary_payer": ("Secondary Insurance", "Secondary Payor"),
    "division": ("Location", "Site", "Office", "Clinic"),
    "client_group": ("Program", "Group"),
    "auth_group": ("Shared Pool", "Group Pool"),
    "sliding_scale_pct": ("Sliding Scale", "Sliding Fee", "Sliding Fee %"),
    "request_status": ("Approval Status", "Determination", "Request Outcome"),
    "date_requested": (
        "Requested On",
        "Request Date",
        "Date Submitted",
        "Submitted",
        "Submitted On",
        "Submission Date",
    ),
    "follow_up_date": ("Follow Up", "Follow-up", "Follow Up Date", "F/U Date", "Next Follow Up"),
    "owner": ("Assigned To", "Follow-up Owner", "Responsible", "Staff"),
    "comments": ("Notes", "Note", "Remarks", "Memo", "Comment"),
    "note_id": ("Note #", "Session ID", "Visit ID", "Session #"),
    "service_date": ("Date of Service", "DOS", "Session Date", "Visit Date", "Date"),
    "minutes": ("Duration", "Mins", "Session Minutes"),
    "status": ("Note Status",),
}

_TOTALS = re.compile(r"^\s*(grand\s+|sub\s*)?(totals?|sum|count)\b", re.I)
_DMY_TEXT = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\s*$")


def header_key(text: object) -> str:
    """How a source header is compared: case, spacing and punctuation ignored; '#', 'No' and
    'Number' read alike; '%' reads as 'pct'. ``"Auth #"``, ``"auth no."`` and ``"AUTH NUMBER"``
    give the same key."""
    words = re.sub(r"#", " no ", str(text or "").casefold()).replace("%", " pct ")
    words = re.sub(r"[^a-z0-9]+", " ", words).split()
    return "".join("no" if w in ("number", "num", "nbr") else w for w in words)


@dataclass(frozen=True)
class Target:
    """An AuthBook column an import can fill: its field, its header in the workbook, and
    whether AuthBook computes it (recognised in a source, never imported)."""

    field: str
    header: str
    computed: bool = False


@dataclass(frozen=True)
class Layout:
    """What the import reads from each sheet: the record sheet's columns and the Clients
    sheet's columns (given by the shell from the schema)."""

    kind: str
    record: tuple[Target, ...]
    clients: tuple[Target, ...] = ()

    def fields(self) -> list[str]:
        """Every field a source column may map to, for this kind, record fields first."""
        out = [t.field for t in self.record if not t.computed]
        if self.kind != "clients":
            # A record's Active is its own (computed for auths): never the client's.
            out += [t.field for t in self.clients if t.field not in out and t.field != "active"]
        if "client_name" not in out:
            out.append("client_name")
        return out

    def header_of(self, name: str) -> str:
        for t in (*self.record, *self.clients):
            if t.field == name and not t.computed:
                return t.header
        return PSEUDO_FIELDS.get(name, name)

    def record_fields(self) -> list[str]:
        return [t.field for t in self.record if not t.computed]


@dataclass(frozen=True)
class Column:
    """One source column and the field it was mapped to (None: not imported)."""

    index: int
    header: str
    field: str | None
    how: str  # "name", "synonym", "map file", "computed by AuthBook", "not recognised", ...


def _match_table(layout: Layout) -> dict[str, str]:
    """Header key -> field: AuthBook's own headers first, then synonyms; computed headers
    map to '' (recognised, not imported)."""
    table: dict[str, str] = {}
    fields = layout.fields()
    if layout.kind == "notes":  # on a session, the therapist is the note's provider
        for synonym in ("Therapist", "Clinician", "Counselor", "Rendering Provider"):
            table[header_key(synonym)] = "provider"
    for name in fields:
        table.setdefault(header_key(layout.header_of(name)), name)
    for t in layout.record:
        if t.computed:
            table.setdefault(header_key(t.header), "")
    for name in fields:
        for synonym in SYNONYMS.get(name, ()):
            table.setdefault(header_key(synonym), name)
    return table


def map_columns(
    headers: list[object], layout: Layout, overrides: dict[str, str] | None = None
) -> list[Column]:
    """Map each non-blank source header to a field (first one wins when two map alike).

    ``overrides`` (from a mapping file) maps a source header to a field name, or to "" to
    leave the column out; it is matched with the same insensitivity as the headers.
    """
    table = _match_table(layout)
    fields = set(layout.fields())
    chosen: dict[str, str] = {}
    wanted = {header_key(k): v for k, v in (overrides or {}).items()}
    columns: list[Column] = []
    for index, cell in enumerate(headers):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        key = header_key(text)
        if key in wanted:
            name, how = (wanted[key] or None), "map file"
            if name is not None and name not in fields:
                name, how = None, f"map file names '{wanted[key]}', which is not a field"
        elif key in table:
            name = table[key] or None
            how = "computed by AuthBook" if name is None else "name"
            if name and key != header_key(layout.header_of(name)):
                how = "synonym"
        else:
            name, how = None, "not recognised"
        if name and name in chosen:
            name, how = None, f"'{chosen[name]}' already maps to {layout.header_of(name)}"
        if name:
            chosen[name] = text
        columns.append(Column(index, text, name, how))
    return columns


def check_map(
    rows: list[tuple[int, list[object]]],
    layout: Layout,
    overrides: dict[str, str] | None,
    header_row: int | None,
) -> str | None:
    """What is wrong with a mapping file for this source, as a sentence, or None.

    A field name that is not a field of ``layout`` is wrong (the sentence lists the valid
    ones); so is a ``header_row`` that is blank, past the end, or lacks a header the map
    names a field for (the tracker grew title rows since the map was written)."""
    fields = layout.fields()
    wrong = [f for f in (overrides or {}).values() if f and f not in fields]
    if wrong:
        return (
            f"'{wrong[0]}' is not a field of a {layout.kind} import; the fields are: "
            + ", ".join(fields)
        )
    if header_row is None:
        return None
    cells = next((c for r, c in rows if r == header_row), None)
    expected = [h for h, f in (overrides or {}).items() if f]
    if cells is None or is_blank_row(cells):
        first = f" (expected the header '{expected[0]}' there)" if expected else ""
        return f"header_row {header_row} is blank{first}"
    present = {header_key(c) for c in cells if c is not None}
    absent = [h for h in expected if header_key(h) not in present]
    if absent:
        return f"header_row {header_row} does not hold the header '{absent[0]}'"
    return None


def find_header(rows: list[tuple[int, list[object]]], layout: Layout) -> int | None:
    """Index into ``rows`` of the header row: among the first rows, the one whose text cells
    name the most distinct fields (at least two); the earliest wins a tie. None if none does."""
    table = _match_table(layout)
    best, best_score = None, 1
    for i, (_, cells) in enumerate(rows[:HEADER_SCAN_ROWS]):
        names = {
            table.get(header_key(c))
            for c in cells
            if isinstance(c, str) and c.strip() and table.get(header_key(c))
        }
        if len(names) > best_score:
            best, best_score = i, len(names)
    return best


# --- rows -----------------------------------------------------------------------------------


def is_blank_row(cells: list[object]) -> bool:
    return all(is_blank(c) for c in cells)


def is_totals_row(cells: list[object], dates: list[object]) -> bool:
    """A row that sums the ones above: a cell reads Total / Totals / Grand Total / Sum / Count,
    and the row has no readable date where the data rows have theirs."""
    if not any(isinstance(c, str) and _TOTALS.match(c) for c in cells):
        return False
    return not any(isinstance(d, date) for d in dates)


def infer_date_order(texts: list[str], default: str) -> tuple[str, str]:
    """The date order of a file's typed dates, and why: day-first (DMY) when some dates can
    only be day-first (14/03/2026) and none can only be month-first (03/14/2026); otherwise
    ``default`` (the Settings Date Order). Never guessed from ambiguous dates alone."""
    day_first = month_first = 0
    for text in texts:
        match = _DMY_TEXT.match(text)
        if not match:
            continue
        a, b = int(match.group(1)), int(match.group(2))
        day_first += a > 12 >= b
        month_first += b > 12 >= a
    if day_first and not month_first and default != "DMY":
        return "DMY", f"{day_first} typed date(s) can only be day-first"
    if month_first and not day_first and default != "MDY":
        return "MDY", f"{month_first} typed date(s) can only be month-first"
    return default, "the workbook's Settings Date Order"


def split_name(full: str | None) -> tuple[str | None, str | None]:
    """(last, first) from "Doe, Jane" or "Jane Doe"; one word is a last name."""
    if not full:
        return None, None
    if "," in full:
        last, _, first = full.partition(",")
        return last.strip() or None, first.strip() or None
    words = full.split()
    if len(words) == 1:
        return words[0], None
    return words[-1], " ".join(words[:-1])
