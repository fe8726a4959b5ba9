"""Fake quantization of a torch model by a recipe, calibration on synthetic images, and SQNR against FP32.

What is quantized: the inputs of every GEMM-like op, the numerics the recipe's ``w_bits``/``a_bits`` describe.
- ``nn.Linear`` / ``nn.Conv2d`` become ``FakeQuantLinear`` / ``FakeQuantConv2d`` in place (same module path, same
  parameters; their ``vitsim_quant`` attribute states the bits, which the tracer reads): weights symmetric signed,
  scale = max|w| / (2^(b-1) - 1) per tensor, per output channel or per group of g input elements (``group:g``);
  inputs asymmetric unsigned, scale = (hi - lo) / (2^b - 1), zero point round(-lo / scale), with (lo, hi) calibrated
  per tensor or per channel (min-max, or the mean over calibration batches of the p-th / (100-p)-th percentiles),
  or taken per row at run time (``token``, ``group:g``).
- activation x activation matmuls (q@k^T, attn@v) are not modules: a dispatch mode entered around the model's
  forward quantizes both operands (first by ``a_bits``, second by ``w_bits``) with calibrated per-tensor ranges.
- ``dtype: fp`` rounds to float16/bfloat16 (16 bits) or float8 e4m3 (8 bits); 32 bits is unchanged.
Vector ops (softmax, layernorm, gelu, ...) run in FP32 on whatever their inputs are.

SQNR of a layer = 10 log10( sum(y_fp32^2) / sum((y_fp32 - y_q)^2) ) in dB, y = the layer's output for the same
input images in the FP32 model and in the fake-quantized model (so the error of earlier layers propagates).
Images are synthetic (seeded smooth noise): this measures numerics, not accuracy. Weights are timm's random
initialisation (``pretrained=False``), not trained weights.

Quantizers per layer by recipe (uniform symmetric/asymmetric, log2, twin-uniform, binary, ternary, power-of-two
scales, outlier channels; calibration minmax/percentile/mse): formulas in ``quantizers`` and ``observers``.

Modules: ``quantizers`` (tensor quantizers, ``QuantSpec``), ``observers`` (activation calibration), ``modules`` (fake-quant modules, the matmul mode,
``quantize_model``), ``calibration`` (calibration, synthetic images, SQNR). The fake-quantized trace with SQNR
per layer is ``workloads.trace.trace_quantized``: this package knows nothing of the tracer.
"""

from workloads.fakequant.calibration import calibrate, sqnr_db, synthetic_images
from workloads.fakequant.modules import BARE_GEMM_ATEN, CALIBRATIONS, MATMUL_ATEN, quantize_model, set_calibrating
from workloads.fakequant.observers import ActQuantizer
from workloads.fakequant.quantizers import QuantSpec, quantize_weight

__all__ = ["BARE_GEMM_ATEN", "CALIBRATIONS", "MATMUL_ATEN", "ActQuantizer", "QuantSpec", "calibrate",
           "quantize_model", "quantize_weight", "set_calibrating", "sqnr_db", "synthetic_images"]
