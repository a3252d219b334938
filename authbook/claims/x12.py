"""X12 files through pyx12: read 837P claims and 835 remittances into plain records, and
validate a file against the 5010 implementation guides.

This is the only module that imports pyx12 (BSD, maintained since 2002, ships the 5010 maps
of 835 and 837P and a validator that writes a 999). pyx12 splits the file into segments with
the terminators its ISA declares and walks each segment into its loop by the map (so
``REF*G1`` is known to be the claim's, loop 2300, or the line's, loop 2400); this module
picks out the elements AuthBook needs.

A file that cannot be read as the transaction asked for raises ``X12FileError`` with what is
wrong and where (segment number, counted from the ISA as 1). Nothing here decides anything.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context
import pyx12.x12file
import pyx12.x12n_document

from authbook.rules.claimlines import Adjustment, ClaimLine, RemitLine

#: (ST01, GS08 prefix, what a user calls it) of the transactions AuthBook reads.
CLAIM_837P = ("837", "005010X222", "837P professional claim (005010X222A1)")
REMIT_835 = ("835", "005010X221", "835 remittance advice (005010X221A1)")


class X12FileError(Exception):
    """A file that is not the X12 transaction expected; the message is for the user."""


def _params():
    return pyx12.params.params()


def _text(path: Path | str) -> str:
    path = Path(path)
    if path.exists() and not path.is_file():  # a named pipe would make the read wait forever
        raise X12FileError(f"{path}: not a regular file; give the path of an X12 file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise X12FileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise X12FileError(
            f"{path.name}: not an X12 file (byte {exc.start + 1} is not plain text)"
        ) from None


class _Segment:
    """One segment as the map placed it: id, loop path, element values, position."""

    __slots__ = ("id", "path", "seg", "position")

    def __init__(self, node, position: int) -> None:
        # the segment's own id: in a file out of the guide's order the map's node may be
        # another segment's
        self.seg = node.seg_data
        self.id = self.seg.get_seg_id()
        self.path = node.cur_path or ""
        self.position = position

    def get(self, ref: str) -> str | None:
        try:
            value = self.seg.get_value(ref)
        except pyx12.errors.EngineError:  # an element this segment does not have
            return None
        return value.strip() if value and value.strip() else None

    def in_loop(self, loop: str) -> bool:
        return f"/{loop}/" in self.path


def _guarded(segments, name: str):
    """``segments`` (an iterator of pyx12), turning its failures on a malformed file into
    X12FileError with the segment number."""
    position = 0
    iterator = iter(segments)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except (pyx12.errors.EngineError, pyx12.errors.X12Error) as exc:
            at = position + 1
            raise X12FileError(f"{name}: cannot be read at segment {at} ({exc})") from None
        except (IndexError, KeyError, ValueError, AttributeError, TypeError):
            # pyx12's reader assumes the envelope segments come in order
            raise X12FileError(
                f"{name}: segment {position + 1} is out of place (the ISA/GS/ST envelope "
                "segments are not in order)"
            ) from None
        position += 1
        yield item


def _check_envelope(name: str, text: str, expected: tuple[str, str, str]) -> None:
    """Raise X12FileError unless ``text`` is a complete interchange (every ST closed by SE,
    ending with IEA) of the ``expected`` transaction. Read segment by segment with pyx12's
    plain reader first, so a wrong transaction is named before any map is looked for."""
    transaction, version, label = expected
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text))
    except pyx12.errors.X12Error as exc:
        raise X12FileError(f"{name}: not an X12 file ({exc})") from None
    seg_term = reader.seg_term
    if not text.rstrip("\r\n ").endswith(seg_term):
        raise X12FileError(
            f"{name}: truncated, or its segments do not end with the terminator its ISA "
            f"declares ({seg_term!r}): the last segment is incomplete"
        )
    open_st, last_id, position, seen_st = None, None, 0, False
    for seg in _guarded(reader, name):
        position += 1
        last_id = seg.get_seg_id()
        wrong = [e for e in reader.pop_errors() if e[0] in ("isa", "gs", "st")]
        if wrong:  # counts or control numbers that do not add up: a damaged file
            raise X12FileError(f"{name}: at segment {position} ({last_id}): {wrong[0][2]}")
        if last_id == "GS":
            gs08 = seg.get_value("GS08") or ""
            if not gs08.startswith(version):
                raise X12FileError(
                    f"{name}: segment {position} (GS) is for {gs08 or 'no version'}, not an {label}"
                )
        elif last_id == "ST":
            st01 = seg.get_value("ST01")
            if st01 != transaction:
                raise X12FileError(
                    f"{name}: segment {position} starts a {st01} transaction, not an {label}"
                )
            open_st, seen_st = position, True
        elif last_id == "SE":
            open_st = None
    if not seen_st:
        raise X12FileError(
            f"{name}: no transaction found (no ST segment): is the segment terminator the "
            f"one its ISA declares ({seg_term!r})?"
        )
    if open_st is not None:
        raise X12FileError(
            f"{name}: truncated after segment {position}: the transaction starting at "
            f"segment {open_st} has no SE"
        )
    if last_id != "IEA":
        raise X12FileError(f"{name}: truncated after segment {position}: no IEA")


def _segments(path: Path | str, expected: tuple[str, str, str]) -> Iterator[_Segment]:
    """The segments of ``path``, each placed in its loop by the transaction's map, once the
    file is known to be a complete interchange of the ``expected`` transaction."""
    name = Path(path).name
    text = _text(path)
    _check_envelope(name, text, expected)
    reader = pyx12.x12context.X12ContextReader(
        _params(), pyx12.error_handler.errh_null(), io.StringIO(text)
    )
    for position, node in enumerate(_guarded(reader.iter_segments(), name), start=1):
        yield _Segment(node, position)


def _date(text: str | None) -> date | None:
    """CCYYMMDD (or the start of CCYYMMDD-CCYYMMDD) as a date; None when unreadable."""
    if not text:
        return None
    try:
        return datetime.strptime(text.split("-")[0][:8], "%Y%m%d").date()
    except ValueError:
        return None


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return int(value) if value == int(value) else value


def _person(segment: _Segment) -> str | None:
    """A rendering provider's name as the workbook writes it: First Last (or the
    organization's name)."""
    last, first = segment.get("NM103"), segment.get("NM104")
    return " ".join(p for p in (first, last) if p) or None


