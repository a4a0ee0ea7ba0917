import numpy as np
import pytest

from kokemus.metrics.experience import experience_index, trajectories


def test_half_life_weights():
    """Two responses, one a half-life old: weights 1 and 1/2 → (2·1 + 4)/1.5."""
    e = experience_index([2.0, 4.0], [0.0, 10.0], half_life=10.0)
    assert e.index[0] == pytest.approx((0.5 * 2 + 4) / 1.5)
    assert e.n_eff[0] == pytest.approx(1.5**2 / 1.25)


def test_equal_times_reduce_to_t_interval():
    from scipy import stats

    y = np.array([3.0, 4.0, 5.0, 4.0, 2.0])
    e = experience_index(y, np.zeros(5), half_life=7.0)
    lo, hi = stats.t.interval(0.95, 4, loc=y.mean(), scale=stats.sem(y))
    assert e.low[0] == pytest.approx(lo) and e.high[0] == pytest.approx(hi)
    assert e.satisfaction[0] == pytest.approx(y.mean())


def test_index_lags_satisfaction_after_a_change():
    t = np.arange(200.0)
    y = np.where(t < 150, 4.0, 2.0) + 0.0 * t
    e = experience_index(y, t, half_life=30.0, at=[199.0], window=10.0)
    assert e.satisfaction[0] == pytest.approx(2.0)
    assert 2.0 < e.index[0] < 4.0


def test_trajectories():
    r = trajectories(["x", "y", "x", "x", "z"], [0, 0, 2, 1, 5], [1.0, 3.0, 3.0, 2.0, 4.0])
    assert list(r.tokens) == ["x", "y", "z"]
    assert r.change[0] == 2.0 and np.isnan(r.change[1])
    assert r.slope[0] == pytest.approx(1.0)
    assert r.repeat_respondents == 1 and r.mean_change == 2.0
