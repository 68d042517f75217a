"""The stacking lesson's pipeline: what each stage is, how it is run, how it is written.

A stage is a :class:`Stage` (plain values read from the widgets). This module
turns it into vizlib calls (through :mod:`ui.cached`), a short label, a line of
PyTorch and its geometry for the receptive field. No maths beyond choosing the
weights: every number comes from vizlib.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import vizlib
from ui import cached
from ui.plots_stacking import histogram_rows
from vizlib.receptive_field import LayerGeometry

__all__ = [
    "ACTIVATION_NAMES",
    "DEFAULT_STAGES",
    "KINDS",
    "MIDDLE",
    "SATURATION",
    "SHORT_FORMULAS",
    "SOURCES",
    "STAGE_DEFAULTS",
    "Stage",
    "StageResult",
    "ValueSummary",
    "activation_summaries",
    "batch_norm_train",
    "geometry",
    "label",
    "run_pipeline",
    "short_label",
    "stage_from_settings",
    "torch_line",
    "weights",
]

KINDS = {
    "conv": "Convolution",
    "act": "Activation",
    "pool": "Pooling",
    "bn": "Batch norm",
}
SOURCES = {
    "preset": "Preset kernel",
    "edited": "Edited kernel",
    "random": "Random filters",
}
ACTIVATION_NAMES = {
    "relu": "ReLU",
    "leaky_relu": "Leaky ReLU",
    "sigmoid": "Sigmoid",
    "tanh": "Tanh",
}
#: Every stage setting's default (the stacking lesson's widgets and its shared links).
STAGE_DEFAULTS = {
    "kind": "conv",
    "source": "random",
    "preset": "vertical_edge",
    "filters": 4,
    "size": 3,
    "seed": 0,
    "stride": 1,
    "padding": 0,
    "dilation": 1,
    "act": "relu",
    "mode": "max",
    "pool_size": 2,
    "pool_stride": 0,  # 0: the kernel size, PyTorch's default
}
#: The default pipeline: conv → ReLU → max pool → conv (each updates STAGE_DEFAULTS).
DEFAULT_STAGES = (
    {"kind": "conv", "seed": 0, "padding": 1},
    {"kind": "act"},
    {"kind": "pool"},
    {"kind": "conv", "seed": 1, "padding": 1},
)
#: Where a squashing activation counts as saturated: its output outside (low, high). Both
#: bounds put the slope below 19% of its peak (sigmoid: 0.05·0.95 = 0.0475 of 0.25; tanh:
#: 1 − 0.9² = 0.19 of 1), so gradients through such a value are small.
SATURATION = {
    "sigmoid": (0.05, 0.95),
    "tanh": (-0.9, 0.9),
}
#: The nearly straight middle of the same curves: outputs inside (low, high) keep the slope
#: at 64% of its peak or more (sigmoid: 0.2·0.8 = 0.16 of 0.25; tanh: 1 − 0.6² = 0.64 of 1).
MIDDLE = {
    "sigmoid": (0.2, 0.8),
    "tanh": (-0.6, 0.6),
}
#: vizlib's formulas written without spaces, for a narrow table column (presentation mode):
#: each equals ``vizlib.ACTIVATIONS[slug].formula`` (the app tests evaluate both).
SHORT_FORMULAS = {
    "relu": "max(0,x)",
    "leaky_relu": "max(0.01·x,x)",
    "sigmoid": "1/(1+e⁻ˣ)",
    "tanh": "(eˣ−e⁻ˣ)/(eˣ+e⁻ˣ)",
}
TORCH_ACTIVATIONS = {
    "relu": "nn.ReLU()",
    "leaky_relu": "nn.LeakyReLU(0.01)",
    "sigmoid": "nn.Sigmoid()",
    "tanh": "nn.Tanh()",
}


@dataclass(frozen=True, eq=False)
class Stage:
    """One stage as the student set it up.

    ``kernel`` is the 2-D kernel of a preset or edited convolution; random
    filters use ``filters``, ``size`` and ``seed``.
    """

    kind: str
    source: str = "random"
    kernel: np.ndarray | None = None
    kernel_name: str = ""
    filters: int = 4
    size: int = 3
    seed: int = 0
    stride: int = 1
    padding: int = 0
    dilation: int = 1
    activation: str = "relu"
    mode: str = "max"


@dataclass(eq=False)
class StageResult:
    """What running one stage gave: its output (C, H, W), or vizlib's message."""

    stage: Stage
    index: int
    in_shape: tuple[int, int, int]
    output: np.ndarray | None = None
    error: str | None = None
    weight: np.ndarray | None = None
    stats: vizlib.BatchNormStats | None = None
    extra: dict = field(default_factory=dict)


