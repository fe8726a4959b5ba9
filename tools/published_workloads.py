"""Workloads of the validation designs of docs/validation-designs.md that timm cannot trace, written into the zoo
from their published architectures (called by tools/validate_designs.py, which writes or checks them):

- ``resnet20v2_cifar-w16a16``: ResNet-20 v2 for CIFAR-10 (32 x 32 x 3), the model Tensil's tutorials run
  (``resnet20v2_cifar.onnx``), as the Keras CIFAR-10 ResNet example builds ``resnet_v2`` at depth 20: a 3x3 stem of
  16 filters, then 3 stages of (depth - 2) / 9 = 2 bottleneck blocks (1x1, 3x3, 1x1; the first block of each stage
  adds a 1x1 projection; stages 2 and 3 stride 2 in their first 1x1), filters in/out 16/64, 64/128, 128/256, average
  pooling and a 256 x 10 classifier. 16-bit fixed point (Tensil's FP16BP8, accumulators 16-bit as well).
  Batch norm is folded and ReLU runs in Tensil's SIMD unit on the output: not layers; residual adds are.
- ``alexnet-w8a8``: AlexNet as Caffe's CaffeNet (PipeCNN's benchmark), the five convolutions of
  ``alexnet_conv-w16a16`` plus fc6 (9216 x 4096), fc7 (4096 x 4096), fc8 (4096 x 1000), 8-bit.
- ``alexnet_conv-w8a8`` and ``alexnet_conv-w6a6``: the five convolutions at 8 and 6 bits (CHaiDNN's "w/o FC"
  figures at its two precisions).

Pooling, LRN and ReLU are not layers (each design runs them on the fly on the convolution's output stream); every
file says so in its header.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ZOO = ROOT / "workloads" / "zoo"

RESNET20_HEADER = """\
# ResNet-20 v2 for CIFAR-10 (32 x 32 x 3), the model of Tensil's tutorials (resnet20v2_cifar.onnx), as the Keras
# CIFAR-10 ResNet example builds resnet_v2(depth=20): 3x3 stem 3 -> 16, three stages of two bottleneck blocks
# (1x1, 3x3, 1x1; a 1x1 projection on each stage's first block; stride 2 in the first 1x1 of stages 2 and 3),
# filters in/out 16/64, 64/128, 128/256, 8x8 average pooling, 256 x 10 classifier. 16-bit fixed point (FP16BP8).
# Batch norm folded, ReLU on the output stream (not layers); residual adds kept. {macs:,} MACs; weights
# {weights:,} (Tensil's compiler reports 568,474 "true consts" with biases and 61.476 M "true MACs"; the MAC count
# here, from the architecture, is {ratio:.2f}x theirs: docs/reference/tensil/README.md).
# Written by tools/validate_designs.py (tools/published_workloads.py).
"""

ALEXNET_HEADER = """\
# AlexNet{what} (Krizhevsky et al., NIPS 2012; as Caffe's CaffeNet, grouped conv2/4/5), one 227 x 227 x 3 image,
# {bits}-bit fixed point. {layers} {macs:,} MACs.
# ReLU, LRN and pooling are not layers (run on the convolution's output stream).
# Written by tools/validate_designs.py (tools/published_workloads.py).
"""

# AlexNet convolutions: (name, in_h, in_c, out_c, kernel, stride, pad, groups)
ALEXNET_CONVS = (("conv1", 227, 3, 96, 11, 4, 0, 1), ("conv2", 27, 96, 256, 5, 1, 2, 2),
                 ("conv3", 13, 256, 384, 3, 1, 1, 1), ("conv4", 13, 384, 384, 3, 1, 1, 2),
                 ("conv5", 13, 384, 256, 3, 1, 1, 2))
ALEXNET_FCS = (("fc6", 9216, 4096), ("fc7", 4096, 4096), ("fc8", 4096, 1000))


def conv_layer(name: str, h: int, c: int, n: int, kernel: int, stride: int, pad: int, groups: int, bits: int,
               acc_bits: int = 32):
    """One convolution of an h x h x c input (square), n filters, as its GEMM with geometry (workloads/conv.py)."""
    from workloads.conv import conv_out_size
    from workloads.model import Layer

    out = conv_out_size(h, kernel, stride, pad)
    return Layer(name=name, op="conv", m=out * out, n=n // groups, k=kernel * kernel * c // groups, repeat=groups,
                 w_bits=bits, a_bits=bits, out_bits=bits, acc_bits=acc_bits, conv_in_h=h, conv_in_w=h,
                 conv_in_channels=c, conv_kernel_h=kernel, conv_kernel_w=kernel, conv_stride=stride,
                 conv_padding=pad, conv_groups=groups)


def fc_layer(name: str, k: int, n: int, bits: int, acc_bits: int = 32):
    from workloads.model import Layer

    return Layer(name=name, op="gemm", m=1, n=n, k=k, w_bits=bits, a_bits=bits, out_bits=bits, acc_bits=acc_bits)


def resnet20v2():
    """ResNet-20 v2 (CIFAR) at 16 bits, accumulators 16 bits: (workload, weights)."""
    from workloads.model import Layer, Workload

    bits, acc = 16, 16
    layers = [conv_layer("stem", 32, 3, 16, 3, 1, 1, 1, bits, acc)]
    h, c_in, f_in = 32, 16, 16
    for stage in range(3):
        f_out = f_in * 4 if stage == 0 else f_in * 2
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            p = f"stage{stage + 1}.{block}"
            ho = (h - 1) // stride + 1
            layers.append(conv_layer(f"{p}.conv1", h, c_in, f_in, 1, stride, 0, 1, bits, acc))
            layers.append(conv_layer(f"{p}.conv2", ho, f_in, f_in, 3, 1, 1, 1, bits, acc))
            layers.append(conv_layer(f"{p}.conv3", ho, f_in, f_out, 1, 1, 0, 1, bits, acc))
            if block == 0:
                layers.append(conv_layer(f"{p}.proj", h, c_in, f_out, 1, stride, 0, 1, bits, acc))
            layers.append(Layer(name=f"{p}.residual", op="add", m=ho * ho, n=f_out, w_bits=bits, a_bits=bits,
                                out_bits=bits, acc_bits=acc))
            h, c_in = ho, f_out
        f_in = f_out
    layers.append(Layer(name="pool.avg_pool2d", op="elementwise", m=1, n=h * h * c_in, w_bits=bits, a_bits=bits,
                        out_bits=bits, acc_bits=acc))
    layers.append(fc_layer("fc", c_in, 10, bits, acc))
    weights = sum(x.n * x.k * x.repeat for x in layers if x.op in ("conv", "gemm"))
    w = Workload(model="resnet20v2_cifar", layers=tuple(layers), img_size=32, recipe="w16a16",
                 source="analytic (ResNet-20 v2 CIFAR, tools/published_workloads.py)")
    return w, weights


def alexnet(bits: int, with_fc: bool):
    from workloads.model import Workload

    layers = [conv_layer(n, h, c, k, f, s, p, g, bits) for n, h, c, k, f, s, p, g in ALEXNET_CONVS]
    if with_fc:
        layers += [fc_layer(n, k, m, bits) for n, k, m in ALEXNET_FCS]
    model = "alexnet" if with_fc else "alexnet_conv"
    return Workload(model=model, layers=tuple(layers), img_size=227, recipe=f"w{bits}a{bits}",
                    source=f"analytic ({model}, tools/published_workloads.py)")


def zoo_files() -> dict[Path, str]:
    """{path: text} of every zoo file this tool owns, as it writes them."""
    from workloads.model import dump_yaml

    out = {}
    w, weights = resnet20v2()
    out[ZOO / f"{w.name}.yaml"] = RESNET20_HEADER.format(macs=w.macs, weights=weights,
                                                         ratio=w.macs / 61.476e6) + dump_yaml(w.to_dict())
    for bits, fc in ((8, True), (8, False), (6, False)):
        w = alexnet(bits, fc)
        what = " (CONV1-5 and FC6-8)" if fc else " CONV1-5"
        layers = ("conv1-5 as in alexnet_conv-w16a16; fc6 9216 x 4096, fc7 4096 x 4096, fc8 4096 x 1000."
                  if fc else "conv1-5 as in alexnet_conv-w16a16.")
        out[ZOO / f"{w.name}.yaml"] = ALEXNET_HEADER.format(what=what, bits=bits, layers=layers,
                                                            macs=w.macs) + dump_yaml(w.to_dict())
    return out


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    for path, text in zoo_files().items():
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
