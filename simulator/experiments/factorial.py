"""Factorial designs: the pure policy effect, the other factor's effect and their interaction.

A strategy is often sold as a bundle: "pull, ethically sourced, a little dearer". Comparing the
bundle with the conventional firm tells you whether the bundle wins, not whether the supply chain
does. A factorial design runs every policy with every level of the second factor (product
positioning, market, ...) on the same replication seeds, so each replication gives a full table
``y[policy, level]`` under common random numbers, and the differences are paired:

- the **pure policy effect at a level**: ``y[b, l] - y[a, l]`` (the product held fixed);
- the **policy effect** (main effect): the mean of the pure effects over the levels;
- the **factor's effect at a policy** ``y[p, m] - y[p, l]`` and its main effect over the policies;
- the **interaction**: the difference of differences ``(y[b, m] - y[a, m]) - (y[b, l] - y[a, l])``,
  how much the policy effect changes from level ``l`` to ``m`` (zero: the effects add up);
- the **bundle**: ``y[b, m] - y[a, l]``, what the old comparison measured (policy and factor at
  once); it equals the policy effect at ``l`` plus the factor's effect at ``b``.

Effects are against the first policy and the first level (the reference). Each gets a paired
t-interval over replications (Montgomery, *Design and Analysis of Experiments*, ch. 5-6, for the
effects; Law, *Simulation Modeling and Analysis*, ch. 11, for common random numbers). Along a swept
parameter, the pure policy effect at each level is a curve whose zero is found with the bootstrap
interval of :func:`simulator.experiments.stats.tipping_point`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from simulator.experiments.analysis import Loaded
from simulator.experiments.stats import t_interval, tipping_point
from simulator.rng import Streams

EFFECT_COLUMNS = (
    "effect",
    "contrast",
    "policy",
    "level",
    "mean",
    "low",
    "high",
    "n",
)


def is_factorial(exp: Loaded) -> bool:
    """Whether the experiment crossed its policies with a second factor."""
    return bool(exp.manifest["spec"].get("cells"))


def structure(exp: Loaded) -> tuple[str, list[str], list[str], dict[tuple[str, str], str]]:
    """(factor name, policy labels, level labels, run label by (policy, level))."""
    spec = exp.manifest["spec"]
    cells = {lab: tuple(pl) for lab, pl in spec["cells"].items()}
    policies = list(dict.fromkeys(p for p, _ in cells.values()))
    levels = list(dict.fromkeys(lv for _, lv in cells.values()))
    by = {(p, lv): lab for lab, (p, lv) in cells.items()}
    return str(spec["factor"]["name"]), policies, levels, by


def cube(exp: Loaded, kpi: str, point: int) -> np.ndarray:
    """The KPI of the varied firm as an array (policies, levels, replications) at one point."""
    _, policies, levels, by = structure(exp)
    rows = exp.firm_rows()
    rows = rows[rows["point"] == point]
    wide = rows.pivot_table(index="replication", columns="policy", values=kpi, aggfunc="first")
    reps = np.arange(int(exp.manifest["replications"]))
    wide = wide.reindex(reps)
    out = np.full((len(policies), len(levels), len(reps)), np.nan)
    for i, p in enumerate(policies):
        for j, lv in enumerate(levels):
            lab = by[(p, lv)]
            if lab in wide:
                out[i, j] = wide[lab].to_numpy(dtype=float)
    return out


def contrasts(y: np.ndarray, policies: list[str], levels: list[str]) -> list[dict[str, Any]]:
    """Every effect as per-replication differences, against the first policy and the first level.

    ``y`` has shape (policies, levels, replications); each entry of the result carries the
    replications' values of that contrast in ``values``.
    """
    a, l0 = policies[0], levels[0]
    out: list[dict[str, Any]] = []
    for i in range(1, len(policies)):
        b = policies[i]
        pure = y[i] - y[0]  # (levels, reps)
        for j, lv in enumerate(levels):
            out.append(
                {
                    "effect": "pure policy effect",
                    "contrast": f"{b} - {a} at {lv}",
                    "policy": b,
                    "level": lv,
                    "values": pure[j],
                }
            )
        out.append(
            {
                "effect": "policy effect (main)",
                "contrast": f"{b} - {a}, mean over levels",
                "policy": b,
                "level": "",
                "values": pure.mean(axis=0),
            }
        )
    for j in range(1, len(levels)):
        m = levels[j]
        fac = y[:, j] - y[:, 0]  # (policies, reps)
        for i, p in enumerate(policies):
            out.append(
                {
                    "effect": "factor effect",
                    "contrast": f"{m} - {l0} under {p}",
                    "policy": p,
                    "level": m,
                    "values": fac[i],
                }
            )
        out.append(
            {
                "effect": "factor effect (main)",
                "contrast": f"{m} - {l0}, mean over policies",
                "policy": "",
                "level": m,
                "values": fac.mean(axis=0),
            }
        )
    for i in range(1, len(policies)):
        for j in range(1, len(levels)):
            b, m = policies[i], levels[j]
            out.append(
                {
                    "effect": "interaction",
                    "contrast": f"({b} - {a}) at {m} minus at {l0}",
                    "policy": b,
                    "level": m,
                    "values": (y[i, j] - y[0, j]) - (y[i, 0] - y[0, 0]),
                }
            )
            out.append(
                {
                    "effect": "bundle",
                    "contrast": f"{b} at {m} - {a} at {l0}",
                    "policy": b,
                    "level": m,
                    "values": y[i, j] - y[0, 0],
                }
            )
    return out


def effects(exp: Loaded, kpi: str | None = None, point: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Tidy table of every effect at one design point: mean, paired t-interval, N."""
    kpi = kpi or exp.kpi
    _, policies, levels, _ = structure(exp)
    rows = []
    for c in contrasts(cube(exp, kpi, point), policies, levels):
        v = np.asarray(c.pop("values"), dtype=float)
        iv = t_interval(v[~np.isnan(v)], level)
        rows.append({**c, "mean": iv.mean, "low": iv.low, "high": iv.high, "n": iv.n})
    df = pd.DataFrame(rows, columns=list(EFFECT_COLUMNS))
    df.insert(0, "kpi", kpi)
    df.insert(0, "point", point)
    return df


