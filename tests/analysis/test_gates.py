"""Rules that say what a file must hold before it is parsed for them: gates, all_of names, and
the comment/string lexer those names are looked up with."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import pytest

from douane.analysis.context import FileContext, noncode_spans
from douane.analysis.engine import RuleSet, analyse
from douane.analysis.interface import AllOf, Bare, FileType, Hit, Kind, Rule, all_of, gated
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Confidence, Family, Member, Severity


def _rule(rule_id: str, kind: Kind, check, **kw) -> Rule:
    return Rule(id=rule_id, name=f"r{rule_id}", family=Family.PROCESS, severity=Severity.LOW,
                confidence=Confidence.LOW, kind=kind, check=check, doc="", **kw)  # fmt: skip


def _scan(files: dict[str, str], rules: list[Rule]):
    members = tuple(Member(p, t.encode(), len(t.encode())) for p, t in files.items())
    opened = Opened(kind=ArtifactKind.WHEEL, format="zip", members=members, issues=(), root="")
    return analyse(Artifact(path=None, filename="x"), opened, ruleset=RuleSet.build(rules))  # type: ignore[arg-type]


def _calls(node: ast.Call, ctx) -> Iterator[Hit]:
    yield ctx.hit(node, "call")


def _text_hit(ctx: FileContext) -> Iterator[Hit]:
    yield Hit("text", line=1)


def test_gated_rule_does_not_parse_the_file_but_unparsed_fallbacks_still_run():
    """A rule gated out leaves nothing to walk: the file is not parsed, yet a file that does
    not parse still gets the only_unparsed text rules, exactly as when it was parsed."""

    @gated(lambda f: False)
    def never_here(node: ast.Call, ctx) -> Iterator[Hit]:
        yield ctx.hit(node, "call")

    never = _rule("DOU9001", Kind.NODE, never_here, triggers=(b"xyz",), nodes=(ast.Call,))
    fallback = _rule("DOU9002", Kind.FILE, _text_hit, triggers=(b"xyz",),
                     file_types=frozenset({FileType.PYTHON}), only_unparsed=True)  # fmt: skip
    analysis = _scan({"a.py": "xyz()\n", "b.py": "print 'xyz'\n"}, [never, fallback])
    assert [(f.rule, f.file) for f in analysis.findings] == [("DOU9002", "b.py")]
    assert analysis.stats["parsed"] == 0 and analysis.stats["gated"] == 2


def test_all_of_needs_each_name_in_code_not_in_prose():
    rule = _rule("DOU9003", Kind.NODE, _calls, nodes=(ast.Call,),
                 triggers=(all_of((b"fetch",), (b"subprocess", Bare(b"exec"))),))  # fmt: skip
    files = {
        "prose.py": '"""fetch it with subprocess, then exec."""\nfetch()\n# subprocess\n',
        "attr.py": "fetch()\nrunner.exec(x)\n",
        "bare.py": "fetch()\nexec(x)\n",
        "module.py": "import subprocess\nfetch()\n",
        "folded.py": "fetch()\nｅｘｅｃ(x)\n",
        "no_first.py": "import subprocess\nexec(x)\n",
    }
    found = {f.file for f in _scan(files, [rule]).findings}
    assert found == {"bare.py", "module.py", "folded.py"}


@pytest.mark.parametrize(
    ("source", "names"),
    [
        (b"x = 1  # exec\ny = 'exec' + \"exec\"\n", set()),
        (b'"""\nexec\n"""\nexec(x)\n', {b"exec"}),
        (b'f"{exec(x)}"\n', {b"exec"}),  # a replacement field is code
        (b'f"{d["k"]}" ; exec(p)\n', {b"exec"}),  # quotes reused inside a field (3.12)
        (b"f'{a!r:>{w}}' + r'\\'' + 'exec'\n", set()),
        (b'if"x"in y: exec(z)\n', {b"exec"}),  # a keyword before a quote is no prefix
        (b"s = '''a\n''' + b'''exec'''\n", set()),
        (b'rb"\\"" # exec\n', set()),
        (b"f'''{\n x # exec\n}'''\n", {b"exec"}),  # an f-string is code, whole
    ],
)
def test_noncode_spans_leave_exactly_the_code(source, names):
    spans = noncode_spans(source)
    assert spans is not None
    code = bytearray(source)
    for a, b in spans:
        code[a:b] = b" " * (b - a)
    assert {n for n in (b"exec",) if n in bytes(code)} == names


def test_unterminated_string_is_not_lexed():
    assert noncode_spans(b'x = "open\n') is None


def _covered(call: str, names) -> bool:
    parts = call.removesuffix(".*").split(".")
    plain = {n for n in names if isinstance(n, bytes)}
    bare = {n.name for n in names if isinstance(n, Bare)}
    return any(p.encode() in plain for p in parts) or (len(parts) == 1 and call.encode() in bare)


def test_every_call_a_rule_resolves_has_a_name_in_its_group():
    """A rule's name group must hold a part of every call name its check accepts, or a file
    that spells the call could be turned away before parsing."""
    from douane.analysis import download, dynamic_code, exfiltration, install_time, process, pyapi

    fetch = download.FETCH_CALLS | {"requests.get", "httpx.get", "requests.Session.get"}
    groups = [
        (process.EXEC_CALLS, process.EXEC_NAMES),
        (fetch, download.FETCH_NAMES),
        (fetch | pyapi.NETWORK_SEND, install_time.NETWORK_NAMES),
    ]
    for rule_id, calls in [
        ("DOU201", pyapi.PROCESS_SHELL),
        ("DOU202", process._SUBPROCESS_SHELL | {"asyncio.create_subprocess_shell"}),
        ("DOU203", process.EXEC_CALLS),
        ("DOU207", process.EXEC_CALLS),
        ("DOU301", dynamic_code.CODE_SINKS),
        ("DOU303", dynamic_code.IMPORTERS),
        ("DOU305", dynamic_code.SERIAL_LOADS),
        ("DOU104", process.EXEC_CALLS),
        ("DOU501", exfiltration.ENVIRON),
        ("DOU506", exfiltration.CLIPBOARD_READ),
        ("DOU508", exfiltration.SCREENSHOT),
        ("DOU509", exfiltration.KEYLOG),
        ("DOU507", exfiltration.CLIPBOARD_WRITE),
        ("DOU512", exfiltration.FINGERPRINT_CALLS),
        ("DOU513", exfiltration._RESOLVERS | process.EXEC_CALLS),
    ]:
        rule = next(r for r in _rules() if r.id == rule_id)
        conj = next(t for t in rule.triggers if isinstance(t, AllOf))
        groups.append((calls, conj.names[-1]))
    (clipper,) = next(r for r in _rules() if r.id == "DOU507").triggers
    groups.append((exfiltration.CLIPBOARD_READ, clipper.names[0]))
    for calls, names in groups:
        assert names >= pyapi.IMPORT_NAMES
        assert [c for c in calls if not _covered(c, names)] == []


def _rules():
    from douane.analysis.engine import default_rules

    return default_rules().node_rules
