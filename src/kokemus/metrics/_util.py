"""Small shared helpers for the metrics package (not public API)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats


def as_float(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def z_value(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return float(stats.norm.ppf(0.5 + level / 2.0))


def squeeze(x: np.ndarray) -> np.ndarray | np.floating:
    # 0-d arrays become NumPy scalars so callers handing in scalars get scalars back.
    x = np.asarray(x)
    return x[()] if x.ndim == 0 else x


def wilson(successes: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    z = z_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / n
        denom = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / denom
        half = z * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n)) / denom
    # Clipping only removes floating-point dust; Wilson bounds are in [0, 1] analytically.
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
