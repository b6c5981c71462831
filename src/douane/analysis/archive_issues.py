"""Archive rules (DOU9xx): each container oddity the safe reader records becomes a finding."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

from douane.analysis.context import ArtifactContext, base_where
from douane.analysis.interface import Hit, Tag
from douane.analysis.registry import artifact_rule
from douane.archive import ArchiveIssue, IssueKind
from douane.domain import Confidence, Family, Severity, Where

_CODE_NAME = re.compile(r"(^|/)(setup\.py|setup\.cfg|pyproject\.toml|[^/]+\.(py|pth|pyw))$", re.I)
# names that say "not an archive": none, source, text, images (office files, .npz and PyTorch
# .pth/.pt checkpoints are zips by design)
_DISGUISE_NAME = re.compile(
    r"(^|/)[^/.]+$|\.(py|pyw|txt|md|rst|json|cfg|ini|toml|ya?ml|csv|log|dat|png|jpe?g|gif|ico)$",
    re.I,
)
_LINK_DETAIL = re.compile(r"^(?:symlink|hard link) to (?P<target>.*)$")


def _issues(ctx: ArtifactContext, kind: IssueKind) -> Iterator[ArchiveIssue]:
    for issue in ctx.opened.issues:
        if issue.kind is kind:
            yield issue


def _hit(issue: ArchiveIssue, message: str, **kw) -> Hit:
    return Hit(message=message, file=issue.path, snippet=issue.detail, where=Where.ARCHIVE, **kw)


def link_target(detail: str) -> str | None:
    """The target a link issue names ("symlink to ../../etc/passwd" -> "../../etc/passwd")."""
    m = _LINK_DETAIL.match(detail.strip())
    return m.group("target") if m else None


def escapes(path: str, target: str) -> bool:
    """Whether a link stored at ``path`` pointing to ``target`` leaves the unpack folder."""
    target = target.replace("\\", "/")
    if target.startswith("/") or re.match(r"^[A-Za-z]:", target):
        return True
    depth = 0
    for part in [*posixpath.dirname(path.replace("\\", "/")).split("/"), *target.split("/")]:
        if part in ("", "."):
            continue
        depth = depth - 1 if part == ".." else depth + 1
        if depth < 0:
            return True
    return False


def _simple(
    rule_id: str, name: str, kind: IssueKind, severity: Severity, message: str, doc: str,
    tags: tuple[Tag, ...] = (Tag.EVADE,),
) -> Callable:  # fmt: skip
    """Declare a rule that reports every issue of one kind at one severity."""

    def check(ctx: ArtifactContext) -> Iterator[Hit]:
        for issue in _issues(ctx, kind):
            yield _hit(issue, message)

    check.__doc__ = doc
    check.__name__ = name
    return artifact_rule(
        rule_id,
        name,
        family=Family.ARCHIVE,
        severity=severity,
        confidence=Confidence.HIGH,
        tags=tags,
    )(check)


absolute_member_path = _simple(
    "DOU901",
    "absolute_member_path",
    IssueKind.ABSOLUTE_PATH,
    Severity.HIGH,
    "member stored under an absolute path",
    """What it does: reports members whose stored name is absolute (`/etc/cron.d/x`,
    `C:\\Users\\...`); the reader never writes them and skips their content.

    Why it matters: a naive unpacker writes such a member wherever the name says, outside the
    build folder; no packaging tool produces absolute names, so one is put there on purpose.

    Example: a tar member named `/home/user/.bashrc`.
    """,
)

path_traversal_member = _simple(
    "DOU902",
    "path_traversal_member",
    IssueKind.PATH_TRAVERSAL,
    Severity.HIGH,
    "member name climbs out of the unpack folder with '..'",
    """What it does: reports members whose name holds `..` components (with `/` or `\\`
    separators) that would place them outside the folder the archive is unpacked into.

    Why it matters: path traversal ("zip slip") overwrites files elsewhere on the machine at
    unpack time, before any code of the package runs; build tools never write such names.

    Example: `pkg-1.0/../../.ssh/authorized_keys`.
    """,
)


@artifact_rule(
    "DOU903",
    "symlink_member",
    family=Family.ARCHIVE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    tags=(Tag.EVADE,),
)
def symlink_member(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: reports symbolic links stored in the archive: MEDIUM when the target is
    absolute or climbs out of the unpack folder (`/etc/passwd`, `../../..`), LOW when it
    stays inside (a link between two files of the package).

    Why it matters: a link to the outside lets a later member, or the package's own build
    step, read or overwrite files beyond the build folder; links inside the tree are merely
    unusual in Python releases.

    Example: `pkg-1.0/data -> /home/user/.aws`.
    """
    for issue in _issues(ctx, IssueKind.SYMLINK):
        target = link_target(issue.detail)
        if target is not None and escapes(issue.path, target):
            yield _hit(issue, f"symlink points outside the package: {target}",
                       severity=Severity.MEDIUM)  # fmt: skip
        else:
            yield _hit(issue, "symlink inside the package")


