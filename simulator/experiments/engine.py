"""Running an experiment into a folder that survives interruptions.

Think of a lab notebook where each finished measurement gets its own page, glued in only when it
is complete: ``runs/<run_id>.parquet`` holds one run's daily series with its KPIs in the file's
metadata, written to a temporary name and renamed, so a page is there whole or not at all. The
notebook opens with ``manifest.json`` (the experiment, its design points and seeds, package
versions), written before the first run; ``index.parquet`` (and ``index.csv``) lists one row per
run and firm with the KPIs, rebuilt from the pages at the end. After a crash, even a SIGKILL,
``resume`` finds the pages already glued in and runs only the missing ones.

Folder::

    manifest.json    the experiment (fixed at the start; a resume must match it)
    runs/            one Parquet file per finished run
    failed/          one JSON file per run that raised (retried on resume)
    index.parquet    one row per run and firm: point, replication, policy, swept values, KPIs
    index.csv        the same, for a spreadsheet
    status.json      runs done and failed, start and end times
    .marketsim.json  marks the folder as an experiment's; .lock is held while it is written

One writer at a time: :func:`run_experiment` holds the folder's lock (:func:`~simulator.results.
claim_folder`), so a second sweep into the same folder is refused instead of mixing its runs with
the first's. An interruption (Ctrl-C, SIGTERM) cancels the runs not started, stops the workers and
leaves the folder resumable; a manifest that cannot be read is refused with what to do, never guessed.
"""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from concurrent.futures import BrokenExecutor, Executor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator.experiments.design import Experiment
from simulator.experiments.run import run_once
from simulator.results import (
    OutputFolderError,
    atomic_write,
    claim_folder,
    git_commit,
    now_iso,
    package_versions,
    write_json,
)
from simulator.scenario import Scenario

SUMMARY_KEY = b"marketsim.summary"
RUN_KEY = b"marketsim.run"


class ExperimentFolderError(Exception):
    """The output folder cannot be used for this experiment (exists, or holds another experiment)."""


@dataclass(frozen=True)
class RunTask:
    """One run to compute: a scenario, a seed and where it belongs in the experiment."""

    run_id: str
    point: int
    replication: int
    policy: str
    scenario: Scenario
    seed: np.random.SeedSequence


@dataclass
class RunOutput:
    """What a worker sends back: the run's identity, its daily table and its KPIs."""

    task: RunTask
    table: pd.DataFrame
    summary: dict[str, Any]


def execute(task: RunTask) -> RunOutput:
    """Simulate one task (a top-level function, so process pools and Dask can ship it)."""
    result = run_once(task.scenario, seed=task.seed, agents=False)
    market = result.market.add_prefix("market_").rename(columns={"market_day": "day"})
    table = result.timeseries.merge(market, on="day", how="left")
    return RunOutput(task, table, result.summary)


def tasks(exp: Experiment) -> list[RunTask]:
    """All runs of ``exp``: point x policy x replication; a replication's seed is shared by all."""
    seeds = exp.seeds()
    out = []
    for point in exp.points:
        for policy in exp.choices:
            scenario = exp.scenario_for(point, policy)
            for r, seed in enumerate(seeds):
                rid = f"p{point.index:04d}-r{r:03d}-{policy.label}"
                out.append(RunTask(rid, point.index, r, policy.label, scenario, seed))
    return out


def _write_run(folder: Path, out: RunOutput) -> None:
    table = pa.Table.from_pandas(out.table, preserve_index=False)
    t = out.task
    ident = {"run_id": t.run_id, "point": t.point, "replication": t.replication, "policy": t.policy}
    meta = {
        **(table.schema.metadata or {}),
        SUMMARY_KEY: json.dumps(out.summary).encode(),
        RUN_KEY: json.dumps(ident).encode(),
    }
    table = table.replace_schema_metadata(meta)
    atomic_write(folder / "runs" / f"{t.run_id}.parquet", lambda p: pq.write_table(table, p))


