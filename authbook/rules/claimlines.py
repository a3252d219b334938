"""What AuthBook reads from claim files: one record per service line of an 837P claim sent to
a payer, and one per service line of an 835 remittance the payer sent back.

The X12 adapter (``authbook.claims.x12``) makes these from files; the rules (``claims``,
``remits``) decide on them. ``position`` is where the line is in its file (the segment
number of its SV1/SVC, counted from the ISA as 1), so every finding can point at it.
"""

from __future__ import annotations

from datetime import date

from authbook.modelbase import dataclass

#: CLP02 claim status codes: 22 reverses an earlier payment.
REVERSAL = "22"
#: CLP02 codes of a claim the payer denied outright.
CLAIM_DENIED = "4"


@dataclass(frozen=True)
class ClaimLine:
    """One service line (loop 2400) of an 837P claim, with what its claim (loop 2300) and
    subscriber (loop 2000B) say about it."""

    file: str
    position: int
    claim_id: str  # CLM01, the patient control number
    line_no: int  # LX01
    code: str  # SV101-2
    units: float | None  # SV104
    charge: float | None  # SV102
    service_date: date | None  # DTP*472 of the line, else of the claim
    member_id: str | None = None  # NM1*IL09
    payer: str | None = None  # NM1*PR03
    payer_id: str | None = None  # NM1*PR09
    provider: str | None = None  # rendering NM1*82 of the line, else of the claim: First Last
    claim_auth: str | None = None  # REF*G1 of loop 2300
    line_auth: str | None = None  # REF*G1 of loop 2400
    line_control: str | None = None  # REF*6R
    claim_position: int = 0  # segment number of the CLM

    @property
    def auth_no(self) -> str | None:
        """The prior authorization number the payer reads for this line: the line's REF*G1,
        else the claim's."""
        return self.line_auth or self.claim_auth

    @property
    def where(self) -> str:
        return f"claim {self.claim_id} line {self.line_no}"


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment: group (CO, PR, OA, PI), reason code (CARC), amount, units."""

    group: str
    carc: str
    amount: float
    units: float | None = None


@dataclass(frozen=True)
class RemitLine:
    """One service line (SVC loop 2110) of an 835 claim payment (loop 2100), with its check
    (BPR/TRN) and payer (loop 1000A)."""

    file: str
    position: int
    payer: str | None
    payer_id: str | None
    check_no: str | None  # TRN02: check or EFT trace number
    check_date: date | None  # BPR16
    claim_id: str  # CLP01: the patient control number the biller sent
    claim_status: str  # CLP02
    payer_claim_no: str | None  # CLP07
    member_id: str | None  # NM1*QC09 (patient), else NM1*IL09
    line_control: str | None  # REF*6R
    code: str  # SVC01-2
    units_billed: float | None  # SVC07, else SVC05
    units_paid: float | None  # SVC05
    billed: float | None  # SVC02
    paid: float | None  # SVC03
    service_date: date | None  # DTM*472 of the line, else the claim's DTM*232
    adjustments: tuple[Adjustment, ...] = ()
    remarks: tuple[str, ...] = ()  # LQ*HE: RARC codes

    @property
    def units(self) -> float | None:
        """The units the line billed (as a claim line names them, for matching a note)."""
        return self.units_billed

    @property
    def is_reversal(self) -> bool:
        return self.claim_status == REVERSAL

    @property
    def where(self) -> str:
        return f"claim {self.claim_id} line at segment {self.position}"
