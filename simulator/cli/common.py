"""What every command shares: the Typer app, the consoles, bad-input exits, output folders, main."""

from __future__ import annotations

import re
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

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


AllowLargeOpt = Annotated[
    bool,
    typer.Option(
        "--allow-large",
        help="Start even when the estimated memory or time exceeds what this machine allows.",
    ),
]


def fail_input(lines: list[str]) -> None:
    """Print each line (control characters made harmless) on stderr and exit 2."""
    from simulator.scenario import strip_controls

    for line in lines:
        typer.echo(strip_controls(line), err=True)
    raise typer.Exit(2)


@contextmanager
def claim(target: Path, kind: str) -> Iterator[Path]:
    """:func:`simulator.results.claim_folder`, turning a refusal into exit code 2."""
    from simulator.results import OutputFolderError, claim_folder

    try:
        with claim_folder(target, kind) as folder:
            yield folder
    except OutputFolderError as e:
        fail_input([str(e)])


def default_out(name: str, seed: int) -> Path:
    """``results/NAME-seedN-TIME``, the name slugged: a name never chooses a folder."""
    from simulator.paths import slug
    from simulator.results import now_iso

    stamp = re.sub(r"[^0-9T]", "", now_iso())[:15]
    return Path("results") / f"{slug(name, 'scenario')}-seed{seed}-{stamp}"


def estimate_note(est: Any) -> None:
    """Tell the user what a long computation will take before it starts (over half a minute)."""
    if est.seconds >= 30:
        err.print(f"estimated: {est.what}, {est.describe()}", highlight=False)


def _terminate(signum: int, frame: Any) -> None:
    # SIGTERM stops a run or a sweep the way Ctrl-C does: workers are stopped, finished runs kept,
    # the folder left resumable.
    raise KeyboardInterrupt


INTERRUPTED = "interrupted: finished files are kept; a sweep or compare continues with --resume"


def main() -> None:
    """Entry point: run the app, turning unexpected errors into exit code 1 with a short message."""
    try:
        signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (an embedding program): leave its handlers alone
        pass
    try:
        app(standalone_mode=True)
    except SystemExit as e:
        if e.code == 130:  # typer turns Ctrl-C (and our SIGTERM) into exit 130 without a word
            err.print(INTERRUPTED, highlight=False)
        raise
    except KeyboardInterrupt:
        err.print(INTERRUPTED, highlight=False)
        sys.exit(130)
    except Exception as e:
        typer.echo(f"internal error: {type(e).__name__}: {e}", err=True)
        typer.echo("(set MARKETSIM_DEBUG=1 to see the traceback)", err=True)
        import os

        if os.environ.get("MARKETSIM_DEBUG"):
            raise
        sys.exit(1)
