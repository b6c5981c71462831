"""The normalised sample manifest every evaluation and split reads, whatever the corpus came from.

One row per artifact: its label, identity, where the bytes are (``path``, and ``container``
when they sit inside a dataset password zip), where the label came from (``source``) and
its near-duplicate ``group``. The benign corpus manifest written by
:mod:`douane.dataset.benign` is read through the same function, so callers never care
which of the two layouts a file has.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from douane.domain import Artifact

MALICIOUS = "malicious"
BENIGN = "benign"
LABELS = (MALICIOUS, BENIGN)

MANIFEST = "manifest.csv"
FIELDS = (
    "label",
    "name",
    "version",
    "filename",
    "sha256",
    "first_seen",
    "source",
    "path",
    "container",
    "group",
)
# Columns a normalised manifest may carry beyond the required ones (kept when present).
EXTRA_FIELDS = ("kind", "stratum", "size", "previous_version", "previous_path")
_BENIGN_REQUIRED = {"name", "version", "filename", "sha256", "upload_time", "stratum", "path"}


class ManifestError(ValueError):
    """A manifest that cannot be read as either layout; ``str(e)`` says which column is missing."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One labelled artifact of a corpus.

    ``path`` is empty for label-only sources (OSV reports name malware without shipping it):
    such rows say *what* is malicious, not what to scan.
    """

    label: str
    name: str
    version: str
    filename: str
    sha256: str
    first_seen: str = ""
    source: str = ""
    path: str = ""
    container: str = ""
    group: str = ""
    kind: str = ""
    stratum: str = ""
    size: str = ""
    # the same kind of file from the project's release before this one (``douane dataset
    # pairs``): evaluation scans it as the diff baseline
    previous_version: str = ""
    previous_path: str = ""

    @property
    def scannable(self) -> bool:
        return bool(self.path)

    def to_row(self) -> dict[str, str]:
        return asdict(self)

    def artifact(self, diff: bool = True) -> Artifact:
        """The scanner's view of this sample; ``target`` keeps label and identity together.
        With ``diff`` and a ``previous_path``, the previous release rides along as baseline."""
        previous = None
        if diff and self.previous_path:
            prev = Path(self.previous_path)
            previous = Artifact(path=prev, filename=prev.name, name=self.name or None,
                                version=self.previous_version or None)  # fmt: skip
        return Artifact(
            path=Path(self.path),
            filename=self.filename,
            name=self.name or None,
            version=self.version or None,
            sha256=self.sha256 or None,
            upload_time=self.first_seen or None,
            target=f"{self.label}:{self.sha256 or self.path}",
            container=self.container or None,
            previous=previous,
        )


def _resolve(path: str, base: Path) -> str:
    if not path:
        return ""
    p = Path(path).expanduser()
    return str(p if p.is_absolute() else (base / p))


def is_normalised(path: str | Path) -> bool:
    """Whether a manifest file has the normalised layout (rather than the benign downloader's)."""
    try:
        with Path(path).open(encoding="utf-8", newline="") as handle:
            header = set(next(csv.reader(handle), []))
    except OSError:
        return False
    return {"label", "sha256", "path"} <= header


def read_manifest(path: str | Path) -> list[Sample]:
    """Samples from a normalised manifest or a benign-corpus manifest (detected by header).

    Relative ``path`` values are taken relative to the manifest's folder, so a corpus and
    its manifest can move together.
    """
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror or exc}") from None
    base = path.parent
    with handle:
        reader = csv.DictReader(handle)
        header = set(reader.fieldnames or ())
        if {"label", "sha256", "path"} <= header:
            return [_normalised_row(r, base) for r in reader]
        if header >= _BENIGN_REQUIRED:
            return [_benign_row(r, base) for r in reader]
        missing = sorted(set(FIELDS) - header) if "label" in header else sorted(
            _BENIGN_REQUIRED - header)  # fmt: skip
        raise ManifestError(
            f"{path}: not a sample manifest (missing columns: {', '.join(missing)})"
        )


_KNOWN = {f.name for f in fields(Sample)}


def _normalised_row(row: dict[str, str | None], base: Path) -> Sample:
    values = {k: (v or "").strip() for k, v in row.items() if k in _KNOWN}
    label = values.get("label", "")
    if label not in LABELS:
        raise ManifestError(f"unknown label {label!r} for {values.get('name')!r}")
    values["path"] = _resolve(values.get("path", ""), base)
    values["previous_path"] = _resolve(values.get("previous_path", ""), base)
    return Sample(**values)


def _benign_row(row: dict[str, str | None], base: Path) -> Sample:
    def get(key: str) -> str:
        return (row.get(key) or "").strip()

    return Sample(
        label=BENIGN,
        name=get("name"),
        version=get("version"),
        filename=get("filename"),
        sha256=get("sha256").lower(),
        first_seen=get("upload_time"),
        source=f"benign:{get('stratum') or 'unknown'}",
        path=_resolve(get("path"), base),
        kind=get("kind"),
        stratum=get("stratum"),
        size=get("size"),
    )


def write_manifest(samples: Iterable[Sample], path: str | Path) -> int:
    """Write a normalised manifest; extra columns appear only when some sample uses them."""
    rows = [s.to_row() for s in samples]
    extra = [f for f in EXTRA_FIELDS if any(r.get(f) for r in rows)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*FIELDS, *extra], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)  # a reader never sees half a manifest
    return len(rows)


def with_groups(samples: Iterable[Sample], groups: dict[int, str]) -> list[Sample]:
    """Samples with their ``group`` set from an index → group id mapping."""
    return [replace(s, group=groups.get(i, s.group)) for i, s in enumerate(samples)]
