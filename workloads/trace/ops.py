"""The aten op table of the tracer: which aten ops are GEMMs, vector ops, other arithmetic (``elementwise``),
reductions, or pure data movement (not layers); and ``Event``, one traced op before it is named.
``workloads.trace.tracer`` makes the events, ``workloads.trace.naming`` names them."""

from __future__ import annotations

from dataclasses import dataclass, field

GEMM_ATEN = {"linear", "addmm", "mm", "matmul", "bmm", "baddbmm", "conv1d", "conv2d", "conv3d", "convolution",
             "_convolution", "linear_dynamic", "linear_dynamic_fp16", "scaled_dot_product_attention"}


# aten op -> vitsim vector op
VECTOR_ATEN = {"softmax": "softmax", "_softmax": "softmax", "log_softmax": "softmax", "_log_softmax": "softmax",
               "layer_norm": "layernorm", "native_layer_norm": "layernorm", "rms_norm": "layernorm",
               "_fused_rms_norm": "layernorm", "group_norm": "layernorm", "native_group_norm": "layernorm",
               "gelu": "gelu", "gelu_": "gelu", "add": "add", "add_": "add", "mul": "mul", "mul_": "mul"}


# arithmetic ops that become ``elementwise`` layers (known, so no warning)
ELEMENTWISE_ATEN = {"sub", "sub_", "rsub", "div", "div_", "neg", "neg_", "relu", "relu_", "hardswish", "hardswish_",
                    "hardsigmoid", "hardsigmoid_", "silu", "silu_", "sigmoid", "sigmoid_", "tanh", "tanh_", "exp",
                    "exp_", "log", "pow", "sqrt", "rsqrt", "reciprocal", "abs", "clamp", "clamp_", "clamp_min",
                    "clamp_max", "hardtanh", "hardtanh_", "leaky_relu", "elu", "mish", "erf", "sin", "cos",
                    "batch_norm", "_native_batch_norm_legit_no_training", "native_batch_norm", "addcmul",
                    "masked_fill", "where", "maximum", "minimum", "square", "mean", "sum", "amax", "max", "var",
                    "std", "var_mean", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
                    "_adaptive_avg_pool2d", "max_pool2d", "max_pool2d_with_indices", "adaptive_max_pool2d", "norm",
                    "linalg_vector_norm", "lerp", "logsumexp", "cumsum", "round", "floor", "ceil", "sign", "quantize_per_tensor",
                    "dequantize", "fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine"}


REDUCTION_ATEN = {"mean", "sum", "amax", "max", "var", "std", "var_mean", "avg_pool1d", "avg_pool2d",
                  "adaptive_avg_pool1d", "adaptive_avg_pool2d", "_adaptive_avg_pool2d", "max_pool2d",
                  "max_pool2d_with_indices", "adaptive_max_pool2d", "norm", "linalg_vector_norm", "logsumexp"}


# no arithmetic: views, copies, gathers, shape queries, eval-mode dropout, casts
LAYOUT_ATEN = {"view", "_unsafe_view", "reshape", "reshape_as", "view_as", "flatten", "unflatten", "transpose",
               "transpose_", "t", "permute", "expand", "expand_as", "unsqueeze", "unsqueeze_", "squeeze", "squeeze_",
               "select", "slice", "narrow", "split", "split_with_sizes", "chunk", "unbind", "tensor_split", "cat",
               "stack", "contiguous", "clone", "alias", "detach", "lift_fresh", "lift_fresh_copy", "copy_",
               "_to_copy", "to", "type_as", "index", "index_select", "gather", "take_along_dim", "roll", "pad",
               "constant_pad_nd", "reflection_pad2d", "replication_pad2d", "repeat", "repeat_interleave", "tile",
               "flip", "dropout", "feature_dropout", "alpha_dropout", "native_dropout", "zeros", "zeros_like",
               "ones", "ones_like", "empty", "empty_like", "full", "full_like", "new_zeros", "new_ones", "new_empty",
               "new_full", "arange", "linspace", "meshgrid", "as_strided", "sym_size", "sym_stride", "sym_numel",
               "size", "stride", "dim", "is_same_size", "item", "_local_scalar_dense", "fill_", "zero_", "movedim",
               "swapaxes", "diagonal", "unfold", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
               "_reshape_alias", "set_", "resize_", "_assert_tensor_metadata", "scalar_tensor", "einsum_path"}


@dataclass
class Event:
    """One arithmetic op seen during the forward pass (before naming)."""

    index: int
    path: str
    leaf: bool
    op: str
    label: str
    m: int
    n: int
    k: int = 0
    repeat: int = 1
    weight_operand: bool = True
    srcs: tuple = ()          # provenance of each tensor input: ("ev", i) / ("param", name) / ("in",) / None
    scalar: bool = False      # a Python number among the operands (``q * scale``)
    bits: dict = field(default_factory=dict)
    aten: str = ""
    native: bool = True       # op is a vitsim op proper (not mapped to elementwise)
    name: str = ""
    conv: dict = field(default_factory=dict)   # a conv's Layer conv_* fields (workloads/conv.py); {}: none
