"""Mean, spread and confidence intervals of paired benchmark runs.

Only the standard library and numpy: no scipy. The Student-t quantile is
computed from its density (Simpson's rule on the CDF, then bisection),
accurate to about 1e-8 for one or more degrees of freedom.
"""
import math
from typing import Dict, Sequence

import numpy as np


def student_t_cdf(x: float, df: int) -> float:
    """P(T <= x) for Student's t with ``df`` degrees of freedom.

    ``0.5 + int_0^|x| pdf(t) dt`` (signed), the integral by Simpson's rule
    on a grid uniform in ``atan(t)``, which keeps the heavy tail of small
    ``df`` accurate.
    """
    if df < 1:
        raise ValueError(f'df must be >= 1, got {df}')
    if x == 0:
        return 0.5
    log_norm = (math.lgamma((df + 1) / 2) - math.lgamma(df / 2) -
                0.5 * math.log(df * math.pi))
    # t = tan(u): dt = (1 + t^2) du, u in [0, atan(|x|)].
    u = np.linspace(0.0, math.atan(abs(x)), 4001)
    t = np.tan(u)
    f = np.exp(log_norm - (df + 1) / 2 * np.log1p(t * t / df)) * (1 + t * t)
    h = u[1] - u[0]
    area = h / 3 * (f[0] + f[-1] + 4 * f[1:-1:2].sum() + 2 * f[2:-1:2].sum())
    return 0.5 + math.copysign(area, x)


def student_t_quantile(p: float, df: int) -> float:
    """The ``p`` quantile of Student's t with ``df`` degrees of freedom,
    by bisection on :func:`student_t_cdf`."""
    if not 0.0 < p < 1.0:
        raise ValueError(f'p must be in (0, 1), got {p}')
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -student_t_quantile(1 - p, df)
    lo, hi = 0.0, 1.0
    while student_t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if student_t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mean_std(values: Sequence[float]) -> Dict[str, float]:
    """Mean and sample standard deviation (n - 1; 0 for one value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError('mean_std needs at least one value')
    std = float(x.std(ddof=1)) if x.size > 1 else 0.0
    return dict(mean=float(x.mean()), std=std, n=int(x.size))


def paired_interval(a: Sequence[float],
                    b: Sequence[float],
                    confidence: float = 0.95) -> Dict[str, float]:
    """Confidence interval of the mean paired difference ``a - b``.

    ``d_i = a_i - b_i`` (runs paired by seed);
    ``mean(d) +- t_{(1 + c) / 2, n - 1} * sd(d) / sqrt(n)``.

    Args:
        a (Sequence[float]): E.g. PseudoSeg's mIoU per seed.
        b (Sequence[float]): The baseline's, same seeds in the same order.
        confidence (float): c. Defaults to 0.95.

    Returns:
        dict[str, float]: ``mean``, ``std`` (of the differences), ``n``,
        ``half_width``, ``low``, ``high`` (NaN half width for n = 1).
    """
    if len(a) != len(b):
        raise ValueError(f'paired_interval needs as many values in a as in '
                         f'b, got {len(a)} and {len(b)}')
    if not 0.0 < confidence < 1.0:
        raise ValueError(f'confidence must be in (0, 1), got {confidence}')
    d = mean_std(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    n = d['n']
    if n < 2:
        half = float('nan')
    else:
        half = student_t_quantile(
            (1 + confidence) / 2, n - 1) * d['std'] / math.sqrt(n)
    return dict(
        d, half_width=half, low=d['mean'] - half, high=d['mean'] + half)
