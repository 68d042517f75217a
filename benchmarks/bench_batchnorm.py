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


def median_ms(fn, repeats=REPEATS):
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def ours(x):
    train = BatchNorm(SHAPE[1])
    train(x)
    evaluation = train.copy().eval()
    return {
        "train": median_ms(lambda: train(x)),
        "eval": median_ms(lambda: evaluation(x)),
        "eval, record_stats=False": median_ms(lambda: evaluation(x, record_stats=False)),
    }


def theirs(x):
    try:
        import torch
    except ImportError:
        return None
    layer = torch.nn.BatchNorm2d(SHAPE[1])
    tensor = torch.from_numpy(x)
    with torch.no_grad():
        train = median_ms(lambda: layer(tensor))
        layer.eval()
        evaluation = median_ms(lambda: layer(tensor))
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    return {"train": train, "eval": evaluation, "eval, record_stats=False": evaluation}


def main():
    x = np.random.default_rng(0).normal(0.5, 2.0, SHAPE).astype(np.float32)  # (N, C, H, W)
    print(f"BatchNorm on {SHAPE} float32, median of {REPEATS} runs")
    mine = ours(x)
    torch_times = theirs(x)
    for name, ms in mine.items():
        line = f"  {name:<26} {ms:7.2f} ms"
        if torch_times is not None:
            reference = torch_times[name]
            line += f"   torch {reference:7.2f} ms   ratio {ms / reference:5.2f}"
        print(line)


if __name__ == "__main__":
    main()
