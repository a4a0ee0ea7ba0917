"""Progress forecasts: the probability of reaching the target is calibrated."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy import stats

from kokemus.accounts.audit import SYSTEM
from kokemus.goals import actions
from kokemus.goals import series as S
from kokemus.goals.progress import ON_TRACK, deadline_time, forecast_for, goal_progress
from tests.goals.helpers import monthly_shares


def test_forecast_probability_is_calibrated_at_the_goal_level():
    """1,000 seeded monthly series (linear trend + noise). The target is set where the
    goal-level forecast gives an 80 % chance; about 80 % (± 5 points) must be reached."""
    rng = np.random.default_rng(7)
    first = date(2024, 1, 1)
    months, horizon = 12, 6
    deadline = S.add_months(first, months + horizon - 1)
    probs, hits = [], []
    for _ in range(1000):
        slope, sd = rng.normal(0, 1), rng.uniform(0.5, 4)
        y = 60 + slope * np.arange(months + horizon) + rng.normal(0, sd, months + horizon)
        pts = [S.Point(S.add_months(first, i), S.month_index(S.add_months(first, i)),
                       float(y[i]), 100, {}) for i in range(months)]
        ser = S.Series("csat", "month", pts)
        f = forecast_for(ser, deadline, None)
        target = float(f.mean) - stats.t.ppf(0.8, f.df) * float(f.se)
        g = forecast_for(ser, deadline, target)
        probs.append(float(g.probability))
        hits.append(y[-1] >= target)
    assert np.allclose(probs, 0.8)
    assert abs(np.mean(hits) - 0.8) <= 0.05


def test_deadline_time_is_the_period_containing_the_deadline():
    assert deadline_time(date(2025, 3, 20), "month") == S.month_index(date(2025, 3, 1))
    assert deadline_time(date(2025, 3, 20), "week") == S.month_index(date(2025, 3, 17))


@pytest.mark.django_db
def test_goal_progress_with_rising_series(tree, today):
    monthly_shares(tree.org, tree.kamppi, today, [60 + 2 * i for i in range(12)])
    goal = actions.do_create_goal(SYSTEM, tree.org, metric="csat", scope="unit",
                                  unit=tree.kamppi, target=85,
                                  deadline=S.add_months(today, 6))
    p = goal_progress(goal, today)
    assert p.actual.value == pytest.approx(82)
    assert p.probability > ON_TRACK and p.status == "on_track"
    assert p.assurance in ("consistent_fail", "inconsistent", "consistent_pass")
    far = actions.do_create_goal(SYSTEM, tree.org, metric="csat", scope="unit",
                                 unit=tree.kallio, target=99, deadline=S.add_months(today, 1))
    assert goal_progress(far, today).no_data


@pytest.mark.django_db
def test_followup_goal_has_no_data_yet(tree, today):
    goal = actions.do_create_goal(SYSTEM, tree.org, metric="followup", scope="organisation",
                                  target=24, deadline=S.add_months(today, 3))
    p = goal_progress(goal, today)
    assert p.no_data and p.probability is None
