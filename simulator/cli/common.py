"""What every command shares: the Typer app, the consoles, bad-input exits, output folders, main."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate value-driven ('meaning out') consumers buying from firms with different "
    "supply chains.",
)
out = Console()
err = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        from simulator import __version__

        try:
            v = version("meaningout-simulator")
        except PackageNotFoundError:  # run from a checkout without installing
            v = __version__
        typer.echo(f"marketsim {v}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            metavar="",
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Simulate value-driven ('meaning out') consumers buying from firms with different supply chains."""


def input_path(arg: str, kind: str = "scenarios") -> Path:
    """A file argument: the path given, or the bundled scenario (or sweep) of that name."""
    from simulator.bundled import resolve

    return resolve(arg, kind)  # type: ignore[arg-type]


class BadInput(Exception):
    """Bad input from the user: printed as given, exit code 2."""


def fail_input(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(2)


def check_run_target(target: Path) -> None:
    """Exit 2 unless ``target`` can take a new run folder (nothing already there is overwritten)."""
    from simulator.results import is_run_folder

    if is_run_folder(target):
        fail_input([f"{target}: already holds a run (manifest.json); choose another --out"])
    if target.exists() and not target.is_dir():
        fail_input([f"{target}: exists and is not a folder"])


def default_out(name: str, seed: int) -> Path:
    from simulator.results import now_iso

    stamp = re.sub(r"[^0-9T]", "", now_iso())[:15]
    return Path("results") / f"{name}-seed{seed}-{stamp}"


def main() -> None:
    """Entry point: run the app, turning unexpected errors into exit code 1 with a short message."""
    try:
        app(standalone_mode=True)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:
        typer.echo(f"internal error: {type(e).__name__}: {e}", err=True)
        typer.echo("(set MARKETSIM_DEBUG=1 to see the traceback)", err=True)
        import os

        if os.environ.get("MARKETSIM_DEBUG"):
            raise
        sys.exit(1)
