"""Model families the tracer is tested on: family -> timm model names (timm 1.0 spellings, ``timm.list_models``).

Every name here traces (``python -m workloads trace NAME``) and the result simulates on hwconfigs/int8.yaml with a
recipe such as w8a8 (tests/workloads/test_trace.py::test_every_family_traces_and_simulates). Other timm models
usually trace too; ops the tracer does not know are kept as elementwise layers with a warning.
"""

from __future__ import annotations

FAMILIES: dict[str, list[str]] = {
    "deit": ["deit_tiny_patch16_224", "deit_small_patch16_224", "deit_base_patch16_224", "deit_base_patch16_384",
             "deit_tiny_distilled_patch16_224"],
    "deit3": ["deit3_small_patch16_224", "deit3_medium_patch16_224", "deit3_base_patch16_224"],
    "vit": ["vit_small_patch16_224", "vit_small_patch32_224", "vit_small_patch16_384", "vit_base_patch16_224",
            "vit_base_patch32_224", "vit_base_patch16_384", "vit_large_patch16_224", "vit_large_patch14_224",
            "vit_large_patch16_384", "vit_huge_patch14_224", "vit_small_patch14_dinov2", "vit_base_patch14_dinov2"],
    "swin": ["swin_tiny_patch4_window7_224", "swin_small_patch4_window7_224", "swin_base_patch4_window7_224"],
    "levit": ["levit_128s", "levit_128", "levit_192", "levit_256"],
    "efficientvit": ["efficientvit_b0", "efficientvit_m0"],
    "eva02": ["eva02_tiny_patch14_224", "eva02_small_patch14_224", "eva02_base_patch14_224"],
    "beit": ["beit_base_patch16_224", "beitv2_base_patch16_224"],
    "cait": ["cait_xxs24_224", "cait_s24_224"],
    "pvt_v2": ["pvt_v2_b0", "pvt_v2_b1", "pvt_v2_b2"],
}

# Smallest member of each family: what the test suite traces (keeps its tracing time modest).
SMALLEST: dict[str, str] = {fam: names[0] for fam, names in FAMILIES.items()}
