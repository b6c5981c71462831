"""Unit tests for the obfuscation helpers: blob grading, soup names, margins, look-alikes."""

from __future__ import annotations

import base64
import random
import zlib
from pathlib import Path

from douane.analysis.engine import analyse
from douane.analysis.obfuscation import classify_blob, is_soup_name
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity


def scan(source: str, path: str = "pkg/mod.py") -> list[tuple[str, int | None, Severity]]:
    data = source.encode()
    opened = Opened(ArtifactKind.SDIST, "folder", (Member(path, data, len(data)),), (), "")
    found = analyse(Artifact(path=Path(path), filename="x.tar.gz"), opened).findings
    return [(f.rule, f.line, f.severity) for f in found if f.rule.startswith("DOU7")]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_blob_grading_by_content():
    rnd = random.Random(1)
    noise = bytes(rnd.randrange(256) for _ in range(300))
    assert classify_blob(_b64(b"\x89PNG\r\n\x1a\n" + noise)) is None
    assert (
        classify_blob(_b64(b"import os\nimport subprocess\n" + b"x = 1\n" * 40))[0]
        is Severity.MEDIUM
    )
    assert classify_blob(_b64(zlib.compress(noise)))[0] is Severity.LOW
    assert classify_blob(_b64(noise))[0] is Severity.INFO
    assert classify_blob(_b64(b"MZ\x90\x00" + noise))[0] is Severity.MEDIUM


def test_soup_names():
    for name in ("OO0O0OO0O0", "lIlIIlIlll", "MNMMNNMNMN", "S2S222SS2S"):
        assert is_soup_name(name), name
    benign = ("MAX_RETRIES", "XXXXXXXX", "aaaaaaaa", "__init__", "deadbeef", "HTTP_200_OK",
              "iiiiiIIT", "aaaaaabbbbbbvvvvv")  # fmt: skip
    for name in benign:
        assert not is_soup_name(name), name


def test_blob_in_tests_is_capped_at_low():
    blob = _b64(b"import os\nimport socket\n" + bytes(range(200)))
    assert scan(f'B = "{blob}"\n', "tests/test_x.py") == [("DOU701", 1, Severity.LOW)]
    assert scan(f'B = "{blob}"\n') == [("DOU701", 1, Severity.MEDIUM)]


def test_margin_gap_with_dangerous_tail_is_high():
    gap = " " * 200
    assert scan(f'x = 1{gap};exec("pass")\n') == [("DOU702", 1, Severity.HIGH)]
    assert scan(f"x = 1{gap}# note\n") == []


def test_nfkc_identifier_is_high_and_whole_script_names_pass():
    assert scan("𝐞𝐱𝐞𝐜('pass')\n") == [("DOU705", 1, Severity.HIGH)]
    assert scan("𝓪 = 1\n", "tests/fixtures/attr.py") == [("DOU705", 1, Severity.LOW)]
    assert scan("имя = 'Вася'\nprint(имя)\n") == []


def test_broken_python_does_not_crash_confusable_rule():
    """Regression: tokenize errors on unparsable files must not escape the rule."""
    assert scan("def f(:\n  sеnd = '\n") == []


def test_underscore_runs_in_strings_are_not_names():
    """Regression: ASCII-art spinners draw `____` inside strings; only bound names count."""
    art = 'FRAMES = ["▐|\\\\____________▌", " _________ _______ ___ ", "|______|", "_____"]\n'
    assert scan(art) == []
    code = "import base64 as ____\nimport zlib as _____\n______ = 1\n_______ = ____.b64decode\n"
    assert [r for r, _, _ in scan(code)] == ["DOU704"]
