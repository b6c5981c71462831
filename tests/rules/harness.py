"""Runs rules on fixture artifacts built in memory from `tests/rules/fixtures/<ID>/{flag,pass}/`.

A case is either one file (the artifact holds that single file at its root) or a directory
(the artifact holds its tree). A directory named `*.wheel` is scanned as a wheel, `*.sdist`
or anything else as an sdist. Expected hits are inline comments `expect: DOU201` on the
flagged line (several ids separated by commas), or, for files without comments, lines
`DOU801 path/in/artifact[:line]` in an `EXPECT` file at the case root.

Three more files extend a case directory: `ISSUES` (lines `KIND path detail`: archive issues
the reader would have recorded, for DOU9xx rules), `previous/` (a folder holding the
previous release, scanned first and passed as the artifact's predecessor, for diff rules) and
`INDEX` (lines `field: value` saying what the index knows of the artifact: `version`,
`prior_releases`; without it the artifact is a local file, version 1.0, history unknown).
"""

from __future__ import annotations

import re
from pathlib import Path

from douane.analysis.engine import analyse
from douane.archive import ArchiveIssue, IssueKind, Opened
from douane.domain import Artifact, ArtifactKind, Finding, Member

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"expect:\s*((?:DOU\d+\s*,?\s*)+)")


def load_case(case: Path) -> tuple[Opened, set[tuple[str, str, int | None]]]:
    """Build the in-memory artifact for one case and the (rule, file, line) hits it expects."""
    members: list[Member] = []
    expected: set[tuple[str, str, int | None]] = set()
    if case.is_file():
        files = [(case.name, case)]
    else:
        files = [
            (p.relative_to(case).as_posix(), p)
            for p in sorted(case.rglob("*"))
            if p.is_file()
            and p.name not in ("EXPECT", "ISSUES", "INDEX")
            and not p.relative_to(case).as_posix().startswith("previous/")
        ]
        exp = case / "EXPECT"
        if exp.exists():
            for raw in exp.read_text().splitlines():
                if not raw.strip() or raw.startswith("#"):
                    continue
                rule, _, where = raw.strip().partition(" ")
                path, _, line = where.partition(":")
                expected.add((rule, path, int(line) if line else None))
    for rel, path in files:
        data = path.read_bytes()
        members.append(Member(path=rel, data=data, size=len(data)))
        for n, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            m = _EXPECT.search(line)
            if m:
                for rule in re.findall(r"DOU\d+", m.group(1)):
                    expected.add((rule, rel, n))
    issues = []
    if case.is_dir() and (case / "ISSUES").exists():
        for raw in (case / "ISSUES").read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                kind, path, detail = (raw.strip().split(" ", 2) + ["", ""])[:3]
                issues.append(ArchiveIssue(IssueKind[kind], path, detail))
    kind = ArtifactKind.WHEEL if case.name.endswith(".wheel") else ArtifactKind.SDIST
    opened = Opened(
        kind=kind, format="folder", members=tuple(members), issues=tuple(issues), root=""
    )
    return opened, expected


def index_fields(case: Path) -> dict[str, str]:
    """The case's `INDEX` file as a dict (empty when absent)."""
    path = case / "INDEX"
    if not (case.is_dir() and path.exists()):
        return {}
    out = {}
    for raw in path.read_text().splitlines():
        if raw.strip() and not raw.startswith("#"):
            key, _, value = raw.partition(":")
            out[key.strip()] = value.strip()
    return out


def scan_case(case: Path, name: str = "fixture-pkg", version: str = "1.0") -> list[Finding]:
    opened, _ = load_case(case)
    previous = None
    if case.is_dir() and (case / "previous").is_dir():
        prev_opened, _ = load_case(case / "previous")
        prev_artifact = Artifact(path=case / "previous", filename="previous", name=name,
                                 version="0.9")  # fmt: skip
        previous = analyse(prev_artifact, prev_opened).context
    index = index_fields(case)
    prior = index.get("prior_releases")
    artifact = Artifact(path=case, filename=case.name, name=name,
                        version=index.get("version", version),
                        prior_releases=int(prior) if prior is not None else None)  # fmt: skip
    return analyse(artifact, opened, previous=previous).findings


def cases(rule_id: str, side: str) -> list[Path]:
    folder = FIXTURES / rule_id / side
    return sorted(folder.iterdir()) if folder.is_dir() else []
