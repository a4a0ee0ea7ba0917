"""Scores with uncertainty, checked against published values and by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from kokemus.metrics import scores


def test_nps_wald_published_example():
    """Rocks (2016) / MeasuringU example: 291 promoters, 476 passives, 395 detractors."""
    e = scores.nps(291, 476, 395)
    assert float(e.n) == 1162
    assert float(e.value) == pytest.approx(-8.9501, abs=1e-4)
    assert float(e.se) == pytest.approx(2.2387, abs=1e-4)
    assert float(e.high) - float(e.value) == pytest.approx(4.3877, abs=1e-4)
    assert float(e.value) - float(e.low) == pytest.approx(4.3877, abs=1e-4)


def test_nps_adjusted_wald_published_example():
    e = scores.nps(291, 476, 395, method="adjusted_wald")
    assert float(e.value) == pytest.approx(-8.93, abs=0.01)
    assert float(e.low) == pytest.approx(-13.31, abs=0.01)
    assert float(e.high) == pytest.approx(-4.55, abs=0.01)


def test_nps_vectorised_matches_scalar_calls():
    p = np.array([291, 10, 0, 50])
    a = np.array([476, 5, 0, 0])
    d = np.array([395, 1, 7, 50])
    v = scores.nps(p, a, d, method="adjusted_wald")
    for i in range(4):
        s = scores.nps(p[i], a[i], d[i], method="adjusted_wald")
        assert v.value[i] == pytest.approx(float(s.value))
        assert v.low[i] == pytest.approx(float(s.low))
    # Adjusted Wald pulls an all-detractor unit in: (0.75 - 7.75) / 10.
    assert v.value[2] == pytest.approx(-70.0)
    assert scores.nps(p, a, d).value[2] == -100.0


def test_nps_rejects_bad_input():
    with pytest.raises(ValueError):
        scores.nps(1, 2, 3, method="exact")
    with pytest.raises(ValueError):
        scores.nps(-1, 2, 3)


def test_wilson_published_example():
    """Newcombe (1998) Table I: 81/263 → 0.2553 to 0.3662 (Wilson, 95 %)."""
    e = scores.proportion(81, 263)
    assert float(e.low) == pytest.approx(0.2553, abs=1e-4)
    assert float(e.high) == pytest.approx(0.3662, abs=1e-4)


def test_wilson_zero_successes_newcombe():
    """Newcombe (1998) Table I: 0/20 → 0 to 0.1611."""
    e = scores.proportion(0, 20)
    assert float(e.low) == 0.0
    assert float(e.high) == pytest.approx(0.1611, abs=1e-4)


def test_top_box_counts_top_two_answers():
    counts = [[2, 3, 5, 20, 10], [0, 0, 0, 1, 0]]
    e = scores.top_box(counts)
    np.testing.assert_allclose(e.value, [30 / 40, 1.0])


def test_mean_from_counts_equals_raw_data_t_interval():
    raw = np.repeat([1, 2, 3, 4, 5], [3, 4, 10, 12, 6])
    e = scores.mean_from_counts([3, 4, 10, 12, 6])
    lo, hi = stats.t.interval(0.95, len(raw) - 1, loc=raw.mean(), scale=stats.sem(raw))
    assert float(e.value) == pytest.approx(raw.mean())
    assert float(e.low) == pytest.approx(lo)
    assert float(e.high) == pytest.approx(hi)
    m = scores.mean_from_moments(len(raw), raw.sum(), (raw**2).sum())
    assert float(m.se) == pytest.approx(stats.sem(raw))


def test_mean_with_one_response_has_no_interval():
    e = scores.mean_from_moments(1, 4, 16)
    assert float(e.value) == 4 and np.isnan(float(e.low))


def test_fft_positive_includes_dont_know_in_denominator():
    """50 very good + 30 good out of 100 including 2 don't know → 80 %."""
    e = scores.fft_positive(50, 30, 10, 5, 3, 2)
    assert float(e.value) == pytest.approx(80.0)
    assert float(e.n) == 100
    assert float(e.low) == pytest.approx(100 * float(scores.proportion(80, 100).low))


def test_smiley_index_scale_and_share():
    s = scores.smiley_index([1, 1, 1, 1])
    assert float(s.index.value) == pytest.approx(50.0)
    assert float(s.positive.value) == pytest.approx(0.5)
    assert float(scores.smiley_index([0, 0, 0, 7]).index.value) == pytest.approx(100.0)


def test_expectations_exceeded():
    e = scores.expectations_exceeded([1, 2, 3, 4, 10])
    assert float(e.value) == pytest.approx(14 / 20)


counts = st.integers(min_value=0, max_value=10_000)


@given(counts, counts, counts, st.sampled_from(["wald", "adjusted_wald"]))
def test_nps_properties(p, a, d, method):
    if p + a + d == 0:
        return
    e = scores.nps(p, a, d, method=method)
    assert -100 <= float(e.value) <= 100
    assert -100 <= float(e.low) <= float(e.value) + 1e-9
    assert float(e.value) - 1e-9 <= float(e.high) <= 100


@given(st.integers(0, 5000), st.integers(1, 5000), st.floats(0.5, 0.999))
def test_wilson_properties(x, extra, level):
    n = x + extra if x else extra
    x = min(x, n)
    e = scores.proportion(x, n, level=level)
    assert 0.0 <= float(e.low) <= float(e.value) + 1e-12
    assert float(e.value) - 1e-12 <= float(e.high) <= 1.0
