import numpy as np
import pytest
from scipy import stats

from kokemus.metrics.forecast import sample_size_nps, sample_size_proportion, trend_forecast


def test_prediction_interval_matches_textbook_formula():
    y = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 6.0])
    f = trend_forecast(y, at=8, level=0.95)
    t = np.arange(6.0)
    b, a = np.polyfit(t, y, 1)
    s = np.sqrt(((y - a - b * t) ** 2).sum() / 4)
    se = s * np.sqrt(1 + 1 / 6 + (8 - t.mean()) ** 2 / ((t - t.mean()) ** 2).sum())
    assert float(f.mean) == pytest.approx(a + 8 * b)
    assert float(f.high) == pytest.approx(a + 8 * b + stats.t.ppf(0.975, 4) * se)


def test_probability_direction():
    y = np.arange(10.0) + np.array([0.1, -0.1] * 5)
    up = trend_forecast(y, at=15, target=12, direction="increase")
    down = trend_forecast(y, at=15, target=12, direction="decrease")
    assert float(up.probability) > 0.99
    assert float(up.probability) + float(down.probability) == pytest.approx(1.0)


def test_probability_forecast_is_calibrated():
    """1,000 seeded linear-trend series; goals are set at random, and among
    forecasts between 70 % and 90 % the hit rate must match the mean forecast,
    and at the 80 % goal exactly 80 % ± 5 points must be reached."""
    rng = np.random.default_rng(20240601)
    n_series, n_obs, horizon = 1000, 12, 6
    probs, hits, probs80, hits80 = [], [], [], []
    t = np.arange(n_obs + horizon, dtype=float)
    for _ in range(n_series):
        slope, sd = rng.normal(0, 1), rng.uniform(0.5, 3)
        y = 50 + slope * t + rng.normal(0, sd, t.size)
        past, future = y[:n_obs], y[-1]
        at = n_obs + horizon - 1
        f = trend_forecast(past, at=at, level=0.6)
        # The 80 % goal is the lower end of the central 60 % prediction interval.
        g80 = trend_forecast(past, at=at, target=float(f.low))
        probs80.append(float(g80.probability))
        hits80.append(future >= float(f.low))
        goal = float(f.mean) + rng.normal(0, 2 * float(f.se))
        g = trend_forecast(past, at=at, target=goal)
        probs.append(float(g.probability))
        hits.append(future >= goal)
    assert np.allclose(probs80, 0.8)
    assert abs(np.mean(hits80) - 0.8) <= 0.05
    probs, hits = np.array(probs), np.array(hits)
    band = (probs > 0.7) & (probs < 0.9)
    assert band.sum() > 100
    assert abs(hits[band].mean() - probs[band].mean()) <= 0.06


def test_sample_size_proportion_matches_power_prop_test():
    """R: power.prop.test(p1 = .50, p2 = .75, power = .90) gives n = 76.7."""
    assert float(sample_size_proportion(0.5, 0.75, power=0.9)) == pytest.approx(76.7, abs=0.05)


def test_sample_size_nps_gives_requested_power():
    """Simulated power at the computed n is close to 80 %."""
    p, d, change = 0.4, 0.3, 10.0
    n = int(np.ceil(float(sample_size_nps(p, d, change))))
    rng = np.random.default_rng(7)
    reps = 2000
    a = rng.multinomial(n, [p, 1 - p - d, d], size=reps)
    b = rng.multinomial(n, [p + 0.05, 1 - p - d, d - 0.05], size=reps)
    from kokemus.metrics.compare import nps_difference

    res = nps_difference(b[:, 0], b[:, 1], b[:, 2], a[:, 0], a[:, 1], a[:, 2])
    assert abs(np.mean(res.p_value < 0.05) - 0.8) < 0.04


def test_sample_size_nps_explicit_after_shares():
    same = sample_size_nps(0.4, 0.3, 10.0, promoters_after=0.45, detractors_after=0.25)
    assert float(same) == pytest.approx(float(sample_size_nps(0.4, 0.3, 10.0)))