def effect_curves(exp: Loaded, kpi: str | None = None, level: float = 0.95) -> pd.DataFrame:
    """:func:`effects` at every design point, with the swept values as columns."""
    frames = []
    for p in exp.manifest["points"]:
        df = effects(exp, kpi, int(p["point"]), level)
        for k, v in p["values"].items():
            df[k] = v
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def policy_tipping(exp: Loaded, kpi: str | None = None) -> pd.DataFrame:
    """Where the pure policy effect (each level) and the main effects change sign along the one
    swept parameter, with bootstrap intervals; empty without exactly one swept parameter."""
    kpi = kpi or exp.kpi
    if len(exp.parameters) != 1:
        return pd.DataFrame()
    _, policies, levels, _ = structure(exp)
    pts = sorted(exp.manifest["points"], key=lambda p: p["values"][exp.parameters[0]])
    x = np.array([p["values"][exp.parameters[0]] for p in pts])
    per_point = [contrasts(cube(exp, kpi, int(p["point"])), policies, levels) for p in pts]
    rng = Streams(int(exp.manifest["spec"]["seed"])).get("factorial-bootstrap")
    out = []
    for k, c in enumerate(per_point[0]):
        if c["effect"] == "bundle":
            continue
        d = np.column_stack([pp[k]["values"] for pp in per_point])  # (reps, points)
        tip = tipping_point(x, d, rng)
        mean = np.nanmean(d, axis=0)
        found = tip.estimate is not None
        out.append(
            {
                "effect": c["effect"],
                "contrast": c["contrast"],
                "at_low": float(mean[0]),
                "at_high": float(mean[-1]),
                "tipping_point": tip.estimate,
                "low": tip.low if found else None,
                "high": tip.high if found else None,
                "share_with_crossing": tip.share_with_crossing,
            }
        )
    return pd.DataFrame(out)


