"""Minimum-sample-size suppression of published results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Subject", "Suppressed", "SuppressionPolicy", "SuppressedArray"]

Subject = Literal["unit", "staff", "team"]


@dataclass(frozen=True)
class Suppressed:
    """Stand-in for a result that must not be shown.

    It deliberately holds no value, interval or exact count, so nothing
    downstream can leak the suppressed number.
    """

    reason: str
    threshold: int

    def __bool__(self) -> bool:
        return False

    def __float__(self) -> float:
        return float("nan")


@dataclass(frozen=True)
class SuppressedArray:
    """Vectorised result of :meth:`SuppressionPolicy.apply`.

    ``values`` has NaN where suppressed; ``reasons`` holds the reason string
    there and None elsewhere; ``suppressed`` is the boolean mask.
    """

    values: np.ndarray
    suppressed: np.ndarray
    reasons: np.ndarray


@dataclass(frozen=True)
class SuppressionPolicy:
    r"""Rules for withholding results based on too few responses.

    Parameters
    ----------
    min_unit_n : int
        Results about a unit (site, service, ward) with fewer responses than
        this are suppressed. Default 5, following NHS FFT publication, which
        suppresses counts of 1–4.
    min_person_n : int
        Results about a named staff member or team need at least this many
        responses. Default 10, because small groups make individual answers
        re-identifiable and individual feedback unreliable.

    Notes
    -----
    A result is suppressed when :math:`n < n_\min(\text{subject})`.

    References
    ----------
    .. [1] NHS England (2023). *Friends and Family Test data publication:
       statistical disclosure control* (suppression of values below 5).
    .. [2] Office for National Statistics (2021). *Statistical disclosure control
       for tables*, threshold rules.
    """

    min_unit_n: int = 5
    min_person_n: int = 10

    def __post_init__(self) -> None:
        if self.min_unit_n < 1 or self.min_person_n < 1:
            raise ValueError("thresholds must be at least 1")

    def threshold(self, subject: Subject = "unit") -> int:
        """Minimum n for ``subject`` ("unit", "staff" or "team")."""
        if subject == "unit":
            return self.min_unit_n
        if subject in ("staff", "team"):
            return self.min_person_n
        raise ValueError(f"unknown subject {subject!r}")

    def reason(self, subject: Subject = "unit") -> str:
        """Human-readable reason used when a result for ``subject`` is withheld."""
        t = self.threshold(subject)
        what = "a unit" if subject == "unit" else f"a named {subject}"
        return f"fewer than {t} responses for {what}"

    def is_suppressed(self, n: ArrayLike, subject: Subject = "unit") -> np.ndarray:
        """Boolean mask, True where :math:`n < n_\\min`."""
        return np.asarray(n) < self.threshold(subject)

    def check(self, result: Any, n: int, subject: Subject = "unit") -> Any:
        """Return ``result`` unchanged, or a :class:`Suppressed` if n is too small."""
        if bool(self.is_suppressed(n, subject)):
            return Suppressed(reason=self.reason(subject), threshold=self.threshold(subject))
        return result

    def apply(self, values: ArrayLike, n: ArrayLike, subject: Subject = "unit") -> SuppressedArray:
        """Mask an array of values by their response counts."""
        v, m = np.broadcast_arrays(np.asarray(values, dtype=float), np.asarray(n))
        mask = self.is_suppressed(m, subject)
        out = np.where(mask, np.nan, v)
        reasons = np.full(mask.shape, None, dtype=object)
        reasons[mask] = self.reason(subject)
        return SuppressedArray(values=out, suppressed=mask, reasons=reasons)
