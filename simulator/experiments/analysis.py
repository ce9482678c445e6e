"""Reading an experiment folder back as answers: KPI intervals, policy differences, curves, indices.

The index is the experiment's ledger, one row per run and firm. This module turns it into the
tables a decision needs, always as tidy data frames (one row per KPI, policy, point ...): the mean of
each KPI per policy with its t-interval; every pair of policies' paired difference with its
interval and p-value (Bonferroni-adjusted when more than two policies are compared); along the
swept parameters, the response of the chosen KPI per policy and of the difference between two
policies; the tipping point where that difference changes sign; and Sobol's sensitivity indices.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.experiments.design import KPI_NAMES
from simulator.experiments.stats import (
    TippingPoint,
    all_pairs,
    kpi_interval,
    t_interval,
    tipping_point,
)
from simulator.rng import Streams


@dataclass
class Loaded:
    """An experiment folder: its manifest and index."""

    folder: Path
    manifest: dict[str, Any]
    index: pd.DataFrame

    @property
    def firm(self) -> str:
        """The firm whose policy was varied."""
        return str(self.manifest["firm"])

    @property
    def policies(self) -> list[str]:
        """Policy labels in the order given."""
        return list(self.manifest["policies"])

    @property
    def parameters(self) -> list[str]:
        """Swept parameter paths."""
        return list(self.manifest["parameters"])

    @property
    def kpi(self) -> str:
        """The KPI of the sensitivity analysis and tipping point."""
        return str(self.manifest["spec"].get("kpi", "profit"))

    def firm_rows(self, firm: str | None = None) -> pd.DataFrame:
        """Index rows of one firm (default: the varied firm)."""
        return self.index[self.index["firm"] == (firm or self.firm)]


class NotAnExperiment(Exception):
    """The folder has no experiment manifest or index."""


def load(folder: Path) -> Loaded:
    """Read an experiment folder's manifest and index."""
    mpath, ipath = folder / "manifest.json", folder / "index.parquet"
    if not mpath.exists():
        raise NotAnExperiment(f"{folder}: no manifest.json (not an experiment folder)")
    if not ipath.exists():
        raise NotAnExperiment(f"{folder}: no index.parquet (unfinished; run it again with --resume)")
    index = pd.read_parquet(ipath)
    if index.empty:
        raise NotAnExperiment(f"{folder}: no run has finished yet (see failed/ for errors)")
    return Loaded(folder, json.loads(mpath.read_text()), index)


def _samples(rows: pd.DataFrame, kpi: str, policies: list[str]) -> dict[str, np.ndarray]:
    # One value per replication, aligned by replication number so that pairs share a seed; a
    # replication missing for one policy (a failed run) becomes NaN and is dropped from the pair.
    wide = rows.pivot_table(
        index="replication", columns="policy", values=kpi, aggfunc="first", dropna=False
    )
    return {p: wide[p].to_numpy(dtype=float) for p in policies if p in wide}


