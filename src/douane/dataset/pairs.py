"""Pairs each popular benign file with the previous release's file of the same kind, for diff mode.

``douane evaluate`` scans a manifest row with a ``previous_path`` against that file as its
baseline (what ``douane scan NAME==VER`` does for index projects), so the same benign files
can be evaluated with and without diff mode and the effect on false positives measured.
Files are only downloaded (through the index client, hash-checked, into the blob cache) and
never unpacked here.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from packaging.utils import canonicalize_name

from douane.dataset.benign import DEFAULT_MAX_BYTES, POPULAR, default_shared_dir, read_top_list
from douane.dataset.manifest import Sample, read_manifest, write_manifest
from douane.sources.cache import TooLargeError
from douane.sources.config import load_config
from douane.sources.interface import SourceError
from douane.sources.pypi import IndexClient, previous_file

log = logging.getLogger(__name__)

SKIPPED = "skipped.csv"
SKIPPED_FIELDS = ("name", "version", "filename", "reason", "detail")


@dataclass
class PairStats:
    """What one run did: projects asked for, files paired, and why the others were not."""

    projects: int = 0
    projects_paired: int = 0
    files: int = 0
    paired: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def popular_samples(
    samples: Sequence[Sample], top: Sequence[str], top_n: int
) -> list[list[Sample]]:
    """The popular-stratum files of the ``top_n`` best-ranked projects the manifest holds,
    one list per project, most downloaded first (the manifest is in download-finish order)."""
    rank = {canonicalize_name(n): i for i, n in enumerate(top)}
    by_project: dict[str, list[Sample]] = {}
    for s in samples:
        if s.stratum == POPULAR and s.path:
            by_project.setdefault(canonicalize_name(s.name), []).append(s)
    ordered = sorted(by_project, key=lambda n: (rank.get(n, len(rank)), n))
    return [by_project[n] for n in ordered[:top_n]]


def pair_sample(
    client: IndexClient, sample: Sample, max_bytes: int | None
) -> tuple[Sample | None, tuple[str, str]]:
    """The sample with its previous release's file attached, or None and (reason, detail)."""
    try:
        files = client.release_files(sample.name, sample.version)
        current = next((f for f in files if f.filename == sample.filename), None)
        if current is None:
            return None, ("not-listed", f"{sample.filename} is no longer on the index")
        found = previous_file(client, sample.name, sample.version, current)
        if found is None:
            return None, ("no-previous", "no earlier release with a file of this kind")
        version, prev = found
        path = client.download(prev, max_bytes)
    except TooLargeError as exc:
        return None, ("too-big", str(exc))
    except SourceError as exc:
        return None, ("error", str(exc))
    return replace(sample, previous_version=version, previous_path=str(path)), ("", "")


def build_pairs(
    out_dir: str | Path,
    benign_manifest: str | Path | None = None,
    top_n: int = 200,
    *,
    top_list: str | Path | None = None,
    jobs: int = 4,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    client: IndexClient | None = None,
    index_url: str | None = None,
    on_done: Callable[[], None] | None = None,
) -> PairStats:
    """Write ``out_dir/manifest.csv`` (normalised, with ``previous_version`` and
    ``previous_path``) for the popular files of ``top_n`` projects, and ``skipped.csv`` for
    the files that have no previous release to pair with. Downloads are cached by hash, so a
    second run costs only the index pages."""
    started = time.monotonic()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    source = Path(benign_manifest) if benign_manifest else load_config().cache_dir / "benign"
    top = read_top_list(top_list or default_shared_dir() / "top-pypi.txt")
    projects = popular_samples(read_manifest(source), top, top_n)
    stats = PairStats(projects=len(projects))
    own_client = client is None
    if client is None:
        client = IndexClient(load_config(index_url))

    def one_project(files: list[Sample]) -> list[tuple[Sample, Sample | None, tuple[str, str]]]:
        done = [(s, *pair_sample(client, s, max_bytes)) for s in files]
        if on_done:
            on_done()
        return done

    paired: list[Sample] = []
    skipped: list[dict[str, str]] = []
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            for outcomes in pool.map(one_project, projects):  # keeps the ranking order
                any_pair = False
                for sample, result, (reason, detail) in outcomes:
                    stats.files += 1
                    if result is not None:
                        paired.append(result)
                        any_pair = True
                        continue
                    stats.skipped[reason] = stats.skipped.get(reason, 0) + 1
                    log.info("%s %s: %s: %s", sample.name, sample.filename, reason, detail)
                    skipped.append({"name": sample.name, "version": sample.version,
                                    "filename": sample.filename, "reason": reason,
                                    "detail": detail})  # fmt: skip
                stats.projects_paired += any_pair
    finally:
        if own_client:
            client.close()
    stats.paired = write_manifest(paired, out / "manifest.csv")
    with (out / SKIPPED).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(SKIPPED_FIELDS))
        writer.writeheader()
        writer.writerows(skipped)
    stats.elapsed_s = round(time.monotonic() - started, 1)
    return stats
