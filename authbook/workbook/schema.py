"""The workbook's layout: every sheet and header name AuthBook knows, and the field each maps to.

This module is the only place that spells a sheet or header name. Reading goes by header name
(case and surrounding spaces ignored), so users may reorder columns and add their own.

Column kinds tell readers how to parse a cell and the template how to format it:
``text``, ``date``, ``int`` (whole units, 0 or more), ``number``, ``money``, ``percent``,
``yn`` (Y/N), ``choice`` (one of ``choices``).
"""

from __future__ import annotations

from dataclasses import field
from functools import lru_cache

from authbook.modelbase import dataclass
from authbook.models import NOTE_STATUSES, PERIODS, REQUEST_STATUSES, UNIT_RULES


@dataclass(frozen=True)
class Column:
    """One column of an AuthBook sheet: its header, the field it fills and how its cells
    read (``kind``), whether AuthBook computes it, and how it is shown."""

    header: str
    field: str
    kind: str = "text"
    computed: bool = False
    width: float = 14
    choices: tuple[str, ...] = ()
    #: ``Sheet.Field`` whose values feed this column's dropdown (e.g. ``BillingCodes.code``).
    list_from: str | None = None
    #: Health information: never echoed outside the workbook (logs, stderr).
    sensitive: bool = False
    help: str = ""
    #: A column added after workbooks were in use: a sheet without it is not a problem.
    optional: bool = False


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one object per sheet
class Sheet:
    """One sheet of an AuthBook workbook: its name and columns, and whether a refresh
    rebuilds it whole (``generated``)."""

    name: str
    columns: tuple[Column, ...]
    #: Rebuilt entirely by every refresh (Alerts, Problems).
    generated: bool = False
    help: str = ""
    table: str = ""
    by_field: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_field", {c.field: c for c in self.columns})
        if not self.table:
            object.__setattr__(self, "table", self.name.replace(" ", ""))

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column(self, field_name: str) -> Column:
        return self.by_field[field_name]

    @property
    def computed(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.computed)


YN = ("Y", "N")
DATE_ORDERS = ("MDY", "DMY", "YMD")
CODE_TYPES = ("CPT", "HCPCS", "E/M", "Add-On")


def _c(header: str, name: str, kind: str = "text", **kw) -> Column:
    return Column(header, name, kind, **kw)


CLIENTS = Sheet(
    "Clients",
    (
        _c("Client ID", "client_id", width=12),
        _c("Last Name", "last_name", sensitive=True),
        _c("First Name", "first_name", sensitive=True),
        _c("DOB", "dob", "date", sensitive=True, width=12),
        _c("Primary Therapist", "primary_therapist", list_from="Providers.provider", width=18),
        _c("Primary Payer", "primary_payer", list_from="Payers.payer", width=18),
        _c("Secondary Payer", "secondary_payer", list_from="Payers.payer", width=18),
        _c("Division", "division"),
        _c("Client Group", "client_group"),
        _c("Active", "active", "yn", choices=YN, width=8),
        _c(
            "Member ID",
            "member_id",
            sensitive=True,
            optional=True,
            help="The payer's member number (from an imported tracker; matches re-imports).",
        ),
    ),
    help="One row per client. Client ID is the key the other sheets use.",
)

