"""The `douane` command line: scan targets, explain rules; sub-commands live in sibling modules."""

from __future__ import annotations

import importlib
import sys
from enum import IntEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from douane.domain import ScanResult, Verdict
from douane.report.interface import OutputFormat

app = typer.Typer(
    name="douane",
    help="Static review of package uploads for malware, with evidence. Never runs package code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


class Exit(IntEnum):
    """Exit codes: CI can gate on them."""

    CLEAN = 0
    FLAGGED = 1  # at least one artifact malicious or suspicious
    ERROR = 2  # nothing flagged, but at least one artifact could not be scanned


def exit_code(results: list[ScanResult]) -> Exit:
    verdicts = {r.verdict for r in results}
    if verdicts & {Verdict.MALICIOUS, Verdict.SUSPICIOUS}:
        return Exit.FLAGGED
    if Verdict.ERROR in verdicts:
        return Exit.ERROR
    return Exit.CLEAN


@app.command()
def scan(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Files (.tar.gz .zip .whl .egg …), folders, NAME or NAME==VERSION."),
    ] = None,
    requirement: Annotated[
        list[Path] | None,
        typer.Option("-r", "--requirement", help="Scan every requirement of this file."),
    ] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TEXT,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write here.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel worker processes.")] = 0,
    index_url: Annotated[
        str | None,
        typer.Option("--index-url", envvar="DOUANE_INDEX_URL", help="Simple API root."),
    ] = None,
    previous: Annotated[
        Path | None, typer.Option("--previous", help="Earlier release to diff against.")
    ] = None,
    diff: Annotated[
        bool,
        typer.Option(
            "--diff/--no-diff",
            help="For index projects, compare each file with the previous release's.",
        ),
    ] = True,
    rules_only: Annotated[
        bool, typer.Option("--rules-only", help="Score with the rules weighting, not the model.")
    ] = False,
    time_budget: Annotated[float, typer.Option(help="Seconds allowed per artifact.")] = 60.0,
) -> None:
    """Scan artifacts statically and report a verdict with evidence for each."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from douane.scanner import ScanOptions, default_jobs, scan_many
    from douane.sources import Unresolved, resolve_targets
    from douane.sources.local import LocalSource

    if not targets and not requirement:
        err.print("nothing to scan: give a file, folder, NAME[==VERSION] or -r requirements.txt")
        raise typer.Exit(Exit.ERROR)
    prev_artifact = None
    if previous is not None:
        prev = list(LocalSource().resolve(str(previous)))
        prev_artifact = prev[0] if prev else None
    options = ScanOptions(time_budget_s=time_budget, rules_only=rules_only, previous=prev_artifact)
    results: list[ScanResult] = []
    artifacts = []
    from douane.scanner import _error  # one place builds error results

    with err.status("resolving targets…", spinner="dots") if sys.stderr.isatty() else _null():
        for item in resolve_targets(
            targets or [], requirement or [], index_url, with_previous=diff
        ):
            if isinstance(item, Unresolved):
                from douane.domain import Artifact

                a = Artifact(path=Path(item.target), filename=item.target, target=item.target)
                results.append(_error(a, item.reason, 0.0))
            else:
                artifacts.append(item)
    n_jobs = jobs or (default_jobs() if len(artifacts) > 2 else 1)
    show = sys.stderr.isatty() and len(artifacts) > 1
    with Progress(
        TextColumn("[bold]scanning"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
        console=err, transient=True, disable=not show,
    ) as progress:  # fmt: skip
        task = progress.add_task("", total=len(artifacts))
        for r in scan_many(artifacts, options, jobs=n_jobs):
            results.append(r)
            progress.update(task, advance=1, description=r.filename[:40])
    results.sort(key=lambda r: (r.target, r.filename))
    rendered = fmt.formatter().render(results)
    if output:
        output.write_text(rendered, encoding="utf-8")
    elif fmt is OutputFormat.TEXT:
        from douane.report.text import TextFormat

        sys.stdout.write(TextFormat(color=sys.stdout.isatty()).render(results))
    else:
        sys.stdout.write(rendered + "\n")
    raise typer.Exit(exit_code(results))


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@app.command("rule")
def rule_cmd(rule_id: Annotated[str, typer.Argument(help="Rule id, e.g. DOU301.")]) -> None:
    """Print a rule's documentation."""
    from douane.analysis.registry import get_rule

    try:
        r = get_rule(rule_id.upper())
    except KeyError:
        err.print(f"no rule {rule_id}")
        raise typer.Exit(2) from None
    print(f"{r.id} {r.name}  [{r.family}, severity {r.severity.name.lower()}, "
          f"confidence {r.confidence.name.lower()}]\n")  # fmt: skip
    print(r.doc)


@app.command("rules")
def rules_cmd() -> None:
    """List every rule."""
    from douane.analysis.registry import all_rules

    for r in all_rules():
        first = r.doc.split("\n", 1)[0].removeprefix("What it does:").strip()
        print(f"{r.id:8} {r.family:15} {r.severity.name.lower():8} {r.name:40} {first[:70]}")


# Sub-command groups owned by other modules register themselves here when present.
for _mod in ("douane.cli.dataset", "douane.cli.evaluate", "douane.cli.train",
             "douane.cli.popular"):  # fmt: skip
    try:
        _m = importlib.import_module(_mod)
    except ModuleNotFoundError as _exc:
        if _exc.name != _mod:
            raise
        continue
    _m.register(app)


def main() -> None:
    app()
