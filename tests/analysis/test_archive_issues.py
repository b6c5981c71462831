"""Archive-issue rules: grading of each issue kind, and the path from the real reader's issues."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from douane.analysis.archive_issues import escapes, link_target
from douane.analysis.engine import analyse
from douane.archive import ArchiveIssue, IssueKind, Opened, open_bytes
from douane.domain import Artifact, ArtifactKind, Member, Severity, Where


def findings(opened: Opened):
    found = analyse(Artifact(path=Path("x"), filename="x.tar.gz"), opened).findings
    return sorted((f.rule, f.file, f.severity) for f in found if f.rule.startswith("DOU9"))


def with_issues(*issues: ArchiveIssue) -> Opened:
    setup = b"from setuptools import setup\nsetup()\n"
    members = (Member("pkg-1.0/setup.py", setup, len(setup)),)
    return Opened(ArtifactKind.SDIST, "tar.gz", members, tuple(issues), "pkg-1.0/")


def test_link_helpers():
    assert link_target("symlink to ../../etc") == "../../etc"
    assert link_target("hard link to /etc/shadow") == "/etc/shadow"
    assert link_target("FIFO member") is None
    assert escapes("pkg-1.0/a", "/etc/passwd")
    assert escapes("pkg-1.0/pkg/up", "../../../etc")
    assert escapes("pkg-1.0/x", "C:\\Windows")
    assert not escapes("pkg-1.0/pkg/alias.py", "real.py")
    assert not escapes("pkg-1.0/pkg/sub/a", "../b")


def test_symlink_grading():
    got = findings(
        with_issues(
            ArchiveIssue(IssueKind.SYMLINK, "pkg-1.0/out", "symlink to /home/u/.aws"),
            ArchiveIssue(IssueKind.SYMLINK, "pkg-1.0/pkg/in", "symlink to other.py"),
        )
    )
    assert got == [
        ("DOU903", "pkg-1.0/out", Severity.MEDIUM),
        ("DOU903", "pkg-1.0/pkg/in", Severity.LOW),
    ]


def test_duplicate_code_is_high_and_nested_test_data_is_info():
    got = findings(
        with_issues(
            ArchiveIssue(IssueKind.DUPLICATE_MEMBER, "pkg-1.0/setup.py", "stored more than once"),
            ArchiveIssue(IssueKind.DUPLICATE_MEMBER, "pkg-1.0/NOTES", "stored more than once"),
            ArchiveIssue(IssueKind.NESTED_ARCHIVE, "pkg-1.0/tests/d.zip", "archive (zip)"),
            ArchiveIssue(IssueKind.NESTED_ARCHIVE, "pkg-1.0/pkg/u.zip", "archive (zip)"),
        )
    )
    assert ("DOU909", "pkg-1.0/setup.py", Severity.HIGH) in got
    assert ("DOU909", "pkg-1.0/NOTES", Severity.MEDIUM) in got
    assert ("DOU911", "pkg-1.0/tests/d.zip", Severity.INFO) in got
    assert ("DOU911", "pkg-1.0/pkg/u.zip", Severity.LOW) in got


def test_every_issue_kind_has_a_rule():
    issues = [ArchiveIssue(kind, f"p/{kind.value}", "detail") for kind in IssueKind]
    got = findings(with_issues(*issues))
    assert len(got) == len(IssueKind)
    found = analyse(Artifact(path=Path("x"), filename="x"), with_issues(*issues)).findings
    assert all(f.where is Where.ARCHIVE for f in found if f.rule.startswith("DOU9"))


def _tar(entries: list[tuple[tarfile.TarInfo, bytes | None]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def test_real_reader_issues_become_findings():
    """End to end: issues recorded by the archive reader (not hand-made) reach the rules."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("x.txt", "inert")
    link = tarfile.TarInfo("pkg-1.0/creds")
    link.type, link.linkname = tarfile.SYMTYPE, "/home/user/.aws"
    data = _tar(
        [
            _file("pkg-1.0/setup.py", b"print('a')\n"),
            _file("pkg-1.0/setup.py", b"print('b')\n"),
            _file("pkg-1.0/../../evil.py", b"x = 1\n"),
            _file("pkg-1.0/pkg/update.zip", inner.getvalue()),
            (link, None),
        ]
    )
    got = {(rule, sev) for rule, _, sev in findings(open_bytes(data, "pkg-1.0.tar.gz"))}
    assert ("DOU909", Severity.HIGH) in got
    assert ("DOU902", Severity.HIGH) in got
    assert ("DOU911", Severity.LOW) in got
    assert ("DOU903", Severity.MEDIUM) in got


def test_archive_hidden_under_plain_name_is_medium():
    got = findings(
        with_issues(
            ArchiveIssue(IssueKind.NESTED_ARCHIVE, "pkg-1.0/pkg/version", "archive (zip); not"),
            ArchiveIssue(IssueKind.NESTED_ARCHIVE, "pkg-1.0/pkg/w.npz", "archive (zip); not"),
            ArchiveIssue(IssueKind.NESTED_ARCHIVE, "pkg-1.0/pkg/net.pth", "archive (zip); not"),
            ArchiveIssue(IssueKind.NESTED_ARCHIVE, "pkg-1.0/pkg/a.zip", "archive (by name)"),
        )
    )
    assert got == [
        ("DOU911", "pkg-1.0/pkg/a.zip", Severity.LOW),
        ("DOU911", "pkg-1.0/pkg/net.pth", Severity.LOW),
        ("DOU911", "pkg-1.0/pkg/version", Severity.MEDIUM),
        ("DOU911", "pkg-1.0/pkg/w.npz", Severity.LOW),
    ]