AUTHS = Sheet(
    "Auths",
    (
        _c("Auth #", "auth_no", width=13, help="Blank: AuthBook numbers it. Payer's number: kept."),
        _c("Client ID", "client_id", width=11),
        _c("Billing Code", "billing_code", list_from="BillingCodes.code", width=11),
        _c("Diagnosis", "diagnosis", width=10),
        _c("Start Date", "start_date", "date", width=11),
        _c("End Date", "end_date", "date", width=11),
        _c("Allotted Units", "allotted_units", "int", width=10),
        _c("Prior Units Used", "prior_units_used", "int", width=10),
        _c("Unit Alert Level", "unit_alert_level", "int", width=10),
        _c("Exp Alert Days", "exp_alert_days", "int", width=10),
        _c("Provider", "provider", list_from="Providers.provider", width=16),
        _c("Payer", "payer", list_from="Payers.payer", width=16),
        _c("Auth Group", "auth_group", list_from="AuthGroups.group_name", width=14),
        _c("Unmanaged", "unmanaged", "yn", choices=YN, width=8),
        _c("Exclude From Notes", "exclude_from_notes", "yn", choices=YN, width=8),
        _c("Default", "default", "yn", choices=YN, width=8),
        _c("Suspend Alerts", "suspend_alerts", "yn", choices=YN, width=8),
        _c("Sliding Scale %", "sliding_scale_pct", "percent", width=8),
        _c("Inpatient", "inpatient", "yn", choices=YN, width=8),
        _c("Comments", "comments", width=24),
        _c("Used Units", "used_units", "int", computed=True, width=10),
        _c("Pending Units", "pending_units", "int", computed=True, width=10),
        _c("Remaining Units", "remaining_units", "int", computed=True, width=11),
        _c("Available Units", "available_units", "int", computed=True, width=11),
        _c("Active", "active", "yn", computed=True, width=7),
        _c("Alert", "alert", computed=True, width=30),
        _c("Primary Therapist", "primary_therapist", computed=True, width=16),
        _c("DOB", "dob", "date", computed=True, sensitive=True, width=11),
        _c("Last Edited Date", "last_edited_date", "date", computed=True, width=11),
        _c("Last Edited By", "last_edited_by", computed=True, width=12),
        _c("Max Units", "max_units", "int", width=8, optional=True, help="Period limit: units"),
        _c("Per", "per", "choice", choices=PERIODS, width=8, optional=True, help="Day/Week/Month"),
        _c(
            "Request Status",
            "request_status",
            "choice",
            choices=REQUEST_STATUSES,
            width=11,
            optional=True,
            help="Blank, Approved or Partial: the auth serves notes. Others do not.",
        ),
        _c("Requested Units", "requested_units", "int", width=9, optional=True),
        _c("Date Requested", "date_requested", "date", width=11, optional=True),
        _c("Follow-up Date", "follow_up_date", "date", width=11, optional=True),
        _c("Owner", "owner", width=14, optional=True, help="Who follows up the request"),
    ),
    help="One row per authorization. Shaded columns are computed by AuthBook on refresh.",
)

AUTH_GROUPS = Sheet(
    "AuthGroups",
    (
        _c("Group Name", "group_name", width=18),
        _c("Active", "active", "yn", choices=YN, width=8),
        _c("Description", "description", width=40),
    ),
    help="Auths of one client in the same group share one pool of units.",
)

CODE_GROUPS = Sheet(
    "CodeGroups",
    (
        _c("Group Name", "group_name", width=18),
        _c("Billing Code", "billing_code", list_from="BillingCodes.code", width=12),
    ),
    help="Billing-code groups for bulk add: one row per member code.",
)

BILLING_CODES = Sheet(
    "BillingCodes",
    (
        _c("Code", "code", width=9),
        _c("Description", "description", width=44),
        _c("Code Type", "code_type", "choice", choices=CODE_TYPES, width=10),
        _c("Unit Minutes", "unit_minutes", "int", width=8),
        _c("Rate", "rate", "money", width=10),
        _c("Active", "active", "yn", choices=YN, width=8),
    ),
)

PAYERS = Sheet(
    "Payers",
    (
        _c("Payer", "payer", width=24),
        _c("Payer ID", "payer_id", width=12),
        _c("Active", "active", "yn", choices=YN, width=8),
    ),
)

PROVIDERS = Sheet(
    "Providers",
    (
        _c("Provider", "provider", width=24),
        _c("Credentials", "credentials", width=12),
        _c("Active", "active", "yn", choices=YN, width=8),
    ),
)

