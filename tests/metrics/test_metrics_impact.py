"""Difference-in-differences on simulated chains: a planted +8 NPS effect is found, a null
effect is rarely claimed, and the formulas match a hand calculation."""

import numpy as np
import pytest

from kokemus.metrics.compare import nps_difference
from kokemus.metrics.impact import did_nps, did_proportion

BASE = np.array([0.60, 0.30, 0.10])  # promoters, passives, detractors: NPS 50
TREATED, CONTROLS = 5, 10
# Responses per site and period: four months at ≈ 150 a month (a busy pharmacy). With
# 150 per period the power to see +8 points is only ≈ 50 %, so a shorter window cannot
# promise detection; the product then says how many more responses are needed.
PER_SITE = 600
SIMS = 200


def shares_after(effect: float) -> np.ndarray:
    # Half of the change from more promoters, half from fewer detractors.
    return np.array([BASE[0] + effect / 200, BASE[1], BASE[2] - effect / 200])


def simulate(effect: float, rng: np.random.Generator, sims: int = SIMS):
    # Sites differ in level (fixed over time, different in every simulation): DiD removes it.
    def draw(levels: np.ndarray, probs: np.ndarray) -> np.ndarray:
        out = np.zeros((sims, 3))
        for site in range(levels.shape[1]):
            shift = levels[:, site:site + 1]
            p = probs + np.hstack([shift, np.zeros_like(shift), -shift])
            out += np.array([rng.multinomial(PER_SITE, row) for row in p])
        return out

    treated = rng.uniform(-0.05, 0.05, size=(sims, TREATED))
    controls = rng.uniform(-0.05, 0.05, size=(sims, CONTROLS))
    return did_nps(draw(treated, BASE), draw(treated, shares_after(effect)),
                   draw(controls, BASE), draw(controls, BASE))


def test_planted_effect_is_detected():
    rng = np.random.default_rng(20260301)
    result = simulate(8.0, rng)
    detected = np.mean(result.low > 0)
    assert detected >= 0.90, detected
    # And the estimate is centred on the truth.
    assert abs(np.mean(result.value) - 8.0) < 1.0


def test_null_effect_is_rarely_claimed():
    rng = np.random.default_rng(20260302)
    result = simulate(0.0, rng)
    claimed = np.mean((result.low > 0) | (result.high < 0))
    assert claimed <= 0.05, claimed


def test_null_calibration_over_many_simulations():
    # Nominal 5 %: a large run stays close to it (the Wald interval is not anti-conservative).
    rng = np.random.default_rng(7)
    result = simulate(0.0, rng, sims=3000)
    claimed = np.mean((result.low > 0) | (result.high < 0))
    assert 0.035 <= claimed <= 0.065, claimed


def test_did_nps_by_hand():
    pre_t, post_t = (50, 30, 20), (70, 20, 10)     # NPS 30 → 60
    pre_c, post_c = (40, 40, 20), (45, 35, 20)     # NPS 20 → 25
    result = did_nps(pre_t, post_t, pre_c, post_c)
    assert float(result.value) == pytest.approx(25.0)
    var = sum(1e4 * (p + d - (p - d) ** 2) / 100 for p, d in
              ((0.5, 0.2), (0.7, 0.1), (0.4, 0.2), (0.45, 0.2)))
    assert float(result.se) == pytest.approx(np.sqrt(var))
    assert float(result.low) == pytest.approx(25 - 1.959964 * np.sqrt(var), abs=1e-4)
    # Without a control change it reduces to the before/after difference's variance plus
    # the controls' variances.
    ba = nps_difference(*post_t, *pre_t)
    assert float(ba.value) == pytest.approx(30.0)


def test_did_proportion_by_hand():
    result = did_proportion(60, 100, 80, 100, 50, 100, 55, 100)
    assert float(result.value) == pytest.approx(0.15)
    var = sum(p * (1 - p) / 100 for p in (0.6, 0.8, 0.5, 0.55))
    assert float(result.se) == pytest.approx(np.sqrt(var))
    assert 0 < float(result.p_value) < 1


def test_bad_counts_are_rejected():
    with pytest.raises(ValueError):
        did_nps((-1, 2, 3), (1, 2, 3), (1, 2, 3), (1, 2, 3))
    with pytest.raises(ValueError):
        did_proportion(5, 4, 1, 2, 1, 2, 1, 2)
