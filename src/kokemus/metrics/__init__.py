"""Pure statistics for kokemus: CX scores, SPC, comparisons, drivers, forecasts.

Depends on NumPy and SciPy only (pandas for :mod:`kokemus.metrics.drivers`);
never on Django. Functions take counts or arrays and are vectorised.
"""
