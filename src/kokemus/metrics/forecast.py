"""Trend forecasts with predictive probabilities, and sample sizes for power."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._util import as_float, squeeze

__all__ = ["Forecast", "trend_forecast", "sample_size_proportion", "sample_size_nps"]


@dataclass(frozen=True)
class Forecast:
    """Linear-trend forecast at ``at`` with prediction interval.

    ``probability`` is the predictive probability that the value observed at
    ``at`` meets the target (≥ for "increase", ≤ for "decrease"), or None
    without a target.
    """

    at: np.ndarray | np.floating
    mean: np.ndarray | np.floating
    se: np.ndarray | np.floating
    low: np.ndarray | np.floating
    high: np.ndarray | np.floating
    df: int
    slope: float
    intercept: float
    probability: np.ndarray | np.floating | None
    level: float


def trend_forecast(
    values: ArrayLike,
    at: ArrayLike,
    times: ArrayLike | None = None,
    target: float | None = None,
    direction: Literal["increase", "decrease"] = "increase",
    level: float = 0.80,
) -> Forecast:
    r"""Forecast a series by its linear trend, with the chance of meeting a target.

    Parameters
    ----------
    values : array_like
        Observed values (at least 3).
    at : array_like
        Time(s) to forecast, on the scale of ``times`` (default times are
        0 … n−1, so the next period is ``n``); the deadline for the target.
    times : array_like, optional
        Observation times.
    target : float, optional
        Goal for the value at ``at``.
    direction : {"increase", "decrease"}
        Whether the goal is to be at or above (increase) or at or below the target.
    level : float
        Prediction interval level.

    Returns
    -------
    Forecast

    Notes
    -----
    OLS fit :math:`y = a + b t`; residual SD :math:`s` on :math:`n-2` df.
    The prediction for a new observation at :math:`t_0` is
    :math:`\hat y_0 = a + b t_0` with

    .. math::

        \mathrm{SE}_\text{pred} = s\sqrt{1 + \frac1n
        + \frac{(t_0 - \bar t)^2}{\sum (t_i - \bar t)^2}},
        \qquad
        \frac{y_0 - \hat y_0}{\mathrm{SE}_\text{pred}} \sim t_{n-2},

    so :math:`P(y_0 \ge g) = 1 - F_{t_{n-2}}((g - \hat y_0)/\mathrm{SE}_\text{pred})`.
    This is a proper predictive probability: if the linear-trend model with
    normal errors holds, events forecast at 80 % happen 80 % of the time.

    References
    ----------
    .. [1] Montgomery, D. C., Peck, E. A. & Vining, G. G. (2012). *Introduction
       to Linear Regression Analysis*, 5th ed., Wiley, §2.5 (prediction of new
       observations).
    .. [2] Gneiting, T. & Katzfuss, M. (2014). Probabilistic forecasting.
       *Annual Review of Statistics and Its Application*, 1, 125–151.
    """
    y = as_float(values).ravel()
    t = np.arange(len(y), dtype=float) if times is None else as_float(times).ravel()
    if y.shape != t.shape:
        raise ValueError("values and times must have the same length")
    n = len(y)
    if n < 3:
        raise ValueError("need at least 3 observations for a trend with a prediction interval")
    if direction not in ("increase", "decrease"):
        raise ValueError("direction must be 'increase' or 'decrease'")
    tbar, ybar = t.mean(), y.mean()
    stt = ((t - tbar) ** 2).sum()
    if stt == 0:
        raise ValueError("times must vary")
    b = ((t - tbar) * (y - ybar)).sum() / stt
    a = ybar - b * tbar
    df = n - 2
    s = np.sqrt(((y - a - b * t) ** 2).sum() / df)
    t0 = as_float(at)
    mean = a + b * t0
    se = s * np.sqrt(1.0 + 1.0 / n + (t0 - tbar) ** 2 / stt)
    q = stats.t.ppf(0.5 + level / 2.0, df)
    prob = None
    if target is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (target - mean) / se
        prob = stats.t.sf(z, df) if direction == "increase" else stats.t.cdf(z, df)
        prob = squeeze(prob)
    return Forecast(
        at=squeeze(t0),
        mean=squeeze(mean),
        se=squeeze(se),
        low=squeeze(mean - q * se),
        high=squeeze(mean + q * se),
        df=df,
        slope=float(b),
        intercept=float(a),
        probability=prob,
        level=level,
    )


def sample_size_proportion(
    p1: ArrayLike, p2: ArrayLike, alpha: float = 0.05, power: float = 0.80
) -> np.ndarray | np.floating:
    r"""Responses per group to detect a change from ``p1`` to ``p2``.

    Parameters
    ----------
    p1, p2 : array_like
        Proportions before and after (or in the two groups).
    alpha : float
        Two-sided significance level.
    power : float
        Desired power.

    Returns
    -------
    ndarray or scalar
        Required n per group, not rounded (round up for planning).

    Notes
    -----
    .. math::

        n = \frac{\bigl[z_{1-\alpha/2}\sqrt{2\bar p\bar q}
        + z_{1-\beta}\sqrt{p_1q_1 + p_2q_2}\bigr]^2}{(p_1 - p_2)^2},
        \quad \bar p = (p_1 + p_2)/2,

    the same n that R's ``power.prop.test`` solves for.

    References
    ----------
    .. [1] Fleiss, J. L., Levin, B. & Paik, M. C. (2003). *Statistical Methods
       for Rates and Proportions*, 3rd ed., Wiley, §4.2 (eq. 4.14 without
       continuity correction).
    """
    a, b = np.broadcast_arrays(as_float(p1), as_float(p2))
    za = stats.norm.ppf(1.0 - alpha / 2.0)
    zb = stats.norm.ppf(power)
    pbar = (a + b) / 2.0
    num = za * np.sqrt(2.0 * pbar * (1 - pbar)) + zb * np.sqrt(a * (1 - a) + b * (1 - b))
    with np.errstate(divide="ignore"):
        return squeeze(num**2 / (a - b) ** 2)


def sample_size_nps(
    promoters: ArrayLike,
    detractors: ArrayLike,
    change: ArrayLike,
    alpha: float = 0.05,
    power: float = 0.80,
    promoters_after: ArrayLike | None = None,
    detractors_after: ArrayLike | None = None,
) -> np.ndarray | np.floating:
    r"""Responses per group to detect a change of ``change`` NPS points.

    Parameters
    ----------
    promoters, detractors : array_like
        Baseline shares (0–1) of promoters and detractors.
    change : array_like
        Change in NPS points to detect (e.g. 10).
    alpha, power : float
        Two-sided significance level and power.
    promoters_after, detractors_after : array_like, optional
        Shares after the change. By default half of the change comes from
        more promoters and half from fewer detractors.

    Returns
    -------
    ndarray or scalar
        Required n per group (not rounded).

    Notes
    -----
    Per-response variance of the ±1/0 NPS score:
    :math:`v = p + d - (p - d)^2`;
    :math:`n = (z_{1-\alpha/2} + z_{1-\beta})^2 (v_1 + v_2) / (\Delta/100)^2`.

    References
    ----------
    .. [1] Sauro, J. & Lewis, J. R. (2016). *Quantifying the User Experience*,
       2nd ed., Morgan Kaufmann, ch. 6–7 (sample size for comparing NPS).
    .. [2] Rocks, B. (2016). *The American Statistician*, 70(4), 365–372.
    """
    p1, d1, delta = np.broadcast_arrays(as_float(promoters), as_float(detractors), as_float(change))
    shift = delta / 100.0
    p2 = p1 + shift / 2.0 if promoters_after is None else as_float(promoters_after)
    d2 = d1 - shift / 2.0 if detractors_after is None else as_float(detractors_after)
    if np.any((p2 < 0) | (p2 > 1) | (d2 < 0) | (d2 > 1) | (p2 + d2 > 1)):
        raise ValueError("the implied shares after the change are impossible")
    # With explicit shares the detectable change is whatever they imply.
    shift = (p2 - d2) - (p1 - d1)
    v1 = p1 + d1 - (p1 - d1) ** 2
    v2 = p2 + d2 - (p2 - d2) ** 2
    z = stats.norm.ppf(1.0 - alpha / 2.0) + stats.norm.ppf(power)
    with np.errstate(divide="ignore"):
        return squeeze(z * z * (v1 + v2) / shift**2)
