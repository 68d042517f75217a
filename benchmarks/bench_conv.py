"""Speed and memory of vizlib.conv.conv2d against the issue's targets.

Prints medians in milliseconds and, when torch or OpenCV happen to be installed,
the ratio to ``torch.nn.functional.conv2d`` / ``cv2.filter2D`` measured in the
same run (neither is a dependency). Never fails on a clock: the targets are
printed next to the figures for a person to read.

The references are timed in a child process after ours: torch's OpenMP threads
and OpenBLAS's threads keep spinning for a while after each call, and timing the
two libraries interleaved in one process makes both look several times slower.
Timings on a shared 2-core machine are only meaningful when it is otherwise idle.

Run: ``python benchmarks/bench_conv.py`` (about 30 s).
"""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

MIB = 2**20

# name, input shape, weight shape, keyword arguments, target
CASES = [
    ("RGB 3x1024² -> 8 filters 3x3", (3, 1024, 1024), (8, 3, 3, 3), dict(padding=1), "<= torch"),
    ("  same, stride 2", (3, 1024, 1024), (8, 3, 3, 3), dict(padding=1, stride=2), "(info)"),
    ("  same, 11x11", (3, 1024, 1024), (8, 3, 11, 11), dict(padding=5), "(info)"),
    (
        "  depthwise 3x3 (groups=3)",
        (3, 1024, 1024),
        (3, 1, 3, 3),
        dict(padding=1, groups=3),
        "(info)",
    ),
    ("gray 1024² 3x3 padding='same'", (1024, 1024), (3, 3), dict(padding="same"), "<= 2 ms"),
    ("gray 1024² 3x3 padding=0", (1024, 1024), (3, 3), dict(padding=0), "<= 2 ms"),
    (
        "gray 1024² 3x3 reflect",
        (1024, 1024),
        (3, 3),
        dict(padding=1, padding_mode="reflect"),
        "<= 2 ms",
    ),
    ("gray 1024² 11x11 padding='same'", (1024, 1024), (11, 11), dict(padding="same"), "<= 15 ms"),
    ("gray 1024² 11x11 padding=0", (1024, 1024), (11, 11), dict(padding=0), "<= 15 ms"),
]


def median_ms(fn, *, repeat: int = 21, budget_s: float = 2.5) -> float:
    """Median wall time of ``fn()`` in ms, after one warm-up call."""
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < repeat and (time.perf_counter() - start < budget_s or len(times) < 3):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def inputs(x_shape, w_shape):
    rng = np.random.default_rng(0)
    x = rng.random(x_shape, dtype=np.float32)
    w = rng.standard_normal(w_shape).astype(np.float32)
    return x, w


def time_ours() -> list[float]:
    from vizlib.conv import conv2d

    times = []
    for _, x_shape, w_shape, kwargs, _ in CASES:
        x, w = inputs(x_shape, w_shape)
        times.append(median_ms(lambda: conv2d(x, w, **kwargs)))  # noqa: B023
    return times


def time_references() -> dict[str, list[float | None]]:
    """Run in the child process: torch and OpenCV on the same cases, when installed."""
    results: dict[str, list[float | None]] = {}
    try:
        import torch
        import torch.nn.functional as functional
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_grad_enabled(False)
        times = []
        for _, x_shape, w_shape, kwargs, _ in CASES:
            x, w = inputs(x_shape, w_shape)
            xt = torch.from_numpy(x.reshape((1,) * (4 - x.ndim) + x.shape))
            wt = torch.from_numpy(w.reshape((1,) * (4 - w.ndim) + w.shape))
            kw = dict(kwargs)
            if kw.get("padding") == "same" and w.shape[-1] % 2:  # torch's "same" path is slower
                kw["padding"] = w.shape[-1] // 2
            mode = kw.pop("padding_mode", "zeros")
            if mode != "zeros":
                p = kw.pop("padding")
                xt = functional.pad(xt, (p, p, p, p), mode=mode)
            times.append(median_ms(lambda: functional.conv2d(xt, wt, **kw)))  # noqa: B023
        results["torch"] = times
    try:
        import cv2
    except ImportError:
        cv2 = None
    if cv2 is not None:  # one channel, one filter, stride 1 only
        times = []
        for _, x_shape, w_shape, kwargs, _ in CASES:
            if len(x_shape) != 2 or kwargs.get("padding") not in ("same", 1, 5):
                times.append(None)
                continue
            x, w = inputs(x_shape, w_shape)
            border = cv2.BORDER_REFLECT_101 if "padding_mode" in kwargs else cv2.BORDER_CONSTANT
            times.append(median_ms(lambda: cv2.filter2D(x, -1, w, borderType=border)))  # noqa: B023
        results["cv2"] = times
    return results


def peak_memory(kernel: int) -> tuple[float, float, float]:
    """Peak traced memory (MiB) of one 3x2048² -> 8-filter call, the bound and the time."""
    from vizlib.conv import conv2d

    x, w = inputs((3, 2048, 2048), (8, 3, kernel, kernel))
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    out = conv2d(x, w, padding=kernel // 2)
    elapsed = (time.perf_counter() - t0) * 1e3
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bound = out.nbytes + 2 * x.nbytes + 64 * MIB
    return peak / MIB, bound / MIB, elapsed


def main() -> None:
    if sys.argv[1:] == ["--references"]:
        print(json.dumps(time_references()))
        return
    start = time.perf_counter()
    ours = time_ours()
    child = subprocess.run(
        [sys.executable, __file__, "--references"], capture_output=True, text=True, check=False
    )
    references = json.loads(child.stdout) if child.returncode == 0 else {}
    print(f"numpy {np.__version__}; references: {', '.join(references) or 'none installed'}")
    print(
        f"{'case':<34} {'vizlib':>9}  {'target':<9}"
        + "".join(f" {name:>10} {'ratio':>6}" for name in references)
    )
    for i, (name, *_, target) in enumerate(CASES):
        line = f"{name:<34} {ours[i]:7.2f}ms  {target:<9}"
        for times in references.values():
            ref = times[i]
            line += f" {ref:8.2f}ms {ours[i] / ref:6.2f}" if ref else f" {'-':>10} {'':>6}"
        print(line)
    for kernel in (3, 11):
        peak, bound, elapsed = peak_memory(kernel)
        verdict = "within" if peak <= bound else "OVER"
        print(
            f"peak memory 3x2048² -> 8 filters {kernel}x{kernel}: {peak:6.1f} MiB, bound "
            f"(output + 2x input + 64 MiB) {bound:.0f} MiB: {verdict}; one call {elapsed:.0f} ms"
        )
    print(f"total {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
