"""Downloads the benign corpus (popular and long-tail releases) into the blob cache, with a manifest.

The corpus measures false positives: the latest release of the most-downloaded projects
(what users install) and a seeded sample of the long tail (what an index receives every
day). Files are only downloaded and hashed here, never unpacked or run.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from douane.sources.cache import TooLargeError
from douane.sources.config import load_config
from douane.sources.interface import SourceError
from douane.sources.pypi import IndexClient, pick_sdist_and_one_wheel

log = logging.getLogger(__name__)

MANIFEST = "manifest.csv"
SKIPPED = "skipped.csv"
MANIFEST_FIELDS = (
    "name",
    "version",
    "filename",
    "sha256",
    "size",
    "upload_time",
    "stratum",
    "kind",
    "path",
)
SKIPPED_FIELDS = ("name", "stratum", "version", "reason", "detail")
# Outcomes that will not change on a retry; errors (timeouts, 5xx) are tried again.
PERMANENT_SKIPS = frozenset({"no-files", "not-found", "too-big"})
DEFAULT_MAX_BYTES = 60 * 1024 * 1024
POPULAR = "popular"
LONGTAIL = "longtail"


def default_shared_dir() -> Path:
    """Where the reference lists and datasets live: ``DOUANE_SHARED_DIR``, else ``../shared``
    beside the checkout the command runs in (or beside this source tree)."""
    env = os.environ.get("DOUANE_SHARED_DIR")
    if env:
        return Path(env)
    beside_cwd = Path.cwd().parent / "shared"
    if beside_cwd.is_dir():
        return beside_cwd
    return Path(__file__).resolve().parents[3].parent / "shared"


def default_out_dir() -> Path:
    return load_config().cache_dir / "benign"


@dataclass(frozen=True, slots=True)
class Pick:
    """One project chosen for the corpus; ``version_hint`` pins the long-tail snapshot."""

    name: str
    stratum: str
    version_hint: str | None = None


@dataclass
class BenignStats:
    """What one run did; ``already_done`` counts projects a previous run finished."""

    chosen: int = 0
    already_done: int = 0
    projects_ok: int = 0
    files: int = 0
    bytes: int = 0
    too_big: int = 0
    no_files: int = 0
    not_found: int = 0
    errors: int = 0
    elapsed_s: float = 0.0
    per_stratum: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Outcome:
    pick: Pick
    version: str | None
    rows: tuple[dict[str, str], ...]
    skips: tuple[tuple[str, str], ...]  # (reason, detail)


def read_top_list(path: str | Path) -> list[str]:
    """Names, most downloaded first; ``#`` lines and blanks ignored."""
    names = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.append(line)
    return names


