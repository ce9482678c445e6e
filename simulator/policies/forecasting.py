"""Forecasting: tomorrow's daily demand, and how unsure we are, from a series of past days.

Picture the planner's spreadsheet of daily sales. A moving average reads the last few weeks and
takes their mean, with their standard deviation as the spread; exponential smoothing keeps one
running level that each new day pulls towards itself by a share ``alpha``, and measures its spread
by how far each day's one-step-ahead forecast missed. Either way the result is a :class:`Forecast`
of one day's demand, which :meth:`Forecast.over` stretches to a cover of several days assuming
independent days (mean times days, standard deviation times the square root of days).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter


@dataclass(frozen=True)
class Forecast:
    """Forecast distribution of demand: mean and standard deviation (units) over ``days`` days."""

    mean: float
    sd: float
    method: str
    days: float = 1.0

    def over(self, days: float) -> Forecast:
        """The same daily forecast stretched to ``days`` days of independent demand."""
        scale = days / self.days
        return Forecast(self.mean * scale, self.sd * float(np.sqrt(scale)), self.method, days)


def moving_average(history: Sequence[float] | np.ndarray, window: int) -> Forecast:
    """Mean and sample standard deviation of the last ``window`` days (0, 0 with no history)."""
    x = np.asarray(history, dtype=float)[-window:]
    mean = float(x.mean()) if len(x) else 0.0
    sd = float(x.std(ddof=1)) if len(x) > 1 else 0.0
    return Forecast(mean, sd, f"moving average of {len(x)} days")


def exp_smoothing(history: Sequence[float] | np.ndarray, alpha: float, window: int) -> Forecast:
    """Simple exponential smoothing: level_t = alpha * x_t + (1 - alpha) * level_{t-1}.

    The level starts at the first day's demand. The standard deviation is the root mean square of
    the one-step-ahead errors ``x_t - level_{t-1}`` over the last ``window`` days, which for i.i.d.
    demand estimates sigma * sqrt(1 + alpha / (2 - alpha)) (the forecast's own noise included).
    """
    x = np.asarray(history, dtype=float)
    if len(x) == 0:
        return Forecast(0.0, 0.0, f"exponential smoothing (alpha {alpha:g})")
    # lfilter runs the recursion in C: y_t = alpha * x_t + (1 - alpha) * y_{t-1}, y_{-1} = x_0.
    level, _ = lfilter([alpha], [1.0, alpha - 1.0], x, zi=[(1.0 - alpha) * x[0]])
    errors = x[1:] - level[:-1]
    errors = errors[-window:]
    sd = float(np.sqrt(np.mean(errors**2))) if len(errors) else 0.0
    return Forecast(float(level[-1]), sd, f"exponential smoothing (alpha {alpha:g})")


def forecast(history: Sequence[float] | np.ndarray, method: str, window: int, alpha: float) -> Forecast:
    """The forecast of ``method`` (``moving_average`` or ``exp_smoothing``) from daily history."""
    if method == "moving_average":
        return moving_average(history, window)
    if method == "exp_smoothing":
        return exp_smoothing(history, alpha, window)
    raise ValueError(f"unknown forecast method {method!r}")
