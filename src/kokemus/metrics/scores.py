"""Survey scores with their uncertainty, computed from counts.

Every function takes counts (sufficient statistics), broadcasts over arrays and
returns an :class:`Estimate` whose fields are arrays of the broadcast shape (or
NumPy scalars when every input was a scalar).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._util import as_float, squeeze, wilson, z_value

__all__ = [
    "Estimate",
    "nps",
    "top_box",
    "proportion",
    "mean_from_counts",
    "mean_from_moments",
    "fft_positive",
    "smiley_index",
    "expectations_exceeded",
]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with standard error and a two-sided interval.

    ``value``, ``low`` and ``high`` are on the scale of the score (NPS points,
    a share in [0, 1], or the rating scale); ``n`` is the number of responses.
    """

    value: np.ndarray | np.floating
    se: np.ndarray | np.floating
    low: np.ndarray | np.floating
    high: np.ndarray | np.floating
    n: np.ndarray | np.floating
    level: float = 0.95

    def __float__(self) -> float:
        return float(self.value)


def _estimate(value, se, low, high, n, level) -> Estimate:
    return Estimate(
        value=squeeze(value),
        se=squeeze(se),
        low=squeeze(low),
        high=squeeze(high),
        n=squeeze(n),
        level=level,
    )


def nps(
    promoters: ArrayLike,
    passives: ArrayLike,
    detractors: ArrayLike,
    method: Literal["wald", "adjusted_wald"] = "wald",
    level: float = 0.95,
) -> Estimate:
    r"""Net Promoter Score with standard error and confidence interval.

    Parameters
    ----------
    promoters, passives, detractors : array_like
        Counts of answers 9–10, 7–8 and 0–6 on the 0–10 recommend scale.
        Broadcast against each other.
    method : {"wald", "adjusted_wald"}
        ``"wald"`` uses the observed shares. ``"adjusted_wald"`` first adds
        0.75 promoters, 1.5 passives and 0.75 detractors (3 pseudo-responses),
        which keeps the interval sensible for small samples and extreme scores.
    level : float
        Confidence level of the two-sided interval.

    Returns
    -------
    Estimate
        ``value`` and interval in NPS points (−100 … 100); ``n`` is the
        observed number of responses (without pseudo-counts).

    Notes
    -----
    With shares :math:`p = P/n` and :math:`d = D/n`,

    .. math::

        \mathrm{NPS} = 100\,(p - d), \qquad
        \operatorname{Var}(\mathrm{NPS}) = 100^2\,\frac{p + d - (p - d)^2}{n},

    and the interval is :math:`\mathrm{NPS} \pm z_{1-\alpha/2}\,\mathrm{SE}`.
    For the adjusted Wald variant :math:`P, A, D, n` are replaced by
    :math:`P + 0.75,\ A + 1.5,\ D + 0.75,\ n + 3`. Bounds are clipped to
    [−100, 100].

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score".
       *The American Statistician*, 70(4), 365–372.
    .. [2] Sauro, J. & Lewis, J. R. (2016). *Quantifying the User Experience*,
       2nd ed., Morgan Kaufmann (adjusted-Wald NPS interval).
    """
    prom, pas, det = np.broadcast_arrays(
        as_float(promoters), as_float(passives), as_float(detractors)
    )
    if np.any(prom < 0) or np.any(pas < 0) or np.any(det < 0):
        raise ValueError("counts must be non-negative")
    n_obs = prom + pas + det
    if method == "wald":
        p_c, d_c, n = prom, det, n_obs
    elif method == "adjusted_wald":
        p_c, d_c, n = prom + 0.75, det + 0.75, n_obs + 3.0
    else:
        raise ValueError(f"unknown method {method!r}; use 'wald' or 'adjusted_wald'")
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = p_c / n
        d = d_c / n
        diff = p - d
        se = 100.0 * np.sqrt(np.maximum(p + d - diff * diff, 0.0) / n)
    value = 100.0 * diff
    low = np.clip(value - z * se, -100.0, 100.0)
    high = np.clip(value + z * se, -100.0, 100.0)
    return _estimate(value, se, low, high, n_obs, level)


