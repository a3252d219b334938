"""Write small X12 837P claim and 835 remittance files from plain values: the demo's
``examples/`` files and the tests' files. (Text formatting only; reading and validating is
``authbook.claims.x12``'s.)

Segments end with ``~`` and a line break, elements are separated by ``*``, components by
``:``, as most clearinghouses write them. Amounts balance the way an 835 must: billed minus
the line's adjustments is what was paid (a CO-45 write-off is added for any difference not
given), and each claim's and check's paid amount is the sum of its lines.
"""

from __future__ import annotations

from dataclasses import field
from datetime import date, datetime

from authbook.modelbase import dataclass

NPI = "1234567893"  # the check-digit-valid NPI X12 guides use as an example: no real provider


@dataclass(frozen=True)
class Line:
    """One service line: an 837P SV1 with its REF segments, or the 835 SVC that answers it."""

    code: str
    units: float
    charge: float
    service_date: date
    control: str | None = None  # REF*6R (837P and 835)
    auth: str | None = None  # REF*G1 of the line (837P)
    units_paid: float | None = None  # 835: SVC05 (None: as billed)
    paid: float | None = None  # 835: SVC03 (None: the charge)
    adjustments: tuple[tuple[str, str, float], ...] = ()  # 835: (group, CARC, amount)
    remarks: tuple[str, ...] = ()  # 835: RARC codes


@dataclass(frozen=True)
class Claim:
    """One claim: an 837P CLM loop (member, provider, lines), or the 835 CLP that pays or
    denies it."""

    claim_id: str  # CLM01 / CLP01
    member_id: str
    lines: tuple[Line, ...]
    auth: str | None = None  # REF*G1 of the claim (837P)
    provider: str | None = None  # rendering provider "First Last" (837P)
    status: str = "1"  # CLP02 (835): 1 processed as primary, 4 denied, 22 reversal
    payer_claim_no: str | None = None  # CLP07 (835)
    last_name: str = "DOE"  # synthetic
    first_name: str = "PAT"


@dataclass(frozen=True)
class Check:
    """One 835 transaction: a payment (check or EFT) from one payer."""

    payer: str
    payer_id: str
    check_no: str
    check_date: date
    claims: tuple[Claim, ...] = field(default_factory=tuple)


def _money(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _num(value: float) -> str:
    return str(int(value)) if float(value) == int(value) else str(value)


def _envelope(body: list[str], gs01: str, version: str, created: datetime, control: int) -> str:
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{'AUTHBOOK':15}*ZZ*{'CLEARINGHOUSE':15}*"
        f"{created:%y%m%d}*{created:%H%M}*^*00501*{control:09d}*0*T*:"
    )
    segments = [
        isa,
        f"GS*{gs01}*AUTHBOOK*CLEARINGHOUSE*{created:%Y%m%d}*{created:%H%M}*{control}*X*{version}",
        *body,
        f"GE*{sum(1 for s in body if s.startswith('ST*'))}*{control}",
        f"IEA*1*{control:09d}",
    ]
    return "".join(s + "~\n" for s in segments)


def _transaction(kind: str, number: int, version: str | None, segments: list[str]) -> list[str]:
    st = f"ST*{kind}*{number:04d}" + (f"*{version}" if version else "")
    return [st, *segments, f"SE*{len(segments) + 2}*{number:04d}"]


