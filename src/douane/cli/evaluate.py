"""`douane evaluate`: recall, false-positive rate and cost on labelled malware and benign sets."""

from __future__ import annotations

from datetime import date
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

err = Console(stderr=True)


def _default_out() -> Path:
    from douane.sources.config import cache_dir

    return cache_dir() / "eval" / "latest"


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"not a date (YYYY-MM-DD): {value!r}") from None


def evaluate_cmd(
    malicious: Annotated[
        Path | None, typer.Option("--malicious", "-m", help="Normalised malware manifest.csv.")
    ] = None,
    benign: Annotated[
        Path | None, typer.Option("--benign", "-b", help="Benign corpus manifest.csv.")
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only malware first seen on or after YYYY-MM-DD.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default <cache>/eval/latest).")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel worker processes.")] = 0,
    limit_malicious: Annotated[int | None, typer.Option(help="Random subset of malware.")] = None,
    limit_benign: Annotated[int | None, typer.Option(help="Random subset of benign.")] = None,
    seed: Annotated[int, typer.Option(help="Seed for the random subsets.")] = 0,
    rules_only: Annotated[
        bool, typer.Option("--rules-only", help="Score with the rules weighting, not the model.")
    ] = False,
    time_budget: Annotated[float, typer.Option(help="Seconds allowed per artifact.")] = 60.0,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Keep OUT/results.jsonl records of this selection (not "
            "errors); scan only the rest.",
        ),
    ] = False,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff/--no-diff",
            help="Scan manifest rows with a previous_path against that release (douane "
            "dataset pairs); --no-diff ignores the column.",
        ),
    ] = True,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Re-make the report from OUT/results.jsonl.")
    ] = False,
) -> None:
    """Scan labelled malware and benign files; write results.jsonl and a JSON + Markdown report."""
    from douane.dataset.manifest import ManifestError
    from douane.evaluation.evaluate import EvalConfig, evaluate, remake_report
    from douane.evaluation.records import RESULTS
    from douane.scanner import default_jobs

    out = out or _default_out()
    day = _day(since)
    if report_only:
        if not (out / RESULTS).is_file():
            err.print(f"[red]error:[/] no {out / RESULTS} to re-make a report from")
            raise typer.Exit(2)
        report = remake_report(out, day)
        _print_headline(report, out)
        return
    if malicious is None or benign is None:
        err.print("[red]error:[/] give --malicious and --benign manifests (or --report-only)")
        raise typer.Exit(2)
    cfg = EvalConfig(
        malicious=malicious, benign=benign, out=out, since=day, jobs=jobs or default_jobs(),
        limit_malicious=limit_malicious, limit_benign=limit_benign, rules_only=rules_only,
        seed=seed, time_budget_s=time_budget, resume=resume, diff=diff,
    )  # fmt: skip
    counts = {"flagged": 0, "errors": 0, "done": 0}
    bar = Progress(
        TextColumn("[bold]evaluating"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.description}"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=err, transient=True, disable=not err.is_terminal,
    )  # fmt: skip
    with bar:
        task = bar.add_task("", total=None)

        def on_record(rec) -> None:
            counts["done"] += 1
            counts["flagged"] += rec.flagged
            counts["errors"] += rec.is_error
            bar.update(task, advance=1,
                       description=f"{counts['flagged']} flagged, {counts['errors']} errors")  # fmt: skip
            if not err.is_terminal and counts["done"] % 500 == 0:
                err.print(f"{counts['done']} scanned, {counts['flagged']} flagged, "
                          f"{counts['errors']} errors")  # fmt: skip

        try:
            report = evaluate(cfg, on_start=lambda n: bar.update(task, total=n),
                              on_record=on_record)  # fmt: skip
        except ManifestError as exc:
            err.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
    _print_headline(report, out)


def _print_headline(report: dict, out: Path) -> None:
    s = report["summary"]
    for key in ("flagged", "malicious"):
        op = s["operating_points"][key]

        def pct(x):
            return "n/a" if x is None else f"{100 * x:.2f}%"

        err.print(
            f"{op['definition']:32} recall {pct(op['recall'])} ({op['tp']}/{op['tp'] + op['fn']})"
            f"  precision {pct(op['precision'])}  FPR {pct(op['fpr'])} ({op['fp']}/"
            f"{op['fp'] + op['tn']})  errors {op['malicious_errors']}/{op['benign_errors']}"
        )
    t = s["timing"]["benign"]
    run = report["run"]

    def ms(x):
        return "n/a" if x is None else f"{x:.0f} ms"

    err.print(
        f"benign median {ms(t['median_ms'])}, p99 {ms(t['p99_ms'])}; "
        f"{run.get('artifacts_per_s', 0):.1f} artifacts/s; peak worker RSS "
        f"{run.get('children_max_rss_mb', 0):.0f} MB"
    )
    print(out / "report.md")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)
