import numpy as np
import pytest

from kokemus.metrics.adjust import mood_adjust


def _simulate(seed=0, beta=0.5):
    rng = np.random.default_rng(seed)
    units = np.repeat(np.array(["a", "b", "c"]), 400)
    quality = {"a": 4.0, "b": 4.0, "c": 3.5}
    # Unit b's respondents are in a better mood, which inflates its raw score.
    mood_shift = {"a": 0.0, "b": 1.0, "c": 0.0}
    mood = rng.normal(size=units.size) + np.array([mood_shift[u] for u in units])
    score = np.array([quality[u] for u in units]) + beta * mood + rng.normal(0, 0.5, units.size)
    return units, score, mood


def test_recovers_mood_effect_and_removes_case_mix():
    units, score, mood = _simulate()
    r = mood_adjust(units, score, mood, reference_mood=0.0)
    assert list(r.units) == ["a", "b", "c"]
    assert r.effect_low < 0.5 < r.effect_high
    assert r.raw[1] - r.raw[0] > 0.3
    assert abs(r.adjusted[1] - r.adjusted[0]) < 3 * np.hypot(r.adjusted_se[0], r.adjusted_se[1])


def test_matches_fixed_effects_ols():
    units, score, mood = _simulate(seed=1)
    dummies = (units[:, None] == np.array(["a", "b", "c"])).astype(float)
    design = np.column_stack([dummies, mood])
    coef, rss, *_ = np.linalg.lstsq(design, score, rcond=None)
    r = mood_adjust(units, score, mood)
    assert r.effect == pytest.approx(coef[-1])
    sigma2 = rss[0] / (len(score) - 4)
    cov = sigma2 * np.linalg.inv(design.T @ design)
    assert r.effect_se == pytest.approx(np.sqrt(cov[-1, -1]))
    ref = mood.mean()
    np.testing.assert_allclose(r.adjusted, coef[:3] + coef[-1] * ref)


def test_constant_mood_within_units_is_an_error():
    with pytest.raises(ValueError):
        mood_adjust(["a", "a", "b", "b"], [1, 2, 3, 4], [1, 1, 2, 2])
