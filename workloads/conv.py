"""Convolution geometry of a ``conv`` layer (optional ``Layer`` fields ``conv_*``), independent of any hardware.

A conv layer is always its im2col GEMM: M = images * Ho * Wo output pixels, N = out channels / groups,
K = Fh * Fw * C / groups, ``repeat`` = groups (a depthwise conv: groups = C, N = 1 per group). The geometry says
where those numbers come from, so the simulator can hold the input as raw rows (simulator/model/convtile.py):
  Ho = floor((H + 2 * padding - Fh) / stride) + 1, Wo likewise (PyTorch's Conv2d; dilation 1);
  images = M / (Ho * Wo).
Absent (every ``conv_*`` field 0): the layer is its GEMM only (no input tiles, no halo).
"""

from __future__ import annotations

CONV_FIELDS = ("conv_in_h", "conv_in_w", "conv_in_channels", "conv_kernel_h", "conv_kernel_w", "conv_stride",
               "conv_padding", "conv_groups")
REQUIRED = ("conv_in_h", "conv_in_w", "conv_in_channels", "conv_kernel_h", "conv_kernel_w")


def conv_out_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output pixels along one axis: floor((size + 2 * padding - kernel) / stride) + 1 (may be < 1: no output)."""
    return (size + 2 * padding - kernel) // stride + 1


def has_geometry(layer) -> bool:
    """Whether ``layer`` carries its convolution geometry."""
    return layer.conv_in_h > 0


def out_hw(layer) -> tuple[int, int]:
    """(Ho, Wo) of a conv layer with geometry."""
    return (conv_out_size(layer.conv_in_h, layer.conv_kernel_h, layer.conv_stride, layer.conv_padding),
            conv_out_size(layer.conv_in_w, layer.conv_kernel_w, layer.conv_stride, layer.conv_padding))


def images(layer) -> int:
    """Images of a conv layer with geometry: M / (Ho * Wo)."""
    ho, wo = out_hw(layer)
    return layer.m // (ho * wo)


def geometry(h: int, w: int, c: int, kh: int, kw: int, stride: int = 1, padding: int = 0, groups: int = 1) -> dict:
    """The ``conv_*`` fields as Layer keyword arguments."""
    return {"conv_in_h": h, "conv_in_w": w, "conv_in_channels": c, "conv_kernel_h": kh, "conv_kernel_w": kw,
            "conv_stride": stride, "conv_padding": padding, "conv_groups": groups}


def mismatch(m: int, n: int, k: int, repeat: int, g: dict) -> tuple[str, str, str] | None:
    """(field, problem, allowed) when the geometry ``g`` (the ``conv_*`` values) disagrees with the GEMM
    (m, n, k, repeat), else None."""
    c, groups, kh, kw = g["conv_in_channels"], g["conv_groups"], g["conv_kernel_h"], g["conv_kernel_w"]
    if c % groups:
        return "conv_groups", f"{groups} does not divide conv_in_channels = {c}", "a divisor of conv_in_channels"
    if repeat != groups:
        return "repeat", f"{repeat} is not conv_groups = {groups}", "repeat = conv_groups (one GEMM per group)"
    if k != kh * kw * (c // groups):
        return "k", f"{k} is not conv_kernel_h * conv_kernel_w * conv_in_channels / conv_groups = " \
                    f"{kh * kw * (c // groups)}", "K of the im2col GEMM"
    ho = conv_out_size(g["conv_in_h"], kh, g["conv_stride"], g["conv_padding"])
    wo = conv_out_size(g["conv_in_w"], kw, g["conv_stride"], g["conv_padding"])
    if ho < 1 or wo < 1:
        return "conv_kernel_h", f"the {kh}x{kw} filter gives no output on {g['conv_in_h']}x{g['conv_in_w']} " \
                                f"with padding {g['conv_padding']}", "a filter no larger than the padded input"
    if m % (ho * wo):
        return "m", f"{m} is not a multiple of the {ho}x{wo} output pixels", "images * Ho * Wo"
    return None
