"""Is Numba worth its weight here? A fused kernel against NumPy on the hottest elementwise mechanism.

    python benchmarks/numba_probe.py      # needs numba (pip install numba); not a dependency of the project

Firm growth (``simulation.mechanisms.demography.grow_firms``, its elementwise
part: a log, two exponentials, a reflection at the top size and the size
classes) over 64,000 rows, the rows of a batch of 32 default runs. The NumPy
version is the model's own arithmetic; the Numba version fuses it into one
loop (one pass over memory instead of about ten), with and without
``fastmath``. Prints the compile time, the best time per call of each and
whether the results agree (sizes to the last digit, size classes exactly).
The draws stay outside (NumPy's generators), as they would in the model.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

try:
    import numba
except ImportError:
    sys.exit("numba is not installed: pip install numba (it is not a dependency of the project)")

from simulation.mechanisms import demography as d  # noqa: E402

ROWS = 64_000
REPEATS = 200
SLOPE, TOP, SMALL, MEDIUM = d.VOLATILITY_SIZE_SLOPE, d._TOP_LOG_SIZE, d._LOG_SMALL, d._LOG_MEDIUM


def with_numpy(size, size_class, stage, change, z, vol, tail, gc, eg):
    x = np.log(size)
    sd = vol * np.exp(-SLOPE * x)
    x += -(SLOPE + 0.5 * tail) * sd * sd + gc * change + eg * (stage >= 2)
    x += sd * z
    np.abs(x, out=x)
    over = x > TOP
    x[over] = 2 * TOP - x[over]
    np.clip(x, 0.0, TOP - 1e-9, out=x)
    size[:] = np.exp(x)
    size_class[:] = (x >= SMALL).view(np.int8) + (x >= MEDIUM).view(np.int8)


def fused(size, size_class, stage, change, z, vol, tail, gc, eg, slope, top, small, medium):
    for i in range(size.shape[0]):
        x = np.log(size[i])
        sd = vol * np.exp(-slope * x)
        x += -(slope + 0.5 * tail) * sd * sd + gc * change[i] + eg * (stage[i] >= 2)
        x += sd * z[i]
        x = abs(x)
        if x > top:
            x = 2 * top - x
        x = min(max(x, 0.0), top - 1e-9)
        size[i] = np.exp(x)
        size_class[i] = (x >= small) + (x >= medium)


def best_of(call) -> float:
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        call()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    size0 = np.exp(rng.uniform(0, 4.5, ROWS))
    stage = rng.integers(0, 4, ROWS).astype(np.int8)
    change, z = rng.normal(0, 0.01, ROWS), rng.standard_normal(ROWS)
    args = (stage, change, z, 0.12, 1.1, 0.5, 0.01)
    ref_size, ref_class = size0.copy(), np.zeros(ROWS, np.int8)
    with_numpy(ref_size, ref_class, *args)
    print(f"# numba {numba.__version__}, numpy {np.__version__}, {ROWS:,} rows (a batch of 32 default runs)")
    size, klass = size0.copy(), np.zeros(ROWS, np.int8)
    t_numpy = best_of(lambda: with_numpy(size, klass, *args))
    print(f"  numpy              {t_numpy * 1e6:8.0f} us per call")
    for fast in (False, True):
        kernel = numba.njit(fastmath=fast)(fused)
        size, klass = size0.copy(), np.zeros(ROWS, np.int8)
        t0 = time.perf_counter()
        kernel(size, klass, *args, SLOPE, TOP, SMALL, MEDIUM)
        compile_s = time.perf_counter() - t0
        same, classes = np.array_equal(size, ref_size), np.array_equal(klass, ref_class)
        diff = float(np.abs(size - ref_size).max())
        t = best_of(lambda k=kernel, s=size, c=klass: k(s, c, *args, SLOPE, TOP, SMALL, MEDIUM))
        print(f"  numba fastmath={fast!s:5} {t * 1e6:8.0f} us per call ({t_numpy / t:.2f}x numpy), "
              f"compile {compile_s:.2f} s, sizes {'identical' if same else f'differ by up to {diff:.1e}'}, "
              f"classes {'equal' if classes else 'DIFFER'}")


if __name__ == "__main__":
    main()
