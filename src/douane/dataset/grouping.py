"""Near-duplicate grouping: samples of one campaign share a group id, so no split divides them.

Two samples are joined when either holds:

* **same normalised code**: the set of their code files' hashes is equal once the
  package's own name and version and all whitespace are stripped from each file (a
  campaign re-uploads one template under many names and versions);
* **same name up to digits, case and separators** (``10Cent10`` … ``16cent``).

Joins are transitive (union-find), so a chain of look-alikes ends in one group. A model
that sees one campaign on both sides of a split learns the campaign, not the behaviour.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from douane.archive import ArchiveError, Limits, open_artifact, open_bytes, read_password_zip
from douane.dataset.containers import PASSWORD_ZIP, PASSWORD_ZIP_TREE, read_tree_zip
from douane.dataset.manifest import Sample

FINGERPRINTS = "fingerprints.csv"
# Files whose content defines what a release does; metadata and docs are left out because
# they carry names, dates and prose that differ across otherwise identical uploads.
_CODE_SUFFIXES = (
    ".py", ".pyw", ".pth", ".pyx", ".sh", ".bash", ".bat", ".cmd", ".ps1", ".psm1", ".vbs",
    ".js", ".mjs", ".cjs", ".exe", ".dll", ".so", ".dylib",
)  # fmt: skip
_CODE_NAMES = ("setup.cfg", "pyproject.toml")
_SPACE = re.compile(rb"\s+")
_NAME_JUNK = re.compile(r"[\d\-_.]+")
MIN_NAME_KEY = 4  # shorter stems ("py", "ab") are too common to mean one campaign


@dataclass(frozen=True, slots=True)
class Grouping:
    """Group id per sample (by index) and what joined them."""

    groups: list[str]
    by_content: int  # samples that share their code fingerprint with another
    by_name: int  # samples that share their name key with another

    def sizes(self) -> Counter[str]:
        return Counter(self.groups)


def name_key(name: str) -> str | None:
    """The name without digits, case or separators; None when too little is left to mean much."""
    key = _NAME_JUNK.sub("", name.lower())
    return key if len(key) >= MIN_NAME_KEY else None


def _is_code(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return base in _CODE_NAMES or base.endswith(_CODE_SUFFIXES)


def _identity_pattern(name: str, version: str) -> re.Pattern[bytes] | None:
    tokens = []
    if name:
        # "my-pkg", "my_pkg", "My.Pkg" are one name to a packager.
        parts = [re.escape(p) for p in re.split(r"[-_.]+", name) if p]
        if parts:
            tokens.append(r"[-_.]?".join(parts).encode())
    if version:
        tokens.append(re.escape(version).encode())
    if not tokens:
        return None
    return re.compile(b"|".join(sorted(tokens, key=len, reverse=True)), re.IGNORECASE)


def fingerprint_members(members: Iterable[tuple[str, bytes]], name: str, version: str) -> str:
    """Hash of the sorted set of normalised code-file hashes ("" when there is no code).

    Empty files (after normalisation) are ignored: every package has an empty ``__init__.py``.
    """
    pattern = _identity_pattern(name, version)
    hashes: set[str] = set()
    for path, data in members:
        if not _is_code(path):
            continue
        text = pattern.sub(b"", data) if pattern is not None else data
        text = _SPACE.sub(b"", text)
        if text:
            hashes.add(hashlib.sha256(text).hexdigest())
    if not hashes:
        return ""
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def fingerprint_sample(sample: Sample, limits: Limits | None = None) -> str:
    """The code fingerprint of one sample, read as data in memory ("" if it cannot be read)."""
    limits = limits or Limits()
    try:
        if sample.container == PASSWORD_ZIP_TREE:
            return fingerprint_members(read_tree_zip(Path(sample.path), limits), sample.name,
                                       sample.version)  # fmt: skip
        if sample.container == PASSWORD_ZIP:
            inner, data = read_password_zip(Path(sample.path), limits=limits)
            opened = open_bytes(data, sample.filename or inner, limits=limits)
        else:
            opened = open_artifact(Path(sample.path), filename=sample.filename, limits=limits)
    except (ArchiveError, OSError, RecursionError, MemoryError):
        return ""
    return fingerprint_members(((m.path, m.data) for m in opened.members), sample.name,
                               sample.version)  # fmt: skip


def fingerprint_data(data: bytes, filename: str, name: str, version: str) -> str:
    """The fingerprint of a release file already in memory (used while importing)."""
    try:
        opened = open_bytes(data, filename)
    except (ArchiveError, RecursionError, MemoryError):
        return ""
    return fingerprint_members(((m.path, m.data) for m in opened.members), name, version)


def _fp_worker(sample: Sample) -> str:
    return fingerprint_sample(sample) if sample.path else ""


def fingerprint_all(
    samples: Sequence[Sample],
    known: dict[str, str] | None = None,
    jobs: int = 1,
    on_done: Callable[[], None] | None = None,
) -> dict[str, str]:
    """sha256 → fingerprint for every sample; ``known`` fingerprints are reused, not recomputed."""
    out = dict(known or {})
    todo: dict[str, Sample] = {}
    for s in samples:
        if s.sha256 and s.sha256 not in out and s.sha256 not in todo and s.path:
            todo[s.sha256] = s
    items = list(todo.items())
    if jobs <= 1 or len(items) < 8:
        results: Iterable[str] = map(_fp_worker, (s for _, s in items))
        for (sha, _), fp in zip(items, results, strict=True):
            out[sha] = fp
            if on_done:
                on_done()
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            results = pool.map(_fp_worker, [s for _, s in items], chunksize=16)
            for (sha, _), fp in zip(items, results, strict=True):
                out[sha] = fp
                if on_done:
                    on_done()
    return out


def read_fingerprints(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["sha256"]: r["fingerprint"] for r in csv.DictReader(handle) if r.get("sha256")}


def write_fingerprints(fps: dict[str, str], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sha256", "fingerprint"])
        writer.writerows(sorted(fps.items()))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        root = i
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[i] != root:  # path compression
            self.parent[i], i = root, self.parent[i]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def group_samples(
    samples: Sequence[Sample],
    fingerprints: dict[str, str],
    *,
    by_name: bool = True,
    by_content: bool = True,
) -> Grouping:
    """A group id for every sample: the first member's name and hash, stable across runs.

    Identical files (same SHA-256) are always one group, even with both joins switched off.
    """
    uf = _UnionFind(len(samples))
    first: dict[tuple[str, str], int] = {}
    content_shared: Counter[str] = Counter()
    name_shared: Counter[str] = Counter()
    for i, s in enumerate(samples):
        keys = []
        if s.sha256:
            keys.append(("sha", s.sha256))
        fp = fingerprints.get(s.sha256, "") if by_content else ""
        if fp:
            keys.append(("code", fp))
            content_shared[fp] += 1
        nk = name_key(s.name) if by_name else None
        if nk:
            keys.append(("name", nk))
            name_shared[nk] += 1
        for key in keys:
            if key in first:
                uf.union(first[key], i)
            else:
                first[key] = i
    members: dict[int, list[int]] = {}
    for i in range(len(samples)):
        members.setdefault(uf.find(i), []).append(i)
    groups = [""] * len(samples)
    for idxs in members.values():
        lead = min(idxs, key=lambda i: (samples[i].name.lower(), samples[i].sha256))
        gid = f"{samples[lead].name.lower() or 'unnamed'}@{(samples[lead].sha256 or str(lead))[:8]}"
        for i in idxs:
            groups[i] = gid
    by_c = sum(1 for s in samples if content_shared[fingerprints.get(s.sha256, "")] > 1
               and fingerprints.get(s.sha256))  # fmt: skip
    by_n = (
        sum(1 for s in samples if (k := name_key(s.name)) and name_shared[k] > 1) if by_name else 0
    )
    return Grouping(groups=groups, by_content=by_c if by_content else 0, by_name=by_n)
