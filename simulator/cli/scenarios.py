"""``scenarios``: the scenarios and sweep files that come with the simulator."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from simulator.cli.common import app, out


@app.command()
def scenarios(
    paths: Annotated[bool, typer.Option("--paths", metavar="", help="Show where each file is.")] = False,
) -> None:
    """List the bundled scenarios and sweeps; their names work wherever a file is asked for."""
    from simulator.bundled import bundled_names, bundled_path, describe

    for kind, title in (("scenarios", "Bundled scenarios"), ("sweeps", "Bundled sweeps")):
        table = Table(title=title, title_justify="left")
        table.add_column("name")
        table.add_column("what it asks")
        if paths:
            table.add_column("file")
        for name in bundled_names(kind):  # type: ignore[arg-type]
            p = bundled_path(name, kind)  # type: ignore[arg-type]
            table.add_row(name, describe(p), *([str(p)] if paths else []))
        out.print(table)
    out.print(
        "Use a name where a file goes: marketsim run baseline, marketsim viz young_market, "
        "marketsim sweep value_share_demo.",
        highlight=False,
    )
