from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kokemus.metrics.drivers import relative_importance

SWISS = Path(__file__).resolve().parent / "data" / "swiss.csv"
# relaimpo: calc.relimp(Fertility ~ ., swiss, type = "lmg", rela = TRUE)
LMG_SWISS = {
    "Agriculture": 0.0808,
    "Examination": 0.2422,
    "Education": 0.3681,
    "Catholic": 0.1494,
    "Infant.Mortality": 0.1596,
}


@pytest.fixture(scope="module")
def swiss():
    if not SWISS.exists():
        pytest.skip("swiss.csv missing")
    d = pd.read_csv(SWISS, index_col=0)
    return d.drop(columns="Fertility"), d["Fertility"]


@pytest.mark.parametrize("method", ["lmg", "dominance"])
def test_swiss_lmg_matches_relaimpo(swiss, method):
    X, y = swiss
    s = relative_importance(X, y, method=method)
    assert s.attrs["r2"] == pytest.approx(0.7067, abs=1e-4)
    for name, value in LMG_SWISS.items():
        assert s[name] == pytest.approx(value, abs=1e-4)
    assert s.sum() == pytest.approx(1.0)


def test_swiss_johnson_raw_weights_sum_to_r2(swiss):
    X, y = swiss
    s = relative_importance(X, y, method="johnson")
    assert s.attrs["raw"].sum() == pytest.approx(0.7067, abs=1e-4)
    assert s.idxmax() == "Education"


def test_johnson_equals_squared_correlations_for_orthogonal_predictors():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(200, 3))
    # QR of centred columns keeps them centred and makes them exactly uncorrelated.
    q, _ = np.linalg.qr(z - z.mean(0))
    X = pd.DataFrame(q, columns=list("abc"))
    y = pd.Series(X @ np.array([3.0, 2.0, 1.0]) + rng.normal(scale=0.1, size=200))
    r = np.array([np.corrcoef(X[c], y)[0, 1] ** 2 for c in X])
    for method in ("johnson", "lmg"):
        s = relative_importance(X, y, method=method)
        np.testing.assert_allclose(s.attrs["raw"].to_numpy(), r, atol=1e-10)


def test_dominance_tables(swiss):
    X, y = swiss
    s = relative_importance(X, y, method="dominance")
    cond = s.attrs["conditional"]
    np.testing.assert_allclose(cond.mean(axis=1), s.attrs["raw"])
    assert s.attrs["complete"].loc["Education", "Agriculture"] == 1.0


def test_too_many_predictors_error():
    X = pd.DataFrame(np.random.default_rng(0).normal(size=(100, 13)))
    y = pd.Series(np.arange(100.0))
    with pytest.raises(ValueError, match="12"):
        relative_importance(X, y)
    assert relative_importance(X, y, method="johnson").sum() == pytest.approx(1.0)


def test_bootstrap_intervals_bracket_estimates(swiss):
    X, y = swiss
    s = relative_importance(X, y, bootstrap=100, random_state=1)
    assert (s.attrs["low"] <= s.attrs["high"]).all()
    assert (s.attrs["low"] < s + 0.05).all() and (s.attrs["high"] > s - 0.05).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000), st.sampled_from(["lmg", "johnson"]))
def test_shares_sum_to_one(p, seed, method):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(60, p)))
    y = pd.Series(X.to_numpy() @ rng.normal(size=p) + rng.normal(size=60))
    s = relative_importance(X, y, method=method)
    assert s.sum() == pytest.approx(1.0)
    assert s.attrs["raw"].sum() == pytest.approx(s.attrs["r2"])
    assert 0 <= s.attrs["r2"] <= 1
