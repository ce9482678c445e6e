"""The validation table as text, JSON, Markdown and a self-contained HTML page (with a figure).

The Markdown and HTML reports show the table grouped by case, each case with its title, its source,
the inputs its theory needs, how to run one replication with ``marketsim factory`` (the case's
scenario is written beside the report), and a figure of every quantity's relative error with its
99% interval against the case's bound.
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import os
from pathlib import Path
from typing import Any

from simulator.validate.cases import Case, catalogue
from simulator.validate.runner import Outcome, Row


def fmt(x: float, digits: int = 4) -> str:
    """A number with ``digits`` significant digits ("-" when missing)."""
    if x is None or not math.isfinite(x):
        return "-"
    return f"{x:.{digits}g}"


def verdict(row: Row) -> str:
    """pass / FAIL, marked when judged again (on the confirmation batch, or both batches pooled)."""
    word = "pass" if row.passed else "FAIL"
    return word + {0: "", 1: " (2nd batch)", 2: " (2 batches)"}[row.batch]


def table_rows(outcome: Outcome) -> list[list[str]]:
    """Header and rows of the table: case, quantity, mean, 99% interval, theory, error, verdict."""
    out = [["case", "quantity", "mean", "99% interval", "theory", "rel. error", "bound", "verdict"]]
    for r in outcome.rows:
        out.append(
            [
                r.case,
                r.quantity,
                fmt(r.mean, 5),
                f"[{fmt(r.ci_low, 5)}, {fmt(r.ci_high, 5)}]",
                fmt(r.theory, 5),
                "-" if not math.isfinite(r.rel_error) else f"{r.rel_error:+.2%}",
                f"{r.bound:.0%}",
                verdict(r),
            ]
        )
    return out


def summary_line(outcome: Outcome) -> str:
    n = len(outcome.rows)
    bad = [r for r in outcome.rows if not r.passed]
    mode = "quick" if outcome.quick else "full"
    cases = len(outcome.cases)
    head = f"{n - len(bad)} of {n} quantities in {cases} cases agree with theory"
    return f"{head} ({mode} run, seed {outcome.seed}, {outcome.seconds:.0f} s)"


def as_json(outcome: Outcome) -> str:
    """The rows as a JSON list of objects (``case``, ``params``, ``theory``, ``mean``, ``ci_low``,
    ``ci_high``, ``rel_error``, ``passed`` and the rest of each row)."""
    return json.dumps([r.as_json() for r in outcome.rows], indent=2, default=str)


def _markdown_table(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k} = {json.dumps(v, default=str)}" for k, v in params.items())


def _command(case: Case, scenario_file: str) -> str:
    if not case.command:
        return ""
    return f"marketsim factory {scenario_file} --firm Plant {case.command}"


def write_scenarios(outcome: Outcome, folder: Path) -> dict[str, str]:
    """Write each case's scenario (at the run's size) as TOML into ``folder``; name -> file."""
    import tomli_w

    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    cat = catalogue(outcome.quick)
    for name in outcome.cases:
        case = cat[name]
        path = folder / f"{name}.toml"
        data = case.build(case.size)
        _atomic_write(path, tomli_w.dumps(data))
        files[name] = str(path)
    return files


def _figure_png(outcome: Outcome) -> bytes:
    """Each quantity's relative error with its 99% interval, against its bound (shaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = outcome.rows
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(rows) + 1.2))
    ys = list(range(len(rows)))[::-1]
    for y, r in zip(ys, rows, strict=True):
        scale = abs(r.theory) or 1.0
        lo = (r.ci_low - r.theory) / scale
        hi = (r.ci_high - r.theory) / scale
        mid = (r.mean - r.theory) / scale
        colour = "tab:green" if r.passed else "tab:red"
        ax.fill_betweenx([y - 0.35, y + 0.35], -r.bound, r.bound, color="0.92", lw=0)
        if math.isfinite(lo) and math.isfinite(hi):
            ax.plot([lo, hi], [y, y], color=colour, lw=2)
        ax.plot([mid], [y], "o", color=colour, ms=4)
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_yticks(ys, [f"{r.case}: {r.quantity}" for r in rows], fontsize=7)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("(simulated - theory) / theory: mean and 99% interval; grey: the case's bound")
    ax.set_title(summary_line(outcome), fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def markdown(outcome: Outcome, scenario_files: dict[str, str] | None = None, figure: str = "") -> str:
    """The report as Markdown."""
    cat = catalogue(outcome.quick)
    parts = [
        "# Validation against theory",
        "",
        summary_line(outcome) + ".",
        "",
        "Each case is a scenario run by the code a user runs; each quantity is the mean over "
        "independent replications with its 99% Student t interval. A quantity passes when theory "
        "lies in the interval (give or take 0.2% for rounding) and the interval is no wider than the "
        "case's bound, relative to theory.",
        "",
    ]
    if figure:
        parts += [f"![relative errors]({figure})", ""]
    parts += [_markdown_table(table_rows(outcome)), ""]
    for name in outcome.cases:
        case = cat[name]
        size = case.size
        parts += [f"## {name}: {case.title}", "", f"Source: {case.source}.", ""]
        parts += [f"Inputs: {_params_text(case.params)}.", ""]
        parts += [
            f"Size: {size.replications} replications of {size.days} days, the first {size.warmup} cut.",
            "",
        ]
        if case.note:
            parts += [case.note, ""]
        if scenario_files and name in scenario_files:
            cmd = _command(case, scenario_files[name])
            parts += [
                f"Scenario: `{scenario_files[name]}`" + (f"; one replication: `{cmd}`" if cmd else ""),
                "",
            ]
        for r in (r for r in outcome.rows if r.case == name):
            parts.append(f"- **{r.quantity}**: {r.what}.")
        confirmed = [r for r in outcome.rows if r.case == name and r.first is not None]
        if confirmed:
            firsts = "; ".join(
                f"{r.quantity} {fmt(r.first[0], 5)} [{fmt(r.first[1], 5)}, {fmt(r.first[2], 5)}]"
                for r in confirmed
                if r.first is not None
            )
            parts.append(
                f"\nJudged again after the first batch ({firsts}): a quantity that missed theory on "
                "the confirmation batch alone, on independent seeds; one whose interval was too "
                "wide on both batches pooled."
            )
        parts.append("")
    return "\n".join(parts)


def html_page(outcome: Outcome, png: bytes, scenario_files: dict[str, str] | None = None) -> str:
    """The report as one self-contained HTML page (the figure inlined)."""
    cat = catalogue(outcome.quick)
    rows = table_rows(outcome)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = []
    for r, cells in zip(outcome.rows, rows[1:], strict=True):
        cls = "pass" if r.passed else "fail"
        tds = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
        body.append(f'<tr class="{cls}" title="{html.escape(r.what)}">{tds}</tr>')
    sections = []
    for name in outcome.cases:
        case = cat[name]
        size = case.size
        items = "".join(
            f"<li><b>{html.escape(r.quantity)}</b>: {html.escape(r.what)}</li>"
            for r in outcome.rows
            if r.case == name
        )
        run = ""
        if scenario_files and name in scenario_files:
            cmd = _command(case, scenario_files[name])
            run = f"<p>Scenario: <code>{html.escape(scenario_files[name])}</code>"
            run += f"; one replication: <code>{html.escape(cmd)}</code></p>" if cmd else "</p>"
        note = f"<p>{html.escape(case.note)}</p>" if case.note else ""
        sections.append(
            f"<h2>{html.escape(name)}: {html.escape(case.title)}</h2>"
            f"<p>Source: {html.escape(case.source)}.</p>"
            f"<p>Inputs: {html.escape(_params_text(case.params))}.</p>"
            f"<p>Size: {size.replications} replications of {size.days} days, the first "
            f"{size.warmup} cut.</p>{note}{run}<ul>{items}</ul>"
        )
    img = base64.b64encode(png).decode()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Validation against theory</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: right; }}