def read_claims(path: Path | str) -> list[ClaimLine]:
    """The service lines of an 837P file, in file order. Raises X12FileError."""
    name = Path(path).name
    lines: list[ClaimLine] = []
    subscriber: dict[str, str | None] = {}
    claim: dict[str, object] | None = None
    line: dict[str, object] | None = None

    def close_line() -> None:
        nonlocal line
        if line is not None and claim is not None:
            lines.append(
                ClaimLine(
                    file=name,
                    position=line["position"],
                    claim_id=claim["id"],
                    line_no=line["no"],
                    code=line.get("code") or "",
                    units=line.get("units"),
                    charge=line.get("charge"),
                    service_date=line.get("date") or claim.get("date"),
                    member_id=subscriber.get("member"),
                    payer=subscriber.get("payer"),
                    payer_id=subscriber.get("payer_id"),
                    provider=line.get("provider") or claim.get("provider"),
                    claim_auth=claim.get("auth"),
                    line_auth=line.get("auth"),
                    line_control=line.get("control"),
                    claim_position=claim["position"],
                )
            )
        line = None

    for seg in _segments(path, CLAIM_837P):
        sid = seg.id
        if sid == "HL":
            close_line()
            claim = None
            if seg.get("HL03") == "22":
                subscriber = {}
        elif sid == "NM1" and seg.get("NM101") == "IL" and seg.in_loop("2010BA"):
            subscriber["member"] = seg.get("NM109")
        elif sid == "NM1" and seg.get("NM101") == "PR" and seg.in_loop("2010BB"):
            subscriber["payer"], subscriber["payer_id"] = seg.get("NM103"), seg.get("NM109")
        elif sid == "CLM":
            close_line()
            claim = {"id": seg.get("CLM01") or "", "position": seg.position}
        elif claim is None or sid in ("SE", "GE", "IEA"):
            close_line()
        elif sid == "LX":
            close_line()
            line = {"no": int(_number(seg.get("LX01")) or 0), "position": seg.position}
        elif sid == "SV1" and line is not None:
            line["code"] = seg.get("SV101-2")
            line["charge"] = _number(seg.get("SV102"))
            line["units"] = _number(seg.get("SV104"))
            line["position"] = seg.position
        elif sid == "DTP" and seg.get("DTP01") == "472":
            (line if line is not None else claim)["date"] = _date(seg.get("DTP03"))
        elif sid == "REF" and seg.get("REF01") == "G1":
            (line if line is not None else claim)["auth"] = seg.get("REF02")
        elif sid == "REF" and seg.get("REF01") == "6R" and line is not None:
            line["control"] = seg.get("REF02")
        elif sid == "NM1" and seg.get("NM101") == "82":
            (line if line is not None else claim)["provider"] = _person(seg)
    close_line()
    return lines