def effects_figure(exp: Loaded, curves: pd.DataFrame, path: Path) -> Path:
    """Pure policy effect at each level, the main effects and the interaction along the sweep."""
    param = exp.parameters[0]
    kpi = str(curves["kpi"].iloc[0])
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    styles = {
        "pure policy effect": "-",
        "factor effect (main)": "--",
        "interaction": ":",
        "bundle": "-.",
    }
    for (effect, contrast), g in curves.groupby(["effect", "contrast"], sort=False):
        if effect not in styles:
            continue
        g = g.sort_values(param)
        x = g[param].to_numpy(dtype=float)
        (line,) = ax.plot(x, g["mean"], styles[str(effect)], marker="o", ms=3, label=str(contrast))
        if effect == "pure policy effect":
            ax.fill_between(x, g["low"], g["high"], color=line.get_color(), alpha=0.15)
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xlabel(param.rsplit(".", 1)[-1].replace("_", " "))
    ax.set_ylabel(f"difference in {kpi}")
    ax.set_title("Policy, factor and interaction effects (bands: 95% paired intervals)")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def tipping_sentence(row: pd.Series, param: str) -> str:
    """One line saying where (if anywhere) an effect changes sign."""
    name = param.rsplit(".", 1)[-1].replace("_", " ")
    if row["tipping_point"] is None or pd.isna(row["tipping_point"]):
        sign = "positive" if row["at_low"] > 0 else "negative"
        return (
            f"{row['contrast']}: no sign change over the swept {name} ({sign} throughout; "
            f"{row['at_low']:,.0f} at the low end, {row['at_high']:,.0f} at the high end)"
        )
    iv = (
        f" (95% bootstrap interval {row['low']:.3g} to {row['high']:.3g}, crossing in "
        f"{row['share_with_crossing']:.0%} of resamples)"
        if row["low"] is not None and not pd.isna(row["low"])
        else ""
    )
    return f"{row['contrast']}: changes sign at {name} = {row['tipping_point']:.3g}{iv}"


def report_parts(exp: Loaded, figs: Path) -> dict[str, Any]:
    """The decomposition section of a report: title, text lines, tables and figures."""
    factor, policies, levels, _ = structure(exp)
    kpi = exp.kpi
    text = [
        f"Factorial design: {len(policies)} policies ({', '.join(policies)}) x {len(levels)} "
        f"levels of {factor} ({', '.join(levels)}), every cell on the same seeds. The **pure policy "
        f"effect** holds the {factor} fixed; the **{factor} effect** holds the policy fixed; the "
        "**interaction** is how much the policy effect changes with the level (difference of "
        "differences); the **bundle** is the old comparison that changed both at once. Paired "
        f"t-intervals (95%) over replications; effects on {kpi} of {exp.firm}, against "
        f"{policies[0]} and {levels[0]}.",
    ]
    tables: list[tuple[str, pd.DataFrame]] = []
    figures: list[tuple[str, Path]] = []
    cols = ["effect", "contrast", "mean", "low", "high", "n"]
    if not exp.parameters:
        tables.append((f"Effects on {kpi}", effects(exp)[cols]))
    else:
        curves = effect_curves(exp)
        shown = curves[curves["effect"] != "factor effect"]
        tables.append((f"Effects on {kpi} per point", shown[["point", *exp.parameters, *cols]]))
        if len(exp.parameters) == 1:
            tips = policy_tipping(exp)
            text += [f"- {tipping_sentence(r, exp.parameters[0])}" for _, r in tips.iterrows()]
            tables.append(("Where each effect changes sign", tips))
            figures.append(
                (
                    "Effects along the sweep",
                    effects_figure(exp, curves, figs / "factorial_effects.png"),
                )
            )
    return {
        "title": f"Decomposition: policy, {factor} and interaction",
        "text": text,
        "tables": tables,
        "figures": figures,
    }
