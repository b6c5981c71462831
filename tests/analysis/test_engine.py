"""The engine: prefilter, chunked parsing of large files, scope tracking, rule isolation."""

from __future__ import annotations

from douane.analysis.engine import LARGE_FILE, analyse
from douane.archive import Opened
from douane.domain import Artifact, ArtifactKind, Member, Where


def _scan(files: dict[str, str], kind: ArtifactKind = ArtifactKind.SDIST):
    members = tuple(Member(p, t.encode(), len(t.encode())) for p, t in files.items())
    opened = Opened(kind=kind, format="folder", members=members, issues=(), root="")
    return analyse(Artifact(path=None, filename="x"), opened)  # type: ignore[arg-type]


def _generated(n_classes: int) -> str:
    parts = ["import os\nfrom os import system as run\n\nSCHEMA = {\n'a': 1,\n}\n"]
    for i in range(n_classes):
        parts.append(
            f"class Model{i}(object):\n"
            f'    """Model {i}."""\n\n'
            f"    def __init__(self, value=None):\n"
            f"        self.value = value  # {'x' * 60}\n\n"
            f"    @property\n"
            f"    def name(self):\n"
            f"        return 'model-{i}'\n\n"
        )
    return "".join(parts)


def test_large_file_parsed_in_chunks_finds_the_same_lines():
    """Regression: multi-megabyte generated modules took seconds to parse whole."""
    body = _generated(2000)
    evil_class = "class Evil:\n    def go(self):\n        run('echo hi')\n"
    text = body + evil_class + _generated(10).split("\n", 6)[-1]
    assert len(text) > LARGE_FILE
    analysis = _scan({"pkg/models.py": text})
    hits = [f for f in analysis.findings if f.rule == "DOU201"]
    expected_line = body.count("\n") + 3
    assert [(f.line, f.where) for f in hits] == [(expected_line, Where.FUNCTION)]
    assert analysis.stats.get("chunked") == 1
    small = _scan({"pkg/models.py": evil_class.replace("run(", "__import__('os').system(")})
    assert [f.line for f in small.findings if f.rule == "DOU201"] == [3]


def test_main_guard_and_function_scopes():
    src = (
        "import os\n"
        "os.system('a')\n"
        "def f():\n"
        "    os.system('b')\n"
        "if __name__ == '__main__':\n"
        "    os.system('c')\n"
    )
    found = {f.line: f.where for f in _scan({"pkg/mod.py": src}).findings if f.rule == "DOU201"}
    assert found == {2: Where.IMPORT, 4: Where.FUNCTION, 6: Where.FUNCTION}
    found = {f.line: f.where for f in _scan({"setup.py": src}).findings if f.rule == "DOU201"}
    assert set(found.values()) == {Where.INSTALL}
    found = {f.line: f.where for f in _scan({"tests/t.py": src}).findings if f.rule == "DOU201"}
    assert set(found.values()) == {Where.TEST}


def test_unparseable_python_does_not_crash():
    analysis = _scan({"pkg/py2.py": "print 'hi'\nos.system('x')\n", "pkg/deep.py": "(" * 5000})
    assert analysis.stats["unparsed"] >= 1


def test_large_file_whose_trigger_sits_outside_every_block():
    """Regression: chunking found no block to parse and the engine raised IndexError."""
    text = "# call os.system('x') here\n" + "x = 1\n" * 20000
    assert len(text) > LARGE_FILE
    analysis = _scan({"pkg/big.py": text})
    assert not [f for f in analysis.findings if f.rule == "DOU201"]


def test_rules_looked_up_by_trigger_are_those_whose_triggers_the_scan_found():
    """`triggered` looks rules up by the triggers present instead of asking every rule: the
    same rules, in the same order, as asking each whether a trigger (or an all_of's first)
    was found."""
    from douane.analysis.engine import default_rules

    rs = default_rules()
    sources = [
        b"import os\nos.system('ls')\n",
        b"import requests, subprocess\nr = requests.get(u)\nsubprocess.Popen(['x'])\n",
        b"exec(base64.b64decode(blob))  # builtins, __import__\n",
        b"def add(a, b):\n    return a + b\n",
        b"import importlib\nmod = importlib.import_module(name)\nimport builtins\n",
    ]
    for data in sources:
        present, _, _ = rs.scanner.scan(data)
        expected = [
            r
            for r in rs.node_rules
            if not r.triggers
            or not present.isdisjoint(r.triggers)
            or any(not present.isdisjoint(c.first) for c in rs.conjunctions.get(r.id, ()))
        ]
        assert present or data.startswith(b"def")
        assert [r.id for r in rs.triggered(present)] == [r.id for r in expected]


def test_large_file_with_a_block_that_does_not_parse_alone_is_read_whole_once():
    """Blocks are parsed and walked one at a time; when a later one does not parse on its own
    (a continuation line at column 0 split the statement), the findings of the earlier
    blocks are dropped and the whole file is read instead: each finding once."""
    body = _generated(2000)
    evil_class = "class Evil:\n    def go(self):\n        run('echo hi')\n"
    split_statement = "y = run(\n'echo there'\n)\n"
    text = body + evil_class + _generated(10).split("\n", 6)[-1] + split_statement
    assert len(text) > LARGE_FILE
    analysis = _scan({"pkg/models.py": text})
    lines = sorted(f.line for f in analysis.findings if f.rule == "DOU201")
    evil_line = body.count("\n") + 3
    split_line = text.count("\n") - 2
    assert lines == [evil_line, split_line]
    assert not analysis.stats.get("chunked")


def test_large_file_with_top_level_else_and_except_clauses_is_read_in_blocks():
    """Regression: `else:` (after `if TYPE_CHECKING:`) and `except ImportError:` at column 0
    were taken for statements of their own; the block before them did not parse alone and
    every such file (every module of a large generated SDK) was parsed whole."""
    head = (
        "import typing\n"
        "try:\n    import ujson as json\nexcept ImportError:\n    import json\n"
        "finally:\n    pass\n"
        "if typing.TYPE_CHECKING:\n    import os\nelif False:\n    pass\n"
        "else:\n    os = __import__('os')\n"
    )
    body = _generated(2000).split("\n", 2)[-1]  # its classes, without its imports
    evil = "class Evil:\n    def go(self):\n        os.system('echo hi')\n"
    text = head + body + evil
    assert len(text) > LARGE_FILE
    analysis = _scan({"pkg/models.py": text})
    assert analysis.stats.get("chunked") == 1
    whole = _scan({"pkg/models.py": head + evil})
    hits = [f.line for f in analysis.findings if f.rule == "DOU201"]
    assert hits == [text.count("\n")]
    assert [f.line for f in whole.findings if f.rule == "DOU201"] == [(head + evil).count("\n")]
