"""Benchmark of kokemus.metrics hot paths; prints JSON timings in seconds.

Run: PYTHONPATH=src python bench/metrics_bench.py
"""

import json
import platform
import time

import numpy as np
import pandas as pd

from kokemus.metrics.drivers import relative_importance
from kokemus.metrics.scores import nps


def best_of(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    groups = 100_000
    counts = rng.multinomial(200, [0.4, 0.3, 0.3], size=groups)

    def run_nps():
        nps(counts[:, 0], counts[:, 1], counts[:, 2], method="wald")
        nps(counts[:, 0], counts[:, 1], counts[:, 2], method="adjusted_wald")

    rows, p = 50_000, 10
    X = pd.DataFrame(
        rng.normal(size=(rows, p)) @ rng.normal(size=(p, p)), columns=[f"x{i}" for i in range(p)]
    )
    y = pd.Series(X.to_numpy() @ rng.normal(size=p) + rng.normal(size=rows) * 5)

    result = {
        "nps_wald_and_adjusted_wald_100k_groups_s": round(best_of(run_nps), 4),
        "nps_target_s": 0.5,
        "lmg_exact_10_predictors_50k_rows_s": round(
            best_of(lambda: relative_importance(X, y, method="lmg")), 4
        ),
        "johnson_10_predictors_50k_rows_s": round(
            best_of(lambda: relative_importance(X, y, method="johnson")), 4
        ),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