def read_remittance(path: Path | str) -> list[RemitLine]:
    """The service lines of an 835 file, in file order. Raises X12FileError."""
    name = Path(path).name
    lines: list[RemitLine] = []
    check: dict[str, object] = {}
    claim: dict[str, object] | None = None
    line: dict[str, object] | None = None

    def close_line() -> None:
        nonlocal line
        if line is not None and claim is not None:
            lines.append(
                RemitLine(
                    file=name,
                    position=line["position"],
                    payer=check.get("payer"),
                    payer_id=check.get("payer_id"),
                    check_no=check.get("check_no"),
                    check_date=check.get("check_date"),
                    claim_id=claim["id"],
                    claim_status=claim.get("status") or "",
                    payer_claim_no=claim.get("payer_claim_no"),
                    member_id=claim.get("patient") or claim.get("insured"),
                    line_control=line.get("control"),
                    code=line.get("code") or "",
                    units_billed=line.get("units_billed", line.get("units_paid")),
                    units_paid=line.get("units_paid"),
                    billed=line.get("billed"),
                    paid=line.get("paid"),
                    service_date=line.get("date") or claim.get("date"),
                    adjustments=tuple(line.get("cas", ())),
                    remarks=tuple(line.get("rarc", ())),
                )
            )
        line = None

    for seg in _segments(path, REMIT_835):
        sid = seg.id
        if sid == "ST":
            close_line()
            claim, check = None, {}
        elif sid == "BPR":
            check["check_date"] = _date(seg.get("BPR16"))
        elif sid == "TRN":
            check["check_no"] = seg.get("TRN02")
        elif sid == "N1" and seg.get("N101") == "PR":
            check["payer"], check["payer_id"] = seg.get("N102"), seg.get("N104")
        elif sid == "CLP":
            close_line()
            claim = {
                "id": seg.get("CLP01") or "",
                "status": seg.get("CLP02"),
                "payer_claim_no": seg.get("CLP07"),
            }
        elif claim is None or sid in ("SE", "GE", "IEA", "PLB", "LX"):
            close_line()
            if sid in ("SE", "LX"):
                claim = None
        elif sid == "NM1" and seg.get("NM101") == "QC":
            claim["patient"] = seg.get("NM109")
        elif sid == "NM1" and seg.get("NM101") == "IL":
            claim["insured"] = seg.get("NM109")
        elif sid == "DTM" and seg.get("DTM01") in ("232", "050") and line is None:
            claim.setdefault("date", _date(seg.get("DTM02")))
        elif sid == "SVC":
            close_line()
            line = {
                "position": seg.position,
                "code": seg.get("SVC01-2"),
                "billed": _number(seg.get("SVC02")),
                "paid": _number(seg.get("SVC03")),
                "units_paid": _number(seg.get("SVC05")) if seg.get("SVC05") else 1,
                "cas": [],
                "rarc": [],
            }
            if seg.get("SVC07"):
                line["units_billed"] = _number(seg.get("SVC07"))
        elif line is None:
            continue
        elif sid == "DTM" and seg.get("DTM01") in ("472", "150"):
            line["date"] = _date(seg.get("DTM02"))
        elif sid == "CAS":
            group = seg.get("CAS01") or ""
            for first in (2, 5, 8, 11, 14, 17):
                carc = seg.get(f"CAS{first:02d}")
                if carc:
                    line["cas"].append(
                        Adjustment(
                            group,
                            carc,
                            _number(seg.get(f"CAS{first + 1:02d}")) or 0,
                            _number(seg.get(f"CAS{first + 2:02d}")),
                        )
                    )
        elif sid == "REF" and seg.get("REF01") == "6R":
            line["control"] = seg.get("REF02")
        elif sid == "LQ" and seg.get("LQ01") == "HE":
            line["rarc"].append(seg.get("LQ02"))
    close_line()
    return lines


