"""The structure measures and their text helpers, rewritten for speed, give the values of the
straightforward versions kept here as references (odd paths, odd bytes, random texts)."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from douane.analysis.context import ArtifactContext, FileContext, base_where, file_type_of
from douane.analysis.interface import FileType
from douane.archive.interface import Opened
from douane.domain import Artifact, ArtifactKind, Member, Where
from douane.scoring import features as F

# -- the references: the measures as first written, one regex or one loop each -----------------

REF_IMPORT = re.compile(
    r"^[ \t]*(?:from[ \t]+([A-Za-z_][\w.]*)[ \t]+import|import[ \t]+([A-Za-z_][\w., \t]*))",
    re.MULTILINE,
)
REF_DEF = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]", re.MULTILINE)
REF_CLASS = re.compile(rb"^[ \t]*class[ \t]", re.MULTILINE)
REF_B64ISH = re.compile(rb"[A-Za-z0-9+/=_\-]{64,}")


def ref_text_measures(data: bytes) -> dict[str, object]:
    text = data.decode("utf-8", "replace")
    return {
        "imports": F._imported(REF_IMPORT.finditer(text)),
        "lines": sum(1 for x in data.split(b"\n") if x.strip()),
        "defs": len(REF_DEF.findall(data)),
        "classes": len(REF_CLASS.findall(data)),
        "calls_setup": re.search(r"\bsetup\s*\(", text) is not None,
        "max_line": max((len(x) for x in data.split(b"\n")), default=0),
        "long_token": max((m.end() - m.start() for m in REF_B64ISH.finditer(data)), default=0),
    }


def new_text_measures(data: bytes) -> dict[str, object]:
    text = data.decode("utf-8", "replace")
    return {
        "imports": F._imports(text),
        "lines": F._non_blank_lines(data),
        "defs": F._count_statements(F._DEF_RE, data),
        "classes": F._count_statements(F._CLASS_RE, data),
        "calls_setup": F._calls_setup(text),
        "max_line": F._max_line(data),
        "long_token": F._long_token(data),
    }


def ref_files_measures(files: list[FileContext]) -> dict[str, object]:
    """The per-file loop as first written (what the vectorised passes must reproduce)."""
    counts = {"py": 0, "pth": 0, "bin": 0, "pyc": 0, "scripts": 0, "js": 0}
    total = py_bytes = depth = 0
    entry: list[bytes] = []
    setup = None
    for f in files:
        m = f.member
        total += m.size
        depth = max(depth, f.rel_path.count("/"))
        ft = f.file_type
        if ft is FileType.PYTHON:
            counts["py"] += 1
            py_bytes += m.size
            if f.rel_path == "setup.py":
                setup = f
            elif F._ENTRY_INIT.match(f.rel_path) and f.where is not Where.TEST:
                entry.append(m.data[: F.ENTRY_MAX_BYTES])
        elif ft is FileType.PTH:
            counts["pth"] += 1
            entry.append(m.data[: F.ENTRY_MAX_BYTES])
        elif ft in (FileType.SHELL, FileType.WINDOWS_SCRIPT):
            counts["scripts"] += 1
        elif ft is FileType.JAVASCRIPT:
            counts["js"] += 1
        lower = f.rel_path.lower()
        if lower.endswith((".pyc", ".pyo")):
            counts["pyc"] += 1
        elif m.data[:4].startswith(F._BINARY_MAGIC) and not lower.endswith((".py", ".txt", ".md")):
            counts["bin"] += 1
    return {"counts": counts, "total": total, "py_bytes": py_bytes, "depth": depth,
            "entry": entry, "setup": setup}  # fmt: skip


# -- inputs ---------------------------------------------------------------------------------------

TOKENS = [b"def", b"async", b"class", b"import", b"from", b"setup", b"cmdclass", b"(", b")",
          b" ", b"  ", b"\t", b"\n", b"\n", b"\r\n", b"\x0b", b"\x0c", b".", b",", b"os", b"_x",
          b"as", b"\xc3\xa9", b"\xff", b"\xe2\x80\xa8", b"A" * 40, b"Zm9v" * 9, b"+/=", b"-", b"9",
          b"#", b"'", b"\\", b"\xef\xbb\xbf"]  # fmt: skip


def random_texts(n: int, seed: int, tokens: int = 120) -> list[bytes]:
    rnd = random.Random(seed)
    out = [b"", b"\n", b"setup(", b"xsetup(", b"\xc3\xa9setup (", b"_setup(", b"def f", b"def\tf",
           b"\n  async  def f():", b"class\n", b"A" * 63, b"A" * 64, b"A" * 64 + b"\nB" * 70,
           b"import os, sys as s,  json.tool\nfrom a.b import c", b" \t\x0b\x0c\r\n  \n",
           b"x" * 5000, b"\n" * 5000, b"\n" + b"y" * 4095, b"z" * 4095 + b"\n",
           b"a\n" * 2048, b"\n" + b"b" * 6000 + b"\n\n"]  # fmt: skip
    for _ in range(n):
        out.append(b"".join(rnd.choice(TOKENS) for _ in range(rnd.randint(1, tokens))))
    return out


def test_text_helpers_match_the_references_on_random_texts() -> None:
    """Guards against a speed-up of the setup.py/entry measures changing any value (large
    texts take other paths than small ones)."""
    for data in random_texts(3000, seed=7) + random_texts(150, seed=8, tokens=3000):
        assert new_text_measures(data) == ref_text_measures(data), data


# Paths that trip suffix, case and anchor tests: upper-case suffixes, a Kelvin sign and a
# dotted capital I (which lower to ASCII), a newline before "$", tests, duplicates.
ODD_PATHS = ["setup.py", "setup.py", "pkg/__init__.py", "__init__.py", "pkg/sub/__init__.py",
             "tests/__init__.py", "pkg/__init__.py\n", "a/b/__init__.pyc", "A.PYC", "b.PyO",
             "c.pyc\n", "d.\u212apyc", "e.p\u0130c", "\u0130.pyc", "lib.so", "x.PY", "r.TXT",
             "n.Md", "run.sh", "w.bat", "j.js", "m.pth", "deep/a/b/c/d.txt", "", "/", "noext",
             "pkg/__init__.PY", "pkg/x__init__.py", "\u03a3.pyo"]  # fmt: skip
HEADS = [b"", b"M", b"MZ", b"MZ\x90", b"\x7fELF\x02", b"\x7fEL", b"\xca\xfe\xba\xbe",
         b"\xca\xfe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe!", b"import os\n", b"#!/bin/sh\n",
         b"#!/usr/bin/env python\n"]  # fmt: skip


def random_context(rnd: random.Random) -> ArtifactContext:
    files = []
    for _ in range(rnd.randint(0, 40)):
        path = rnd.choice(ODD_PATHS)
        data = rnd.choice(HEADS) + rnd.choice(random_texts(0, 0))
        member = Member(path=path, data=data, size=len(data) + rnd.choice((0, 0, 5000)))
        ftype = rnd.choice([file_type_of(path, data[:128]), rnd.choice(list(FileType))])
        files.append(FileContext(member, path, ftype, base_where(path, ArtifactKind.SDIST),
                                 ArtifactKind.SDIST))  # fmt: skip
    opened = Opened(kind=ArtifactKind.SDIST, format="folder", members=tuple(f.member for f in files),
                    issues=(), root="")  # fmt: skip
    return ArtifactContext(artifact=Artifact(path=Path("x.tar.gz"), filename="x.tar.gz"),
                           opened=opened, files=files, findings=[])  # fmt: skip


def test_structure_measures_match_the_per_file_loop() -> None:
    """Guards against the vectorised passes over a release's files changing a count, the
    entry files, their order, or which setup.py is measured."""
    rnd = random.Random(11)
    for _ in range(1500):
        ctx = random_context(rnd)
        ref = ref_files_measures(ctx.files)
        got = F._structure_measures(ctx)
        n, c = len(ctx.files), ref["counts"]
        expected = {
            "files.count": float(n), "files.python": float(c["py"]),
            "files.python_share": c["py"] / n if n else 0.0, "files.max_depth": float(ref["depth"]),
            "files.pth": float(c["pth"]), "files.binary": float(c["bin"]),
            "files.pyc": float(c["pyc"]), "files.scripts": float(c["scripts"]),
            "files.javascript": float(c["js"]), "bytes.total": float(ref["total"]),
            "bytes.python": float(ref["py_bytes"]), "setup.present": float(ref["setup"] is not None),
            "entry.files": float(len(ref["entry"])),
            "entry.bytes": float(sum(len(e) for e in ref["entry"])),
            "entry.entropy": max((F._entropy(e) for e in ref["entry"]), default=0.0),
        }  # fmt: skip
        # json keeps the sign of a zero entropy: the entries must come in the same order
        assert json.dumps({k: got[k] for k in expected}) == json.dumps(expected)
        if ref["setup"] is not None:
            assert got["setup.bytes"] == float(ref["setup"].member.size)
            assert got["setup.lines"] == float(ref_text_measures(
                ref["setup"].member.data[: F.ENTRY_MAX_BYTES])["lines"])  # fmt: skip