def claims_837p(claims: list[Claim], created: datetime, control: int = 1) -> str:
    """An 837P (005010X222A1) interchange holding ``claims``, one subscriber each."""
    version = "005010X222A1"
    body = [
        f"BHT*0019*00*{control:04d}*{created:%Y%m%d}*{created:%H%M}*CH",
        "NM1*41*2*AUTHBOOK DEMO PRACTICE*****46*AB12345",
        "PER*IC*BILLING OFFICE*TE*5555550100",
        "NM1*40*2*CLEARINGHOUSE*****46*CH12345",
        "HL*1**20*1",
        f"NM1*85*2*AUTHBOOK DEMO PRACTICE*****XX*{NPI}",
        "N3*1 MAIN ST",
        "N4*SPRINGFIELD*IL*627010000",
        "REF*EI*123456789",
    ]
    for number, claim in enumerate(claims, start=2):
        total = sum(line.charge for line in claim.lines)
        body += [
            f"HL*{number}*1*22*0",
            "SBR*P*18*******CI",
            f"NM1*IL*1*{claim.last_name}*{claim.first_name}****MI*{claim.member_id}",
            "NM1*PR*2*PAYER*****PI*PAYER01",
            f"CLM*{claim.claim_id}*{_money(total)}***11:B:1*Y*A*Y*Y",
        ]
        if claim.auth:
            body.append(f"REF*G1*{claim.auth}")
        body.append("HI*ABK:F329")
        if claim.provider:
            first, _, last = claim.provider.upper().partition(" ")
            body.append(f"NM1*82*1*{last or first}*{first if last else ''}****XX*{NPI}")
        for lx, line in enumerate(claim.lines, start=1):
            body += [
                f"LX*{lx}",
                f"SV1*HC:{line.code}*{_money(line.charge)}*UN*{_num(line.units)}***1",
                f"DTP*472*D8*{line.service_date:%Y%m%d}",
            ]
            if line.auth:
                body.append(f"REF*G1*{line.auth}")
            if line.control:
                body.append(f"REF*6R*{line.control}")
    return _envelope(_transaction("837", 1, version, body), "HC", version, created, control)


def remittance_835(checks: list[Check], created: datetime, control: int = 1) -> str:
    """An 835 (005010X221A1) interchange: one transaction per check in ``checks``."""
    version = "005010X221A1"
    transactions: list[str] = []
    for number, check in enumerate(checks, start=1):
        claims_out: list[str] = []
        check_total = 0.0
        for claim in check.claims:
            sign = -1 if claim.status == "22" else 1
            billed_total = paid_total = 0.0
            lines_out: list[str] = []
            for line in claim.lines:
                paid = line.charge if line.paid is None else line.paid
                units_paid = line.units if line.units_paid is None else line.units_paid
                adjustments = list(line.adjustments)
                rest = round(line.charge - paid - sum(a[2] for a in adjustments), 2)
                if rest:
                    adjustments.append(("CO", "45", rest))
                billed_total += line.charge
                paid_total += paid
                svc = f"SVC*HC:{line.code}*{_money(sign * line.charge)}*{_money(sign * paid)}"
                svc += f"**{_num(units_paid)}"
                if units_paid != line.units:
                    svc += f"**{_num(line.units)}"
                lines_out += [svc, f"DTM*472*{line.service_date:%Y%m%d}"]
                for group in dict.fromkeys(a[0] for a in adjustments):
                    parts = [f"{a[1]}*{_money(sign * a[2])}" for a in adjustments if a[0] == group]
                    lines_out.append(f"CAS*{group}*" + "**".join(parts))
                if line.control:
                    lines_out.append(f"REF*6R*{line.control}")
                lines_out += [f"LQ*HE*{code}" for code in line.remarks]
            check_total += sign * paid_total
            payer_no = claim.payer_claim_no or "P" + claim.claim_id
            claims_out += [
                f"CLP*{claim.claim_id}*{claim.status}*{_money(sign * billed_total)}*"
                f"{_money(sign * paid_total)}*{_money(0)}*12*{payer_no}",
                f"NM1*QC*1*{claim.last_name}*{claim.first_name}****MI*{claim.member_id}",
                *lines_out,
            ]
        # A check that only takes money back (a reversal) is a notice: H, NON, amount 0.
        paying = check_total > 0
        bpr = (
            f"BPR*{'I' if paying else 'H'}*{_money(max(check_total, 0))}*C*"
            f"{'CHK' if paying else 'NON'}"
            f"************{check.check_date:%Y%m%d}"
        )
        segments = [
            bpr,
            f"TRN*1*{check.check_no}*1{check.payer_id[:9].ljust(9, '0')}",
            f"DTM*405*{check.check_date:%Y%m%d}",
            f"N1*PR*{check.payer}*XV*{check.payer_id}",
            "N3*100 PAYER WAY",
            "N4*CHICAGO*IL*606010000",
            "PER*BL*PROVIDER SERVICES*TE*5555550199",
            f"N1*PE*AUTHBOOK DEMO PRACTICE*XX*{NPI}",
            "LX*1",
            *claims_out,
        ]
        transactions += _transaction("835", number, None, segments)
    return _envelope(transactions, "HP", version, created, control)
