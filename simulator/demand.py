"""Demand for one firm without a market: a firm's order history from a file, or generated.

Picture the sales office's export: one line per customer order with its date (or day number, or
time stamp), the variant and the quantity, perhaps how long the customer would wait.
:func:`load_demand_csv` reads such a file, whatever its separator, and checks every row, naming the
row of the first problems it finds. The generators give the textbook demand processes a planner
tests a policy against: i.i.d. normal, Poisson, AR(1) and seasonal; each takes its ``rng`` and
returns units per day, which :func:`daily_table` books as one order a day and :func:`unit_orders` as
one order per unit, at the day's start or at random times within it (continuous arrivals).

A demand table is tidy: one row per order with ``day`` (int, from 0), ``time`` (float days, in
``[day, day + 1)``: when within the day the order comes), ``variant`` (int index into the firm's
variants), ``quantity`` (int > 0 units; zero rows are dropped) and ``patience_days`` (float,
infinite when absent), sorted by time.
"""

from __future__ import annotations

import csv
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from simulator.scenario import ScenarioError

DEMAND_KINDS: tuple[str, ...] = ("normal", "poisson", "ar1", "seasonal")
DemandKind = Literal["normal", "poisson", "ar1", "seasonal"]
MAX_PROBLEMS = 10
"""Rows reported before the reader stops listing problems."""


class DemandError(ScenarioError):
    """A demand file that cannot be used; problems are ``(row N[.column], message)``."""


def _to_int(text: str) -> int:
    value = float(text)
    if not math.isfinite(value) or value != int(value):
        raise ValueError
    return int(value)


def _number(text: str, decimal_comma: bool) -> float:
    if decimal_comma:
        text = text.replace(",", ".")
    return float(text)


