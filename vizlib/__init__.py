"""vizlib: the compute core behind every lesson of the CNN teaching app.

Pure NumPy/SciPy. Semantics follow PyTorch's documentation
(``torch.nn.functional.conv2d``, ``max_pool2d``, ``avg_pool2d``,
``torch.nn.BatchNorm1d/2d``) so that what a student sees here carries over
to their own code. Never imports streamlit or matplotlib.
"""

from vizlib._shapes import output_size
from vizlib.activations import ACTIVATIONS, leaky_relu, relu, sigmoid, tanh
from vizlib.batchnorm import BatchNorm, BatchNormStats
from vizlib.conv import ConvStep, conv2d, conv_step, format_number
from vizlib.images import (
    MLP_EXAMPLE,
    TUTORIAL_GRID,
    ImageLoadError,
    LoadedImage,
    load_image,
    sample_images,
    synthetic_image,
)
from vizlib.kernels import KERNELS, Kernel, parse_kernel, random_kernel
from vizlib.pooling import PoolStep, avg_pool2d, max_pool2d, pool_step
from vizlib.receptive_field import (
    LayerGeometry,
    ReceptiveField,
    receptive_field,
    receptive_field_mask,
    receptive_fields,
)

__all__ = [
    "ACTIVATIONS",
    "KERNELS",
    "MLP_EXAMPLE",
    "TUTORIAL_GRID",
    "BatchNorm",
    "BatchNormStats",
    "ConvStep",
    "ImageLoadError",
    "Kernel",
    "LayerGeometry",
    "LoadedImage",
    "PoolStep",
    "ReceptiveField",
    "avg_pool2d",
    "conv2d",
    "conv_step",
    "format_number",
    "leaky_relu",
    "load_image",
    "max_pool2d",
    "output_size",
    "parse_kernel",
    "pool_step",
    "random_kernel",
    "receptive_field",
    "receptive_field_mask",
    "receptive_fields",
    "relu",
    "sample_images",
    "sigmoid",
    "synthetic_image",
    "tanh",
]