NOTES = Sheet(
    "Notes",
    (
        _c("Note ID", "note_id", width=10),
        _c("Client ID", "client_id", width=11),
        _c("Service Date", "service_date", "date", width=11),
        _c("Provider", "provider", list_from="Providers.provider", width=16),
        _c("Billing Code", "billing_code", list_from="BillingCodes.code", width=11),
        _c("Units", "units", "int", width=7, help="Blank = 1"),
        _c("Minutes", "minutes", "int", width=8),
        _c("Status", "status", "choice", choices=NOTE_STATUSES, width=10),
        _c("Auth #", "auth_no", width=13, help="Blank: AuthBook picks the auth. Typed: pins it."),
        _c("Applied Auth #", "applied_auth_no", computed=True, width=13),
        _c(
            "Default Code",
            "default_code",
            computed=True,
            width=11,
            help="The code of the client's Default auth, used when Billing Code is blank",
        ),
        _c("Payer", "payer", computed=True, width=16),
        _c("Charge", "charge", "money", computed=True, width=10),
        _c("Inpatient", "inpatient", "yn", computed=True, width=8),
        _c("Check", "check", computed=True, width=40),
    ),
    help="Sessions. Pending and Released notes draw units from an auth; Draft notes do not.",
)

ALERTS = Sheet(
    "Alerts",
    (
        _c("Alert", "kind", width=11),
        _c("Message", "message", width=34),
        _c("Auth #", "auth_no", width=13),
        _c("Client ID", "client_id", width=11),
        _c("Billing Code", "billing_code", width=11),
        _c("End Date", "end_date", "date", width=11),
        _c("Remaining Units", "remaining_units", "int", width=11),
        _c("Provider", "provider", width=16),
        _c("Payer", "payer", width=16),
        _c("Cell", "cell", width=10),
    ),
    generated=True,
    help="Rebuilt by every refresh: one row per alert.",
)

PROBLEMS = Sheet(
    "Problems",
    (
        _c("Sheet", "sheet", width=12),
        _c("Row", "row", "int", width=6),
        _c("Column", "column", width=16),
        _c("Cell", "cell", width=8),
        _c("Value", "value", width=18),
        _c("Problem", "message", width=60),
        _c("Key", "entity", width=13),
    ),
    generated=True,
    help="Rebuilt by every refresh: one row per cell AuthBook could not use.",
)

CHECKS = Sheet(
    "Checks",
    (
        _c("Check", "kind", width=22),
        _c("CARC", "carc", width=7),
        _c("Message", "message", width=50),
        _c("Note ID", "note_id", width=10),
        _c("Client ID", "client_id", width=11),
        _c("Service Date", "service_date", "date", width=11),
        _c("Billing Code", "billing_code", width=11),
        _c("Auth #", "auth_no", width=13),
        _c("Cell", "cell", width=10),
    ),
    generated=True,
    help="Rebuilt by every refresh: one row per finding on a Pending or Released note.",
)

RENEWALS = Sheet(
    "Renewals",
    (
        _c("Reason", "reason", width=11),
        _c("Message", "message", width=36),
        _c("Auth #", "auth_no", width=13),
        _c("Client ID", "client_id", width=11),
        _c("Billing Code", "billing_code", width=11),
        _c("Payer", "payer", width=16),
        _c("End Date", "end_date", "date", width=11),
        _c("Remaining Units", "remaining_units", "int", width=11),
        _c("Runs Out", "runs_out", "date", width=11),
        _c("Request", "request", width=22),
        _c("Owner", "owner", width=14),
        _c("Follow-up Date", "follow_up_date", "date", width=11),
        _c("Cell", "cell", width=10),
    ),
    generated=True,
    help="Rebuilt by every refresh: auths that need a renewal request now, and open requests due "
    "for a follow-up.",
)

# --- claim loop (issue 26) ------------------------------------------------------------------
#: One row per 835 service line `authbook remit` read, appended (never rewritten) in import
#: order; added to a workbook by its first import (so not in SHEETS, not in the template).
REMITTANCES = Sheet(
    "Remittances",
    (
        _c("Payer", "payer", width=18),
        _c("Check/EFT #", "check_no", width=14),
        _c("Check Date", "check_date", "date", width=11),
        _c("Claim #", "payer_claim_no", width=14, help="The payer's claim number (CLP07)"),
        _c("Patient Control #", "patient_control_no", width=14, help="CLM01 as sent (CLP01)"),
        _c("Claim Status", "claim_status", width=7, help="CLP02: 1 primary, 4 denied, 22 reversal"),
        _c("Line Control #", "line_control", width=12, help="REF*6R as sent"),
        _c("Service Date", "service_date", "date", width=11),
        _c("Billing Code", "billing_code", width=11),
        _c("Units Billed", "units_billed", "number", width=8),
        _c("Units Paid", "units_paid", "number", width=8),
        _c("Billed", "billed", "money", width=10),
        _c("Paid", "paid", "money", width=10),
        _c("Adjustments", "adjustments", width=26, help="Group-CARC amount; ..."),
        _c("Denial CARC", "denial_carc", width=10, help="CARCs other than CO-45 and group PR"),
        _c("RARC", "rarc", width=10),
        _c("Remit Status", "remit_status", width=10),
        _c("Note ID", "note_id", width=10),
        _c("Match", "match", width=34, help="How the note was found, or why none was"),
        _c("Source File", "source_file", width=18),
        _c("Segment", "segment", "int", width=8),
    ),
    generated=True,
    help="One row per remitted service line, in import order. The last row naming a note "
    "sets its Remit Status; importing the same ERA again adds nothing.",
)