def read_longtail_list(path: str | Path) -> list[tuple[str, str | None]]:
    """``(name, latest_version)`` pairs from the long-tail TSV (header row required)."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        return [
            (row["name"].strip(), (row.get("latest_version") or "").strip() or None)
            for row in reader
            if row.get("name") and row["name"].strip()
        ]


def choose_projects(
    top: Sequence[str],
    longtail: Sequence[tuple[str, str | None]],
    top_n: int,
    longtail_n: int,
    seed: int,
) -> list[Pick]:
    """The first ``top_n`` popular names and a seeded sample of the long tail.

    The sample is a prefix of one seeded shuffle, so growing ``longtail_n`` later keeps
    every project already downloaded and only adds new ones.
    """
    picks = [Pick(canonicalize_name(n), POPULAR) for n in top[:top_n]]
    seen = {p.name for p in picks}
    pool = sorted(longtail)
    random.Random(seed).shuffle(pool)
    taken = 0
    for name, version in pool:
        if taken >= longtail_n:
            break
        canon = canonicalize_name(name)
        if canon not in seen:
            seen.add(canon)
            picks.append(Pick(canon, LONGTAIL, version))
            taken += 1
    return picks


def read_project_list(path: str | Path) -> list[Pick]:
    """Exact picks from a CSV (``name,stratum,version``): a corpus named release by release.

    This is how a held-out corpus is reproduced: the projects (and versions) a published
    figure was measured on, none of them in the corpus the shipped model was trained on.
    An empty version means the latest release.
    """
    picks: list[Pick] = []
    seen: set[str] = set()
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            name = canonicalize_name((row.get("name") or "").strip())
            stratum = (row.get("stratum") or "").strip()
            if not name or name in seen:
                continue
            if stratum not in (POPULAR, LONGTAIL):
                raise ValueError(f"{path}: {name}: stratum must be {POPULAR} or {LONGTAIL}")
            seen.add(name)
            picks.append(Pick(name, stratum, (row.get("version") or "").strip() or None))
    return picks


def _read_done(out_dir: Path) -> set[str]:
    done: set[str] = set()
    manifest = out_dir / MANIFEST
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as handle:
            done.update(
                canonicalize_name(r["name"]) for r in csv.DictReader(handle) if r.get("name")
            )
    skipped = out_dir / SKIPPED
    if skipped.is_file():
        with skipped.open(encoding="utf-8", newline="") as handle:
            done.update(
                canonicalize_name(r["name"])
                for r in csv.DictReader(handle)
                if r.get("name") and r.get("reason") in PERMANENT_SKIPS
            )
    return done


def _open_csv(path: Path, fields: Sequence[str]) -> tuple[object, csv.DictWriter]:
    new = not path.exists() or path.stat().st_size == 0
    handle = path.open("a", encoding="utf-8", newline="")
    writer = csv.DictWriter(handle, fieldnames=list(fields))
    if new:
        writer.writeheader()
        handle.flush()
    return handle, writer


def _version_for(client: IndexClient, pick: Pick) -> str | None:
    # The snapshot's version keeps the long tail reproducible; it may have been yanked or
    # deleted since, and then the latest release stands in.
    if pick.version_hint:
        try:
            wanted = Version(pick.version_hint)
        except InvalidVersion:
            wanted = None
        if wanted is not None:
            for v in client.versions(pick.name):
                if Version(v) == wanted:
                    return v
    return client.latest_release(pick.name)


def fetch_project(client: IndexClient, pick: Pick, wheel: bool, max_bytes: int | None) -> _Outcome:
    """Download one project's sdist and chosen wheel; every failure becomes a recorded skip."""
    try:
        version = _version_for(client, pick)
        if version is None:
            return _Outcome(pick, None, (), (("no-files", "no non-yanked release"),))
        files = client.release_files(pick.name, version)
    except SourceError as exc:
        reason = "not-found" if "not found" in str(exc) else "error"
        return _Outcome(pick, None, (), ((reason, str(exc)),))
    chosen = pick_sdist_and_one_wheel(files, wheel)
    if not chosen:
        return _Outcome(pick, version, (), (("no-files", "no sdist or wheel"),))
    rows: list[dict[str, str]] = []
    skips: list[tuple[str, str]] = []
    for f in chosen:
        try:
            path = client.download(f, max_bytes)
        except TooLargeError as exc:
            skips.append(("too-big", str(exc)))
            continue
        except SourceError as exc:
            skips.append(("error", str(exc)))
            continue
        rows.append(
            {
                "name": pick.name,
                "version": version,
                "filename": f.filename,
                "sha256": path.parent.name,
                "size": str(path.stat().st_size),
                "upload_time": f.upload_time or "",
                "stratum": pick.stratum,
                "kind": str(f.kind),
                "path": str(path),
            }
        )
    return _Outcome(pick, version, tuple(rows), tuple(skips))


