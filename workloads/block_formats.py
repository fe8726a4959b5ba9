"""Block-scaled number formats: a block of elements shares one scale, stored beside them.

| format | elements | block | shared scale | source |
|---|---|---|---|---|
| mxint8 | int8 | 32 | E8M0 (8-bit power of two) | OCP Microscaling Formats (MX) v1.0, 2023, Table 1 |
| mxfp8_e4m3, mxfp8_e5m2 | FP8 E4M3 / E5M2 | 32 | E8M0 | OCP MX v1.0 |
| mxfp6_e2m3, mxfp6_e3m2 | FP6 E2M3 / E3M2 | 32 | E8M0 | OCP MX v1.0 |
| mxfp4 | FP4 E2M1 | 32 | E8M0 | OCP MX v1.0 |
| nvfp4 | FP4 E2M1 | 16 | FP8 E4M3 (+ one FP32 per tensor) | NVIDIA Blackwell NVFP4 (Transformer Engine docs) |

In a layer a format is its element type and bits (``dtype``, ``w_bits``/``a_bits``), one scale per block along K
(``w_granularity``/``a_granularity: group:<block>``) and the scale's width (``w_scale_bits``/``a_scale_bits``: 8),
so the simulator stores and moves N * ceil(K / block) weight scales and M * ceil(K / block) activation scales of 8
bits per GEMM copy (``simulator.quant.gemm_quant``): 0.25 bits per element for the MX formats (8 / 32), 0.5 for
NVFP4 (8 / 16); NVFP4's per-tensor FP32 scale is a register constant (no bytes, like every per-tensor scale).
Recipes name a format with ``block_format`` (both operands), ``w_block_format`` or ``a_block_format``
(``workloads.quantize``); a layer mixing an integer and a float format is a float layer.
"""

from __future__ import annotations

from dataclasses import dataclass

from workloads.errors import WorkloadError


@dataclass(frozen=True)
class BlockFormat:
    name: str
    dtype: str          # element type: int | fp
    bits: int           # element bits
    block: int          # elements per shared scale, along K
    scale_bits: int     # bits of the shared scale
    scale: str          # what the scale is (E8M0: a power of two; E4M3: an FP8 number)


BLOCK_FORMATS = {f.name: f for f in (
    BlockFormat("mxint8", "int", 8, 32, 8, "E8M0"),
    BlockFormat("mxfp8_e4m3", "fp", 8, 32, 8, "E8M0"),
    BlockFormat("mxfp8_e5m2", "fp", 8, 32, 8, "E8M0"),
    BlockFormat("mxfp6_e2m3", "fp", 6, 32, 8, "E8M0"),
    BlockFormat("mxfp6_e3m2", "fp", 6, 32, 8, "E8M0"),
    BlockFormat("mxfp4", "fp", 4, 32, 8, "E8M0"),
    BlockFormat("nvfp4", "fp", 4, 16, 8, "E4M3"),
)}
FORMAT_KEYS = ("block_format", "w_block_format", "a_block_format")
# what a layer records of a format: (dtype, bits, block, scale bits) -> family (E4M3/E5M2 and E2M3/E3M2 are not
# recorded apart: they share bits, block and scale, and every device that runs one runs the other)
FAMILIES = {("int", 8, 32, 8): "mxint8", ("fp", 8, 32, 8): "mxfp8", ("fp", 6, 32, 8): "mxfp6",
            ("fp", 4, 32, 8): "mxfp4", ("fp", 4, 16, 8): "nvfp4"}


def family(name: str) -> str:
    """A format's family: ``mxfp8_e4m3`` -> ``mxfp8``; ``nvfp4`` -> ``nvfp4``."""
    f = BLOCK_FORMATS[name]
    return FAMILIES[(f.dtype, f.bits, f.block, f.scale_bits)]


def layer_families(layer) -> tuple[str, ...]:
    """The block-format families of a layer's operands (weights first; an operand that is not block-scaled adds
    nothing): a layer is block-scaled by ``group:<block>`` granularity with a stored scale width that one of
    ``FAMILIES`` has, at its element type and bits."""
    out = []
    for bits, gran, scale in ((layer.w_bits, layer.w_granularity, layer.w_scale_bits),
                              (layer.a_bits, layer.a_granularity, layer.a_scale_bits)):
        if not str(gran).startswith("group:"):
            continue
        fam = FAMILIES.get((str(layer.dtype), int(bits), int(str(gran).split(":", 1)[1]), int(scale)))
        if fam and fam not in out:
            out.append(fam)
    return tuple(out)


def scale_bits_per_element(name: str) -> float:
    """Storage overhead of a format's shared scales: scale_bits / block (mxfp4 0.25, nvfp4 0.5)."""
    f = BLOCK_FORMATS[name]
    return f.scale_bits / f.block


def expand(source: str, where: str, values: dict) -> dict:
    """``values`` (a recipe's default or rule) with ``block_format``/``w_block_format``/``a_block_format``
    replaced by the layer fields they mean (module docstring)."""
    names = {k: values[k] for k in FORMAT_KEYS if k in values}
    if not names:
        return values
    out = {k: v for k, v in values.items() if k not in FORMAT_KEYS}
    for key, name in names.items():
        if name not in BLOCK_FORMATS:
            raise WorkloadError(source, f"{where}.{key}", f"unknown block format {name!r}", ", ".join(BLOCK_FORMATS))
    both = names.get("block_format")
    per = {"w": names.get("w_block_format", both), "a": names.get("a_block_format", both)}
    dtypes = []
    for op, name in per.items():
        if name is None:
            continue
        f = BLOCK_FORMATS[name]
        out.update({f"{op}_bits": f.bits, f"{op}_granularity": f"group:{f.block}", f"{op}_scale_bits": f.scale_bits,
                    f"{op}_block_format": name})
        dtypes.append(f.dtype)
    out["dtype"] = "fp" if "fp" in dtypes else "int"
    return out
