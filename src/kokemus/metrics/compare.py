"""Comparisons between units: differences, multiplicity, funnel plots, league tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._util import as_float, squeeze, wilson, z_value
from .scores import nps

__all__ = [
    "Difference",
    "nps_difference",
    "proportion_difference",
    "benjamini_hochberg",
    "funnel_limits",
    "league_table",
    "LeagueTable",
]


@dataclass(frozen=True)
class Difference:
    """Estimated difference (first minus second) with interval and two-sided p-value."""

    value: np.ndarray | np.floating
    se: np.ndarray | np.floating
    low: np.ndarray | np.floating
    high: np.ndarray | np.floating
    p_value: np.ndarray | np.floating
    level: float = 0.95

    def __float__(self) -> float:
        return float(self.value)


def nps_difference(
    promoters_a: ArrayLike,
    passives_a: ArrayLike,
    detractors_a: ArrayLike,
    promoters_b: ArrayLike,
    passives_b: ArrayLike,
    detractors_b: ArrayLike,
    level: float = 0.95,
) -> Difference:
    r"""Difference between two independent NPS values (A − B).

    Parameters
    ----------
    promoters_a, passives_a, detractors_a, promoters_b, passives_b, detractors_b : array_like
        Counts for the two groups.
    level : float
        Confidence level.

    Returns
    -------
    Difference
        In NPS points, with a Wald z-test p-value.

    Notes
    -----
    :math:`\Delta = \mathrm{NPS}_A - \mathrm{NPS}_B`,
    :math:`\mathrm{SE} = \sqrt{\mathrm{SE}_A^2 + \mathrm{SE}_B^2}` with each
    SE as in :func:`kokemus.metrics.scores.nps`;
    :math:`p = 2\,(1 - \Phi(|\Delta| / \mathrm{SE}))`.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score".
       *The American Statistician*, 70(4), 365–372.
    """
    a = nps(promoters_a, passives_a, detractors_a, level=level)
    b = nps(promoters_b, passives_b, detractors_b, level=level)
    diff = np.asarray(a.value) - np.asarray(b.value)
    se = np.hypot(np.asarray(a.se), np.asarray(b.se))
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2.0 * stats.norm.sf(np.abs(diff) / se)
    return Difference(
        squeeze(diff),
        squeeze(se),
        squeeze(diff - z * se),
        squeeze(diff + z * se),
        squeeze(p),
        level,
    )


def proportion_difference(
    successes_a: ArrayLike,
    n_a: ArrayLike,
    successes_b: ArrayLike,
    n_b: ArrayLike,
    level: float = 0.95,
) -> Difference:
    r"""Difference between two independent proportions (A − B).

    Parameters
    ----------
    successes_a, n_a, successes_b, n_b : array_like
        Counts for the two groups.
    level : float
        Confidence level.

    Returns
    -------
    Difference
        On the proportion scale; interval by Newcombe's hybrid score method
        (method 10), p-value from the pooled two-proportion z-test.

    Notes
    -----
    With Wilson limits :math:`(l_i, u_i)` for each group,

    .. math::

        \Delta - \sqrt{(\hat p_A - l_A)^2 + (u_B - \hat p_B)^2},\quad
        \Delta + \sqrt{(u_A - \hat p_A)^2 + (\hat p_B - l_B)^2};

    :math:`z = \Delta / \sqrt{\bar p(1-\bar p)(1/n_A + 1/n_B)}` with the
    pooled :math:`\bar p`. ``se`` is the unpooled Wald SE.

    References
    ----------
    .. [1] Newcombe, R. G. (1998). Interval estimation for the difference
       between independent proportions: comparison of eleven methods.
       *Statistics in Medicine*, 17, 873–890.
    """
    xa, na, xb, nb = np.broadcast_arrays(
        as_float(successes_a), as_float(n_a), as_float(successes_b), as_float(n_b)
    )
    la, ua = wilson(xa, na, level)
    lb, ub = wilson(xb, nb, level)
    with np.errstate(divide="ignore", invalid="ignore"):
        pa, pb = xa / na, xb / nb
        diff = pa - pb
        low = diff - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
        high = diff + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
        pooled = (xa + xb) / (na + nb)
        se0 = np.sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb))
        p = np.where(se0 > 0, 2.0 * stats.norm.sf(np.abs(diff) / se0), 1.0)
        se = np.sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return Difference(squeeze(diff), squeeze(se), squeeze(low), squeeze(high), squeeze(p), level)


def benjamini_hochberg(p_values: ArrayLike, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    r"""Benjamini–Hochberg false-discovery-rate adjustment.

    Parameters
    ----------
    p_values : array_like
        Raw p-values (any shape; NaN entries are ignored and stay NaN).
    alpha : float
        FDR level for the rejection decision.

    Returns
    -------
    adjusted : ndarray
        BH-adjusted p-values (q-values), same shape as the input.
    reject : ndarray of bool
        True where the adjusted p-value is ≤ alpha.

    Notes
    -----
    Sort the m p-values :math:`p_{(1)} \le \dots \le p_{(m)}`;
    :math:`q_{(i)} = \min_{k \ge i} \min(1, m\,p_{(k)}/k)`. Identical to R's
    ``p.adjust(p, "BH")``.

    References
    ----------
    .. [1] Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
       rate. *J. Royal Statistical Society B*, 57(1), 289–300.
    """
    p = as_float(p_values)
    flat = p.ravel()
    ok = np.flatnonzero(~np.isnan(flat))
    adjusted = np.full(flat.shape, np.nan)
    if len(ok):
        pv = flat[ok]
        if np.any((pv < 0) | (pv > 1)):
            raise ValueError("p-values must be in [0, 1]")
        m = len(pv)
        order = np.argsort(pv)
        scaled = pv[order] * m / np.arange(1, m + 1)
        q = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
        out = np.empty(m)
        out[order] = q
        adjusted[ok] = out
    adjusted = adjusted.reshape(p.shape)
    with np.errstate(invalid="ignore"):
        reject = adjusted <= alpha
    return adjusted, reject


@dataclass(frozen=True)
class FunnelLimits:
    """Funnel-plot control limits, one row per ``level``, one column per n."""

    n: np.ndarray
    target: float
    levels: tuple[float, ...]
    low: np.ndarray
    high: np.ndarray


def funnel_limits(
    target: float,
    n: ArrayLike,
    levels: Sequence[float] = (0.95, 0.998),
    method: str = "exact",
) -> FunnelLimits:
    r"""Funnel-plot control limits for a proportion around a target.

    Parameters
    ----------
    target : float
        Benchmark proportion :math:`\theta_0` (often the overall proportion).
    n : array_like
        Sample sizes at which to compute the limits.
    levels : sequence of float
        Two-sided coverage, default 95 % and 99.8 % as Spiegelhalter proposes.
    method : {"exact", "normal"}
        ``"exact"``: interpolated binomial quantiles (Spiegelhalter 2005,
        appendix A.1.1); ``"normal"``:
        :math:`\theta_0 \pm z_p\sqrt{\theta_0(1-\theta_0)/n}`.

    Returns
    -------
    FunnelLimits
        ``low``/``high`` with shape ``(len(levels),) + n.shape``.

    Notes
    -----
    For the exact method, let :math:`r_p` be the smallest r with
    :math:`F(r) \ge p` for :math:`F` the Binomial(n, θ0) CDF, and
    :math:`\alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))`; the limit is
    :math:`(r_p - \alpha)/n`, with p = (1 ∓ level)/2.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing
       institutional performance. *Statistics in Medicine*, 24, 1185–1202.
    """
    if not 0.0 < target < 1.0:
        raise ValueError("target must be strictly between 0 and 1")
    m = as_float(n)
    lows, highs = [], []
    for level in levels:
        bounds = []
        for prob in ((1.0 - level) / 2.0, (1.0 + level) / 2.0):
            if method == "normal":
                z = stats.norm.ppf(prob)
                bounds.append(target + z * np.sqrt(target * (1 - target) / m))
            elif method == "exact":
                r = stats.binom.ppf(prob, m, target)
                f_r = stats.binom.cdf(r, m, target)
                f_prev = stats.binom.cdf(r - 1, m, target)
                with np.errstate(divide="ignore", invalid="ignore"):
                    a = np.where(f_r > f_prev, (f_r - prob) / (f_r - f_prev), 0.0)
                bounds.append((r - a) / m)
            else:
                raise ValueError("method must be 'exact' or 'normal'")
        lows.append(np.clip(bounds[0], 0.0, 1.0))
        highs.append(np.clip(bounds[1], 0.0, 1.0))
    return FunnelLimits(
        n=m, target=target, levels=tuple(levels), low=np.array(lows), high=np.array(highs)
    )


@dataclass(frozen=True)
class LeagueTable:
    """League table ordered best first.

    ``order`` indexes the input units best first; ``rank`` (per input unit) is
    1 + the number of units whose interval lies entirely above it (for
    ``higher_is_better``), so units with overlapping intervals can share a
    rank; ``tied`` is True when a unit's interval overlaps at least one other;
    ``tied_with`` lists, per unit, the indices it overlaps.
    """

    order: np.ndarray
    rank: np.ndarray
    tied: np.ndarray
    tied_with: list[list[int]]
    labels: list[str] | None


def league_table(
    value: ArrayLike,
    low: ArrayLike,
    high: ArrayLike,
    labels: Sequence[str] | None = None,
    higher_is_better: bool = True,
) -> LeagueTable:
    r"""Rank units honestly: overlapping intervals are reported as ties.

    Parameters
    ----------
    value, low, high : array_like
        Point estimate and interval bounds per unit.
    labels : sequence of str, optional
        Unit names, carried through.
    higher_is_better : bool
        Ranking direction.

    Returns
    -------
    LeagueTable

    Notes
    -----
    Units i and j are tied when :math:`[l_i, u_i] \cap [l_j, u_j] \ne
    \emptyset`. Rank of i is :math:`1 + \#\{j : l_j > u_i\}` (higher is
    better), i.e. the rank it is *clearly* below, in the spirit of the
    "rankability" caution in the reference.

    References
    ----------
    .. [1] Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their
       limitations: statistical issues in comparisons of institutional
       performance. *J. Royal Statistical Society A*, 159(3), 385–443.
    """
    v, lo, hi = (as_float(a).ravel() for a in (value, low, high))
    if not (len(v) == len(lo) == len(hi)):
        raise ValueError("value, low and high must have the same length")
    if np.any(lo > hi):
        raise ValueError("low must not exceed high")
    overlap = (lo[:, None] <= hi[None, :]) & (lo[None, :] <= hi[:, None])
    np.fill_diagonal(overlap, False)
    if higher_is_better:
        clearly_better = lo[None, :] > hi[:, None]
        order = np.argsort(-v, kind="stable")
    else:
        clearly_better = hi[None, :] < lo[:, None]
        order = np.argsort(v, kind="stable")
    rank = 1 + clearly_better.sum(axis=1)
    return LeagueTable(
        order=order,
        rank=rank,
        tied=overlap.any(axis=1),
        tied_with=[list(np.flatnonzero(row)) for row in overlap],
        labels=list(labels) if labels is not None else None,
    )
