"""The X12 library stays behind one adapter module, and the claim rules stay pure."""

from __future__ import annotations

from tests.test_architecture import PACKAGE, imports_of


def test_only_the_x12_adapter_imports_pyx12():
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "claims" / "x12.py":
            continue
        assert not any(n.startswith("pyx12") for n in imports_of(path)), path.name


def test_claim_rules_read_no_files_and_no_workbook():
    for name in ("claims.py", "claimlines.py", "remits.py"):
        path = PACKAGE / "rules" / name
        if path.exists():
            assert not {
                n
                for n in imports_of(path)
                if n.startswith(("authbook.claims", "authbook.workbook", "pyx12"))
            }