def proportion(successes: ArrayLike, n: ArrayLike, level: float = 0.95) -> Estimate:
    r"""Share of responses with a Wilson score interval.

    Parameters
    ----------
    successes, n : array_like
        Number of "positive" responses and number of responses.
    level : float
        Confidence level.

    Returns
    -------
    Estimate
        Share in [0, 1]; ``se`` is the Wald standard error
        :math:`\sqrt{\hat p(1-\hat p)/n}`.

    Notes
    -----
    Wilson interval:

    .. math::

        \frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n}
        + \frac{z^2}{4n^2}}}{1 + z^2/n}.

    References
    ----------
    .. [1] Wilson, E. B. (1927). Probable inference, the law of succession, and
       statistical inference. *JASA*, 22(158), 209–212.
    .. [2] Newcombe, R. G. (1998). Two-sided confidence intervals for the single
       proportion: comparison of seven methods. *Stat. Med.*, 17, 857–872.
    """
    x, m = np.broadcast_arrays(as_float(successes), as_float(n))
    if np.any(x < 0) or np.any(x > m):
        raise ValueError("need 0 <= successes <= n")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / m
        se = np.sqrt(p * (1.0 - p) / m)
    low, high = wilson(x, m, level)
    return _estimate(p, se, low, high, m, level)


def top_box(counts: ArrayLike, boxes: int = 2, level: float = 0.95, axis: int = -1) -> Estimate:
    r"""CSAT top-k-box share (default top-2-box) with a Wilson interval.

    Parameters
    ----------
    counts : array_like
        Counts per answer value ordered from the lowest to the highest answer
        along ``axis`` (e.g. five columns for a 1–5 CSAT item).
    boxes : int
        How many of the highest answer values count as satisfied.
    level : float
        Confidence level.
    axis : int
        Axis holding the answer values.

    Returns
    -------
    Estimate
        Share satisfied in [0, 1].

    Notes
    -----
    :math:`\mathrm{CSAT} = \sum_{k > K - b} c_k / \sum_k c_k`, interval as in
    :func:`proportion`.

    References
    ----------
    .. [1] Hayes, B. E. (2008). *Measuring Customer Satisfaction and Loyalty*,
       3rd ed., ASQ Quality Press (top-box reporting).
    .. [2] Wilson, E. B. (1927). *JASA*, 22(158), 209–212.
    """
    c = np.moveaxis(as_float(counts), axis, -1)
    if not 1 <= boxes <= c.shape[-1]:
        raise ValueError("boxes must be between 1 and the number of answer values")
    return proportion(c[..., -boxes:].sum(axis=-1), c.sum(axis=-1), level)


