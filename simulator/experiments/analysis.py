"""Reading an experiment folder back as answers: KPI intervals, policy differences, curves, indices.

The index is the experiment's ledger, one row per run and firm. This module turns it into the
tables a decision needs, always as tidy data frames (one row per KPI, policy, point ...): the mean of
each KPI per policy with its t-interval; every pair of policies' paired difference with its
interval and p-value (Bonferroni-adjusted when more than two policies are compared); along the
swept parameters, the response of the chosen KPI per policy and of the difference between two
policies; the tipping point where that difference changes sign; and Sobol's sensitivity indices.
"""

from __future__ import annotations

import dataclasses
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
    paired_difference,
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
        """The firm whose policy was varied (a comparison of scenarios: the first firm)."""
        f = self.manifest.get("firm")
        return str(f) if f is not None else self.firms[0]

    @property
    def firms(self) -> list[str]:
        """Every firm in the index, in first-seen order."""
        return list(dict.fromkeys(self.index["firm"].astype(str)))

    @property
    def mode(self) -> str:
        """``policies`` (one firm's policy varied) or ``scenarios`` (whole scenarios compared)."""
        return str(self.manifest.get("mode", "policies"))

    @property
    def reported_firms(self) -> list[str]:
        """The firms a report covers: the varied one, or every firm when scenarios are compared."""
        return self.firms if self.mode == "scenarios" else [self.firm]

    @property
    def policies(self) -> list[str]:
        """Labels of what is compared (policies, or scenarios), in the order given."""
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


class DamagedIndex(NotAnExperiment):
    """The folder's index cannot be read (it can be rebuilt from ``runs/``)."""


def load(folder: Path) -> Loaded:
    """Read an experiment folder's manifest and index."""
    mpath, ipath = folder / "manifest.json", folder / "index.parquet"
    if not mpath.exists():
        raise NotAnExperiment(f"{folder}: no manifest.json (not an experiment folder)")
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError) as e:
        raise NotAnExperiment(
            f"{mpath}: damaged ({e}); the experiment cannot be told: run it again into a new folder"
        ) from None
    if not ipath.exists():
        raise NotAnExperiment(f"{folder}: no index.parquet (unfinished; run it again with --resume)")
    try:
        index = pd.read_parquet(ipath)
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise DamagedIndex(f"{ipath}: damaged ({type(e).__name__})") from None
    if index.empty:
        raise NotAnExperiment(f"{folder}: no run has finished yet (see failed/ for errors)")
    return Loaded(folder, manifest, index)


def _samples(rows: pd.DataFrame, kpi: str, policies: list[str]) -> dict[str, np.ndarray]:
    # One value per replication, aligned by replication number so that pairs share a seed; a
    # replication missing for one policy (a failed run) becomes NaN and is dropped from the pair.
    wide = rows.pivot_table(
        index="replication", columns="policy", values=kpi, aggfunc="first", dropna=False
    )
    return {p: wide[p].to_numpy(dtype=float) for p in policies if p in wide}


def kpi_table(exp: Loaded, point: int = 0, level: float = 0.95, firm: str | None = None) -> pd.DataFrame:
    """Mean, interval and N of each KPI per policy at one design point (one firm, by default the
    varied one).

    Shares get an interval inside [0, 1] (:func:`~simulator.experiments.stats.kpi_interval`),
    the other KPIs the t-interval.
    """
    rows = exp.firm_rows(firm)
    rows = rows[rows["point"] == point]
    out = []
    for kpi in KPI_NAMES:
        if kpi not in rows:
            continue
        for pol, x in _samples(rows, kpi, exp.policies).items():
            iv = kpi_interval(kpi, x, level)
            out.append({"kpi": kpi, "policy": pol, **iv.as_dict()})
    return pd.DataFrame(out)


