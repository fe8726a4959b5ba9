"""Accuracy: real top-1/top-5 of a model and its fake-quantized version on the user's images (``evaluate``), and
published ImageNet results of ViT quantization methods with their sources (``published``).

What each number means and does not: docs/accuracy.md. ``evaluate`` needs the ``trace`` extra (torch, timm,
torchvision); ``published`` needs nothing heavy. torch is imported inside functions only.
"""

from workloads.accuracy.published import published_rows

__all__ = ["published_rows"]