#: The Notes columns `authbook remit` sets from the Remittances sheet; its first import adds
#: them at the right of the Notes sheet (so they are not in the template's Notes Table).
NOTES_REMIT_COLUMNS = (
    _c(
        "Remit Status",
        "remit_status",
        computed=True,
        width=10,
        optional=True,
        help="What the payer's last remittance did: Paid, Denied, Partial or Reversed.",
    ),
    _c("Paid Units", "paid_units", "number", computed=True, width=7, optional=True),
    _c(
        "Remit CARC",
        "remit_carc",
        computed=True,
        width=9,
        optional=True,
        help="The reason codes the payer denied (part of) it with.",
    ),
)
#: The Notes sheet as it is read: NOTES and the remit columns where the sheet has them.
NOTES_READ = Sheet("Notes", (*NOTES.columns, *NOTES_REMIT_COLUMNS), help=NOTES.help)

#: Rebuilt by every refresh: figures and charts (not a table of rows, so not in SHEETS).
DASHBOARD_SHEET = "Dashboard"

SETTINGS = Sheet(
    "Settings",
    (
        _c("Setting", "setting", width=18),
        _c("Value", "value", width=14),
        _c("Description", "description", width=60),
    ),
)

#: Settings rows: (name shown in the Setting column, Settings field, default, description).
SETTING_ROWS = (
    ("As Of", "as_of", None, "Date units, Active and alerts are computed for. Blank = today."),
    ("Auth # Prefix", "auth_prefix", "AB", "Prefix of the numbers AuthBook gives new auths."),
    (
        "Date Order",
        "date_order",
        "MDY",
        "How typed dates like 03/04/2026 are read: MDY (US), DMY or YMD.",
    ),
    (
        "Timed Unit Rule",
        "timed_unit_rule",
        UNIT_RULES[0],
        "How minutes become units for 15-minute codes (H0004...): " + ", ".join(UNIT_RULES) + ".",
    ),
    (
        "Forecast Weeks",
        "forecast_weeks",
        8,
        "How many recent weeks of notes set each auth's burn rate for RUNS OUT alerts.",
    ),
    (
        "Denied Notes Use Units",
        "denied_notes_use_units",
        "Yes",
        "No: a note the payer denied (Remit Status Denied, from `authbook remit`) no longer "
        "counts against its auth. Yes: it still does.",
    ),
)

AUDIT_LOG = Sheet(
    "AuditLog",
    (
        _c("Timestamp", "timestamp", "date", width=17),
        _c("User", "user", width=14),
        _c("Action", "action", width=13),
        _c("Sheet", "sheet", width=10),
        _c("Row", "row", "int", width=6),
        _c("Auth #", "auth_no", width=13),
        _c("Client ID", "client_id", width=11),
        _c("Column", "column", width=16),
        _c("Old Value", "old_value", width=16),
        _c("New Value", "new_value", width=16),
    ),
    help="One row per input cell AuthBook changed (bulk add, bulk update, new Auth #s). "
    "AuthBook only appends here; it never rewrites a past row.",
)
#: How AuditLog timestamps are shown.
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm:ss"

