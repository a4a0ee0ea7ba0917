"""Difference-in-differences estimates of an improvement action's effect, from counts."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._util import as_float, squeeze, z_value
from .compare import Difference

__all__ = ["did_nps", "did_proportion"]


def _nps_parts(promoters, passives, detractors):
    prom, pas, det = np.broadcast_arrays(
        as_float(promoters), as_float(passives), as_float(detractors)
    )
    if np.any(prom < 0) or np.any(pas < 0) or np.any(det < 0):
        raise ValueError("counts must be non-negative")
    n = prom + pas + det
    with np.errstate(divide="ignore", invalid="ignore"):
        p, d = prom / n, det / n
        value = 100.0 * (p - d)
        var = 100.0**2 * np.maximum(p + d - (p - d) ** 2, 0.0) / n
    return value, var


def _finish(est, var, level: float) -> Difference:
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(var)
        p = np.where(se > 0, 2.0 * stats.norm.sf(np.abs(est) / se), np.where(est == 0, 1.0, 0.0))
    p = np.where(np.isnan(se), np.nan, p)
    return Difference(
        squeeze(est), squeeze(se), squeeze(est - z * se), squeeze(est + z * se), squeeze(p), level
    )


def did_nps(
    pre_treated: ArrayLike,
    post_treated: ArrayLike,
    pre_control: ArrayLike,
    post_control: ArrayLike,
    level: float = 0.95,
) -> Difference:
    r"""Difference-in-differences of NPS between treated and control units.

    Parameters
    ----------
    pre_treated, post_treated, pre_control, post_control : array_like
        Counts ``(promoters, passives, detractors)`` along the last axis, one
        set per group and period (leading axes broadcast, e.g. simulations).
    level : float
        Confidence level of the two-sided Wald interval.

    Returns
    -------
    Difference
        Estimate in NPS points with standard error, interval and p-value.

    Notes
    -----
    With :math:`\mathrm{NPS}_{g,t} = 100\,(p_{g,t} - d_{g,t})` for group
    :math:`g \in \{T, C\}` and period :math:`t \in \{0, 1\}`,

    .. math::

        \hat\delta = (\mathrm{NPS}_{T,1} - \mathrm{NPS}_{T,0})
                   - (\mathrm{NPS}_{C,1} - \mathrm{NPS}_{C,0}),

    .. math::

        \widehat{\operatorname{Var}}(\hat\delta) = \sum_{g,t}
        100^2\,\frac{p_{g,t} + d_{g,t} - (p_{g,t} - d_{g,t})^2}{n_{g,t}},

    the four samples being independent (different respondents). The interval
    is :math:`\hat\delta \pm z_{1-\alpha/2}\,\mathrm{SE}` and
    :math:`p = 2\,(1 - \Phi(|\hat\delta|/\mathrm{SE}))`. The estimate is
    unbiased for the effect under the *parallel trends* assumption: without
    the action, treated and control units would have changed alike. Pooling
    respondents across units treats them as independent; when whole units
    have period-specific shocks the interval is too narrow and a cluster-level
    analysis (units as the sampling unit) should be preferred.

    References
    ----------
    .. [1] Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless
       Econometrics*, Princeton University Press, ch. 5.2
       (differences-in-differences).
    .. [2] Rocks, B. (2016). Interval estimation for the "net promoter score".
       *The American Statistician*, 70(4), 365–372 (variance of an NPS).
    """
    parts = [_nps_parts(*np.moveaxis(as_float(c), -1, 0)) for c in
             (pre_treated, post_treated, pre_control, post_control)]
    (v0t, s0t), (v1t, s1t), (v0c, s0c), (v1c, s1c) = parts
    est = (v1t - v0t) - (v1c - v0c)
    return _finish(est, s0t + s1t + s0c + s1c, level)


def did_proportion(
    successes_pre_treated: ArrayLike,
    n_pre_treated: ArrayLike,
    successes_post_treated: ArrayLike,
    n_post_treated: ArrayLike,
    successes_pre_control: ArrayLike,
    n_pre_control: ArrayLike,
    successes_post_control: ArrayLike,
    n_post_control: ArrayLike,
    level: float = 0.95,
) -> Difference:
    r"""Difference-in-differences of a proportion (e.g. CSAT top-2-box).

    Parameters
    ----------
    successes_pre_treated, n_pre_treated, successes_post_treated, n_post_treated : array_like
        Counts of the treated units before and after the start.
    successes_pre_control, n_pre_control, successes_post_control, n_post_control : array_like
        Counts of the control units before and after the start.
    level : float
        Confidence level of the two-sided Wald interval.

    Returns
    -------
    Difference
        On the proportion scale (multiply by 100 for percentage points).

    Notes
    -----
    .. math::

        \hat\delta = (\hat p_{T,1} - \hat p_{T,0}) - (\hat p_{C,1} - \hat p_{C,0}),
        \qquad
        \widehat{\operatorname{Var}}(\hat\delta) =
        \sum_{g,t} \frac{\hat p_{g,t}(1 - \hat p_{g,t})}{n_{g,t}},

    with a Wald interval and z-test as in :func:`did_nps`; the same parallel
    trends and independence assumptions apply.

    References
    ----------
    .. [1] Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless
       Econometrics*, Princeton University Press, ch. 5.2.
    .. [2] Agresti, A. (2013). *Categorical Data Analysis*, 3rd ed., Wiley,
       §1.4 (variance of a sample proportion).
    """
    arrays = np.broadcast_arrays(*(as_float(a) for a in (
        successes_pre_treated, n_pre_treated, successes_post_treated, n_post_treated,
        successes_pre_control, n_pre_control, successes_post_control, n_post_control)))
    if any(np.any(a < 0) for a in arrays):
        raise ValueError("counts must be non-negative")
    shares, var = [], 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        for x, n in zip(arrays[0::2], arrays[1::2], strict=True):
            if np.any(x > n):
                raise ValueError("successes must not exceed n")
            p = x / n
            shares.append(p)
            var = var + p * (1.0 - p) / n
    p0t, p1t, p0c, p1c = shares
    return _finish((p1t - p0t) - (p1c - p0c), var, level)
