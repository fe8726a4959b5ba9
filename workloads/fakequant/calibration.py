"""Calibration on synthetic images, and SQNR.

SQNR of a layer = 10 log10( sum(y_fp32^2) / sum((y_fp32 - y_q)^2) ) in dB, y = the layer's output for the same
input images in the FP32 model and in the fake-quantized model (so the error of earlier layers propagates).
Images are synthetic (seeded smooth noise): this measures numerics, not accuracy. Weights are timm's random
initialisation (``pretrained=False``), not trained weights.
"""

from __future__ import annotations

from workloads.fakequant.modules import set_calibrating


def calibrate(model, batches) -> None:
    """Run the calibration images through ``model`` with observers on, then freeze the ranges."""
    import torch

    set_calibrating(model, True)
    try:
        with torch.inference_mode():
            for x in batches:
                model(x)
    finally:
        set_calibrating(model, False)


def synthetic_images(batch: int, chans: int, height: int, width: int, seed: int):
    """Seeded stand-in images, already normalised: a smooth random field (bilinear upsampling of an 8x8 grid)
    plus pixel noise, about zero mean and unit variance per channel. Numerics only, never accuracy."""
    import torch

    g = torch.Generator().manual_seed(seed)
    coarse = torch.randn(batch, chans, 8, 8, generator=g)
    smooth = torch.nn.functional.interpolate(coarse, size=(height, width), mode="bilinear", align_corners=False)
    return (0.9 * smooth / smooth.std() + 0.45 * torch.randn(batch, chans, height, width, generator=g))


def sqnr_db(ref, test) -> float | None:
    """10 log10(sum(ref^2) / sum((ref - test)^2)) in dB; None when it is not defined: the two are identical (no
    error to measure) or the reference is all zeros (no signal; -inf would be written to a workload file that the
    loader then refuses, since every number in it must be finite)."""
    import math

    ref = ref.detach().double()
    err = (ref - test.detach().double()).pow(2).sum().item()
    sig = ref.pow(2).sum().item()
    if err == 0.0 or sig == 0.0:
        return None
    return 10.0 * math.log10(sig / err)
