"""SPC per NHS "Making Data Count" with NHSRplotthedots conventions.

Hand-worked series used below (limits noted where they matter):

* DEVIATIONS = NHSRplotthedots deviations vignette: mean 35/18, MRs are
  1,1,1,8,9,1,... (17 MRs summing to 32); screening drops 8 and 9
  (≥ 3.267·32/17 = 6.15) leaving 15 MRs of 1, so mean MR = 1.
* Shift: 7 points at 5 after 10 points at 1 → mean 2.65; the last 7 are all
  strictly above the mean.
"""

import numpy as np
import pytest

from kokemus.metrics import spc

DEVIATIONS = [1, 2, 1, 2, 10, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1]


def test_vignette_screened_limits():
    r = spc.xmr(DEVIATIONS, improvement_direction="increase")
    assert r.mean[0] == pytest.approx(35 / 18, abs=1e-4)
    assert r.upl[0] == pytest.approx(35 / 18 + 2.66, abs=1e-4)
    assert r.lpl[0] == pytest.approx(35 / 18 - 2.66, abs=1e-4)
    assert r.upl[0] == pytest.approx(4.6044, abs=1e-4)
    assert r.lpl[0] == pytest.approx(-0.7156, abs=1e-4)
    assert r.nupl[0] == pytest.approx(35 / 18 + 2 * 2.66 / 3, abs=1e-4)
    assert r.nlpl[0] == pytest.approx(35 / 18 - 1.7733, abs=1e-4)


def test_vignette_unscreened_limits():
    r = spc.xmr(DEVIATIONS, screen_outliers=False)
    assert r.upl[0] == pytest.approx(35 / 18 + 2.66 * 32 / 17, abs=1e-4)
    assert r.upl[0] == pytest.approx(6.9515, abs=1e-4)
    assert r.lpl[0] == pytest.approx(-3.0626, abs=1e-4)


@pytest.mark.parametrize("screen", [True, False])
def test_vignette_only_fifth_point_special(screen):
    r = spc.xmr(DEVIATIONS, improvement_direction="increase", screen_outliers=screen)
    expected = ["common_cause"] * 18
    expected[4] = "special_cause_improvement"
    assert list(r.point_type) == expected
    assert r.rule[4] == "outside_limits"
    assert r.variation == "common_cause"


def test_direction_decrease_turns_high_point_into_concern():
    r = spc.xmr(DEVIATIONS, improvement_direction="decrease")
    assert r.point_type[4] == "special_cause_concern"
    r = spc.xmr(DEVIATIONS, improvement_direction="neutral")
    assert r.point_type[4] == "special_cause_neutral_high"


def test_point_exactly_on_limit_is_not_outside():
    """Mean MR is 1 after screening for this alternating series; mean 1.5.

    [1, 2] * 8 has mean 1.5, MR all 1, UPL 4.16. Appending 4.16 would shift the
    mean, so instead we build the baseline with fix_after_n_points and put the
    13th point exactly on the fixed UPL.
    """
    base = [1.0, 2.0] * 6
    upl = 1.5 + 2.66 * 1.0
    r = spc.xmr(base + [upl], fix_after_n_points=12)
    assert r.upl[-1] == pytest.approx(upl)
    assert r.point_type[-1] == "common_cause"
    r = spc.xmr(base + [upl + 1e-9], fix_after_n_points=12)
    assert r.point_type[-1] == "special_cause_improvement"


BASE = [1.0, -1.0] * 6
"""Baseline for fixed-limit examples: mean 0, every MR 2, so UPL 5.32,
upper near line 3.5467, and sides alternate (no run can start inside it)."""


def test_shift_seven_points_one_side():
    """Seven points at 1 (above the fixed mean 0, far from the near line 3.55)."""
    r = spc.xmr(BASE + [1.0] * 7, fix_after_n_points=12)
    assert list(r.rule[12:]) == ["shift"] * 7
    assert list(r.point_type[12:]) == ["special_cause_improvement"] * 7
    assert list(r.rule[:12]) == [None] * 12
    r = spc.xmr(BASE + [-1.0] * 7, fix_after_n_points=12)
    assert list(r.point_type[12:]) == ["special_cause_concern"] * 7


def test_six_on_one_side_is_not_a_shift():
    r = spc.xmr(BASE + [1.0] * 6 + [-1.0], fix_after_n_points=12)
    assert list(r.rule) == [None] * 19


def test_point_on_mean_breaks_shift():
    """1, 1, 1, 0, 1, 1, 1 after the baseline: the 0 sits exactly on the mean."""
    r = spc.xmr(BASE + [1.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0], fix_after_n_points=12)
    assert r.mean[-1] == 0.0
    assert list(r.point_type) == ["common_cause"] * 19


def test_trend_seven_points():
    """Six strict rises 1→7; neighbours 10 and -10 fall into and out of the run.

    Unscreened mean MR is large (≈ 9.5) so no point is outside the limits.
    """
    y = [-10, 10, -10, 10, 1, 2, 3, 4, 5, 6, 7, -10, 10, -10]
    r = spc.xmr(y, screen_outliers=False)
    assert list(r.rule[4:11]) == ["trend"] * 7
    assert list(r.point_type[4:11]) == ["special_cause_improvement"] * 7
    assert r.rule[3] is None and r.rule[11] is None


