"""Statistical process control ("Making Data Count" / plot the dots).

Conventions follow the R package NHSRplotthedots (0.2.x) so that charts agree
with what NHS analysts produce:

* XmR limits: mean ± 2.66·mean(MR); near lines at ± (2/3)·2.66·mean(MR).
* Outlier screening: moving ranges ≥ 3.267·mean(MR) are dropped once and the
  mean MR recomputed; the process mean is not changed.
* Comparisons are strict: a point exactly on a limit, near line or the mean is
  not beyond it.
* Rules are evaluated within each rebased segment; labels take precedence
  outside limits > trend > two-in-three > shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["SPCResult", "xmr", "p_chart", "LIMIT", "NEAR_LIMIT", "SCREEN_FACTOR"]

LIMIT = 2.66
NEAR_LIMIT = 2.0 * LIMIT / 3.0
SCREEN_FACTOR = 3.267
RUN_LENGTH = 7

Direction = Literal["increase", "decrease", "neutral"]
_DIRECTION_SIGN = {"increase": 1, "decrease": -1, "neutral": 0}


@dataclass(frozen=True)
class SPCResult:
    """Per-point SPC chart with special-cause flags.

    Attributes
    ----------
    x : ndarray
        Point positions (the ``dates`` if given, else 0 … n−1), sorted.
    values : ndarray
        The plotted values in chart order.
    mean, lpl, upl, nlpl, nupl : ndarray
        Centre line, lower/upper process limits, lower/upper near lines.
    point_type : ndarray of str
        "common_cause", "special_cause_improvement", "special_cause_concern",
        "special_cause_neutral_high" or "special_cause_neutral_low".
    rule : ndarray of object
        "outside_limits", "trend", "two_in_three", "shift" or None.
    segment : ndarray of int
        Rebase segment of each point (0 for the first).
    variation : str or None
        Point type of the last point.
    assurance : str or None
        "consistent_pass", "consistent_fail", "inconsistent", or None when no
        target is given or the direction is neutral.
    """

    x: np.ndarray
    values: np.ndarray
    mean: np.ndarray
    lpl: np.ndarray
    upl: np.ndarray
    nlpl: np.ndarray
    nupl: np.ndarray
    point_type: np.ndarray
    rule: np.ndarray
    segment: np.ndarray
    variation: str | None
    assurance: str | None
    improvement_direction: str
    target: float | None


# ---------------------------------------------------------------- rule helpers


def _run_end_to_members(end: np.ndarray) -> np.ndarray:
    """Mark every point covered by a run of RUN_LENGTH ending at a flagged index."""
    n = len(end)
    member = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(end):
        member[max(0, i - RUN_LENGTH + 1) : i + 1] = True
    return member


def _shift(side: np.ndarray) -> np.ndarray:
    n = len(side)
    end = np.zeros(n, dtype=bool)
    for i in range(RUN_LENGTH - 1, n):
        window = side[i - RUN_LENGTH + 1 : i + 1]
        # A point on the mean has side 0 and therefore breaks the run.
        end[i] = window[0] != 0 and np.all(window == window[0])
    return _run_end_to_members(end)


def _trend(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(y)
    end = np.zeros(n, dtype=bool)
    if n < RUN_LENGTH:
        return end, np.zeros(n)
    steps = np.sign(np.diff(y))
    for i in range(RUN_LENGTH - 1, n):
        window = steps[i - RUN_LENGTH + 1 : i]
        # Ties give a step of 0 and so break a trend in either direction.
        end[i] = window[0] != 0 and np.all(window == window[0])
    member = _run_end_to_members(end)
    # Direction per point as NHSRplotthedots assigns it: the step to the right
    # when the next point is also in a trend, else the step from the left.
    right = np.append(steps, steps[-1])
    left = np.concatenate([[0.0], steps])
    next_member = np.append(member[1:], False)
    direction = np.where(member & next_member, right, left)
    return member, direction


def _two_in_three(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    n = len(close)
    member = np.zeros(n, dtype=bool)
    for start in range(0, n - 2):
        c = close[start : start + 3]
        s = side[start : start + 3]
        if c.sum() >= 2 and abs(s.sum()) == 3:
            member[start : start + 3] |= c
    return member


def _flag_segment(
    y: np.ndarray,
    mean: np.ndarray,
    lpl: np.ndarray,
    upl: np.ndarray,
    nlpl: np.ndarray,
    nupl: np.ndarray,
    direction: int,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(y)
    with np.errstate(invalid="ignore"):
        outside = (y > upl) | (y < lpl)
        side = np.sign(y - mean)
        close = ~outside & ((y < nlpl) | (y > nupl))
    trend, trend_dir = _trend(y)
    two3 = _two_in_three(close, side)
    shift = _shift(side)

    rule = np.full(n, None, dtype=object)
    sign = np.zeros(n)
    for mask, name, s in (
        (shift, "shift", np.where(side > 0, 1.0, -1.0)),
        (two3, "two_in_three", np.where(side > 0, 1.0, -1.0)),
        (trend, "trend", np.where(trend_dir == 1, 1.0, -1.0)),
        (outside, "outside_limits", np.where(side == 1, 1.0, -1.0)),
    ):
        # Later entries overwrite earlier ones, which realises the precedence.
        rule[mask] = name
        sign[mask] = s[mask]

    if direction == 0:
        names = {1.0: "special_cause_neutral_high", -1.0: "special_cause_neutral_low"}
    else:
        names = {
            float(direction): "special_cause_improvement",
            float(-direction): "special_cause_concern",
        }
    point_type = np.array(
        ["common_cause" if r is None else names[s] for r, s in zip(rule, sign, strict=True)],
        dtype=object,
    )
    return point_type, rule


def _segments(n: int, x: np.ndarray, rebase_at: Sequence[Any], have_dates: bool) -> np.ndarray:
    starts = set()
    for r in rebase_at:
        if have_dates:
            idx = int(np.searchsorted(x, np.asarray(r, dtype=x.dtype), side="left"))
        else:
            idx = int(r)
            if idx < 0:
                idx += n
        if not 0 <= idx < n:
            raise ValueError(f"rebase point {r!r} is outside the series")
        if idx > 0:
            starts.add(idx)
    seg = np.zeros(n, dtype=int)
    for s in sorted(starts):
        seg[s:] += 1
    return seg


def _prepare(
    values: ArrayLike, dates: ArrayLike | None, extra: Sequence[ArrayLike] = ()
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], bool]:
    y = np.asarray(values, dtype=float)
    if y.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if not np.all(np.isfinite(y)):
        raise ValueError("values must be finite; SPC needs an unbroken series")
    others = [np.asarray(e, dtype=float) for e in extra]
    if dates is None:
        return y, np.arange(len(y)), others, False
    x = np.asarray(dates)
    if x.shape != y.shape:
        raise ValueError("dates must have the same length as values")
    order = np.argsort(x, kind="stable")
    return y[order], x[order], [o[order] for o in others], True


def _check_fix(fix_after_n_points: int | None) -> None:
    if fix_after_n_points is not None and fix_after_n_points < 12:
        raise ValueError("fix_after_n_points must be at least 12 (Making Data Count guidance)")


def _assurance(direction: int, target: float | None, lpl: float, upl: float) -> str | None:
    if target is None or direction == 0:
        return None
    if target > upl:
        return "consistent_fail" if direction > 0 else "consistent_pass"
    if target < lpl:
        return "consistent_pass" if direction > 0 else "consistent_fail"
    return "inconsistent"


def _direction(improvement_direction: str) -> int:
    try:
        return _DIRECTION_SIGN[improvement_direction]
    except KeyError:
        raise ValueError(
            "improvement_direction must be 'increase', 'decrease' or 'neutral'"
        ) from None


def _assemble(y, x, seg, mean, lpl, upl, nlpl, nupl, direction, improvement_direction, target):
    point_type = np.empty(len(y), dtype=object)
    rule = np.empty(len(y), dtype=object)
    for s in np.unique(seg):
        m = seg == s
        point_type[m], rule[m] = _flag_segment(
            y[m], mean[m], lpl[m], upl[m], nlpl[m], nupl[m], direction
        )
    n = len(y)
    return SPCResult(
        x=x,
        values=y,
        mean=mean,
        lpl=lpl,
        upl=upl,
        nlpl=nlpl,
        nupl=nupl,
        point_type=point_type,
        rule=rule,
        segment=seg,
        variation=str(point_type[-1]) if n else None,
        assurance=_assurance(direction, target, lpl[-1], upl[-1]) if n else None,
        improvement_direction=improvement_direction,
        target=target,
    )


def xmr(
    values: ArrayLike,
    improvement_direction: Direction = "increase",
    target: float | None = None,
    rebase_at: Sequence[Any] = (),
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    dates: ArrayLike | None = None,
) -> SPCResult:
    r"""XmR (individuals) chart with NHS "Making Data Count" special-cause rules.

    Parameters
    ----------
    values : array_like
        One value per period, in time order unless ``dates`` is given.
    improvement_direction : {"increase", "decrease", "neutral"}
        Which way is better; decides improvement vs. concern.
    target : float, optional
        Target for the assurance verdict.
    rebase_at : sequence
        Indices (or dates, if ``dates`` is given) where a new segment starts;
        limits and rules are computed within each segment.
    fix_after_n_points : int, optional
        Compute mean and limits from only the first n (≥ 12) points of each
        segment and extend them over the rest.
    screen_outliers : bool
        Drop moving ranges ≥ 3.267·mean(MR) once before recomputing mean(MR).
    dates : array_like, optional
        Time stamps; points are sorted by them.

    Returns
    -------
    SPCResult

    Notes
    -----
    Over the baseline :math:`y_1..y_m` of a segment:
    :math:`\bar y = \frac1m\sum y_i`, :math:`MR_i = |y_i - y_{i-1}|`,
    :math:`\overline{MR}` their mean (after screening),
    limits :math:`\bar y \pm 2.66\,\overline{MR}` and near lines
    :math:`\bar y \pm 1.7733\,\overline{MR}`.
    Rules: a point outside a limit; a shift of 7 points strictly on one side of
    the mean; a trend of 7 points (6 strict consecutive rises or falls); two of
    three consecutive points beyond the same near line (all three on that side
    of the mean). The variation verdict is the last point's type; the
    assurance compares the target with the last point's limits.

    References
    ----------
    .. [1] NHS England & Improvement (2019). *Making Data Count: getting
       started* and *strengthening your decisions*.
    .. [2] Wheeler, D. J. (2000). *Understanding Variation*, 2nd ed., SPC Press.
    .. [3] NHS-R Community. NHSRplotthedots R package, v0.2 (ptd_spc_standard,
       ptd_calculate_point_type).
    """
    direction = _direction(improvement_direction)
    _check_fix(fix_after_n_points)
    y, x, _, have_dates = _prepare(values, dates)
    n = len(y)
    seg = _segments(n, x, rebase_at, have_dates)
    mean = np.full(n, np.nan)
    amr = np.full(n, np.nan)
    for s in np.unique(seg):
        idx = np.flatnonzero(seg == s)
        base = y[idx[: fix_after_n_points or len(idx)]]
        mr = np.abs(np.diff(base))
        mbar = mr.mean() if len(mr) else np.nan
        if screen_outliers and len(mr):
            mr = mr[mr < SCREEN_FACTOR * mbar]
            mbar = mr.mean() if len(mr) else np.nan
        mean[idx] = base.mean()
        amr[idx] = mbar
    return _assemble(
        y,
        x,
        seg,
        mean,
        mean - LIMIT * amr,
        mean + LIMIT * amr,
        mean - NEAR_LIMIT * amr,
        mean + NEAR_LIMIT * amr,
        direction,
        improvement_direction,
        target,
    )


def p_chart(
    successes: ArrayLike,
    totals: ArrayLike,
    improvement_direction: Direction = "increase",
    target: float | None = None,
    rebase_at: Sequence[Any] = (),
    fix_after_n_points: int | None = None,
    dates: ArrayLike | None = None,
) -> SPCResult:
    r"""p-chart for proportions with limits that vary with each period's n.

    Parameters
    ----------
    successes, totals : array_like
        Per-period count of "positive" responses and number of responses.
    improvement_direction, target, rebase_at, fix_after_n_points, dates
        As in :func:`xmr`; ``target`` is a proportion in [0, 1].

    Returns
    -------
    SPCResult
        ``values`` are the proportions :math:`x_i/n_i`.

    Notes
    -----
    Centre line :math:`\bar p = \sum x_i / \sum n_i` over the baseline,
    :math:`\sigma_i = \sqrt{\bar p(1-\bar p)/n_i}`, limits
    :math:`\bar p \pm 3\sigma_i` and near lines :math:`\bar p \pm 2\sigma_i`,
    truncated to [0, 1]. The same four rules as :func:`xmr` apply.

    References
    ----------
    .. [1] Montgomery, D. C. (2019). *Introduction to Statistical Quality
       Control*, 8th ed., Wiley, §7.2 (variable-sample-size p chart).
    .. [2] NHS England & Improvement (2019). *Making Data Count*.
    """
    direction = _direction(improvement_direction)
    _check_fix(fix_after_n_points)
    x_raw = np.asarray(successes, dtype=float)
    n_raw = np.asarray(totals, dtype=float)
    if x_raw.shape != n_raw.shape:
        raise ValueError("successes and totals must have the same shape")
    if np.any(n_raw <= 0) or np.any(x_raw < 0) or np.any(x_raw > n_raw):
        raise ValueError("need totals > 0 and 0 <= successes <= totals")
    _, x, (xs, ns), have_dates = _prepare(x_raw / n_raw, dates, (x_raw, n_raw))
    y = xs / ns
    n = len(y)
    seg = _segments(n, x, rebase_at, have_dates)
    pbar = np.full(n, np.nan)
    for s in np.unique(seg):
        idx = np.flatnonzero(seg == s)
        base = idx[: fix_after_n_points or len(idx)]
        pbar[idx] = xs[base].sum() / ns[base].sum()
    sigma = np.sqrt(pbar * (1.0 - pbar) / ns)
    return _assemble(
        y,
        x,
        seg,
        pbar,
        np.clip(pbar - 3.0 * sigma, 0.0, 1.0),
        np.clip(pbar + 3.0 * sigma, 0.0, 1.0),
        np.clip(pbar - 2.0 * sigma, 0.0, 1.0),
        np.clip(pbar + 2.0 * sigma, 0.0, 1.0),
        direction,
        improvement_direction,
        target,
    )
