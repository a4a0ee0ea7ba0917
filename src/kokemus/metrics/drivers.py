"""Key-driver analysis: relative importance of predictors of an outcome.

All methods work from the correlation matrix, so the cost after one pass over
the rows is independent of the number of respondents.
"""

from __future__ import annotations

from math import comb
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["relative_importance", "subset_r2", "MAX_EXACT_PREDICTORS"]

MAX_EXACT_PREDICTORS = 12

Method = Literal["lmg", "johnson", "dominance"]


def subset_r2(corr: np.ndarray) -> np.ndarray:
    r"""R² of the regression of the outcome on every subset of predictors.

    Parameters
    ----------
    corr : ndarray, shape (p + 1, p + 1)
        Correlation matrix with the outcome in the last row/column.

    Returns
    -------
    ndarray, shape (2**p,)
        Entry ``m`` is the R² using the predictors whose bits are set in ``m``.

    Notes
    -----
    :math:`R^2_S = r_{S y}^\top R_{SS}^{-1} r_{S y}`; subsets of equal size
    are solved as one batched linear system.

    References
    ----------
    .. [1] Grömping, U. (2006). Relative importance for linear regression in R:
       the package relaimpo. *J. Statistical Software*, 17(1).
    """
    p = corr.shape[0] - 1
    rxx = corr[:p, :p]
    rxy = corr[:p, p]
    masks = np.arange(1 << p)
    bits = (masks[:, None] >> np.arange(p)) & 1
    size = bits.sum(1)
    r2 = np.zeros(1 << p)
    for k in range(1, p + 1):
        sel = masks[size == k]
        cols = np.nonzero(bits[sel])[1].reshape(len(sel), k)
        a = rxx[cols[:, :, None], cols[:, None, :]]
        b = rxy[cols]
        # lstsq-free solve; a perfectly collinear subset would make this raise,
        # which is the right outcome for a driver model.
        beta = np.linalg.solve(a, b[..., None])[..., 0]
        r2[sel] = np.einsum("ij,ij->i", b, beta)
    return r2


def _shapley(r2: np.ndarray, p: int) -> np.ndarray:
    masks = np.arange(1 << p)
    size = np.array([bin(m).count("1") for m in masks])
    weight = np.array([1.0 / (p * comb(p - 1, k)) if k < p else 0.0 for k in range(p + 1)])
    out = np.empty(p)
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        out[j] = np.sum(weight[size[without]] * (r2[without | (1 << j)] - r2[without]))
    return out