def kpi_table(exp: Loaded, point: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Mean, interval and N of each KPI per policy at one design point (the varied firm).

    Shares get an interval inside [0, 1] (:func:`~simulator.experiments.stats.kpi_interval`),
    the other KPIs the t-interval.
    """
    rows = exp.firm_rows()
    rows = rows[rows["point"] == point]
    out = []
    for kpi in KPI_NAMES:
        if kpi not in rows:
            continue
        for pol, x in _samples(rows, kpi, exp.policies).items():
            iv = kpi_interval(kpi, x, level)
            out.append({"kpi": kpi, "policy": pol, **iv.as_dict()})
    return pd.DataFrame(out)


def differences(exp: Loaded, point: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Paired differences (later policy minus earlier) per KPI at one point, Bonferroni-adjusted."""
    rows = exp.firm_rows()
    rows = rows[rows["point"] == point]
    out = []
    for kpi in KPI_NAMES:
        if kpi not in rows:
            continue
        for d in all_pairs(_samples(rows, kpi, exp.policies), level):
            out.append(
                {
                    "kpi": kpi,
                    "a": d.a,
                    "b": d.b,
                    "difference": d.interval.mean,
                    "low": d.interval.low,
                    "high": d.interval.high,
                    "n": d.interval.n,
                    "level": d.interval.level,
                    "p_value": d.p_value,
                    "comparisons": d.comparisons,
                }
            )
    return pd.DataFrame(out)


def response(exp: Loaded, kpi: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """Per point and policy: the swept values and the KPI's mean with its interval."""
    kpi = kpi or exp.kpi
    rows = exp.firm_rows()
    out = []
    for (point, pol), g in rows.groupby(["point", "policy"], sort=True):
        iv = kpi_interval(kpi, g[kpi].to_numpy(dtype=float), level)
        vals = {p: float(g[p].iloc[0]) for p in exp.parameters}
        out.append({"point": point, "policy": pol, **vals, **iv.as_dict()})
    df = pd.DataFrame(out)
    if df.empty:
        return df
    order = {p: i for i, p in enumerate(exp.policies)}
    return df.sort_values(["point", "policy"], key=lambda c: c.map(order) if c.name == "policy" else c)


def difference_matrix(
    exp: Loaded, a: str, b: str, kpi: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Differences ``b - a`` as (replications x points) and the point numbers, in point order."""
    kpi = kpi or exp.kpi
    rows = exp.firm_rows()
    wide = rows.pivot_table(
        index="replication", columns=["point", "policy"], values=kpi, aggfunc="first", dropna=False
    )
    points = sorted({int(c[0]) for c in wide.columns})
    d = np.full((len(wide.index), len(points)), math.nan)
    for j, p in enumerate(points):
        if (p, a) in wide and (p, b) in wide:
            d[:, j] = wide[(p, b)].to_numpy(dtype=float) - wide[(p, a)].to_numpy(dtype=float)
    return d, np.array(points)


def difference_curve(
    exp: Loaded, a: str, b: str, kpi: str | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Per point: swept values and the paired difference ``b - a`` with its t-interval."""
    d, points = difference_matrix(exp, a, b, kpi)
    vals = exp.index.drop_duplicates("point").set_index("point")
    out = []
    for j, p in enumerate(points):
        iv = t_interval(d[:, j], level)
        out.append(
            {"point": int(p), **{q: float(vals.loc[p, q]) for q in exp.parameters}, **iv.as_dict()}
        )
    return pd.DataFrame(out)


def tipping(
    exp: Loaded, a: str, b: str, kpi: str | None = None, level: float = 0.95
) -> TippingPoint | None:
    """Where ``b - a`` crosses zero along the only swept parameter (None for other designs).

    Points are sorted by the parameter; with a Latin hypercube they are scattered but still one
    value each, so the same curve applies.
    """
    if len(exp.parameters) != 1:
        return None
    d, points = difference_matrix(exp, a, b, kpi)
    vals = exp.index.drop_duplicates("point").set_index("point")[exp.parameters[0]]
    x = vals.loc[points].to_numpy(dtype=float)
    order = np.argsort(x, kind="stable")
    keep = ~np.isnan(d).any(axis=0)[order]
    rng = Streams(int(exp.manifest["spec"]["seed"])).get("report:tipping-bootstrap")
    return tipping_point(x[order][keep], d[:, order][:, keep], rng, level)


def sobol_indices(exp: Loaded, kpi: str | None = None) -> pd.DataFrame | None:
    """First- and total-order Sobol indices (with 95% intervals) of the KPI, per policy and for the
    difference of the first two policies; None unless the design is Sobol's."""
    spec = exp.manifest["spec"]
    if spec["design"]["kind"] != "sobol":
        return None
    from SALib.analyze import sobol

    from simulator.experiments.design import ExperimentSpec, salib_problem

    problem = salib_problem(ExperimentSpec.model_validate(spec))
    kpi = kpi or exp.kpi
    rows = exp.firm_rows()
    outputs: dict[str, np.ndarray] = {}
    means = rows.groupby(["point", "policy"])[kpi].mean().unstack("policy").sort_index()
    for pol in exp.policies:
        outputs[f"{kpi} ({pol})"] = means[pol].to_numpy(dtype=float)
    if len(exp.policies) >= 2:
        a, b = exp.policies[:2]
        outputs[f"{kpi} ({b} - {a})"] = (means[b] - means[a]).to_numpy(dtype=float)
    seed = int(Streams(int(spec["seed"])).get("report:sobol").integers(2**31 - 1))
    out = []
    for name, y in outputs.items():
        if np.isnan(y).any():
            continue
        res = sobol.analyze(
            problem, y, calc_second_order=spec["design"]["second_order"], conf_level=0.95, seed=seed
        )
        for i, p in enumerate(problem["names"]):
            out.append(
                {
                    "output": name,
                    "parameter": p,
                    "S1": float(res["S1"][i]),
                    "S1_conf": float(res["S1_conf"][i]),
                    "ST": float(res["ST"][i]),
                    "ST_conf": float(res["ST_conf"][i]),
                }
            )
    return pd.DataFrame(out)


def daily_series(exp: Loaded, point: int, column: str, firm: str | None = None) -> dict[str, np.ndarray]:
    """Per policy: a (replications x days) array of one daily column of the firm at one point."""
    from simulator.experiments.engine import read_run_table

    firm = firm or exp.firm
    out: dict[str, list[np.ndarray]] = {}
    runs = exp.index[(exp.index["point"] == point) & (exp.index["firm"] == firm)]
    for _, r in runs.iterrows():
        t = read_run_table(exp.folder / "runs" / f"{r['run_id']}.parquet")
        t = t[t["firm"] == firm].sort_values("day")
        out.setdefault(str(r["policy"]), []).append(t[column].to_numpy(dtype=float))
    return {p: np.vstack(v) for p, v in out.items()}
