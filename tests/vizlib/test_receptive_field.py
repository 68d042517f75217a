"""Receptive fields: closed form vs mask propagation vs a brute-force experiment.

The brute force does not use the module at all: it runs vizlib's own
convolution (all-ones kernels) and average pooling over a one-hot input for
every pixel and records which pixels change the chosen output unit. All
weights are positive, so a pixel influences the unit exactly when some path of
windows connects them.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vizlib
from vizlib.receptive_field import (
    LayerGeometry,
    ReceptiveField,
    receptive_field,
    receptive_field_mask,
    receptive_fields,
)

# --------------------------------------------------------------------------- brute force


def forward(x, layers, kinds):
    """Run (H, W) through the stack with positive weights: conv2d (ones) or avg_pool2d."""
    for layer, kind in zip(layers, kinds, strict=True):
        if kind == "conv":
            w = np.ones((1, 1, *layer.kernel_size))
            x = vizlib.conv2d(
                x[None],
                w,
                stride=layer.stride,
                padding=layer.padding,
                dilation=layer.dilation,
            )[0]
        else:
            x = vizlib.avg_pool2d(
                x,
                layer.kernel_size,
                stride=layer.stride,
                padding=layer.padding,
                ceil_mode=layer.ceil_mode,
            )
    return x


def brute_force_mask(shape, layers, kinds, row, col):
    mask = np.zeros(shape, dtype=bool)
    for r in range(shape[0]):
        for c in range(shape[1]):
            x = np.zeros(shape)
            x[r, c] = 1.0
            mask[r, c] = forward(x, layers, kinds)[row, col] > 0
    return mask


def random_stack(rng, n_layers):
    layers, kinds = [], []
    for _ in range(n_layers):
        if rng.random() < 0.6:
            k = int(rng.integers(1, 4))
            d = int(rng.integers(1, 3))
            layers.append(
                LayerGeometry(
                    (k, int(rng.integers(1, 4))),
                    stride=(int(rng.integers(1, 3)), int(rng.integers(1, 3))),
                    padding=int(rng.integers(0, 3)),
                    dilation=(d, int(rng.integers(1, 3))),
                )
            )
            kinds.append("conv")
        else:
            k = int(rng.integers(1, 4))
            layers.append(
                LayerGeometry(
                    k,
                    stride=int(rng.integers(1, 3)),
                    padding=int(rng.integers(0, k // 2 + 1)),
                    ceil_mode=bool(rng.random() < 0.3),
                )
            )
            kinds.append("pool")
    return layers, kinds


def shapes_of(shape, layers):
    shapes = [tuple(shape)]
    for layer in layers:
        shapes.append(layer.output_shape(shapes[-1]))
    return shapes


def bounding_box(mask):
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    return (rows[0], rows[-1] + 1), (cols[0], cols[-1] + 1)


def clip(window, shape):
    return tuple((max(lo, 0), min(hi, n)) for (lo, hi), n in zip(window, shape, strict=True))


# --------------------------------------------------------------------------- worked examples


def test_textbook_sizes():
    conv3 = LayerGeometry(3)
    assert [f.size for f in receptive_fields([conv3] * 3)] == [(1, 1), (3, 3), (5, 5), (7, 7)]
    vgg_block = [conv3, conv3, LayerGeometry(2, stride=2)]
    assert receptive_field(vgg_block * 2).size == (16, 16)  # 3,5,6 | 10,14,16
    assert receptive_field(vgg_block * 2).jump == (4, 4)
    assert receptive_field([LayerGeometry(3, dilation=2)] * 2).size == (9, 9)
    assert receptive_field([LayerGeometry(7, stride=2, padding=3)]).start == (-3, -3)


def test_pointwise_layers_change_nothing():
    stack = [LayerGeometry(3, padding=1), LayerGeometry(2, stride=2)]
    with_pointwise = [stack[0], LayerGeometry(1), stack[1], LayerGeometry(1)]
    assert receptive_field(with_pointwise) == receptive_field(stack)


def test_pool_stride_defaults_to_kernel():
    assert LayerGeometry(3, stride=None).stride == (3, 3)
    assert LayerGeometry((2, 3), stride=None, padding=(0, 1)).padding == (0, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kernel_size": 0}, "kernel_size"),
        ({"kernel_size": 3, "stride": 0}, "stride"),
        ({"kernel_size": 3, "padding": -1}, "padding"),
        ({"kernel_size": 3, "dilation": 0}, "dilation"),
    ],
)
def test_bad_geometry(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LayerGeometry(**kwargs)


def test_bad_layers_and_units():
    with pytest.raises(TypeError, match="layers"):
        receptive_field([3])
    with pytest.raises(ValueError, match="row 0 to 2"):
        receptive_field_mask((5, 5), [LayerGeometry(3)], 3, 0)
    with pytest.raises(ValueError, match="kernel size is 7"):
        receptive_field_mask((5, 5), [LayerGeometry(7)], 0, 0)


def test_tutorial_grid_mask():
    # 5×5 grid, 3×3 conv: the top-left output sees the top-left 3×3 window.
    mask = receptive_field_mask((5, 5), [LayerGeometry(3)], 0, 0)
    expected = np.zeros((5, 5), dtype=bool)
    expected[:3, :3] = True
    np.testing.assert_array_equal(mask, expected)


def test_stride_longer_than_the_kernel_leaves_holes():
    # 1×1 windows every 2 pixels, then a 2×2 window: it reads pixels 0 and 2 of each axis.
    layers = [LayerGeometry(1, stride=2), LayerGeometry(2)]
    assert receptive_field(layers).size == (3, 3)
    mask = receptive_field_mask((6, 6), layers, 0, 0)
    assert mask.sum() == 4
    assert mask[0, 0] and mask[0, 2] and mask[2, 0] and mask[2, 2]


def test_pixels_dropped_by_rounding_are_not_in_the_mask():
    # Stride 2 on 5 rows drops row 4; the closed-form window still reaches it.
    layers = [LayerGeometry(2, stride=2), LayerGeometry(3, padding=1)]
    (r0, r1), _ = receptive_field(layers).window(1, 0)
    assert (r0, r1) == (0, 6)
    mask = receptive_field_mask((5, 5), layers, 1, 0)
    assert bounding_box(mask)[0] == (0, 4)
    np.testing.assert_array_equal(mask, brute_force_mask((5, 5), layers, ["pool", "conv"], 1, 0))


# --------------------------------------------------------------------------- against brute force


@pytest.mark.parametrize("seed", range(40))
def test_mask_equals_brute_force(seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):  # draw until the stack fits the input
        shape = (int(rng.integers(4, 12)), int(rng.integers(4, 12)))
        layers, kinds = random_stack(rng, int(rng.integers(1, 4)))
        try:
            out = shapes_of(shape, layers)[-1]
        except ValueError:
            continue
        break
    else:
        pytest.skip("no stack fitted")
    for row, col in {(0, 0), (out[0] - 1, out[1] - 1), (out[0] // 2, out[1] // 2)}:
        mask = receptive_field_mask(shape, layers, row, col)
        np.testing.assert_array_equal(mask, brute_force_mask(shape, layers, kinds, row, col))
        # Never outside the closed-form window (clipped to the image).
        (r0, r1), (c0, c1) = clip(receptive_field(layers).window(row, col), shape)
        outside = mask.copy()
        outside[r0:r1, c0:c1] = False
        assert not outside.any()


layer_strategy = st.builds(
    LayerGeometry,
    kernel_size=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    dilation=st.integers(1, 3),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(layer_strategy, min_size=0, max_size=4), st.data())
def test_closed_form_equals_mask_inside_the_image(layers, data):
    # Big enough input: choose a unit whose closed-form window lies inside it.
    rf = receptive_field(layers)
    shape = (rf.size[0] + 3 * rf.jump[0] + 2 * abs(rf.start[0]) + 4,) * 2
    out = shapes_of(shape, layers)[-1]
    row = data.draw(st.integers(0, out[0] - 1))
    col = data.draw(st.integers(0, out[1] - 1))
    window = rf.window(row, col)
    mask = receptive_field_mask(shape, layers, row, col)
    if all(lo >= 0 and hi <= n for (lo, hi), n in zip(window, shape, strict=True)):
        assert bounding_box(mask) == window
        if all(g.dilation == (1, 1) and g.stride <= g.kernel_size for g in layers):
            assert mask.sum() == rf.size[0] * rf.size[1]  # a full rectangle
    elif mask.any():
        (r0, r1), (c0, c1) = clip(window, shape)
        (m0, m1), (n0, n1) = bounding_box(mask)
        assert r0 <= m0 and m1 <= r1 and c0 <= n0 and n1 <= c1
    # A dilation, or a stride longer than the kernel, leaves holes: never more than r×r.
    assert mask.sum() <= rf.size[0] * rf.size[1]


def test_receptive_fields_grow_and_match_the_last():
    layers = [LayerGeometry(3, padding=1), LayerGeometry(2, stride=2), LayerGeometry(3)]
    fields = receptive_fields(layers)
    assert len(fields) == 4
    assert fields[-1] == receptive_field(layers)
    sizes = [f.size[0] for f in fields]
    assert sizes == sorted(sizes) == [1, 3, 4, 8]


def test_nearest_unit_finds_each_unit_from_its_own_centre():
    rf = ReceptiveField(size=(4, 4), jump=(2, 3), start=(-1, 0))
    for row in range(6):
        for col in range(5):
            assert rf.nearest_unit(rf.center(row, col), (6, 5)) == (row, col)
    assert rf.nearest_unit((-100, 100), (6, 5)) == (0, 4)  # clipped to the map


def test_matches_torch_gradients():
    torch = pytest.importorskip("torch")
    layers = [
        LayerGeometry(3, padding=1),
        LayerGeometry(2, stride=2),
        LayerGeometry(3, dilation=2, padding=1),
        LayerGeometry(3, stride=2),
    ]
    x = torch.zeros(1, 1, 23, 21, dtype=torch.float64, requires_grad=True)
    y = x
    for layer in layers:
        if layer.kernel_size == (2, 2):
            y = torch.nn.functional.avg_pool2d(y, 2, stride=2)
        else:
            w = torch.ones(1, 1, *layer.kernel_size, dtype=torch.float64)
            y = torch.nn.functional.conv2d(
                y, w, stride=layer.stride, padding=layer.padding, dilation=layer.dilation
            )
    assert tuple(y.shape[-2:]) == shapes_of((23, 21), layers)[-1]
    y[0, 0, 1, 1].backward()
    influenced = (x.grad[0, 0] != 0).numpy()
    np.testing.assert_array_equal(influenced, receptive_field_mask((23, 21), layers, 1, 1))
