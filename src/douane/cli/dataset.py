"""`douane dataset …`: import known malware, download the benign corpus (and previous releases
for diff mode), group near-duplicates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from douane.dataset.malicious import DatasetFormat

dataset_app = typer.Typer(
    help="Build the corpora douane is measured on (never runs anything from them).",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _bar(label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(), console=err, transient=True, disable=not err.is_terminal,
    )  # fmt: skip


def _default_jobs() -> int:
    from douane.scanner import default_jobs

    return default_jobs()


@dataset_app.command("import-malicious")
def import_malicious_cmd(
    path: Annotated[Path, typer.Argument(help="Dataset folder (malregistry, DataDog or OSV).")],
    out: Annotated[Path, typer.Option("--out", help="Folder for manifest.csv and friends.")],
    fmt: Annotated[DatasetFormat, typer.Option("--format", help="Layout of PATH.")] = (
        DatasetFormat.AUTO
    ),
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.")] = 0,
) -> None:
    """Verify every sample's SHA-256 (read in memory) and write a normalised, grouped manifest."""
    from douane.dataset.malicious import DatasetError, import_malicious

    with _bar("verifying") as bar:
        task = bar.add_task("", total=None)
        try:
            report = import_malicious(
                path, out, fmt, jobs=jobs or _default_jobs(),
                on_listed=lambda n: bar.update(task, total=n),
                on_done=lambda: bar.advance(task),
            )  # fmt: skip
        except DatasetError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
    d = report.as_dict()
    err.print(
        f"{d['format']}: {d['listed']} listed, {d['imported']} imported "
        f"({d['distinct_sha256']} distinct SHA-256), {d['label_only']} label-only, "
        f"{d['problems']} problems {d['problem_reasons'] or ''}; {d['groups']} groups, "
        f"largest {d['largest_groups'][:3]}"
    )
    for note in d["notes"]:
        err.print(f"note: {note}")
    print(out / "manifest.csv")
    if report.problems:
        err.print(f"see {out / 'problems.csv'}")
    if report.imported == 0 and report.label_only == 0:
        raise typer.Exit(2)


@dataset_app.command("known-malicious")
def known_malicious_cmd(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Datasets naming malware (OSV MAL- reports, DataDog, malregistry)."),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of the shipped list (DOU1005)."),
    ] = None,
    legitimate: Annotated[
        list[Path] | None,
        typer.Option(
            "--legitimate", help="Lists of legitimate names to keep out (one a line or TSV)."
        ),
    ] = None,
) -> None:
    """Rebuild the known-malicious list behind DOU1005 from the names datasets report.

    Names that are also popular projects (the shipped list) or on a ``--legitimate`` list
    are dropped: dependency-confusion reports name real internal or public projects.
    Evaluating on a dataset whose names fed this list flatters DOU1005's recall.
    """
    from douane.analysis.metadata import popular_projects, read_names, write_known_malicious
    from douane.dataset.malicious import DatasetError, list_samples
    from douane.dataset.manifest import MALICIOUS

    reported: set[str] = set()
    for path in paths:
        try:
            fmt, samples, _ = list_samples(path, DatasetFormat.AUTO)
        except DatasetError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
        names = {s.name for s in samples if s.label == MALICIOUS and s.name}
        err.print(f"{path}: {fmt.value}, {len(names)} names")
        reported |= names
    legit: set[str] = set(popular_projects())
    for extra in legitimate or ():
        try:
            legit |= read_names(extra.read_text(encoding="utf-8").splitlines())
        except (OSError, UnicodeDecodeError) as exc:
            err.print(f"[red]error:[/] cannot read {extra}: {exc}")
            raise typer.Exit(2) from None
    if not reported:
        err.print("[red]error:[/] no malware names found; the list was left unchanged")
        raise typer.Exit(2)
    try:
        dest, kept = write_known_malicious(reported, output, legitimate=legit)
    except OSError as exc:
        err.print(f"[red]error:[/] cannot write: {exc}")
        raise typer.Exit(2) from None
    print(f"wrote {kept} names to {dest} ({len(reported) - kept} dropped as legitimate)")


@dataset_app.command("build-benign")
def build_benign_cmd(
    out: Annotated[Path | None, typer.Option("--out", help="Default: <cache>/benign.")] = None,
    top: Annotated[int, typer.Option(help="Popular projects (top of top-pypi.txt).")] = 1000,
    longtail: Annotated[int, typer.Option(help="Long-tail projects (seeded sample).")] = 2000,
    seed: Annotated[int, typer.Option(help="Seed of the long-tail sample.")] = 0,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel downloads.")] = 8,
    no_wheel: Annotated[bool, typer.Option("--no-wheel", help="Sdists only.")] = False,
    max_mb: Annotated[float, typer.Option(help="Skip files larger than this (0: no cap).")] = 60,
    top_list: Annotated[Path | None, typer.Option(help="Default: ../shared/top-pypi.txt")] = None,
    longtail_list: Annotated[
        Path | None, typer.Option(help="Default: ../shared/longtail-pypi.tsv")
    ] = None,
    projects: Annotated[
        Path | None,
        typer.Option(
            help="CSV name,stratum,version: exactly these releases (replaces --top/--longtail)."
        ),
    ] = None,
    index_url: Annotated[
        str | None, typer.Option("--index-url", envvar="DOUANE_INDEX_URL", help="Simple API root.")
    ] = None,
) -> None:
    """Download the latest sdist (+ one wheel) of popular and long-tail projects (resumable)."""
    from douane.dataset.benign import build_benign, default_out_dir

    try:
        stats = build_benign(
            out, top, longtail, seed, jobs, wheel=not no_wheel, top_list=top_list,
            longtail_list=longtail_list, projects=projects,
            max_bytes=int(max_mb * 2**20) if max_mb > 0 else None,
            index_url=index_url, progress=True, console=err,
        )  # fmt: skip
    except FileNotFoundError as exc:
        err.print(f"[red]error:[/] {exc.filename}: no such file (pass --top-list/--longtail-list)")
        raise typer.Exit(2) from None
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print("interrupted: rerun the same command to resume")
        raise typer.Exit(130) from None
    s = stats
    err.print(
        f"benign corpus: {s.projects_ok} projects ok ({s.per_stratum}), {s.files} files, "
        f"{s.bytes / 1e6:.1f} MB in {s.elapsed_s:.0f}s; already done {s.already_done}; "
        f"skipped: {s.too_big} too big, {s.no_files} no files, {s.not_found} not found, "
        f"{s.errors} errors"
    )
    print((out or default_out_dir()) / "manifest.csv")


