"""Run folders: what a run leaves behind, written so that no file is ever half-written.

A run folder holds ``manifest.json`` (the resolved scenario, the seed, package versions, git commit,
start and end time), ``timeseries.parquet`` (one row per day and firm), ``market.parquet`` (one row
per day), ``summary.json`` (the KPIs), ``decisions.parquet`` (every policy decision with its inputs
and reason) and, when asked, ``events.parquet``. Each file is written to a temporary name in the
same folder and renamed into place, so a reader (or a resumed sweep) sees a file whole or not at all.
The manifest is written last: a folder without one is an unfinished run.

Whoever writes a folder first claims it (:func:`claim_folder`): it must be new, empty, or an
unfinished folder of the same kind (marked by ``.marketsim.json``), never a folder of the user's own
files or a finished run; it is created and shown to be writable before any simulating, and an
exclusive lock (``.lock``, :mod:`filelock`) held until the end refuses a second writer. Temporary
files left by a killed writer are removed by the next one. A file's name never comes from a user's
name as it is: :mod:`simulator.paths` slugs it and keeps every written path inside the folder.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.paths import UnsafePath, inside

PACKAGES = ("mesa", "simpy", "numpy", "pandas", "pyarrow", "scipy", "pydantic", "networkx")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary path next to ``path``, then rename it to ``path``.

    A write that fails or is interrupted leaves no temporary file behind; one killed outright
    (SIGKILL) leaves ``.NAME.*.tmp``, which the folder's next writer removes
    (:func:`remove_stale_temporaries`).
    """
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


MARKER = ".marketsim.json"
"""Marks a folder as marketsim's, with its kind (run, factory, sweep, compare)."""
LOCK = ".lock"
"""The lock file a writer holds while it writes the folder."""
RUN_OUTPUTS = (
    "manifest.json",
    "timeseries.parquet",
    "market.parquet",
    "events.parquet",
    "decisions.parquet",
    "summary.json",
    "report.html",
    "report.md",
)
"""What a run writes at the top of its folder (an unfinished run's leftovers are removed)."""


class OutputFolderError(Exception):
    """An output folder that cannot be used: it says which and why, and what to do instead."""


def _marker_kind(folder: Path) -> str | None:
    """The kind in the folder's marker, or (older folders) in its manifest; None when neither."""
    for name in (MARKER, "manifest.json"):
        try:
            data = json.loads((folder / name).read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("kind"), str):
            return str(data["kind"])
        if name == "manifest.json" and isinstance(data, dict) and "scenario" in data:
            return "factory" if data.get("mode") == "factory" else "run"
    return None


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the ``.NAME.*.tmp`` files a killed writer left in ``folder`` and its sub-folders.

    Only the folder's writer (who holds its lock) may call this: a temporary file is stale only when
    nobody is writing.
    """
    gone = []
    for sub in (folder, *(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())):
        for tmp in sub.glob(".*.tmp"):
            if tmp.is_file() and not tmp.is_symlink():
                tmp.unlink(missing_ok=True)
                gone.append(tmp)
    return gone


def _ours(folder: Path) -> set[str]:
    return {LOCK, MARKER}


def _refuse_foreign(folder: Path, kind: str) -> None:
    """Raise unless ``folder`` is empty or marketsim's own folder of ``kind``."""
    present = {p.name for p in folder.iterdir()} - _ours(folder)
    present = {n for n in present if not (n.startswith(".") and n.endswith(".tmp"))}
    found = _marker_kind(folder)
    if present and found is None:
        if "manifest.json" in present:
            raise OutputFolderError(
                f"{folder / 'manifest.json'}: damaged or not marketsim's (it cannot be read as a "
                f"manifest); this folder cannot be resumed or reused: choose a new folder with --out "
                f"(the files here are left as they are)"
            )
        sample = ", ".join(sorted(present)[:3])
        raise OutputFolderError(
            f"{folder}: holds files that are not a marketsim {kind} ({sample}); "
            f"choose another --out (nothing there was changed)"
        )
    if found is not None and found != kind:
        raise OutputFolderError(
            f"{folder}: holds a marketsim {found}, not a {kind}; choose another --out"
        )


@contextmanager
def claim_folder(folder: Path, kind: str) -> Iterator[Path]:
    """Create or reopen ``folder`` to write a ``kind`` of output, holding its lock throughout.

    The folder must not exist, be empty, or be an unfinished folder of the same ``kind`` (a run
    folder without its manifest; for a sweep or a compare, the caller then checks it holds the same
    experiment). It is created and written to (its marker) before the caller does any work, so a
    folder that cannot be written is refused at once. If the caller fails or is interrupted before
    writing anything, a folder this call created is removed again.

    Raises:
        OutputFolderError: the path is empty or not a folder, cannot be created or written, holds
            something else, holds a finished run, or another process is writing it.
    """
    from filelock import FileLock, Timeout

    if str(folder) in ("", "."):
        raise OutputFolderError(
            "--out: give a new folder for the output (not the current folder, not an empty name)"
        )
    if folder.exists() and not folder.is_dir():
        raise OutputFolderError(f"{folder}: exists and is not a folder; choose another --out")
    created = not folder.exists()
    if not created:
        _refuse_foreign(folder, kind)  # before the lock: a user's folder is left as it was found
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputFolderError(
            f"{folder}: cannot create the output folder ({e.strerror or e}); choose another --out"
        ) from None
    lock = FileLock(folder / LOCK, blocking=False)
    try:
        lock.acquire()
    except Timeout:
        raise OutputFolderError(
            f"{folder}: another marketsim process is writing into this folder; wait for it to "
            f"finish or choose another --out"
        ) from None
    except OSError as e:
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise OutputFolderError(
            f"{folder}: cannot write into this folder ({e.strerror or e}); choose another --out"
        ) from None
    wrote = False
    try:
        _refuse_foreign(folder, kind)  # again, now that no other writer can change it
        if kind in ("run", "factory") and is_run_folder(folder):
            raise OutputFolderError(
                f"{folder}: already holds a run (manifest.json); choose another --out"
            )
        remove_stale_temporaries(folder)
        if kind in ("run", "factory"):
            # an unfinished run's leftovers would mix with this run's files
            for name in RUN_OUTPUTS:
                (folder / name).unlink(missing_ok=True)
            shutil.rmtree(folder / "figures", ignore_errors=True)
        if not (folder / MARKER).exists():
            try:
                write_json(folder / MARKER, {"kind": kind, "created": now_iso()})
            except OSError as e:
                raise OutputFolderError(
                    f"{folder}: cannot write into this folder ({e.strerror or e}); choose another --out"
                ) from None
        wrote = True
        yield folder
    except BaseException:
        if wrote:
            remove_stale_temporaries(folder)
        if created and (not wrote or {p.name for p in folder.iterdir()} <= _ours(folder)):
            lock.release()
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        if lock.is_locked:
            lock.release()


def safe_path(folder: Path, *parts: str) -> Path:
    """``folder / parts`` if it stays inside ``folder`` (see :func:`simulator.paths.inside`)."""
    try:
        return inside(folder, *parts)
    except UnsafePath as e:
        raise OutputFolderError(str(e)) from None


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
    events_file = getattr(result, "events_file", None)
    if events_file is not None:
        # streamed during the run to a temporary name in this folder: renamed into place
        os.replace(events_file, safe_path(target, "events.parquet"))
    elif getattr(result, "events", None) is not None:
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