#: Rows 'authbook import' could not import, appended by each import and never rebuilt by
#: refresh. The rejected row's cells follow Reason, one per source column: "Cell 1",
#: "Cell 2"... (headers past "Cell 1" are added as a wider row needs them).
IMPORT_REJECTS = Sheet(
    "Import Rejects",
    (
        _c("Source File", "source_file", width=24),
        _c("Source Row", "source_row", "int", width=8),
        _c("Reason", "reason", width=50),
        _c("Cell 1", "cell_1", width=14),
    ),
    generated=True,
    help="Rows an import could not use, whole and unchanged (as text), with the reason. "
    "Fix the row in the source file and import it again; refresh leaves this sheet alone.",
)


def reject_cell_header(number: int) -> str:
    """Header of the Import Rejects column holding a rejected row's ``number``-th cell."""
    return f"Cell {number}"


SHEETS: tuple[Sheet, ...] = (
    CLIENTS,
    AUTHS,
    NOTES,
    AUTH_GROUPS,
    CODE_GROUPS,
    BILLING_CODES,
    PAYERS,
    PROVIDERS,
    ALERTS,
    PROBLEMS,
    CHECKS,
    RENEWALS,
    SETTINGS,
    AUDIT_LOG,
    IMPORT_REJECTS,
)
BY_NAME: dict[str, Sheet] = {s.name: s for s in SHEETS}
INPUT_SHEETS = tuple(s for s in SHEETS if not s.generated)

#: The sheets a file must have to count as an AuthBook workbook.
REQUIRED_SHEETS = ("Auths",)

#: The sheets the practice's records are read from, which a command that reads the whole
#: workbook (refresh, check, alerts, report, eligible, the bulk commands, import, renew)
#: must find: one missing or renamed would be read as empty (units drawn set to 0, dates of
#: birth and charges blanked). The lists (AuthGroups, CodeGroups, Payers, Providers) and
#: Settings may be missing (an empty list turns off the check that names are on it; older
#: workbooks lack some), and so may every sheet AuthBook generates.
RECORD_SHEETS = ("Clients", "Auths", "Notes", "BillingCodes")


def sheet(name: str) -> Sheet:
    return BY_NAME[name]


def header_key(text: object) -> str:
    """How headers are matched: case, surrounding and doubled spaces ignored."""
    return " ".join(str(text or "").split()).casefold()


def map_headers(spec: Sheet, headers: list[str]) -> dict[str, int]:
    """Field name -> 0-based column index for the headers found in a sheet's first row.

    Columns the schema does not know are left out (they stay untouched in the file).
    If a header appears twice, the first one counts.
    """
    return dict(_map_headers(spec, tuple(headers)))


@lru_cache(maxsize=256)
def _map_headers(spec: Sheet, headers: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    wanted = {header_key(c.header): c.field for c in spec.columns}
    found: dict[str, int] = {}
    for index, text in enumerate(headers):
        name = wanted.get(header_key(text))
        if name and name not in found:
            found[name] = index
    return tuple(found.items())


def values_only(sheet_name: str, header: object) -> bool:
    """Whether AuthBook writes values into the column of ``header`` on sheet ``sheet_name``
    (a computed column, or any column of a generated sheet), so that the column cannot stay
    a calculated column of an Excel Table: Excel would fill its formula into new rows and
    flag every value AuthBook wrote as an exception to it."""
    spec = BY_NAME.get(sheet_name)
    if spec is None:
        return False
    return header_key(header) in _values_only_keys(spec)


def users_own(sheet_name: str, header: object) -> bool:
    """Whether the column of ``header`` on sheet ``sheet_name`` is one the user added (not
    one of the schema's: AuthBook neither reads nor writes it)."""
    spec = BY_NAME.get(sheet_name)
    return spec is None or header_key(header) not in _all_keys(spec)


@lru_cache(maxsize=64)
def _all_keys(spec: Sheet) -> frozenset[str]:
    return frozenset(header_key(c.header) for c in spec.columns)


@lru_cache(maxsize=64)
def _values_only_keys(spec: Sheet) -> frozenset[str]:
    columns = spec.columns if spec.generated else spec.computed
    return frozenset(header_key(c.header) for c in columns)


def column_letter(index: int) -> str:
    """1-based column number -> Excel letters (1 -> A, 27 -> AA)."""
    letters = ""
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