def weights(stage: Stage, in_channels: int) -> np.ndarray:
    """The (F, C, kH, kW) float32 weights of a convolution stage.

    A preset or edited kernel becomes one filter holding that kernel on every
    input channel (their C partial sums add up); random filters are
    ``vizlib.random_kernel((F, C, k, k), seed)``, PyTorch's default
    initialisation.
    """
    if stage.source == "random":
        shape = (stage.filters, in_channels, stage.size, stage.size)
        return vizlib.random_kernel(shape, stage.seed).astype(np.float32)
    kernel = np.asarray(stage.kernel, dtype=np.float32)  # (kH, kW)
    return np.broadcast_to(kernel, (1, in_channels, *kernel.shape)).copy()


def kernel_shape(stage: Stage) -> tuple[int, int]:
    if stage.kind == "conv":
        if stage.source == "random":
            return stage.size, stage.size
        return tuple(int(n) for n in np.shape(stage.kernel))
    if stage.kind == "pool":
        return stage.size, stage.size
    return 1, 1


def geometry(stage: Stage) -> LayerGeometry:
    """The stage's sliding geometry; activation and batch norm act value by value (1×1)."""
    if stage.kind == "conv":
        return LayerGeometry(
            kernel_shape(stage),
            stride=stage.stride,
            padding=stage.padding,
            dilation=stage.dilation,
        )
    if stage.kind == "pool":
        return LayerGeometry(stage.size, stride=stage.stride)
    return LayerGeometry(1)


def _size(shape) -> str:
    return "×".join(str(int(n)) for n in shape)


def label(stage: Stage, in_channels: int | None = None) -> str:
    """A short name for the stage: ``Conv2d 1→4, 3×3 random (seed 0), stride 1, padding 1``."""
    if stage.kind == "conv":
        out = stage.filters if stage.source == "random" else 1
        chans = f"{in_channels}→{out}, " if in_channels is not None else ""
        what = {
            "random": f"random (seed {stage.seed})",
            "preset": f"“{stage.kernel_name}”",
            "edited": "edited kernel",
        }[stage.source]
        text = f"Conv2d {chans}{_size(kernel_shape(stage))} {what}, stride {stage.stride}"
        text += f", padding {stage.padding}"
        if stage.dilation > 1:
            text += f", dilation {stage.dilation}"
        return text
    if stage.kind == "act":
        return ACTIVATION_NAMES[stage.activation]
    if stage.kind == "pool":
        name = "MaxPool2d" if stage.mode == "max" else "AvgPool2d"
        return f"{name} {stage.size}×{stage.size}, stride {stage.stride}"
    return "BatchNorm2d, train mode (statistics of this image)"


def short_label(stage: Stage) -> str:
    """A few words for the stage selector: ``Conv 3×3 ×4``, ``ReLU``, ``MaxPool 2``.

    A stride or dilation other than 1 is added (``Conv 5×5 ×8, stride 2``), so
    the row of stages reads like the pipeline; the full settings are in
    :func:`label`.
    """
    if stage.kind == "conv":
        k = _size(kernel_shape(stage))
        what = {
            "random": f"×{stage.filters}",
            "preset": stage.kernel_name,
            "edited": "edited",
        }[stage.source]
        text = f"Conv {k} {what}"
        if stage.stride > 1:
            text += f", stride {stage.stride}"
        if stage.dilation > 1:
            text += f", dilation {stage.dilation}"
        return text
    if stage.kind == "act":
        return ACTIVATION_NAMES[stage.activation]
    if stage.kind == "pool":
        name = "MaxPool" if stage.mode == "max" else "AvgPool"
        return f"{name} {stage.size}" + (
            f", stride {stage.stride}" if stage.stride != stage.size else ""
        )
    return "BatchNorm"


def stage_from_settings(settings: dict, kernel: np.ndarray | None = None) -> Stage:
    """The :class:`Stage` of one stage's plain settings (the names of :data:`STAGE_DEFAULTS`).

    ``kernel`` is the edited kernel (kH, kW), used when ``settings["source"]`` is
    ``"edited"``; a preset's weights come from ``vizlib.KERNELS``.
    """
    s = {**STAGE_DEFAULTS, **settings}
    kind = s["kind"]
    if kind == "conv":
        common = {
            "stride": int(s["stride"]),
            "padding": int(s["padding"]),
            "dilation": int(s["dilation"]),
        }
        if s["source"] == "random":
            return Stage(
                "conv",
                "random",
                filters=int(s["filters"]),
                size=int(s["size"]),
                seed=int(s["seed"]),
                **common,
            )
        if s["source"] == "preset":
            preset = vizlib.KERNELS[s["preset"]]
            return Stage("conv", "preset", kernel=preset.weights, kernel_name=preset.name, **common)
        if kernel is None:
            raise ValueError("an edited-kernel stage needs its kernel; got None")
        return Stage("conv", "edited", kernel=kernel, kernel_name="edited", **common)
    if kind == "act":
        return Stage("act", activation=s["act"])
    if kind == "pool":
        size = int(s["pool_size"])
        return Stage("pool", mode=s["mode"], size=size, stride=int(s["pool_stride"]) or size)
    if kind == "bn":
        return Stage("bn")
    raise ValueError(f"`kind` must be one of {', '.join(KINDS)}; got {kind!r}")