def read_run_meta(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The identity and KPI summary stored in a run file's metadata."""
    meta = pq.read_schema(path).metadata
    return json.loads(meta[RUN_KEY]), json.loads(meta[SUMMARY_KEY])


def read_run_table(path: Path) -> pd.DataFrame:
    """A run file's daily table (one row per day and firm)."""
    return pq.read_table(path).to_pandas()


def manifest(exp: Experiment, kind: str) -> dict[str, Any]:
    """The experiment's manifest content."""
    seeds = exp.seeds()
    return {
        "kind": kind,
        "name": exp.spec.name,
        "source": exp.source,
        "fingerprint": exp.fingerprint(),
        "spec": exp.spec.model_dump(mode="json"),
        "scenario": exp.base.model_dump(mode="json"),
        "firm": exp.firm,
        "mode": exp.mode,
        "policies": exp.labels,
        "scenarios": {k: v.model_dump(mode="json") for k, v in exp.scenarios.items()},
        "parameters": [p.path for p in exp.spec.parameters],
        "points": [{"point": p.index, "values": p.values} for p in exp.points],
        "replications": exp.spec.replications,
        "seeds": [{"entropy": str(s.entropy), "spawn_key": list(s.spawn_key)} for s in seeds],
        "policy_settings": policy_settings(exp),
        "runs": len(exp.points) * len(exp.labels) * exp.spec.replications,
        "days": exp.base.run.days,
        "warmup_days": exp.base.run.warmup_days,
        "packages": package_versions(),
        "git_commit": git_commit(),
        "created": now_iso(),
    }


def policy_settings(exp: Experiment) -> dict[str, dict[str, str]]:
    """Per policy label: the policy, its parameters that differ from the defaults, its firm settings.

    For a comparison of whole scenarios: per scenario label, its file and each firm's policy.
    """
    from simulator.policies import registry

    if exp.firm is None:
        return {
            c.label: {
                "scenario": str(getattr(c, "path", "")),
                "firms": ", ".join(f"{f.name} ({f.policy.name})" for f in exp.scenarios[c.label].firms),
            }
            for c in exp.choices
        }
    idx = [f.name for f in exp.base.firms].index(exp.firm)
    out = {}
    for pol in exp.spec.policies:
        used = exp.scenario_for(exp.points[0], pol).firms[idx].policy
        defaults = registry.params_model(used.name)().model_dump(mode="json")
        changed = {k: v for k, v in used.model_dump(mode="json").items() if defaults.get(k) != v}
        out[pol.label] = {
            "policy": used.name,
            "parameters": ", ".join(f"{k}={v}" for k, v in changed.items()) or "defaults",
            "firm": ", ".join(f"{k}={v}" for k, v in pol.firm_settings.items()) or "as in the scenario",
        }
    return out


def prepare_folder(folder: Path, exp: Experiment, kind: str, resume: bool) -> None:
    """Create the folder and its manifest, or check that a resumed folder holds this experiment.

    Raises:
        ExperimentFolderError: the folder holds an experiment and ``resume`` is off, or it holds a
            different experiment.
    """
    mpath = folder / "manifest.json"
    if mpath.exists():
        if not resume:
            raise ExperimentFolderError(
                f"{folder}: already holds an experiment; use --resume or another --out"
            )
        old = read_manifest(folder)
        if old.get("fingerprint") != exp.fingerprint():
            raise ExperimentFolderError(
                f"{folder}: holds a different experiment (fingerprint {old.get('fingerprint')}, "
                f"this one {exp.fingerprint()}); choose another --out"
            )
    else:
        if folder.exists() and not folder.is_dir():
            raise ExperimentFolderError(f"{folder}: exists and is not a folder")
        write_json(mpath, manifest(exp, kind))
    (folder / "runs").mkdir(parents=True, exist_ok=True)
    # temporary files left by a killed writer were removed when the folder was claimed


def read_manifest(folder: Path) -> dict[str, Any]:
    """An experiment folder's manifest.

    Raises:
        ExperimentFolderError: the manifest cannot be read or is not an experiment's: the folder
            cannot be resumed safely (which experiment its runs belong to is unknown).
    """
    mpath = folder / "manifest.json"
    try:
        data = json.loads(mpath.read_text())
        if not isinstance(data, dict) or not {"fingerprint", "points", "policies"} <= set(data):
            raise ValueError("not an experiment's manifest (no fingerprint, points or policies)")
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise ExperimentFolderError(
            f"{mpath}: damaged ({reason}); which experiment this folder holds cannot be told, so it "
            f"cannot be resumed. Run the experiment again into a new folder (--out NEW); the files "
            f"here are left as they are"
        ) from None
    return data


def finished_runs(folder: Path) -> set[str]:
    """Run ids whose files are complete (readable Parquet with metadata)."""
    done = set()
    for p in (folder / "runs").glob("*.parquet"):
        try:
            read_run_meta(p)
        except Exception:  # a file that cannot be read is not a result: rerun it
            p.unlink(missing_ok=True)
            continue
        done.add(p.stem)
    return done


@dataclass
class Outcome:
    """How an experiment's execution went."""

    total: int
    skipped: int
    done: int
    failed: list[str]


def run_experiment(
    exp: Experiment,
    folder: Path,
    executor: Executor,
    kind: str = "sweep",
    resume: bool = False,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[str, bool], None] | None = None,
) -> Outcome:
    """Run every missing run of ``exp`` into ``folder`` and rebuild the index.

    Args:
        exp: the experiment.
        folder: output folder (created; with ``resume``, an interrupted folder of the same experiment).
        executor: where runs are computed (see :mod:`simulator.experiments.executors`).
        kind: ``sweep`` or ``compare`` (recorded in the manifest).
        resume: continue an existing folder instead of refusing it.
        on_start: called with (runs to do, runs already done) before the first run.
        on_result: called with (run id, succeeded) after each run.
    """
    try:
        with claim_folder(folder, kind):
            return _run_claimed(exp, folder, executor, kind, resume, on_start, on_result)
    except OutputFolderError as e:
        raise ExperimentFolderError(str(e)) from None


