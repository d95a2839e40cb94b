"""``jointcheck bench NAME [--json]``: run one benchmark, or ``all`` of them."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table

from jointcheck.bench import BenchReport
from jointcheck.bench.registry import BENCHMARKS, load


def _print(report: BenchReport, console: Console) -> None:
    table = Table(title=report.name, show_header=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for fig in report.figures:
        table.add_row(fig.name, f"{fig.value:,.4g}", fig.unit)
    console.print(table)
    if report.target:
        verdict = {True: "[green]met[/]", False: "[red]NOT met[/]", None: "[yellow]n/a[/]"}
        console.print(f"target: {report.target} -> {verdict[report.met]}")
    for note in report.notes:
        console.print(f"  {note}")


def bench(
    name: str = typer.Argument("all", help=f"one of: all, {', '.join(sorted(BENCHMARKS))}"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per benchmark"),
    quick: bool = typer.Option(False, "--quick", help="a small workload, to check it runs"),
) -> None:
    """Run benchmark NAME (or all) and print its figures, baseline and ratio."""
    names = sorted(BENCHMARKS) if name == "all" else [name]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        typer.echo(f"unknown benchmark {unknown[0]!r}; known: {', '.join(sorted(BENCHMARKS))}")
        raise typer.Exit(2)
    console = Console()
    for n in names:
        report = load(n)(quick)
        if as_json:
            typer.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            _print(report, console)