def torch_line(stage: Stage, in_channels: int) -> str:
    """The stage as one PyTorch module (comments say what is not in the constructor)."""
    if stage.kind == "conv":
        out = stage.filters if stage.source == "random" else 1
        k = kernel_shape(stage)
        k_text = str(k[0]) if k[0] == k[1] else str(k)
        args = f"{in_channels}, {out}, kernel_size={k_text}, stride={stage.stride}"
        args += f", padding={stage.padding}"
        if stage.dilation > 1:
            args += f", dilation={stage.dilation}"
        note = {
            "random": "  # random init: same distribution as seed "
            f"{stage.seed} here, other numbers",
            "preset": f"  # “{stage.kernel_name}”: weights set below",
            "edited": "  # your edited kernel: weights set below",
        }[stage.source]
        return f"nn.Conv2d({args}, bias=False),{note}"
    if stage.kind == "act":
        return TORCH_ACTIVATIONS[stage.activation] + ","
    if stage.kind == "pool":
        name = "nn.MaxPool2d" if stage.mode == "max" else "nn.AvgPool2d"
        return f"{name}(kernel_size={stage.size}, stride={stage.stride}),"
    return f"nn.BatchNorm2d({in_channels}),  # train mode: normalise with this batch's statistics"


@cached.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def _batch_norm(key: str, _x: np.ndarray) -> tuple[np.ndarray, vizlib.BatchNormStats]:
    layer = vizlib.BatchNorm(_x.shape[0])  # fresh: γ = 1, β = 0, train mode
    y = layer(_x[None])[0]  # (C, H, W), statistics over (N=1, H, W)
    return y, layer.last_stats


def batch_norm_train(x: np.ndarray) -> tuple[np.ndarray, vizlib.BatchNormStats]:
    """A fresh ``vizlib.BatchNorm`` in train mode on (C, H, W) as a batch of one, cached by content.

    Raises
    ------
    ValueError
        vizlib's message when a channel holds a single value (H·W = 1).
    """
    return _batch_norm(cached.digest(x), x)


@dataclass(frozen=True)
class ValueSummary:
    """Counts and a histogram of one array of values (before or after an activation)."""

    total: int
    negatives: int
    zeros: int
    positives: int
    minimum: float
    maximum: float
    histogram: list  # rows for ui.plots_stacking.histogram_spec
    saturated: int = 0  # values outside SATURATION's bounds (sigmoid and tanh only)


def _summary(values: np.ndarray, slug: str | None = None) -> ValueSummary:
    low, high = SATURATION.get(slug, (-np.inf, np.inf))
    return ValueSummary(
        total=int(values.size),
        negatives=int(np.count_nonzero(values < 0)),
        zeros=int(np.count_nonzero(values == 0)),
        positives=int(np.count_nonzero(values > 0)),
        minimum=float(values.min()),
        maximum=float(values.max()),
        histogram=histogram_rows(values),
        saturated=int(np.count_nonzero((values < low) | (values > high))),
    )


@cached.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _activation_summaries(key: str, _before: np.ndarray) -> dict[str, ValueSummary]:
    out = {"before": _summary(_before)}
    for slug, act in vizlib.ACTIVATIONS.items():
        out[slug] = _summary(act.function(_before), slug)  # same shape as before
    return out


def activation_summaries(before: np.ndarray) -> dict[str, ValueSummary]:
    """Summaries of ``before`` and of every ``vizlib.ACTIVATIONS`` function applied to it.

    Cached on the content of ``before`` (one digest for all five summaries).
    Keys: ``"before"`` and the activation slugs. ``saturated`` counts the
    sigmoid's and tanh's outputs outside their :data:`SATURATION` bounds.
    """
    return _activation_summaries(cached.digest(before), before)


def _run_stage(stage: Stage, x: np.ndarray, result: StageResult) -> np.ndarray:
    if stage.kind == "conv":
        w = weights(stage, x.shape[0])  # (F, C, kH, kW)
        result.weight = w
        return cached.run(
            vizlib.conv2d,
            x,
            w,
            stride=stage.stride,
            padding=stage.padding,
            dilation=stage.dilation,
        )
    if stage.kind == "act":
        fn = vizlib.ACTIVATIONS[stage.activation].function
        return cached.run(fn, x)
    if stage.kind == "pool":
        fn = vizlib.max_pool2d if stage.mode == "max" else vizlib.avg_pool2d
        return cached.run(fn, x, stage.size, stride=stage.stride)
    y, stats = batch_norm_train(x)
    result.stats = stats
    return y


def run_pipeline(x: np.ndarray, stages: list[Stage]) -> list[StageResult]:
    """Run the stages in order on (C, H, W) float32 ``x``.

    Stops at the first stage vizlib refuses: that result carries vizlib's
    message in ``error``; the earlier results keep their outputs.
    """
    results = []
    for i, stage in enumerate(stages):
        result = StageResult(stage, i, tuple(int(n) for n in x.shape))
        results.append(result)
        try:
            x = _run_stage(stage, x, result)  # (C', H', W')
        except (ValueError, TypeError) as exc:
            result.error = str(exc)
            break
        result.output = x
    return results
