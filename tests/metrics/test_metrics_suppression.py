import numpy as np
import pytest

from kokemus.metrics.suppression import Suppressed, SuppressionPolicy


def test_defaults_follow_fft_and_staff_rules():
    policy = SuppressionPolicy()
    assert policy.threshold("unit") == 5
    assert policy.threshold("staff") == 10
    assert policy.threshold("team") == 10


def test_check_suppresses_below_threshold_without_leaking():
    policy = SuppressionPolicy()
    out = policy.check(73.5, n=4, subject="unit")
    assert isinstance(out, Suppressed)
    assert "73.5" not in repr(out)
    assert not hasattr(out, "value")
    assert "5" in out.reason
    assert policy.check(73.5, n=5, subject="unit") == 73.5
    assert isinstance(policy.check(73.5, n=9, subject="staff"), Suppressed)
    assert policy.check(73.5, n=10, subject="staff") == 73.5


def test_apply_vectorised():
    res = SuppressionPolicy().apply([10.0, 20.0, 30.0], [4, 5, 100])
    assert np.isnan(res.values[0])
    np.testing.assert_array_equal(res.values[1:], [20.0, 30.0])
    assert res.reasons[0] is not None and res.reasons[1] is None
    np.testing.assert_array_equal(res.suppressed, [True, False, False])


def test_unknown_subject():
    with pytest.raises(ValueError):
        SuppressionPolicy().threshold("ward")
