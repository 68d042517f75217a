"""Time BatchNorm on a 16x8x128x128 float32 batch: train, eval, and eval without stats.

Prints medians in milliseconds and, when torch is importable, the ratio to
torch.nn.BatchNorm2d measured in the same run (ratio < 1: we are faster).
Never passes or fails on a clock.

    python benchmarks/bench_batchnorm.py
"""

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vizlib.batchnorm import BatchNorm

SHAPE = (16, 8, 128, 128)
REPEATS = 40


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
    """(name, our function, torch's function or None) for train, eval and eval without stats."""
    train = BatchNorm(SHAPE[1])
    train(x)
    evaluation = train.copy().eval()
    ours = {
        "train": lambda: train(x),
        "eval": lambda: evaluation(x),
        "eval, record_stats=False": lambda: evaluation(x, record_stats=False),
    }
    try:
        import torch
    except ImportError:
        return [(name, fn, None) for name, fn in ours.items()]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    tensor = torch.from_numpy(x)
    torch_train = torch.nn.BatchNorm2d(SHAPE[1])
    torch_eval = torch.nn.BatchNorm2d(SHAPE[1]).eval()

    def run(layer):
        def call():
            with torch.no_grad():
                layer(tensor)

        return call

    theirs = {"train": run(torch_train), "eval": run(torch_eval)}
    theirs["eval, record_stats=False"] = theirs["eval"]
    return [(name, fn, theirs[name]) for name, fn in ours.items()]


def main():
    x = np.random.default_rng(0).normal(0.5, 2.0, SHAPE).astype(np.float32)  # (N, C, H, W)
    print(f"BatchNorm on {SHAPE} float32, median of {REPEATS} runs")
    for name, mine, theirs in cases(x):
        if theirs is None:
            (ms,) = medians_ms([mine])
            print(f"  {name:<26} {ms:7.2f} ms")
        else:
            ms, reference = medians_ms([mine, theirs])
            print(
                f"  {name:<26} {ms:7.2f} ms   torch {reference:7.2f} ms   "
                f"ratio {ms / reference:5.2f}"
            )


if __name__ == "__main__":
    main()
