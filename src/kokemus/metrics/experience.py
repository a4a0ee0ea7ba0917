"""Long-run experience index versus point-in-time satisfaction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._util import as_float

__all__ = ["ExperienceIndex", "experience_index", "Trajectories", "trajectories"]


@dataclass(frozen=True)
class ExperienceIndex:
    """Experience index and point-in-time satisfaction at each time in ``at``."""

    at: np.ndarray
    index: np.ndarray
    se: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n_eff: np.ndarray
    satisfaction: np.ndarray
    satisfaction_low: np.ndarray
    satisfaction_high: np.ndarray
    satisfaction_n: np.ndarray
    half_life: float
    level: float


def _t_interval(mean, se, df, level):
    with np.errstate(invalid="ignore"):
        t = stats.t.ppf(0.5 + level / 2.0, np.where(df > 0, df, np.nan))
    return mean - t * se, mean + t * se


def experience_index(
    values: ArrayLike,
    times: ArrayLike,
    half_life: float,
    at: ArrayLike | None = None,
    window: float | None = None,
    level: float = 0.95,
) -> ExperienceIndex:
    r"""Exponentially weighted experience index with an interval.

    Parameters
    ----------
    values : array_like
        Score per response.
    times : array_like
        Time of each response as numbers (e.g. days since an epoch).
    half_life : float
        Age (in the units of ``times``) at which a response counts half.
    at : array_like, optional
        Times at which to evaluate; default the time of the latest response.
        Only responses at or before each time are used.
    window : float, optional
        Width of the point-in-time satisfaction window ending at ``at``
        (responses with :math:`a - \text{window} < t \le a`); default
        ``half_life``.
    level : float
        Confidence level.

    Returns
    -------
    ExperienceIndex
        The index (weighted mean) with SE and t interval on Kish's effective
        sample size, next to the unweighted mean of the recent window.

    Notes
    -----
    Weights :math:`w_i = 2^{-(a - t_i)/h}`;
    :math:`\hat\mu = \sum w_i y_i / \sum w_i`;
    :math:`n_\text{eff} = (\sum w_i)^2 / \sum w_i^2`;
    :math:`s^2 = \frac{n_\text{eff}}{n_\text{eff} - 1}
    \frac{\sum w_i (y_i - \hat\mu)^2}{\sum w_i}`;
    :math:`\mathrm{SE} = s/\sqrt{n_\text{eff}}`, interval with
    :math:`t_{n_\text{eff} - 1}`.

    References
    ----------
    .. [1] Hunter, J. S. (1986). The exponentially weighted moving average.
       *J. Quality Technology*, 18(4), 203–210.
    .. [2] Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size).
    """
    if half_life <= 0:
        raise ValueError("half_life must be positive")
    y = as_float(values).ravel()
    t = as_float(times).ravel()
    if y.shape != t.shape:
        raise ValueError("values and times must have the same length")
    a = np.atleast_1d(as_float(t.max() if at is None else at))
    win = half_life if window is None else float(window)
    idx = np.full(a.shape, np.nan)
    se = np.full(a.shape, np.nan)
    neff = np.zeros(a.shape)
    sat = np.full(a.shape, np.nan)
    sat_se = np.full(a.shape, np.nan)
    sat_n = np.zeros(a.shape)
    for k, ak in enumerate(a):
        past = t <= ak
        if not past.any():
            continue
        w = np.exp2(-(ak - t[past]) / half_life)
        yy = y[past]
        sw = w.sum()
        mu = (w * yy).sum() / sw
        ne = sw * sw / (w * w).sum()
        idx[k], neff[k] = mu, ne
        if ne > 1:
            s2 = ne / (ne - 1) * (w * (yy - mu) ** 2).sum() / sw
            se[k] = np.sqrt(s2 / ne)
        recent = yy[t[past] > ak - win]
        sat_n[k] = len(recent)
        if len(recent):
            sat[k] = recent.mean()
        if len(recent) > 1:
            sat_se[k] = recent.std(ddof=1) / np.sqrt(len(recent))
    low, high = _t_interval(idx, se, neff - 1, level)
    slow, shigh = _t_interval(sat, sat_se, sat_n - 1, level)
    return ExperienceIndex(
        at=a,
        index=idx,
        se=se,
        low=low,
        high=high,
        n_eff=neff,
        satisfaction=sat,
        satisfaction_low=slow,
        satisfaction_high=shigh,
        satisfaction_n=sat_n,
        half_life=float(half_life),
        level=level,
    )


@dataclass(frozen=True)
class Trajectories:
    """Per-respondent trajectories and the mean within-person change.

    Per token: ``n`` responses, ``first``/``last`` score, ``change`` = last −
    first, ``slope`` (OLS score per time unit; NaN with fewer than two distinct
    times). ``mean_change`` is averaged over respondents with n ≥ 2, with a
    paired t interval.
    """

    tokens: np.ndarray
    n: np.ndarray
    first: np.ndarray
    last: np.ndarray
    change: np.ndarray
    slope: np.ndarray
    mean_change: float
    mean_change_low: float
    mean_change_high: float
    repeat_respondents: int


def trajectories(
    tokens: ArrayLike, times: ArrayLike, values: ArrayLike, level: float = 0.95
) -> Trajectories:
    r"""Trajectories of repeat respondents identified by a respondent token.

    Parameters
    ----------
    tokens : array_like
        Pseudonymous respondent token per response.
    times : array_like
        Numeric time per response.
    values : array_like
        Score per response.
    level : float
        Confidence level for the mean change.

    Returns
    -------
    Trajectories

    Notes
    -----
    :math:`\Delta_r = y_{r,\text{last}} - y_{r,\text{first}}`;
    :math:`\bar\Delta \pm t_{R-1} s_\Delta/\sqrt R` over the R repeat
    respondents (paired comparison); per-respondent slope
    :math:`\sum (t - \bar t)(y - \bar y) / \sum (t - \bar t)^2`.

    References
    ----------
    .. [1] Singer, J. D. & Willett, J. B. (2003). *Applied Longitudinal Data
       Analysis*. Oxford University Press, ch. 2 (individual growth trajectories).
    """
    tok = np.asarray(tokens)
    t = as_float(times)
    y = as_float(values)
    order = np.lexsort((t, tok))
    tok, t, y = tok[order], t[order], y[order]
    labels, start, counts = np.unique(tok, return_index=True, return_counts=True)
    end = start + counts - 1
    inv = np.repeat(np.arange(len(labels)), counts)

    def total(w: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=w, minlength=len(labels))

    tbar = total(t) / counts
    ybar = total(y) / counts
    stt = total((t - tbar[inv]) ** 2)
    sty = total((t - tbar[inv]) * (y - ybar[inv]))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(stt > 0, sty / stt, np.nan)
    change = y[end] - y[start]
    rep = counts >= 2
    r = int(rep.sum())
    mean_change = float(change[rep].mean()) if r else float("nan")
    if r > 1:
        half = stats.t.ppf(0.5 + level / 2.0, r - 1) * change[rep].std(ddof=1) / np.sqrt(r)
    else:
        half = float("nan")
    return Trajectories(
        tokens=labels,
        n=counts,
        first=y[start],
        last=y[end],
        change=np.where(rep, change, np.nan),
        slope=slope,
        mean_change=mean_change,
        mean_change_low=mean_change - half,
        mean_change_high=mean_change + half,
        repeat_respondents=r,
    )