def test_tie_breaks_trend():
    y = [-10, 10, -10, 10, 1, 2, 3, 3, 4, 5, 6, -10, 10, -10]
    r = spc.xmr(y, screen_outliers=False)
    assert "trend" not in set(r.rule)


def test_falling_trend_is_concern_when_increase_is_better():
    y = [10, -10, 10, -10, 7, 6, 5, 4, 3, 2, 1, 10, -10, 10]
    r = spc.xmr(y, screen_outliers=False)
    assert list(r.rule[4:11]) == ["trend"] * 7
    assert list(r.point_type[4:11]) == ["special_cause_concern"] * 7


def test_two_in_three_same_side():
    """Points 4 and 4.5 lie between the upper near line (3.547) and UPL (5.32);
    the point at 1 between them is above the mean too, so all three are on
    the upper side."""
    r = spc.xmr(BASE + [4.0, 1.0, 4.5, -1.0], fix_after_n_points=12)
    assert r.nupl[-1] < 4 < r.upl[-1]
    assert r.rule[12] == "two_in_three" and r.rule[14] == "two_in_three"
    assert r.rule[13] is None  # the middle point is not itself near a limit
    assert r.point_type[12] == "special_cause_improvement"
    r = spc.xmr(BASE + [-4.0, -1.0, -4.5, 1.0], fix_after_n_points=12)
    assert r.point_type[12] == "special_cause_concern"


def test_one_in_three_near_limit_is_not_flagged():
    r = spc.xmr(BASE + [4.0, 1.0, 1.0, -1.0], fix_after_n_points=12)
    assert list(r.rule) == [None] * 16


def test_two_in_three_opposite_sides_not_flagged():
    r = spc.xmr(BASE + [4.0, -4.5, 1.0, -1.0], fix_after_n_points=12)
    assert "two_in_three" not in set(r.rule)


def test_two_in_three_needs_all_three_on_same_side():
    """Two close points above, but the middle point is below the mean."""
    r = spc.xmr(BASE + [4.0, -1.0, 4.5, -1.0], fix_after_n_points=12)
    assert "two_in_three" not in set(r.rule)


def test_precedence_outside_over_trend():
    y = [0, 1, 0, 1, 0, 1, 2, 3, 4, 5, 6, 30]
    r = spc.xmr(y)
    assert r.rule[-1] == "outside_limits"
    assert "trend" in set(r.rule)


def test_assurance():
    y = [10, 11, 9, 10, 11, 9, 10, 11, 9, 10]
    r = spc.xmr(y, target=20, improvement_direction="increase")
    assert r.assurance == "consistent_fail"
    r = spc.xmr(y, target=20, improvement_direction="decrease")
    assert r.assurance == "consistent_pass"
    r = spc.xmr(y, target=0, improvement_direction="increase")
    assert r.assurance == "consistent_pass"
    r = spc.xmr(y, target=10, improvement_direction="increase")
    assert r.assurance == "inconsistent"
    assert spc.xmr(y, target=10, improvement_direction="neutral").assurance is None
    assert spc.xmr(y).assurance is None


def test_rebase_segments_have_own_limits_and_rules():
    y = [1, 2] * 6 + [11, 12] * 6
    whole = spc.xmr(y)
    assert set(whole.point_type) != {"common_cause"}
    r = spc.xmr(y, rebase_at=[12])
    assert r.mean[0] == pytest.approx(1.5) and r.mean[-1] == pytest.approx(11.5)
    assert list(r.segment) == [0] * 12 + [1] * 12
    assert list(r.rule) == [None] * 24


def test_rebase_by_date():
    dates = np.arange("2024-01", "2026-01", dtype="datetime64[M]")
    y = [1, 2] * 6 + [11, 12] * 6
    r = spc.xmr(y, dates=dates, rebase_at=[np.datetime64("2025-01")])
    assert r.mean[11] == pytest.approx(1.5) and r.mean[12] == pytest.approx(11.5)
    shuffled = np.random.default_rng(0).permutation(24)
    r2 = spc.xmr(np.asarray(y)[shuffled], dates=dates[shuffled], rebase_at=["2025-01"])
    np.testing.assert_allclose(r2.values, y)


def test_fix_after_n_points():
    y = [1, 2] * 6 + [5, 6, 7]
    r = spc.xmr(y, fix_after_n_points=12)
    assert r.mean[-1] == pytest.approx(1.5)
    with pytest.raises(ValueError):
        spc.xmr(y, fix_after_n_points=5)


def test_p_chart_limits_vary_with_n():
    x = np.array([45, 40, 50, 90, 42])
    n = np.array([100, 100, 100, 200, 100])
    r = spc.p_chart(x, n)
    pbar = x.sum() / n.sum()
    np.testing.assert_allclose(r.mean, pbar)
    np.testing.assert_allclose(r.upl, pbar + 3 * np.sqrt(pbar * (1 - pbar) / n))
    assert r.upl[3] < r.upl[0]
    assert list(r.point_type) == ["common_cause"] * 5


def test_p_chart_flags_outlying_proportion():
    x = np.array([50] * 10 + [90])
    n = np.array([100] * 11)
    r = spc.p_chart(x, n)
    assert r.point_type[-1] == "special_cause_improvement"
    assert r.rule[-1] == "outside_limits"
