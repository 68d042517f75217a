"""Time max/avg pooling on 8x1024x1024 float32 maps against the issue's target.

Target: 2x2 pooling no slower than torch on CPU (ratio <= 1). Prints medians in
milliseconds and, when torch is importable, the ratio to
``torch.nn.functional.max_pool2d`` / ``avg_pool2d`` timed in the same run,
interleaved so that machine load hits both alike (ratio < 1: we are faster).
Never passes or fails on a clock. About 20 s on 2 cores.

    python benchmarks/bench_pool.py
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vizlib.pooling import avg_pool2d, max_pool2d

try:
    import torch
    import torch.nn.functional as torch_f
except ImportError:
    torch = None

SHAPE = (8, 1024, 1024)  # (C, H, W)
REPEATS = 15


def medians_ms(fns, repeats=REPEATS):
    """Median time of each function, run in turn so that machine load hits them alike."""
    times = [[] for _ in fns]
    for fn in fns:
        fn()  # warm up
    for _ in range(repeats):
        for fn, bucket in zip(fns, times, strict=True):
            start = time.perf_counter()
            fn()
            bucket.append(time.perf_counter() - start)
    return [1e3 * statistics.median(bucket) for bucket in times]


def cases(x):
    """(name, ours, torch's or None) for 2x2 and 3x3-stride-2 pooling."""
    tensor = None if torch is None else torch.from_numpy(x)
    found = []
    for k, s in ((2, 2), (3, 2)):
        size = f"{k}x{k} stride {s}"
        found += [
            (f"max {size}", lambda k=k, s=s: max_pool2d(x, k, s),
             tensor is not None and (lambda k=k, s=s: torch_f.max_pool2d(tensor, k, s))),
            (f"max {size} + indices",
             lambda k=k, s=s: max_pool2d(x, k, s, return_indices=True),
             tensor is not None
             and (lambda k=k, s=s: torch_f.max_pool2d(tensor, k, s, return_indices=True))),
            (f"avg {size}", lambda k=k, s=s: avg_pool2d(x, k, s),
             tensor is not None and (lambda k=k, s=s: torch_f.avg_pool2d(tensor, k, s))),
        ]  # fmt: skip
    return found


def main():
    x = np.random.default_rng(0).random(SHAPE, dtype=np.float32)
    if torch is None:
        print("torch not installed: no ratios")
    else:
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"input {SHAPE} float32, median of {REPEATS}")
    for name, ours, theirs in cases(x):
        if theirs:
            ours_ms, theirs_ms = medians_ms([ours, theirs])
            print(f"{name:<28} {ours_ms:7.1f} ms   torch {theirs_ms:7.1f} ms   "
                  f"ratio {ours_ms / theirs_ms:4.2f}")  # fmt: skip
        else:
            print(f"{name:<28} {medians_ms([ours])[0]:7.1f} ms")


if __name__ == "__main__":
    main()
