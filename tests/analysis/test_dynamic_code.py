"""Unit tests for the dynamic-code helpers and the grading choices of DOU3xx rules."""

from __future__ import annotations

from pathlib import Path

from douane.analysis.dynamic_code import looks_encoded, shannon_entropy
from douane.analysis.engine import analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Severity


def scan(source: str, path: str = "pkg/mod.py") -> list:
    data = source.encode()
    opened = Opened(
        kind=ArtifactKind.SDIST,
        format="folder",
        members=(Member(path, data, len(data)),),
        issues=(),
        root="",
    )
    return analyse(Artifact(path=Path(path), filename="x.tar.gz"), opened).findings


def rules(findings, prefix: str = "DOU3") -> list[tuple[str, int | None, Severity]]:
    return [(f.rule, f.line, f.severity) for f in findings if f.rule.startswith(prefix)]


def test_entropy_separates_random_from_prose():
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == 2.0
    assert shannon_entropy("the quick brown fox jumps over the lazy dog") < 4.5


def test_looks_encoded_accepts_base64_and_hex_but_not_words():
    assert looks_encoded("cHJpbnQoJ2luZXJ0IGZpeHR1cmUnKQ==aW1wb3J0IG9zCmltcG9ydCBzdWJwcm9jZXNzCg==")
    assert looks_encoded("7072696e742827696e65727420666978747572652729" * 2)
    assert not looks_encoded("this is a sentence that is long enough to be considered here")
    assert not looks_encoded("short")


def test_assignment_in_another_function_is_not_followed():
    """Regression: a name decoded in one function must not taint a same-named one elsewhere."""
    src = (
        "import base64\n"
        "def a():\n    data = base64.b64decode(b'aGk=')\n    return data\n"
        "def b(data):\n    exec(data)\n"
    )
    found = rules(scan(src))
    assert ("DOU301", 6, Severity.HIGH) not in found
    assert ("DOU302", 6, Severity.LOW) in found


def test_module_level_decoded_name_reaches_function():
    src = "import zlib\nBLOB = zlib.decompress(b'x')\ndef run():\n    exec(BLOB)\n"
    assert ("DOU301", 4, Severity.HIGH) in rules(scan(src))


def test_version_idiom_in_setup_is_info_only():
    src = "exec(open('pkg/_version.py').read())\n"
    found = rules(scan(src, "setup.py"))
    assert found == [("DOU302", 1, Severity.INFO)]


def test_pickle_blob_in_tests_is_graded_low():
    src = (
        "import pickle\nOLD = b'\\x80\\x02cpkg\\nThing\\nq\\x00)\\x81q\\x01.'\npickle.loads(OLD)\n"
    )
    assert rules(scan(src, "tests/test_compat.py")) == [("DOU305", 3, Severity.LOW)]
    assert rules(scan(src, "pkg/compat.py")) == [("DOU305", 3, Severity.HIGH)]


def test_exec_of_marshal_is_reported_once():
    src = "import marshal, base64\nexec(marshal.loads(base64.b64decode('4wAAAA==')))\n"
    assert rules(scan(src)) == [("DOU301", 2, Severity.HIGH)]


def test_unknown_helper_applied_to_encoded_literal():
    blob = "aW1wb3J0IG9zCmltcG9ydCBzdWJwcm9jZXNzCmltcG9ydCB1cmxsaWIucmVxdWVzdAo="
    src = f"from helpers import unpack\nexec(unpack('{blob}'))\n"
    assert ("DOU301", 2, Severity.HIGH) in rules(scan(src))


def test_plain_builtins_lookup_is_low_and_disguised_is_high():
    src = "import builtins\na = getattr(builtins, 'exec')\nb = getattr(builtins, 'ex' + 'ec')\n"
    assert rules(scan(src)) == [("DOU304", 2, Severity.LOW), ("DOU304", 3, Severity.HIGH)]