def differences(
    exp: Loaded, point: int = 0, level: float = 0.95, firm: str | None = None
) -> pd.DataFrame:
    """Paired differences (later policy minus earlier) per KPI at one point, Bonferroni-adjusted."""
    rows = exp.firm_rows(firm)
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
    exp: Loaded, a: str, b: str, kpi: str | None = None, firm: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Differences ``b - a`` as (replications x points) and the point numbers, in point order."""
    kpi = kpi or exp.kpi
    rows = exp.firm_rows(firm)
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
    exp: Loaded, a: str, b: str, kpi: str | None = None, level: float = 0.95, firm: str | None = None
) -> pd.DataFrame:
    """Per point: swept values and the paired difference ``b - a`` with its t-interval."""
    d, points = difference_matrix(exp, a, b, kpi, firm)
    vals = exp.index.drop_duplicates("point").set_index("point")
    out = []
    for j, p in enumerate(points):
        iv = t_interval(d[:, j], level)
        out.append(
            {"point": int(p), **{q: float(vals.loc[p, q]) for q in exp.parameters}, **iv.as_dict()}
        )
    return pd.DataFrame(out)


def tipping(
    exp: Loaded, a: str, b: str, kpi: str | None = None, level: float = 0.95, firm: str | None = None
) -> TippingPoint | None:
    """Where ``b - a`` crosses zero along the only swept parameter (None for other designs).

    Points are sorted by the parameter; with a Latin hypercube they are scattered but still one
    value each, so the same curve applies.
    """
    if len(exp.parameters) != 1:
        return None
    d, points = difference_matrix(exp, a, b, kpi, firm)
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


# --- the answer first: headlines ---------------------------------------------------------------


@dataclass(frozen=True)
class Aspect:
    """One thing a team asks about (profit, quality ...), the KPI that measures it and its sense.

    Attributes:
        name: what the team calls it.
        candidates: KPI keys that measure it, best first (the first one the index has is used).
        lower_is_better: per candidate, whether less is better (cost, defects, lead time).
    """

    name: str
    candidates: tuple[str, ...]
    lower_is_better: tuple[bool, ...]


HEADLINE: tuple[Aspect, ...] = (
    Aspect("profit", ("profit",), (False,)),
    Aspect("quality", ("defect_ppm",), (True,)),
    Aspect("cost", ("cost_per_unit",), (True,)),
    Aspect("delivery", ("otif", "mean_lead_time_days"), (False, True)),
    Aspect("market share", ("market_share",), (False,)),
)
"""The headline: the four KPIs teams ask for (profit, quality, cost, delivery) and market share."""


def headline(exp: Loaded, point: int = 0, firm: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """Which policy (or scenario) wins on each headline aspect for one firm, by how much, and whether
    that holds up.

    The winner has the best mean; its lead is the paired difference to the runner-up over the
    replications, with a t-interval and a paired t-test. Both are Bonferroni-corrected for every
    comparison the headline makes (aspects measured x pairs of policies), so the headline as a whole
    errs with probability at most ``1 - level``. One row per aspect, tidy:

    ``aspect, kpi, lower_is_better, winner, runner_up, lead, low, high, p_value, comparisons,
    level, significant, n`` and one ``mean:LABEL`` column per policy. ``kpi`` is None (and the rest
    empty) when the index does not measure the aspect; ``winner`` is None when every replication
    gave every policy the same value.
    """
    rows = exp.firm_rows(firm)
    rows = rows[rows["point"] == point]
    pols = exp.policies
    measured: list[tuple[Aspect, str, bool]] = []
    for a in HEADLINE:
        for key, lower in zip(a.candidates, a.lower_is_better, strict=True):
            if key in rows and rows[key].notna().any():
                measured.append((a, key, lower))
                break
    pairs = max(1, len(pols) * (len(pols) - 1) // 2)
    comparisons = max(1, len(measured) * pairs)
    out: list[dict[str, Any]] = []
    for a in HEADLINE:
        found = next(((k, lo) for x, k, lo in measured if x is a), None)
        if found is None:
            out.append({"aspect": a.name, "kpi": None})
            continue
        key, lower = found
        samples = _samples(rows, key, pols)
        means = {
            p: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for p, v in samples.items()
        }
        row: dict[str, Any] = {
            "aspect": a.name,
            "kpi": key,
            "lower_is_better": lower,
            **{f"mean:{p}": means.get(p, math.nan) for p in pols},
        }
        ranked = sorted((p for p in pols if np.isfinite(means.get(p, math.nan))), key=lambda p: means[p])
        if not lower:
            ranked.reverse()
        if len(ranked) < 2:
            out.append({**row, "winner": ranked[0] if ranked else None})
            continue
        best, second = ranked[0], ranked[1]
        # the winner's lead, signed so that a positive lead is better for the winner: the runner-up
        # minus the winner where less is better, the winner minus the runner-up where more is
        a_s, b_s = (samples[best], samples[second]) if lower else (samples[second], samples[best])
        d = paired_difference(a_s, b_s, level, comparisons, (second, best))
        iv = d.interval
        lead, low, high = iv.mean, iv.low, iv.high
        tie = bool(iv.sd == 0 and iv.mean == 0)
        out.append(
            {
                **row,
                "winner": None if tie else best,
                "runner_up": second,
                "lead": lead,
                "low": low,
                "high": high,
                "p_value": d.p_value,
                "comparisons": comparisons,
                "level": iv.level,
                "significant": bool(not tie and iv.n >= 2 and low > 0),
                "n": iv.n,
            }
        )
    return pd.DataFrame(out)


def baseline_value(exp: Loaded, parameter: str | None = None) -> float | None:
    """The swept parameter's value in the scenario as written (today's market), if it has one."""
    path = parameter or (exp.parameters[0] if exp.parameters else None)
    if path is None:
        return None
    node: Any = exp.manifest["scenario"]
    parts = path.split(".")
    for i, part in enumerate(parts):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, list) and i > 0 and parts[i - 1] == "firms":
            node = next((f for f in node if isinstance(f, dict) and f.get("name") == part), None)
            if node is None:
                return None
        else:
            return None
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


@dataclass(frozen=True)
class SweepAnswer:
    """What a one-parameter sweep says about one KPI of the varied firm.

    Attributes:
        kpi: the KPI.
        a: the policy the difference is taken from.
        b: the policy the difference is taken to (``b - a``).
        parameter: the swept parameter.
        low: the swept range's low end.
        high: the swept range's high end.
        tip: where the mean difference crosses zero, with its bootstrap interval (estimate None: no
            sign change in the range).
        ahead_low: who is ahead at the range's low end (None: tied).
        ahead_high: who is ahead at the range's high end.
        today: the parameter's value in the scenario as written (None if it has none).
        today_difference: the mean difference ``b - a`` there (interpolated), with its interval at
            the nearest point (``today_low``, ``today_high``).
    """

    kpi: str
    a: str
    b: str
    parameter: str
    low: float
    high: float
    tip: TippingPoint | None
    ahead_low: str | None
    ahead_high: str | None
    today: float | None
    today_difference: float | None
    today_low: float | None
    today_high: float | None
    lower_is_better: bool


def sweep_answer(exp: Loaded, kpi: str | None = None, level: float = 0.95) -> SweepAnswer | None:
    """The tipping point of ``b - a`` (the first two policies) along the only swept parameter, who
    leads at each end, and where today's market sits. None for other designs."""
    if len(exp.parameters) != 1 or len(exp.policies) < 2:
        return None
    kpi = kpi or exp.kpi
    if kpi not in exp.index:
        return None
    lower = any(kpi in a.candidates and a.lower_is_better[a.candidates.index(kpi)] for a in HEADLINE)
    a, b = exp.policies[:2]
    p = exp.parameters[0]
    curve = difference_curve(exp, a, b, kpi, level).sort_values(p)
    if curve.empty:
        return None
    x = curve[p].to_numpy(dtype=float)
    y = curve["mean"].to_numpy(dtype=float)

    def ahead(v: float) -> str | None:
        if not np.isfinite(v) or v == 0:
            return None
        return (a if v > 0 else b) if lower else (b if v > 0 else a)

    tip = tipping(exp, a, b, kpi, level)
    signs = np.sign(y[np.isfinite(y) & (y != 0)])
    if (
        tip is not None
        and tip.estimate is not None
        and not (signs.size and signs.min() < 0 < signs.max())
    ):
        # the mean difference touches zero (say both policies deliver every order on time) but never
        # changes sign: no policy overtakes the other, so there is no tipping point
        tip = dataclasses.replace(tip, estimate=None, low=None, high=None)
    today = baseline_value(exp)
    t_diff = t_low = t_high = None
    if today is not None and x[0] <= today <= x[-1] and np.isfinite(y).all():
        t_diff = float(np.interp(today, x, y))
        j = int(np.argmin(np.abs(x - today)))
        t_low, t_high = float(curve["low"].iloc[j]), float(curve["high"].iloc[j])
    return SweepAnswer(
        kpi,
        a,
        b,
        p,
        float(x[0]),
        float(x[-1]),
        tip,
        ahead(float(y[0])),
        ahead(float(y[-1])),
        today,
        t_diff,
        t_low,
        t_high,
        lower,
    )


