import numpy as np
import pytest

from kokemus.metrics import compare, scores


def test_newcombe_difference_published_example():
    """Newcombe (1998b) Table II example (a): 56/70 vs 48/80 → 0.0524 to 0.3339."""
    d = compare.proportion_difference(56, 70, 48, 80)
    assert float(d.value) == pytest.approx(0.2)
    assert float(d.low) == pytest.approx(0.0524, abs=1e-4)
    assert float(d.high) == pytest.approx(0.3339, abs=1e-4)


def test_pooled_z_p_value_equals_uncorrected_chi_squared():
    """The pooled z-test is the 2×2 Pearson chi-squared test (z² = χ²)."""
    from scipy import stats

    d = compare.proportion_difference(56, 70, 48, 80)
    chi2 = stats.chi2_contingency([[56, 14], [48, 32]], correction=False)
    assert float(d.p_value) == pytest.approx(chi2.pvalue, rel=1e-9)


def test_nps_difference_combines_standard_errors():
    d = compare.nps_difference(291, 476, 395, 400, 400, 300)
    a, b = scores.nps(291, 476, 395), scores.nps(400, 400, 300)
    assert float(d.value) == pytest.approx(float(a.value) - float(b.value))
    assert float(d.se) == pytest.approx(np.hypot(float(a.se), float(b.se)))
    assert float(d.p_value) < 1e-6
    same = compare.nps_difference(10, 10, 10, 10, 10, 10)
    assert float(same.p_value) == pytest.approx(1.0)


def test_benjamini_hochberg_matches_r_p_adjust():
    """R: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.2), "BH")."""
    q, reject = compare.benjamini_hochberg([0.01, 0.04, 0.03, 0.005, 0.2])
    np.testing.assert_allclose(q, [0.025, 0.05, 0.05, 0.025, 0.2])
    np.testing.assert_array_equal(reject, [True, True, True, True, False])


def test_funnel_limits_close_to_normal_for_large_n():
    f = compare.funnel_limits(0.8, [100, 10_000])
    normal = compare.funnel_limits(0.8, [100, 10_000], method="normal")
    assert f.low.shape == (2, 2)
    np.testing.assert_allclose(f.low[:, 1], normal.low[:, 1], atol=2e-3)
    assert np.all(f.low[1] < f.low[0]) and np.all(f.high[1] > f.high[0])
    assert f.high[0, 0] == pytest.approx(0.8 + 1.96 * np.sqrt(0.16 / 100), abs=0.01)


def test_funnel_exact_limit_has_nominal_tail_probability():
    """At the interpolated limit the binomial tail, linearly interpolated, is 2.5 %."""
    from scipy import stats

    n, theta = 50, 0.3
    f = compare.funnel_limits(theta, n, levels=(0.95,))
    upper = float(f.high[0]) * n
    r = np.ceil(upper)
    a = r - upper
    cdf = stats.binom.cdf(r, n, theta) - a * stats.binom.pmf(r, n, theta)
    assert cdf == pytest.approx(0.975, abs=1e-9)


def test_league_table_marks_overlaps_as_ties():
    t = compare.league_table([80, 75, 50], [75, 70, 40], [85, 80, 60], labels=["a", "b", "c"])
    assert list(t.order) == [0, 1, 2]
    assert list(t.rank) == [1, 1, 3]
    assert list(t.tied) == [True, True, False]
    assert t.tied_with[0] == [1]