def sniff_delimiter(text: str) -> str:
    """The field separator of a CSV text: ``,``, ``;``, tab or ``|`` (a spreadsheet in a country
    that writes decimal commas exports ``;``), guessed from the first lines; ``,`` when unsure."""
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _when(text: str) -> datetime:
    """A date (YYYY-MM-DD) or a date and time (YYYY-MM-DD HH:MM[:SS], ``T`` allowed)."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is not None:
        value = value.replace(tzinfo=None)  # a file in one zone: its wall-clock times are the times
    return value


TIME_COLUMNS = ("date", "timestamp", "day")
"""Columns that say when an order came, in order of preference; a file has exactly one of them."""


def load_demand_csv(path: str | Path, variants: tuple[str, ...] | None = ("standard",)) -> pd.DataFrame:
    """Read and check a demand file (see the module docstring); raise :class:`DemandError`.

    The separator is sniffed (``,``, ``;``, tab or ``|``); with ``;``, tab or ``|`` numbers may
    use a decimal comma. Columns: when the order came, as ``date`` or ``timestamp`` (YYYY-MM-DD,
    or with a time of day: YYYY-MM-DD HH:MM[:SS]; day 0 is the first date's midnight) or ``day``
    (a number of days >= 0; a fraction is a time within the day, 2.25 is 6 a.m. on day 2);
    ``quantity`` (integer >= 0); optional ``variant`` (a name from ``variants`` or its index;
    default the first) and ``patience_days`` (>= 0). Rows are numbered as lines in the file, the
    header being row 1. ``variants`` None accepts any variant name (``marketsim check`` of a file
    without its firm).
    """
    from simulator.paths import check_input_file
    from simulator.resources import DEMAND_BYTES_PER_FILE_BYTE, max_input_bytes
    from simulator.schema import MAX_DAYS, MAX_MAGNITUDE

    p = Path(path)
    source = str(p)
    problem = check_input_file(p, max_input_bytes(DEMAND_BYTES_PER_FILE_BYTE))
    if problem:
        raise DemandError(source, [("", problem)])
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DemandError(source, [("", "file not found")]) from None
    except IsADirectoryError:
        raise DemandError(source, [("", "is a directory, not a file")]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise DemandError(source, [("", f"cannot read: {err}")]) from None
    delimiter = sniff_delimiter(text)
    decimal_comma = delimiter != ","
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader, [])]
    if not header or header == [""]:
        raise DemandError(
            source, [("row 1", "empty file: expected a header with date or day, quantity")]
        )
    given_times = [c for c in TIME_COLUMNS if c in header]
    missing = [c for c in ("quantity",) if c not in header]
    if not given_times:
        missing.insert(0, "date or day")
    if missing:
        raise DemandError(source, [("row 1", f"missing column {' and '.join(missing)}")])
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise DemandError(source, [("row 1", f"column {repeated[0]!r} appears more than once")])
    if len(given_times) > 1:
        raise DemandError(
            source, [("row 1", f"give one of the columns {' and '.join(given_times)}, not both")]
        )
    known = {*TIME_COLUMNS, "quantity", "variant", "patience_days"}
    unknown = [h for h in header if h not in known]
    if unknown:
        raise DemandError(
            source,
            [
                (
                    "row 1",
                    f"unknown column {unknown[0]!r} (known: {sorted(known)}; separator read as "
                    f"{delimiter!r})",
                )
            ],
        )
    col = {h: i for i, h in enumerate(header)}
    time_col = given_times[0]
    names = {v: i for i, v in enumerate(variants or ())}
    times: list[float] = []
    stamps: list[datetime] = []
    out_variant: list[int] = []
    quantity: list[int] = []
    patience: list[float] = []
    problems: list[tuple[str, str]] = []
    for row in reader:
        n = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue
        if len(problems) >= MAX_PROBLEMS:
            break
        if len(row) != len(header):
            problems.append((f"row {n}", f"expected {len(header)} columns, found {len(row)}"))
            continue
        cell = {h: row[i].strip() for h, i in col.items()}
        bad = next((h for h in ("quantity", time_col) if cell[h] == ""), None)
        if bad:
            problems.append((f"row {n}.{bad}", "missing value"))
            continue
        try:
            if time_col == "day":
                t = _number(cell["day"], decimal_comma)
                if not math.isfinite(t):
                    raise ValueError
                if t < 0:
                    problems.append((f"row {n}.day", f"must be >= 0, got {cell['day']}"))
                    continue
                if t >= MAX_DAYS + 1:
                    problems.append((f"row {n}.day", f"must be at most {MAX_DAYS:,}, got {t:,g}"))
                    continue
                times.append(t)
            else:
                stamps.append(_when(cell[time_col]))
        except ValueError:
            what = (
                "a number of days"
                if time_col == "day"
                else "a date (YYYY-MM-DD) or a date and time (YYYY-MM-DD HH:MM)"
            )
            problems.append((f"row {n}.{time_col}", f"{cell[time_col]!r} is not {what}"))
            continue
        try:
            q = _to_int(cell["quantity"])
        except ValueError:
            problems.append((f"row {n}.quantity", f"{cell['quantity']!r} is not a whole number"))
            continue
        if q < 0:
            problems.append((f"row {n}.quantity", f"must be >= 0, got {q}"))
            continue
        if q > MAX_MAGNITUDE:
            problems.append((f"row {n}.quantity", f"must be at most {MAX_MAGNITUDE:.0e}, got {q:g}"))
            continue
        v = 0
        if cell.get("variant"):
            name = cell["variant"]
            if variants is None:
                v = names.setdefault(name, len(names))
            elif name in names:
                v = names[name]
            elif name.isdigit() and int(name) < len(variants):
                v = int(name)
            else:
                problems.append(
                    (f"row {n}.variant", f"unknown variant {name!r} (firm makes {list(variants)})")
                )
                continue
        pat = math.inf
        if cell.get("patience_days"):
            try:
                pat = _number(cell["patience_days"], decimal_comma)
            except ValueError:
                pat = -1.0
            if not 0 <= pat <= MAX_MAGNITUDE:  # a finite number (leave it out for no limit)
                problems.append(
                    (f"row {n}.patience_days", f"{cell['patience_days']!r} is not a number >= 0")
                )
                continue
        out_variant.append(v)
        quantity.append(q)
        patience.append(pat)
    if problems:
        raise DemandError(source, problems)
    if not quantity:
        raise DemandError(source, [("", "no demand rows after the header")])
    if time_col != "day":
        first = datetime.combine(min(stamps).date(), datetime.min.time())
        times = [(s - first) / timedelta(days=1) for s in stamps]
        if max(times) >= MAX_DAYS + 1:
            last = max(stamps).date().isoformat()
            raise DemandError(
                source, [(time_col, f"spans more than {MAX_DAYS:,} days (to {last}): too long a run")]
            )
    return demand_table(
        np.asarray(times, dtype=np.float64),
        np.asarray(quantity, dtype=np.int64),
        np.asarray(out_variant, dtype=np.int16),
        np.asarray(patience, dtype=np.float64),
    )


def demand_table(
    time: np.ndarray,
    quantity: np.ndarray,
    variant: np.ndarray | None = None,
    patience_days: np.ndarray | None = None,
) -> pd.DataFrame:
    """A demand table from order times (days), quantities and optional variants and patience.

    Rows with quantity 0 are dropped; rows are sorted by time (stably: a file's order is kept
    among orders of the same time).
    """
    time = np.asarray(time, dtype=np.float64)
    n = len(time)
    table = pd.DataFrame(
        {
            "day": np.floor(time).astype(np.int64),
            "time": time,
            "variant": np.zeros(n, np.int16) if variant is None else np.asarray(variant, np.int16),
            "quantity": np.asarray(quantity, dtype=np.int64),
            "patience_days": np.full(n, np.inf)
            if patience_days is None
            else np.asarray(patience_days, np.float64),
        }
    )
    table = table[table["quantity"] > 0]
    return table.sort_values("time", kind="stable", ignore_index=True)


def generate_daily(
    kind: DemandKind,
    days: int,
    rng: np.random.Generator,
    mean: float = 100.0,
    sd: float = 10.0,
    phi: float = 0.5,
    amplitude: float = 0.3,
    period: float = 365.0,
) -> np.ndarray:
    """Units demanded on each of ``days`` days (integers >= 0).

    - ``normal``: i.i.d. N(mean, sd), rounded and cut at 0 (keep sd << mean for the textbook case);
    - ``poisson``: i.i.d. Poisson(mean);
    - ``ar1``: D_t = mean + phi (D_{t-1} - mean) + e_t with e_t ~ N(0, sd), started in the
      stationary law, rounded and cut at 0;
    - ``seasonal``: Poisson with mean ``mean * (1 + amplitude * sin(2 pi t / period))``.
    """
    if days <= 0:
        raise ValueError(f'"days" must be > 0, got {days}')
    if mean < 0 or sd < 0:
        raise ValueError("mean and sd must be >= 0")
    if kind == "normal":
        x = rng.normal(mean, sd, days)
    elif kind == "poisson":
        return rng.poisson(mean, days).astype(np.int64)
    elif kind == "ar1":
        if not -1.0 < phi < 1.0:
            raise ValueError(f'"phi" must be in (-1, 1) for a stationary AR(1), got {phi}')
        e = rng.normal(0.0, sd, days)
        x = np.empty(days)
        prev = rng.normal(0.0, sd / math.sqrt(1.0 - phi * phi))
        for t in range(days):
            prev = phi * prev + e[t]
            x[t] = mean + prev
    elif kind == "seasonal":
        if not 0.0 <= amplitude <= 1.0:
            raise ValueError(f'"amplitude" must be in [0, 1], got {amplitude}')
        if period <= 0:
            raise ValueError(f'"period" must be > 0, got {period}')
        tt = np.arange(days)
        return rng.poisson(mean * (1.0 + amplitude * np.sin(2.0 * np.pi * tt / period))).astype(np.int64)
    else:
        raise ValueError(f"unknown demand kind {kind!r}; choose one of {', '.join(DEMAND_KINDS)}")
    return np.maximum(np.rint(x), 0).astype(np.int64)


def daily_table(units: np.ndarray, variant: int = 0) -> pd.DataFrame:
    """A demand table with one order of ``units[d]`` units on each day ``d`` at its start (zero days
    omitted)."""
    units = np.asarray(units, dtype=np.int64)
    days = np.flatnonzero(units > 0)
    return demand_table(days.astype(np.float64), units[days], np.full(len(days), variant, np.int16))


ARRIVALS: tuple[str, ...] = ("daily", "continuous")
"""How generated units arrive within a day: all at the day's start (as the market books them) or
one by one at independent uniform times within the day."""


def unit_orders(
    units: np.ndarray, rng: np.random.Generator | None = None, variant: int = 0
) -> pd.DataFrame:
    """One single-unit order per unit of ``units[d]``: at the start of day ``d`` (``rng`` None) or
    at independent uniform times within it.

    Uniform times given a Poisson count are a Poisson process: ``poisson`` units a day spread this
    way are the arrivals of an M/./. queue at rate ``mean`` a day.
    """
    units = np.asarray(units, dtype=np.int64)
    day = np.repeat(np.arange(len(units), dtype=np.float64), units)
    time = day if rng is None else day + rng.random(len(day))
    return demand_table(time, np.ones(len(day), np.int64), np.full(len(day), variant, np.int16))


def units_per_day(table: pd.DataFrame, days: int) -> np.ndarray:
    """Total units demanded on each day ``0 .. days - 1``."""
    out = np.zeros(days, dtype=np.int64)
    inside = table[table["day"] < days]
    np.add.at(out, inside["day"].to_numpy(), inside["quantity"].to_numpy())
    return out