SOBOL_MIN_N = 256
"""Base sample below which Sobol indices are flagged (Saltelli et al. 2010 use hundreds to
thousands; the bootstrap intervals say how far a given N is from that)."""


def sobol_warning(exp: Loaded, table: pd.DataFrame | None) -> str | None:
    """A warning when a Sobol design is too small for its indices (None when they look sound).

    Flags a base sample under :data:`SOBOL_MIN_N`, an index outside [0, 1] beyond its interval,
    or a 95% interval wider than ±0.1.
    """
    if table is None or table.empty:
        return None
    n = int(exp.manifest["spec"]["design"]["points"])
    widest = float(np.nanmax(table[["S1_conf", "ST_conf"]].to_numpy()))
    vals = table[["S1", "ST"]].to_numpy(dtype=float)
    outside = bool(((vals < -0.05) | (vals > 1.05)).any())
    if n >= SOBOL_MIN_N and widest <= 0.1 and not outside:
        return None
    reasons = []
    if n < SOBOL_MIN_N:
        reasons.append(f"the base sample is N = {n} (use at least {SOBOL_MIN_N})")
    if widest > 0.1:
        reasons.append(f"their 95% intervals are as wide as ±{widest:.2g}")
    if outside:
        reasons.append("some fall outside [0, 1], where indices must lie")
    return (
        "Warning: this design is too small for its Sobol indices: "
        + "; ".join(reasons)
        + ". Read them as noise, not as a ranking of the parameters."
    )
