"""Run folders: what a run leaves behind, written so that no file is ever half-written.

A run folder holds ``manifest.json`` (the resolved scenario, the seed, package versions, git commit,
start and end time), ``timeseries.parquet`` (one row per day and firm), ``market.parquet`` (one row
per day), ``summary.json`` (the KPIs), ``decisions.parquet`` (every policy decision with its inputs
and reason) and, when asked, ``events.parquet``. Each file is written to a temporary name in the
same folder and renamed into place, so a reader (or a resumed sweep) sees a file whole or not at all.
The manifest is written last: a folder without one is an unfinished run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

PACKAGES = ("mesa", "simpy", "numpy", "pandas", "pyarrow", "scipy", "pydantic", "networkx")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path next to ``path``, then rename it to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        # mkstemp creates the file readable by its owner only; give it the usual mode a plain
        # open() would (0666 less the umask), so run folders on shared disks stay readable.
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically."""
    text = json.dumps(data, indent=2, default=str) + "\n"

    def write(p: Path) -> None:
        p.write_text(text)

    atomic_write(path, write)


def write_parquet(path: Path, df: pd.DataFrame) -> None:
    """Write a data frame as Parquet atomically."""
    atomic_write(path, lambda p: df.to_parquet(p, index=False))


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    """Versions of Python and the simulation packages."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The commit of the source tree, when it is a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def is_run_folder(path: Path) -> bool:
    """Whether ``path`` already holds a finished run."""
    return (path / "manifest.json").exists()


def write_run_folder(
    target: Path,
    scenario: Any,
    result: Any,
    seed: int,
    started: str,
    days: int,
    extra: dict[str, Any] | None = None,
) -> None:
    """Write a finished run's folder: tables and summary first, the manifest last."""
    from simulator.scenario import dump_scenario

    target.mkdir(parents=True, exist_ok=True)
    write_parquet(target / "timeseries.parquet", result.timeseries)
    write_parquet(target / "market.parquet", result.market)
    if getattr(result, "events", None) is not None:
        write_parquet(target / "events.parquet", result.events)
    if getattr(result, "decisions", None) is not None:
        write_parquet(target / "decisions.parquet", result.decisions)
    write_json(target / "summary.json", result.summary)
    manifest = {
        "scenario": dump_scenario(scenario),
        "seed": seed,
        "seed_entropy": result.seed,
        "days": days,
        "packages": package_versions(),
        "git_commit": git_commit(),
        "started": started,
        "finished": now_iso(),
        **(extra or {}),
    }
    write_json(target / "manifest.json", manifest)