def _dominance_tables(r2: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Conditional dominance (p × p sizes) and complete dominance (p × p) matrices."""
    masks = np.arange(1 << p)
    size = np.array([bin(m).count("1") for m in masks])
    cond = np.zeros((p, p))
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        gain = r2[without | (1 << j)] - r2[without]
        for k in range(p):
            cond[j, k] = gain[size[without] == k].mean()
    complete = np.full((p, p), np.nan)
    for i in range(p):
        for j in range(p):
            if i == j:
                continue
            others = masks[(((masks >> i) & 1) == 0) & (((masks >> j) & 1) == 0)]
            gi = r2[others | (1 << i)] - r2[others]
            gj = r2[others | (1 << j)] - r2[others]
            complete[i, j] = 1.0 if np.all(gi > gj) else (0.0 if np.all(gi < gj) else 0.5)
    return cond, complete


def _johnson(corr: np.ndarray) -> np.ndarray:
    p = corr.shape[0] - 1
    rxx = corr[:p, :p]
    rxy = corr[:p, p]
    evals, evecs = np.linalg.eigh(rxx)
    lam = evecs @ np.diag(np.sqrt(np.clip(evals, 0.0, None))) @ evecs.T
    beta = np.linalg.solve(lam, rxy)
    return (lam * lam) @ (beta * beta)


def _corr(data: np.ndarray) -> np.ndarray:
    return np.corrcoef(data, rowvar=False)


def _importance(corr: np.ndarray, method: Method) -> tuple[np.ndarray, float]:
    p = corr.shape[0] - 1
    if method == "johnson":
        raw = _johnson(corr)
        return raw, float(raw.sum())
    r2 = subset_r2(corr)
    return _shapley(r2, p), float(r2[-1])


def relative_importance(
    X: pd.DataFrame,
    y: pd.Series,
    method: Method = "lmg",
    bootstrap: int = 0,
    level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> pd.Series:
    r"""Relative importance of predictors, as shares of the model R².

    Parameters
    ----------
    X : pandas.DataFrame
        Numeric predictors, one column each. Rows with a missing value in X or
        y are dropped (listwise deletion, as relaimpo does).
    y : pandas.Series
        Outcome, aligned with X by position.
    method : {"lmg", "johnson", "dominance"}
        ``"lmg"``: Shapley decomposition of R² (Lindeman, Merenda & Gold),
        exact, up to 12 predictors. ``"dominance"``: general dominance weights
        (Budescu); mathematically equal to LMG, and additionally reports the
        conditional and complete dominance tables. ``"johnson"``: Johnson's
        relative weights (any number of predictors).
    bootstrap : int
        Number of bootstrap resamples of rows for percentile intervals on the
        shares (0 = none).
    level : float
        Level of the bootstrap intervals.
    random_state : int or numpy.random.Generator, optional
        Seed for the bootstrap.

    Returns
    -------
    pandas.Series
        Shares summing to 1, indexed by column name. ``.attrs`` holds ``"r2"``
        (model R²), ``"raw"`` (unnormalised weights summing to R², a Series),
        ``"n"``, ``"method"``, and when bootstrapping ``"low"``/``"high"``
        (Series). For ``"dominance"`` also ``"conditional"`` (DataFrame of
        mean R² gain by model size) and ``"complete"`` (DataFrame, 1 if the
        row predictor completely dominates the column predictor, 0 if it is
        dominated, 0.5 if undetermined).

    Raises
    ------
    ValueError
        For ``"lmg"``/``"dominance"`` with more than 12 predictors (2^p
        subsets would be needed), or fewer rows than predictors + 2.

    Notes
    -----
    With :math:`R^2(S)` the R² of the model on subset :math:`S` of the
    :math:`p` predictors,

    .. math::

        \mathrm{LMG}_j = \sum_{S \not\ni j}
        \frac{|S|!\,(p-|S|-1)!}{p!}\,\bigl[R^2(S \cup \{j\}) - R^2(S)\bigr],

    which sums to :math:`R^2` over :math:`j`. Johnson's weights:
    :math:`R_{xx} = Q\Lambda Q^\top`, :math:`\Lambda_* = Q\Lambda^{1/2}Q^\top`,
    :math:`\beta = \Lambda_*^{-1} r_{xy}`,
    :math:`\varepsilon_j = \sum_k \Lambda_{*jk}^2 \beta_k^2`.
    R² of every subset comes from the correlation matrix, not by refitting.

    References
    ----------
    .. [1] Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction
       to Bivariate and Multivariate Analysis*. Scott, Foresman.
    .. [2] Grömping, U. (2006). Relative importance for linear regression in R:
       the package relaimpo. *J. Statistical Software*, 17(1).
    .. [3] Johnson, J. W. (2000). A heuristic method for estimating the relative
       weight of predictor variables in multiple regression. *Multivariate
       Behavioral Research*, 35(1), 1–19.
    .. [4] Azen, R. & Budescu, D. V. (2003). The dominance analysis approach
       for comparing predictors in multiple regression. *Psychological
       Methods*, 8(2), 129–148.
    """
    if method not in ("lmg", "johnson", "dominance"):
        raise ValueError(f"unknown method {method!r}; use 'lmg', 'johnson' or 'dominance'")
    if not isinstance(X, pd.DataFrame):
        raise TypeError("X must be a pandas DataFrame")
    names = list(X.columns)
    p = len(names)
    if p == 0:
        raise ValueError("need at least one predictor")
    if method != "johnson" and p > MAX_EXACT_PREDICTORS:
        raise ValueError(
            f"exact {method} needs 2^p subset models; {p} predictors exceeds the limit of "
            f"{MAX_EXACT_PREDICTORS}. Use method='johnson' or reduce the predictors."
        )
    data = np.column_stack([X.to_numpy(dtype=float), np.asarray(y, dtype=float)])
    data = data[np.all(np.isfinite(data), axis=1)]
    if len(data) < p + 2:
        raise ValueError("need more complete rows than predictors + 1")
    corr = _corr(data)
    raw, r2 = _importance(corr, method)
    shares = pd.Series(raw / r2, index=names, name="share")
    shares.attrs["r2"] = r2
    shares.attrs["raw"] = pd.Series(raw, index=names, name="raw")
    shares.attrs["n"] = len(data)
    shares.attrs["method"] = method
    if method == "dominance":
        cond, complete = _dominance_tables(subset_r2(corr), p)
        shares.attrs["conditional"] = pd.DataFrame(cond, index=names, columns=range(p))
        shares.attrs["complete"] = pd.DataFrame(complete, index=names, columns=names)
    if bootstrap:
        rng = np.random.default_rng(random_state)
        boot = np.empty((bootstrap, p))
        for b in range(bootstrap):
            sample = data[rng.integers(0, len(data), len(data))]
            braw, br2 = _importance(_corr(sample), method)
            boot[b] = braw / br2
        alpha = (1.0 - level) / 2.0
        shares.attrs["low"] = pd.Series(np.quantile(boot, alpha, axis=0), index=names)
        shares.attrs["high"] = pd.Series(np.quantile(boot, 1.0 - alpha, axis=0), index=names)
    return shares
