"""Imports known-malware corpora (malregistry, DataDog, OSV reports) into one verified manifest.

Each layout has its own reader that only *lists* samples; one verification pass then
opens every sample through :func:`douane.archive.read_password_zip` (bytes in memory,
never written out, never run), checks the SHA-256 the dataset promises, and records each
sample it cannot read as a problem instead of silently dropping or trusting it.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

from douane.archive import ArchiveError, read_password_zip
from douane.dataset.containers import (
    PASSWORD,
    PASSWORD_ZIP,
    PASSWORD_ZIP_TREE,
    is_tree_zip,
    read_tree_zip,
    tree_digest,
)
from douane.dataset.grouping import (
    FINGERPRINTS,
    fingerprint_data,
    fingerprint_members,
    group_samples,
    write_fingerprints,
)
from douane.dataset.manifest import MALICIOUS, MANIFEST, Sample, with_groups, write_manifest

PROBLEMS = "problems.csv"
SUMMARY = "import.json"


class DatasetFormat(StrEnum):
    AUTO = "auto"
    MALREGISTRY = "malregistry"
    DATADOG = "datadog"
    OSV = "osv"


class DatasetError(ValueError):
    """The path does not hold a dataset of the requested (or any recognised) layout."""


@dataclass(frozen=True, slots=True)
class Problem:
    """A listed sample that did not make it into the manifest, and why."""

    name: str
    version: str
    path: str
    reason: str


@dataclass
class ImportReport:
    """What an import found; ``problems`` are samples listed but unusable."""

    format: str
    root: str
    listed: int = 0
    imported: int = 0
    label_only: int = 0
    distinct_sha256: int = 0
    groups: int = 0
    largest_groups: list[tuple[str, int]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "format": self.format,
            "root": self.root,
            "listed": self.listed,
            "imported": self.imported,
            "label_only": self.label_only,
            "distinct_sha256": self.distinct_sha256,
            "groups": self.groups,
            "largest_groups": [{"group": g, "samples": n} for g, n in self.largest_groups],
            "problems": len(self.problems),
            "problem_reasons": _reason_counts(self.problems),
            "notes": self.notes,
        }


def _reason_counts(problems: list[Problem]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in problems:
        key = p.reason.split(":", 1)[0]
        counts[key] = counts.get(key, 0) + 1
    return counts


# --------------------------------------------------------------------------- layouts


def detect_format(root: Path) -> DatasetFormat:
    """The layout at ``root``, from the files that define each one."""
    if (root / MANIFEST).is_file() and _has_columns(root / MANIFEST, {"sample", "sha256"}):
        return DatasetFormat.MALREGISTRY
    if _datadog_pypi_dir(root) is not None:
        return DatasetFormat.DATADOG
    if _osv_dir(root) is not None:
        return DatasetFormat.OSV
    raise DatasetError(
        f"{root}: no malregistry manifest.csv, DataDog samples/pypi/ or OSV MAL-*.json found"
    )


def _has_columns(path: Path, columns: set[str]) -> bool:
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle), [])
    return columns <= set(header)


def list_malregistry(root: Path) -> Iterator[Sample]:
    """Rows of ``manifest.csv``: name, version, filename, sha256, size, first_seen, sample."""
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise DatasetError(f"{root}: no {MANIFEST}")
    with manifest.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        need = {"name", "version", "filename", "sha256", "sample"}
        missing = need - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{manifest}: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            sample = (row.get("sample") or "").strip()
            yield Sample(
                label=MALICIOUS,
                name=(row.get("name") or "").strip(),
                version=(row.get("version") or "").strip(),
                filename=(row.get("filename") or "").strip(),
                sha256=(row.get("sha256") or "").strip().lower(),
                first_seen=(row.get("first_seen") or "").strip(),
                source="malregistry",
                path=str(root / sample) if sample else "",
                container=PASSWORD_ZIP,
                size=(row.get("size") or "").strip(),
            )


def _datadog_pypi_dir(root: Path) -> Path | None:
    for cand in (root / "samples" / "pypi", root / "pypi", root):
        if (cand / "manifest.json").is_file() or (cand / "malicious_intent").is_dir():
            return cand
    return None


# 2023-03-20-pydefender-v1.0.0.zip (current) and 2023-03-18:pylibutil:0.9.3.zip (early)
_DD_DASH = re.compile(r"^(\d{4}-\d{2}-\d{2})-(.+)-v([^/]+?)\.zip$")
_DD_COLON = re.compile(r"^(\d{4}-\d{2}-\d{2}):(.+):([^:/]+?)\.zip$")
_DD_CATEGORIES = ("malicious_intent", "compromised_lib")


def parse_datadog_name(filename: str) -> tuple[str, str, str] | None:
    """``(date, name, version)`` from a DataDog sample file name, or None."""
    m = _DD_DASH.match(filename) or _DD_COLON.match(filename)
    return (m.group(1), m.group(2), m.group(3)) if m else None


def list_datadog(root: Path) -> tuple[Iterator[Sample], list[str]]:
    """Every ``.zip`` under the PyPI folder, named by folder (``<name>/<version>/``) or file.

    ``manifest.json`` (name → null for every version, or the list of bad versions of a
    compromised project) is cross-checked, not trusted blindly: mismatches become notes.
    """
    pypi = _datadog_pypi_dir(root)
    if pypi is None:
        raise DatasetError(f"{root}: no DataDog samples/pypi/ folder")
    expected: dict[str, list[str] | None] = {}
    notes: list[str] = []
    mpath = pypi / "manifest.json"
    if mpath.is_file():
        try:
            loaded = json.loads(mpath.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                expected = {str(k): v if isinstance(v, list) else None for k, v in loaded.items()}
        except (OSError, ValueError) as exc:
            notes.append(f"manifest.json unreadable: {exc}")
    else:
        notes.append("no manifest.json beside the samples")
    samples = []
    for zpath in sorted(pypi.rglob("*.zip")):
        rel = zpath.relative_to(pypi).parts
        parsed = parse_datadog_name(zpath.name)
        category = rel[0] if rel and rel[0] in _DD_CATEGORIES else "malicious_intent"
        inner = rel[1:] if rel and rel[0] in _DD_CATEGORIES else rel
        date = parsed[0] if parsed else ""
        if len(inner) >= 3:  # <name>/<version>/<file>.zip
            name, version = inner[-3], inner[-2]
        elif parsed:
            name, version = parsed[1], parsed[2]
        else:
            name, version = zpath.stem, ""
        samples.append(
            Sample(
                label=MALICIOUS,
                name=name,
                version=version,
                filename="",  # the inner file's name, or the folder's: known once opened
                sha256="",  # DataDog publishes none: computed from the bytes on import
                first_seen=date,
                source=f"datadog:{category}",
                path=str(zpath),
                container=PASSWORD_ZIP,
            )
        )
    if expected:
        names = {s.name for s in samples}
        absent = sorted(set(expected) - names)
        unlisted = sorted(names - set(expected))
        if absent:
            notes.append(f"{len(absent)} manifest.json names without a sample (e.g. {absent[0]})")
        if unlisted:
            notes.append(f"{len(unlisted)} sample names not in manifest.json (e.g. {unlisted[0]})")
    return iter(samples), notes


def _osv_dir(root: Path) -> Path | None:
    for cand in (root / "osv" / "malicious" / "pypi", root / "malicious" / "pypi", root / "pypi",
                 root):  # fmt: skip
        if cand.is_dir() and next(cand.glob("*/MAL-*.json"), None) is not None:
            return cand
        if cand.is_dir() and next(cand.glob("MAL-*.json"), None) is not None:
            return cand
    return None


def list_osv(root: Path) -> tuple[Iterator[Sample], list[str]]:
    """Label-only rows from OSV ``MAL-`` reports: one per named version (``""`` = every version)."""
    base = _osv_dir(root)
    if base is None:
        raise DatasetError(f"{root}: no OSV MAL-*.json reports")
    notes: list[str] = []
    samples: list[Sample] = []
    bad = 0
    for report in sorted(base.rglob("MAL-*.json")):
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            bad += 1
            continue
        if not isinstance(data, dict):
            bad += 1
            continue
        samples.extend(_osv_samples(data, report.name.removesuffix(".json")))
    if bad:
        notes.append(f"{bad} unreadable OSV report(s) skipped")
    return iter(samples), notes


def _osv_samples(data: dict, fallback_id: str) -> Iterator[Sample]:
    osv_id = str(data.get("id") or fallback_id)
    published = str(data.get("published") or data.get("modified") or "")[:10]
    origins = (data.get("database_specific") or {}).get("malicious-packages-origins") or []
    hashes = sorted({str(o["sha256"]).lower() for o in origins
                     if isinstance(o, dict) and o.get("sha256")})  # fmt: skip
    for affected in data.get("affected") or []:
        if not isinstance(affected, dict):
            continue
        package = affected.get("package") or {}
        if str(package.get("ecosystem", "")).lower() != "pypi" or not package.get("name"):
            continue
        versions = [str(v) for v in affected.get("versions") or []] or [""]
        for version in versions:
            yield Sample(
                label=MALICIOUS,
                name=str(package["name"]),
                version=version,
                filename="",
                # A hash pins a file only when the report names exactly one version.
                sha256=hashes[0] if len(hashes) == 1 and len(versions) == 1 else "",
                first_seen=published,
                source=f"osv:{osv_id}",
            )


# --------------------------------------------------------------------------- verification


def verify_sample(sample: Sample) -> tuple[Sample | Problem, str]:
    """Open one sample as data and check its hash.

    Returns the sample (hash filled in) or a problem, and the sample's code fingerprint
    (computed here, while the bytes are in memory, so grouping need not decrypt again).
    """
    if not sample.path:
        return sample, ""
    path = Path(sample.path)
    if not path.is_file():
        return Problem(sample.name, sample.version, sample.path, "missing: no such file"), ""
    try:
        if sample.container == PASSWORD_ZIP and is_tree_zip(path):
            files = read_tree_zip(path)
            tree = replace(
                sample,
                sha256=tree_digest(files),
                container=PASSWORD_ZIP_TREE,
                filename=sample.filename or path.name.removesuffix(".zip"),
                size=str(sum(len(d) for _, d in files)),
            )
            return tree, fingerprint_members(files, sample.name, sample.version)
        inner, data = read_password_zip(path, PASSWORD)
    except (ArchiveError, zipfile.BadZipFile, OSError) as exc:
        return Problem(sample.name, sample.version, sample.path, f"unreadable: {exc}"), ""
    digest = hashlib.sha256(data).hexdigest()
    if sample.sha256 and digest != sample.sha256:
        reason = f"sha256-mismatch: manifest {sample.sha256[:16]}…, file {digest[:16]}…"
        return Problem(sample.name, sample.version, sample.path, reason), ""
    filename = sample.filename or inner
    ok = replace(sample, sha256=digest, filename=filename, size=sample.size or str(len(data)))
    return ok, fingerprint_data(data, filename, sample.name, sample.version)


def verify_all(
    samples: list[Sample],
    jobs: int = 1,
    on_done: Callable[[], None] | None = None,
) -> tuple[list[Sample], list[Problem], dict[str, str]]:
    """Verify every sample (in ``jobs`` processes: decrypting zips is CPU-bound), in order.

    Returns the good samples, the problems, and sha256 → code fingerprint.
    """
    ok: list[Sample] = []
    problems: list[Problem] = []
    fingerprints: dict[str, str] = {}

    def take(result: tuple[Sample | Problem, str]) -> None:
        item, fp = result
        if isinstance(item, Problem):
            problems.append(item)
        else:
            ok.append(item)
            if item.sha256 and item.path:
                fingerprints[item.sha256] = fp
        if on_done:
            on_done()

    if jobs <= 1 or len(samples) < 8:
        for s in samples:
            take(verify_sample(s))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for result in pool.map(verify_sample, samples, chunksize=8):
                take(result)
    return ok, problems, fingerprints


def list_samples(root: Path, fmt: DatasetFormat) -> tuple[DatasetFormat, list[Sample], list[str]]:
    """Every sample a dataset lists (not yet verified), with notes on what did not match."""
    root = Path(root)
    if not root.exists():
        raise DatasetError(f"{root}: no such folder")
    if fmt is DatasetFormat.AUTO:
        fmt = detect_format(root)
    if fmt is DatasetFormat.MALREGISTRY:
        return fmt, list(list_malregistry(root)), []
    if fmt is DatasetFormat.DATADOG:
        it, notes = list_datadog(root)
        return fmt, list(it), notes
    it, notes = list_osv(root)
    return fmt, list(it), notes


def import_malicious(
    root: str | Path,
    out_dir: str | Path,
    fmt: DatasetFormat = DatasetFormat.AUTO,
    jobs: int = 1,
    on_listed: Callable[[int], None] | None = None,
    on_done: Callable[[], None] | None = None,
) -> ImportReport:
    """List, verify and write ``manifest.csv`` (+ ``problems.csv``, ``import.json``) to ``out_dir``."""
    root = Path(root).resolve()
    fmt, samples, notes = list_samples(root, fmt)
    report = ImportReport(format=str(fmt), root=str(root), listed=len(samples), notes=notes)
    if on_listed:
        on_listed(len(samples))
    ok, problems, fingerprints = verify_all(samples, jobs=jobs, on_done=on_done)
    report.problems = problems
    grouping = group_samples(ok, fingerprints)
    ok = with_groups(ok, dict(enumerate(grouping.groups)))
    sizes = grouping.sizes()
    report.groups = len(sizes)
    report.largest_groups = sizes.most_common(5)
    report.imported = sum(1 for s in ok if s.scannable)
    report.label_only = sum(1 for s in ok if not s.scannable)
    report.distinct_sha256 = len({s.sha256 for s in ok if s.sha256})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(ok, out / MANIFEST)
    write_fingerprints(fingerprints, out / FINGERPRINTS)
    with (out / PROBLEMS).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "version", "path", "reason"])
        writer.writerows([p.name, p.version, p.path, p.reason] for p in problems)
    (out / SUMMARY).write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    return report