td:first-child, td:nth-child(2), th {{ text-align: left; }}
tr.fail td {{ background: #fdd; }} tr.pass td:last-child {{ color: #080; }}
code {{ background: #f4f4f4; padding: 1px 3px; }}
</style></head><body>
<h1>Validation against theory</h1>
<p><b>{html.escape(summary_line(outcome))}.</b></p>
<p>Each case is a scenario run by the code a user runs; each quantity is the mean over independent
replications with its 99% Student t interval. A quantity passes when theory lies in the interval
(give or take 0.2% for rounding) and the interval is no wider than the case's bound, relative to
theory.</p>
<img alt="relative errors with 99% intervals" src="data:image/png;base64,{img}">
<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>
{"".join(sections)}
</body></html>
"""


def _atomic_write(path: Path, text: str | bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(text, bytes):
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_report(outcome: Outcome, folder: Path) -> dict[str, Path]:
    """Write ``report.md``, ``report.html``, ``validation.json``, ``figures/errors.png`` and the
    cases' scenarios into ``folder`` (each file written whole, then renamed into place)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "figures").mkdir(exist_ok=True)
    files = write_scenarios(outcome, folder / "scenarios")
    rel = {k: os.path.relpath(v, folder) for k, v in files.items()}
    png = _figure_png(outcome)
    _atomic_write(folder / "figures" / "errors.png", png)
    _atomic_write(folder / "validation.json", as_json(outcome))
    _atomic_write(folder / "report.md", markdown(outcome, rel, "figures/errors.png"))
    _atomic_write(folder / "report.html", html_page(outcome, png, rel))
    return {
        "html": folder / "report.html",
        "markdown": folder / "report.md",
        "json": folder / "validation.json",
        "figure": folder / "figures" / "errors.png",
    }