def mean_from_moments(
    n: ArrayLike, total: ArrayLike, total_sq: ArrayLike, level: float = 0.95
) -> Estimate:
    r"""Mean rating with a Student-t interval from (n, Σx, Σx²).

    Parameters
    ----------
    n, total, total_sq : array_like
        Number of responses, sum of ratings and sum of squared ratings.
    level : float
        Confidence level.

    Returns
    -------
    Estimate
        Mean with ``se`` = s/√n; NaN interval when n < 2.

    Notes
    -----
    :math:`\bar x = S_1/n`, :math:`s^2 = (S_2 - S_1^2/n)/(n-1)`, interval
    :math:`\bar x \pm t_{n-1,\,1-\alpha/2}\, s/\sqrt n`.

    References
    ----------
    .. [1] Student (1908). The probable error of a mean. *Biometrika*, 6(1), 1–25.
    """
    m, s1, s2 = np.broadcast_arrays(as_float(n), as_float(total), as_float(total_sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s1 / m
        var = np.maximum(s2 - s1 * s1 / m, 0.0) / (m - 1.0)
        se = np.sqrt(var / m)
        df = np.where(m > 1, m - 1.0, np.nan)
        t = stats.t.ppf(0.5 + level / 2.0, df)
    se = np.where(m > 1, se, np.nan)
    return _estimate(mean, se, mean - t * se, mean + t * se, m, level)


def mean_from_counts(
    counts: ArrayLike, values: ArrayLike | None = None, level: float = 0.95, axis: int = -1
) -> Estimate:
    r"""Mean rating (CSAT, CES, attribute scores) from counts per answer value.

    Parameters
    ----------
    counts : array_like
        Counts per answer value along ``axis``.
    values : array_like, optional
        The numeric answer values, same length as ``axis``; default 1, 2, ….
    level : float
        Confidence level.
    axis : int
        Axis holding the answer values.

    Returns
    -------
    Estimate
        As :func:`mean_from_moments` with :math:`n = \sum c_k`,
        :math:`S_1 = \sum c_k v_k`, :math:`S_2 = \sum c_k v_k^2`.

    References
    ----------
    .. [1] Student (1908). *Biometrika*, 6(1), 1–25.
    """
    c = np.moveaxis(as_float(counts), axis, -1)
    v = np.arange(1, c.shape[-1] + 1, dtype=float) if values is None else as_float(values)
    if v.shape != (c.shape[-1],):
        raise ValueError("values must have one entry per answer value")
    return mean_from_moments(c.sum(-1), c @ v, c @ (v * v), level)


def fft_positive(
    very_good: ArrayLike,
    good: ArrayLike,
    neither: ArrayLike,
    poor: ArrayLike,
    very_poor: ArrayLike,
    dont_know: ArrayLike,
    level: float = 0.95,
) -> Estimate:
    r"""NHS Friends and Family Test percentage positive.

    Parameters
    ----------
    very_good, good, neither, poor, very_poor, dont_know : array_like
        Counts per FFT answer.
    level : float
        Confidence level (Wilson interval).

    Returns
    -------
    Estimate
        Percentage positive (0–100).

    Notes
    -----
    :math:`100\,(\text{very good} + \text{good}) / \text{all responses}`, where
    all responses include "don't know", as NHS England publishes it.

    References
    ----------
    .. [1] NHS England (2019). *Using the Friends and Family Test to improve
       patient experience*, guidance, Annex "calculating the percentage positive".
    """
    parts = np.broadcast_arrays(
        *(as_float(a) for a in (very_good, good, neither, poor, very_poor, dont_know))
    )
    est = proportion(parts[0] + parts[1], sum(parts), level)
    return _estimate(
        100.0 * np.asarray(est.value),
        100.0 * np.asarray(est.se),
        100.0 * np.asarray(est.low),
        100.0 * np.asarray(est.high),
        est.n,
        level,
    )


@dataclass(frozen=True)
class SmileyIndex:
    """Four-smiley index on 0–100 plus the share of the two happy faces."""

    index: Estimate
    positive: Estimate

    def __float__(self) -> float:
        return float(self.index.value)


def smiley_index(counts: ArrayLike, level: float = 0.95, axis: int = -1) -> SmileyIndex:
    r"""Four-smiley (very unhappy … very happy) index on a 0–100 scale.

    Parameters
    ----------
    counts : array_like
        Counts for the four faces, unhappiest first, along ``axis``.
    level : float
        Confidence level.
    axis : int
        Axis holding the four faces.

    Returns
    -------
    SmileyIndex
        ``index``: mean of the faces scored 0, 100/3, 200/3, 100 with a t
        interval; ``positive``: share of the two happy faces with a Wilson
        interval.

    Notes
    -----
    :math:`I = \frac{100}{3}\sum_{k=0}^{3} k\,c_k / \sum_k c_k`: a linear
    rescaling of the ordinal scale to 0–100, the way CQC scores survey items.

    References
    ----------
    .. [1] Care Quality Commission (2023). *NHS Patient Survey Programme:
       scoring methodology* (linear 0–10 scoring of response options).
    """
    c = np.moveaxis(as_float(counts), axis, -1)
    if c.shape[-1] != 4:
        raise ValueError("smiley_index needs exactly four counts per unit")
    index = mean_from_counts(c, values=np.array([0.0, 100 / 3, 200 / 3, 100.0]), level=level)
    positive = proportion(c[..., 2:].sum(-1), c.sum(-1), level)
    return SmileyIndex(index=index, positive=positive)


def expectations_exceeded(counts: ArrayLike, level: float = 0.95, axis: int = -1) -> Estimate:
    r"""Share of "better" or "much better than expected" answers.

    Parameters
    ----------
    counts : array_like
        Counts for much worse, worse, as expected, better, much better along
        ``axis``.
    level : float
        Confidence level (Wilson interval).

    Returns
    -------
    Estimate
        Share in [0, 1].

    Notes
    -----
    :math:`(c_\text{better} + c_\text{much better}) / \sum_k c_k`.

    References
    ----------
    .. [1] Oliver, R. L. (1980). A cognitive model of the antecedents and
       consequences of satisfaction decisions. *J. Marketing Research*, 17(4),
       460–469 (expectation disconfirmation).
    """
    c = np.moveaxis(as_float(counts), axis, -1)
    if c.shape[-1] != 5:
        raise ValueError("expectations_exceeded needs five counts per unit")
    return proportion(c[..., 3:].sum(-1), c.sum(-1), level)
