"""`douane popular`: rebuild the shipped popular-projects list and see how a name is judged."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

popular_app = typer.Typer(
    help="The popular-projects list behind the typosquatting rules (DOU11xx).",
    no_args_is_help=True,
)
_err = Console(stderr=True)


@popular_app.command("refresh")
def refresh(
    source: Annotated[
        Path,
        typer.Option(
            "--from",
            help="Top-projects file: one name a line, or a TSV/CSV whose "
            "first column is the name; most popular first.",
        ),  # fmt: skip
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of the shipped list."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Keep only the first N names.", min=1)] = None,
) -> None:
    """Rebuild the popular list from a top-projects file (normalised, deduplicated, in order)."""
    from douane.analysis.names import parse_name_list, popular_list_path, write_popular_list

    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _err.print(f"cannot read {source}: {exc}")
        raise typer.Exit(2) from None
    names = parse_name_list(text)
    if not names:
        _err.print(f"{source} holds no valid project names; the list was left unchanged")
        raise typer.Exit(2)
    dest = output or popular_list_path()
    try:
        n = write_popular_list(names, dest, source=source.name, limit=limit)
    except OSError as exc:
        _err.print(f"cannot write {dest}: {exc}")
        raise typer.Exit(2) from None
    print(f"wrote {n} names to {dest}")


@popular_app.command("check")
def check(names: Annotated[list[str], typer.Argument(help="Project names to judge.")]) -> None:
    """Show which popular project each name imitates, and how (exit 1 if any does)."""
    from douane.analysis.names import looks_internal, match_name

    flagged = False
    for name in names:
        m = match_name(name)
        internal = looks_internal(name)
        if m is None and internal is None:
            print(f"{name}: no imitation of a popular project")
            continue
        flagged = True
        if m is not None:
            print(f"{name}: {m.form.value} of {m.target} (#{m.target_rank}), "
                  f"{m.tier.name.lower()}: {m.detail}")  # fmt: skip
        if internal is not None:
            print(f"{name}: reads like an internal package (`{internal}`)")
    raise typer.Exit(1 if flagged else 0)


def register(app: typer.Typer) -> None:
    """Add the `popular` command group to the main CLI."""
    app.add_typer(popular_app, name="popular")
