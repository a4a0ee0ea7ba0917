"""Case-mix ("mood of the day") adjustment of unit scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from ._util import as_float

__all__ = ["MoodAdjustment", "mood_adjust", "mood_adjust_from_sums"]


@dataclass(frozen=True)
class MoodAdjustment:
    """Raw and mood-adjusted unit scores plus the estimated mood effect.

    ``effect`` is the change in score per unit of mood, estimated within units;
    ``effect_se``/``effect_low``/``effect_high`` its uncertainty; ``adjusted_se``
    combines the unit's sampling error with the uncertainty of the effect.
    """

    units: np.ndarray
    n: np.ndarray
    raw: np.ndarray
    adjusted: np.ndarray
    adjusted_se: np.ndarray
    unit_mood: np.ndarray
    reference_mood: float
    effect: float
    effect_se: float
    effect_low: float
    effect_high: float
    residual_sd: float
    df: int
    level: float


def mood_adjust_from_sums(
    n: ArrayLike,
    sum_score: ArrayLike,
    sum_mood: ArrayLike,
    sum_score_sq: ArrayLike,
    sum_mood_sq: ArrayLike,
    sum_score_mood: ArrayLike,
    reference_mood: float | None = None,
    level: float = 0.95,
    units: ArrayLike | None = None,
) -> MoodAdjustment:
    r"""Mood adjustment from per-unit sufficient statistics.

    Parameters
    ----------
    n : array_like
        Responses per unit.
    sum_score, sum_mood, sum_score_sq, sum_mood_sq, sum_score_mood : array_like
        Per-unit :math:`\sum y`, :math:`\sum m`, :math:`\sum y^2`,
        :math:`\sum m^2` and :math:`\sum ym`, where y is the score being
        reported and m the respondent's mood-of-the-day answer (numeric).
    reference_mood : float, optional
        Mood every unit is standardised to; default the overall mean mood
        (as HCAHPS standardises to the national mean of each adjuster).
    level : float
        Confidence level for the effect interval.
    units : array_like, optional
        Unit labels carried into the result.

    Returns
    -------
    MoodAdjustment

    Notes
    -----
    Model: :math:`y_{ij} = \alpha_j + \beta m_{ij} + \varepsilon_{ij}` with a
    fixed effect per unit, so β is estimated from mood differences *within*
    units and a unit is not credited or penalised for its true quality:

    .. math::

        \hat\beta = \frac{\sum_j S^{(j)}_{ym}}{\sum_j S^{(j)}_{mm}},\quad
        S^{(j)}_{ym} = \textstyle\sum y m - n_j \bar y_j \bar m_j,\quad
        \mathrm{SE}(\hat\beta) = \hat\sigma / \sqrt{\textstyle\sum_j S^{(j)}_{mm}},

    :math:`\hat\sigma^2 = (\sum_j S^{(j)}_{yy} - \hat\beta \sum_j
    S^{(j)}_{ym}) / (N - J - 1)`. Adjusted score
    :math:`\tilde y_j = \bar y_j - \hat\beta(\bar m_j - m_\text{ref})`, with
    :math:`\mathrm{SE}^2 = \hat\sigma^2/n_j + (\bar m_j - m_\text{ref})^2
    \mathrm{SE}(\hat\beta)^2`.

    References
    ----------
    .. [1] O'Malley, A. J., Zaslavsky, A. M., Elliott, M. N., Zaborski, L. &
       Cleary, P. D. (2005). Case-mix adjustment of the CAHPS Hospital Survey.
       *Health Services Research*, 40(6 Pt 2), 2162–2181.
    .. [2] Centers for Medicare & Medicaid Services. *HCAHPS Patient-Mix
       Adjustment* (regression adjustment to national adjuster means).
    """
    m_n, sy, sm, syy, smm, sym = np.broadcast_arrays(
        *(
            as_float(a).ravel()
            for a in (n, sum_score, sum_mood, sum_score_sq, sum_mood_sq, sum_score_mood)
        )
    )
    if np.any(m_n < 1):
        raise ValueError("every unit needs at least one response")
    ybar, mbar = sy / m_n, sm / m_n
    s_mm = smm - m_n * mbar * mbar
    s_ym = sym - m_n * ybar * mbar
    s_yy = syy - m_n * ybar * ybar
    sxx = s_mm.sum()
    total_n = int(m_n.sum())
    df = total_n - len(m_n) - 1
    if sxx <= 0 or df < 1:
        raise ValueError("mood does not vary within units; its effect cannot be estimated")
    beta = s_ym.sum() / sxx
    sigma2 = max(s_yy.sum() - beta * s_ym.sum(), 0.0) / df
    se_beta = float(np.sqrt(sigma2 / sxx))
    t = float(stats.t.ppf(0.5 + level / 2.0, df))
    ref = float(sm.sum() / total_n) if reference_mood is None else float(reference_mood)
    adjusted = ybar - beta * (mbar - ref)
    adjusted_se = np.sqrt(sigma2 / m_n + (mbar - ref) ** 2 * se_beta**2)
    labels = np.arange(len(m_n)) if units is None else np.asarray(units)
    return MoodAdjustment(
        units=labels,
        n=m_n,
        raw=ybar,
        adjusted=adjusted,
        adjusted_se=adjusted_se,
        unit_mood=mbar,
        reference_mood=ref,
        effect=float(beta),
        effect_se=se_beta,
        effect_low=float(beta - t * se_beta),
        effect_high=float(beta + t * se_beta),
        residual_sd=float(np.sqrt(sigma2)),
        df=df,
        level=level,
    )


def mood_adjust(
    unit: ArrayLike,
    score: ArrayLike,
    mood: ArrayLike,
    reference_mood: float | None = None,
    level: float = 0.95,
) -> MoodAdjustment:
    r"""Mood-adjusted unit scores from one row per response.

    Parameters
    ----------
    unit : array_like
        Unit label per response.
    score : array_like
        The score to report per response (e.g. satisfaction 1–5, or 100/0/−100
        for promoter/passive/detractor so that unit means are NPS).
    mood : array_like
        Mood-of-the-day answer per response (numeric). Rows with a missing
        score or mood are dropped.
    reference_mood, level
        As in :func:`mood_adjust_from_sums`.

    Returns
    -------
    MoodAdjustment
        Units in sorted label order.

    Notes
    -----
    Aggregates to per-unit sums and calls :func:`mood_adjust_from_sums`; the
    estimate equals the within-unit (fixed-effects) OLS slope.

    References
    ----------
    .. [1] O'Malley, A. J. et al. (2005). *Health Services Research*, 40(6 Pt 2),
       2162–2181.
    """
    u = np.asarray(unit)
    y = as_float(score)
    m = as_float(mood)
    keep = np.isfinite(y) & np.isfinite(m)
    u, y, m = u[keep], y[keep], m[keep]
    labels, inv = np.unique(u, return_inverse=True)
    k = len(labels)

    def total(w: np.ndarray) -> np.ndarray:
        return np.bincount(inv, weights=w, minlength=k)

    return mood_adjust_from_sums(
        np.bincount(inv, minlength=k),
        total(y),
        total(m),
        total(y * y),
        total(m * m),
        total(y * m),
        reference_mood=reference_mood,
        level=level,
        units=labels,
    )