@artifact_rule(
    "DOU904",
    "hardlink_member",
    family=Family.ARCHIVE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    tags=(Tag.EVADE,),
)
def hardlink_member(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: reports hard links stored in a tar: MEDIUM when the target is absolute or
    outside the unpack folder, LOW otherwise.

    Why it matters: a hard link to a path outside the archive makes a later write land on that
    file; inside the tree hard links only duplicate content, which build tools do not emit.

    Example: `pkg-1.0/cfg` hard-linked to `/etc/shadow`.
    """
    for issue in _issues(ctx, IssueKind.HARDLINK):
        target = link_target(issue.detail)
        if target is not None and escapes(issue.path, target):
            yield _hit(issue, f"hard link to a file outside the package: {target}",
                       severity=Severity.MEDIUM)  # fmt: skip
        else:
            yield _hit(issue, "hard link between members")


device_or_fifo_member = _simple(
    "DOU905",
    "device_or_fifo_member",
    IssueKind.DEVICE_OR_FIFO,
    Severity.HIGH,
    "device, FIFO or socket stored as a member",
    """What it does: reports character/block devices, FIFOs and sockets stored in a tar.

    Why it matters: unpacking a device node as root gives raw access to hardware or memory, and
    a FIFO can hang a build; no release of Python code has a reason to contain one.

    Example: a member `pkg-1.0/dev/sda` of type block device.
    """,
)

too_deep_member_path = _simple(
    "DOU906",
    "too_deep_member_path",
    IssueKind.TOO_DEEP,
    Severity.MEDIUM,
    "member nested deeper than the reader's limit; its content was not read",
    """What it does: reports members nested deeper than the reader's path-depth limit; they are
    skipped, so their content is not analysed.

    Why it matters: absurd nesting is used to exhaust unpackers or to hide a file from tools
    that stop at a depth; real packages stay a few levels deep.

    Example: `a/a/a/.../a/payload.py` with a hundred levels.
    """,
)

oversize_member = _simple(
    "DOU907",
    "oversize_member",
    IssueKind.MEMBER_TOO_LARGE,
    Severity.LOW,
    "member larger than the per-member limit; only its head was read",
    """What it does: reports members bigger than the reader's per-member limit, of which only the
    first bytes were read.

    Why it matters: what was not read was not analysed; padding a file to a huge size is a way
    to push a payload past scanners. Large data files are also legitimate, hence LOW.

    Example: a 300 MiB `pkg/model.bin` in an sdist.
    """,
)


@artifact_rule(
    "DOU908",
    "container_format_mismatch",
    family=Family.ARCHIVE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    tags=(Tag.EVADE,),
)
def container_format_mismatch(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: reports an artifact whose bytes are not the format its name promises (a zip
    named `.tar.gz`), LOW; MEDIUM when a zip hides behind unrelated leading bytes (a polyglot
    or self-extractor) that pip would still unpack.

    Why it matters: tools that trust the name may skip or misread the file while the installer
    reads it fine, which is exactly the gap an attacker wants; hand-made uploads also do this
    by mistake, hence the low grade for a plain mismatch.

    Example: `pkg-1.0.tar.gz` whose first bytes are `PK\\x03\\x04`.
    """
    for issue in _issues(ctx, IssueKind.FORMAT_MISMATCH):
        if "leading bytes" in issue.detail:
            yield _hit(issue, "zip hidden behind unrelated leading bytes (a polyglot)",
                       severity=Severity.MEDIUM)  # fmt: skip
        else:
            yield _hit(issue, "container format differs from what the file name says")


@artifact_rule(
    "DOU909",
    "duplicate_member",
    family=Family.ARCHIVE,
    severity=Severity.MEDIUM,
    confidence=Confidence.HIGH,
    tags=(Tag.EVADE,),
)
def duplicate_member(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: reports names stored more than once in the archive; HIGH when the name is
    code (`setup.py`, a `.py` or `.pth` file), MEDIUM otherwise.

    Why it matters: unpackers keep the last copy while some viewers and scanners read the first,
    so a duplicate lets a harmless `setup.py` be reviewed while a malicious one is installed.
    Build tools write each name once.

    Example: two `pkg-1.0/setup.py` entries in one tar.
    """
    for issue in _issues(ctx, IssueKind.DUPLICATE_MEMBER):
        code = bool(_CODE_NAME.search(issue.path))
        severity = Severity.HIGH if code else None
        what = "code file" if code else "member"
        yield _hit(issue, f"{what} stored more than once; installers keep the last copy",
                   severity=severity)  # fmt: skip


encrypted_member = _simple(
    "DOU910",
    "encrypted_member",
    IssueKind.ENCRYPTED_MEMBER,
    Severity.MEDIUM,
    "password-protected member: its content cannot be analysed",
    """What it does: reports encrypted (password-protected) members of a zip, wheel or egg.

    Why it matters: nothing in the Python packaging tool chain encrypts members; an encrypted
    file can only be there to hide its content from review, to be opened later by code that
    carries the password.

    Example: `pkg/stage2.bin` stored with ZipCrypto in a wheel.
    """,
    tags=(Tag.EVADE, Tag.OBFUSCATED),
)


@artifact_rule(
    "DOU911",
    "nested_archive",
    family=Family.ARCHIVE,
    severity=Severity.LOW,
    confidence=Confidence.HIGH,
    tags=(Tag.OBFUSCATED,),
)
def nested_archive(ctx: ArtifactContext) -> Iterator[Hit]:
    """What it does: reports archives stored inside the artifact (zip, tar, gzip, 7z, rar...,
    by name or by magic bytes), which the reader does not unpack: LOW; MEDIUM when the bytes
    are an archive but the name hides it (no extension, `.py`, `.txt`, `.png`...); INFO under
    tests/ or docs/.

    Why it matters: a nested archive's content is not analysed, and droppers carry their
    payload that way to unpack it at install time. Test data and bundled jars are common,
    hence the low grade.

    Example: `pkg/resources/update.zip` next to a `setup.py` that extracts it.
    """
    for issue in _issues(ctx, IssueKind.NESTED_ARCHIVE):
        if base_where(issue.path, ctx.kind) is Where.TEST:
            yield _hit(issue, "archive inside the archive (test data); not analysed",
                       severity=Severity.INFO)  # fmt: skip
        elif "(by name)" not in issue.detail and _DISGUISE_NAME.search(issue.path):
            yield _hit(issue, "archive stored under a name that hides it; not analysed",
                       severity=Severity.MEDIUM)  # fmt: skip
        else:
            yield _hit(issue, "archive inside the archive; its content was not analysed")


corrupt_member = _simple(
    "DOU912",
    "corrupt_member",
    IssueKind.CORRUPT_MEMBER,
    Severity.LOW,
    "member could not be read in full",
    """What it does: reports members the reader could not read (bad checksum, truncated data,
    a size that does not match the content).

    Why it matters: a member that one tool reads and another rejects is a way to show a
    scanner something else than the installer gets; mostly it is a damaged upload, hence LOW.

    Example: a tar member declaring 10 KiB that holds 2 KiB.
    """,
)