def _run_claimed(
    exp: Experiment,
    folder: Path,
    executor: Executor,
    kind: str,
    resume: bool,
    on_start: Callable[[int, int], None] | None,
    on_result: Callable[[str, bool], None] | None,
) -> Outcome:
    prepare_folder(folder, exp, kind, resume)
    started = now_iso()
    all_tasks = tasks(exp)
    done_before = finished_runs(folder)
    todo = [t for t in all_tasks if t.run_id not in done_before]
    if on_start is not None:
        on_start(len(todo), len(all_tasks) - len(todo))
    failed: list[str] = []
    futures = {executor.submit(execute, t): t for t in todo}
    try:
        _collect(folder, futures, failed, on_result)
    except BaseException:
        # interrupted (Ctrl-C, SIGTERM) or the pool broke: runs not started are cancelled; the runs
        # written so far stay, and --resume runs the rest
        for fut in futures:
            fut.cancel()
        raise
    write_index(folder, exp)
    write_json(
        folder / "status.json",
        {
            "runs": len(all_tasks),
            "done": len(all_tasks) - len(failed),
            "failed": sorted(failed),
            "resumed_with": len(done_before) if resume else 0,
            "started": started,
            "finished": now_iso(),
        },
    )
    return Outcome(len(all_tasks), len(all_tasks) - len(todo), len(todo) - len(failed), sorted(failed))


def _collect(
    folder: Path,
    futures: dict[Any, RunTask],
    failed: list[str],
    on_result: Callable[[str, bool], None] | None,
) -> None:
    """Write each run as it finishes (a failed run is recorded in failed/ and the others go on)."""
    for fut in as_completed(futures):
        task = futures[fut]
        try:
            _write_run(folder, fut.result())
            (folder / "failed" / f"{task.run_id}.json").unlink(missing_ok=True)
            ok = True
        except BrokenExecutor:
            raise  # the pool itself is gone: no later run can succeed, so stop here
        except Exception as e:
            # One failing run must not sink the others: record why and go on; resume retries it.
            write_json(
                folder / "failed" / f"{task.run_id}.json",
                {
                    "run_id": task.run_id,
                    "error": f"{type(e).__name__}: {e}",
                    "traceback": traceback.format_exc(),
                },
            )
            failed.append(task.run_id)
            ok = False
        if on_result is not None:
            on_result(task.run_id, ok)


def _flat_kpis(kpis: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for k, v in kpis.items():
        if isinstance(v, dict):
            prefix = "share" if k == "market_share_by_generation" else k
            for kk, vv in v.items():
                row[f"{prefix}_{kk}"] = vv
        else:
            row[k] = v
    return row


def build_index(folder: Path, exp_points: list[dict[str, Any]], labels: list[str]) -> pd.DataFrame:
    """One row per finished run and firm, in (point, replication, policy, firm) order."""
    values = {p["point"]: p["values"] for p in exp_points}
    rows = []
    for path in sorted((folder / "runs").glob("*.parquet")):
        try:
            ident, summary = read_run_meta(path)
        except Exception:  # a damaged run file is not a result (--resume reruns it)
            continue
        market = summary["market"]
        for firm, kpis in summary["firms"].items():
            rows.append(
                {
                    **ident,
                    **values.get(ident["point"], {}),
                    "firm": firm,
                    **_flat_kpis(kpis),
                    "market_no_purchase_share": market.get("no_purchase_share"),
                }
            )
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    order = {lab: i for i, lab in enumerate(labels)}
    df["_pol"] = df["policy"].map(order)
    df = df.sort_values(["point", "replication", "_pol", "firm"]).drop(columns="_pol")
    df = df.reset_index(drop=True)
    # Undefined ratios (no orders) are None in JSON; make the columns numeric with NaN.
    for c in df.columns:
        if df[c].dtype == object and c not in ("run_id", "policy", "firm"):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return df


def rebuild_index(folder: Path) -> pd.DataFrame:
    """Rewrite ``index.parquet`` and ``index.csv`` from ``runs/`` and the manifest alone.

    For a folder whose index was damaged or lost; the run files are the results, the index is only
    their table of contents.
    """
    m = read_manifest(folder)
    df = build_index(folder, m["points"], list(m["policies"]))
    atomic_write(folder / "index.parquet", lambda p: df.to_parquet(p, index=False))
    atomic_write(folder / "index.csv", lambda p: df.to_csv(p, index=False))
    return df


def write_index(folder: Path, exp: Experiment) -> pd.DataFrame:
    """Rebuild ``index.parquet`` and ``index.csv`` from the run files."""
    points = [{"point": p.index, "values": p.values} for p in exp.points]
    df = build_index(folder, points, exp.labels)
    atomic_write(folder / "index.parquet", lambda p: df.to_parquet(p, index=False))
    atomic_write(folder / "index.csv", lambda p: df.to_csv(p, index=False))
    return df