@dataset_app.command("pairs")
def pairs_cmd(
    out: Annotated[Path, typer.Option("--out", help="Folder for manifest.csv and skipped.csv.")],
    benign: Annotated[
        Path | None,
        typer.Option("--benign", help="Benign corpus manifest (default: <cache>/benign)."),
    ] = None,
    top: Annotated[int, typer.Option(help="Popular projects to pair (best ranked first).")] = 200,
    top_list: Annotated[Path | None, typer.Option(help="Default: ../shared/top-pypi.txt")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel downloads.")] = 4,
    max_mb: Annotated[float, typer.Option(help="Skip files larger than this (0: no cap).")] = 60,
    index_url: Annotated[
        str | None, typer.Option("--index-url", envvar="DOUANE_INDEX_URL", help="Simple API root.")
    ] = None,
) -> None:
    """Download the previous release's file of the same kind for each popular benign file, and
    write a manifest with a `previous_path` column: `douane evaluate` then scans in diff mode."""
    from douane.dataset.manifest import ManifestError
    from douane.dataset.pairs import build_pairs

    with _bar("pairing") as bar:
        task = bar.add_task("", total=top)
        try:
            stats = build_pairs(
                out, benign, top, top_list=top_list, jobs=jobs,
                max_bytes=int(max_mb * 2**20) if max_mb > 0 else None, index_url=index_url,
                on_done=lambda: bar.advance(task),
            )  # fmt: skip
        except ManifestError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
        except FileNotFoundError as exc:
            err.print(f"[red]error:[/] {exc.filename}: no such file (pass --top-list)")
            raise typer.Exit(2) from None
    s = stats
    err.print(
        f"pairs: {s.projects_paired}/{s.projects} projects, {s.paired}/{s.files} files paired "
        f"with their previous release in {s.elapsed_s:.0f}s; skipped {s.skipped or 'none'}"
    )
    print(out / "manifest.csv")


@dataset_app.command("group")
def group_cmd(
    manifest: Annotated[Path, typer.Argument(help="A normalised or benign manifest.csv.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write here (default: MANIFEST itself if normalised, else "
            "manifest.grouped.csv beside it).",
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes.")] = 0,
    by_name: Annotated[bool, typer.Option(help="Join names equal up to digits/case.")] = True,
    by_content: Annotated[bool, typer.Option(help="Join equal normalised code.")] = True,
) -> None:
    """Give near-duplicate samples one group id, so no split puts a campaign on both sides."""
    from douane.dataset.grouping import (
        FINGERPRINTS,
        fingerprint_all,
        group_samples,
        read_fingerprints,
        write_fingerprints,
    )
    from douane.dataset.manifest import (
        ManifestError,
        is_normalised,
        read_manifest,
        with_groups,
        write_manifest,
    )

    try:
        samples = read_manifest(manifest)
    except ManifestError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    source = manifest if manifest.is_file() else manifest / "manifest.csv"
    folder = source.parent
    if out is None and not is_normalised(source):
        # The benign downloader appends to its own manifest: never rewrite it in another layout.
        out = folder / "manifest.grouped.csv"
    target = out or source
    fp_path = target.parent / FINGERPRINTS
    known = read_fingerprints(folder / FINGERPRINTS) | read_fingerprints(fp_path)
    fingerprints: dict[str, str] = known
    if by_content:
        with _bar("fingerprinting") as bar:
            task = bar.add_task("", total=len({s.sha256 for s in samples} - set(known)))
            fingerprints = fingerprint_all(samples, known, jobs=jobs or _default_jobs(),
                                           on_done=lambda: bar.advance(task))  # fmt: skip
    grouping = group_samples(samples, fingerprints, by_name=by_name, by_content=by_content)
    write_manifest(with_groups(samples, dict(enumerate(grouping.groups))), target)
    if by_content:
        write_fingerprints(fingerprints, fp_path)
    sizes = grouping.sizes()
    largest = sizes.most_common(5)
    summary = {
        "samples": len(samples),
        "groups": len(sizes),
        "singletons": sum(1 for n in sizes.values() if n == 1),
        "joined_by_content": grouping.by_content,
        "joined_by_name": grouping.by_name,
        "largest": [{"group": g, "samples": n} for g, n in largest],
    }
    err.print(
        f"{len(samples)} samples in {len(sizes)} groups ({summary['singletons']} singletons); "
        f"largest: " + ", ".join(f"{g} ({n})" for g, n in largest)
    )
    summary["manifest"] = str(target)
    print(json.dumps(summary))


def register(app: typer.Typer) -> None:
    app.add_typer(dataset_app, name="dataset")