def validate(path: Path | str) -> list[str]:
    """What the 5010 implementation guide's map finds wrong with the file at ``path`` (its
    999 acknowledgement and messages): an empty list when the file is valid."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.ERROR:
                messages.append(record.getMessage())

    logger = logging.getLogger("pyx12")
    handler = Collect()
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False  # the messages are returned
    ack = io.StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(_params(), str(path), ack, None, None)
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
    # pyx12's 835 map marks ST03 "Not Used" while its 999 writer needs it, so for an 835
    # the acknowledgement cannot be written: the validator's own verdict and messages count.
    messages = [m for m in messages if not m.startswith("Failed to create 999")]
    if ok and not messages:
        return []
    return messages or ["not valid: " + ack.getvalue()]


#: Claim (loop 2300) segments that come before REF*G1 in the 837P guide's order, and the
#: REF qualifiers listed before G1: a REF*G1 goes after them, before anything else.
_BEFORE_G1 = ("DTP", "PWK", "CN1", "AMT")
_REFS_BEFORE_G1 = ("4N", "F5", "EW", "9F")


def _spans(text: str, seg_term: str) -> list[tuple[int, int]]:
    """(start, end) of each segment of ``text``: from its first character to just past its
    terminator and any line break after it, so the spans together cover every byte."""
    spans, start = [], 0
    while start < len(text):
        end = text.find(seg_term, start)
        if end < 0:
            break
        end += len(seg_term)
        while end < len(text) and text[end] in "\r\n":
            end += 1
        spans.append((start, end))
        start = end
    return spans


def add_claim_auths(path: Path | str, out: Path | str, auths: dict[int, str]) -> int:
    """Write ``path`` to ``out`` with a ``REF*G1`` added to each claim whose CLM is segment
    number ``position`` of ``auths`` (position -> Auth #), where the guide puts it. Every
    other byte is kept, except the segment count (SE01) of a transaction that gains
    segments. Returns how many were added. Raises X12FileError."""
    name = Path(path).name
    text = _text(path)
    _check_envelope(name, text, CLAIM_837P)
    reader = pyx12.x12file.X12Reader(io.StringIO(text))
    seg_term, ele = reader.seg_term, reader.ele_term
    spans = _spans(text, seg_term)
    ids = [text[a:b].lstrip("\r\n").split(ele, 1)[0] for a, b in spans]

    def element(k: int, n: int) -> str:
        parts = text[spans[k][0] : spans[k][1]].strip("\r\n").rstrip(seg_term).split(ele)
        return parts[n] if n < len(parts) else ""

    inserts: dict[int, str] = {}  # segment index to insert before -> text
    for position, number in auths.items():
        k = position - 1
        if not (0 <= k < len(ids)) or ids[k] != "CLM":
            raise X12FileError(f"{name}: segment {position} is not a CLM")
        a, b = spans[k]
        newline = text[a:b][len(text[a:b].rstrip("\r\n")) :]
        k += 1
        while ids[k] in _BEFORE_G1 or (ids[k] == "REF" and element(k, 1) in _REFS_BEFORE_G1):
            k += 1
        inserts[k] = inserts.get(k, "") + f"REF{ele}G1{ele}{number}{seg_term}{newline}"
    pieces, added_in_st = [], 0
    for k, (a, b) in enumerate(spans):
        if k in inserts:
            pieces.append(inserts[k])
            added_in_st += 1
        if ids[k] == "ST":
            added_in_st = 0
        if ids[k] == "SE" and added_in_st:
            count = int(element(k, 1)) + added_in_st
            rest = text[a:b].split(ele, 2)
            pieces.append(f"{rest[0]}{ele}{count}{ele}{rest[2]}")
            continue
        pieces.append(text[a:b])
    pieces.append(text[spans[-1][1] :] if spans else text)
    out = Path(out)
    # written beside OUT, then renamed: OUT is the whole new file or what it was before
    with tempfile.NamedTemporaryFile(
        "w", encoding="ascii", newline="", dir=out.parent, prefix=f".{out.name}.", delete=False
    ) as handle:
        handle.write("".join(pieces))
    os.replace(handle.name, out)
    return len(auths)