def build_benign(
    out_dir: str | Path | None = None,
    top_n: int = 1000,
    longtail_n: int = 2000,
    seed: int = 0,
    jobs: int = 8,
    wheel: bool = True,
    *,
    top_list: str | Path | None = None,
    longtail_list: str | Path | None = None,
    projects: str | Path | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    client: IndexClient | None = None,
    index_url: str | None = None,
    progress: bool = True,
    console: Console | None = None,
) -> BenignStats:
    """Build or extend the corpus in ``out_dir`` and return what this run did.

    Resumable: projects already in the manifest (or skipped for a lasting reason) are not
    fetched again, and each row is flushed as soon as its project finishes, so an
    interrupted run loses at most the projects in flight.
    """
    started = time.monotonic()
    out = Path(out_dir) if out_dir else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    if projects is not None:
        picks = read_project_list(projects)
    else:
        shared = default_shared_dir()
        top = read_top_list(top_list or shared / "top-pypi.txt")
        tail = read_longtail_list(longtail_list or shared / "longtail-pypi.tsv")
        picks = choose_projects(top, tail, top_n, longtail_n, seed)
    done = _read_done(out)
    todo = [p for p in picks if p.name not in done]
    stats = BenignStats(chosen=len(picks), already_done=len(picks) - len(todo))

    own_client = client is None
    if client is None:
        client = IndexClient(load_config(index_url))
    console = console or Console(stderr=True)
    manifest_handle, manifest = _open_csv(out / MANIFEST, MANIFEST_FIELDS)
    skipped_handle, skipped = _open_csv(out / SKIPPED, SKIPPED_FIELDS)
    bar = Progress(
        TextColumn("[bold]benign"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not progress,
    )
    plain_log = progress and not console.is_terminal  # e.g. under nohup: log lines instead
    try:
        with bar, ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            task = bar.add_task("benign", total=len(todo), status="")
            futures: dict[Future[_Outcome], Pick] = {
                pool.submit(fetch_project, client, p, wheel, max_bytes): p for p in todo
            }
            try:
                for n, future in enumerate(as_completed(futures), start=1):
                    _record(future, futures[future], stats, manifest, skipped)
                    manifest_handle.flush()
                    skipped_handle.flush()
                    status = (
                        f"{stats.files} files {stats.bytes / 1e6:.0f} MB "
                        f"skip {stats.too_big} big {stats.no_files + stats.not_found} empty "
                        f"{stats.errors} err"
                    )
                    bar.update(task, advance=1, status=status)
                    if plain_log and (n % 50 == 0 or n == len(todo)):
                        elapsed = time.monotonic() - started
                        console.print(f"[{elapsed:7.0f}s] {n}/{len(todo)} projects, {status}")
            except KeyboardInterrupt:
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    finally:
        manifest_handle.close()
        skipped_handle.close()
        if own_client:
            client.close()
    stats.elapsed_s = round(time.monotonic() - started, 1)
    return stats


def _record(
    future: Future[_Outcome],
    pick: Pick,
    stats: BenignStats,
    manifest: csv.DictWriter,
    skipped: csv.DictWriter,
) -> None:
    try:
        outcome = future.result()
    except Exception as exc:  # a worker bug costs one project, not the run
        log.exception("%s: unexpected failure", pick.name)
        outcome = _Outcome(pick, None, (), (("error", f"{type(exc).__name__}: {exc}"),))
    for row in outcome.rows:
        manifest.writerow(row)
        stats.files += 1
        stats.bytes += int(row["size"])
    if outcome.rows:
        stats.projects_ok += 1
        stats.per_stratum[pick.stratum] = stats.per_stratum.get(pick.stratum, 0) + 1
    for reason, detail in outcome.skips:
        if reason == "too-big":
            stats.too_big += 1
        elif reason == "no-files":
            stats.no_files += 1
        elif reason == "not-found":
            stats.not_found += 1
        else:
            stats.errors += 1
        level = logging.INFO if reason == "too-big" else logging.WARNING
        log.log(level, "%s (%s): %s: %s", pick.name, pick.stratum, reason, detail)
        skipped.writerow(
            {
                "name": pick.name,
                "stratum": pick.stratum,
                "version": outcome.version or "",
                "reason": reason,
                "detail": detail,
            }
        )


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m douane.dataset.benign",
        description="Download the benign corpus (latest releases, sdist + one wheel).",
    )
    parser.add_argument("--out", type=Path, default=None, help="default: <cache>/benign")
    parser.add_argument("--top", type=int, default=1000, help="popular projects to take")
    parser.add_argument("--longtail", type=int, default=2000, help="long-tail projects")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--no-wheel", action="store_true", help="sdists only")
    parser.add_argument("--max-mb", type=float, default=DEFAULT_MAX_BYTES / 2**20)
    parser.add_argument("--top-list", type=Path, default=None)
    parser.add_argument("--longtail-list", type=Path, default=None)
    parser.add_argument("--index-url", default=None)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        stats = build_benign(
            args.out,
            args.top,
            args.longtail,
            args.seed,
            args.jobs,
            wheel=not args.no_wheel,
            top_list=args.top_list,
            longtail_list=args.longtail_list,
            max_bytes=int(args.max_mb * 2**20) if args.max_mb > 0 else None,
            index_url=args.index_url,
            progress=not args.no_progress,
        )
    except FileNotFoundError as exc:
        print(
            f"error: {exc.filename}: no such file (pass --top-list/--longtail-list)",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("interrupted: rerun the same command to resume", file=sys.stderr)
        return 130
    s = stats
    print(
        f"benign corpus: {s.projects_ok} projects ok ({s.per_stratum}), {s.files} files, "
        f"{s.bytes / 1e6:.1f} MB in {s.elapsed_s:.0f}s; already done {s.already_done}; "
        f"skipped: {s.too_big} too big, {s.no_files} no files, {s.not_found} not found, "
        f"{s.errors} errors"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
