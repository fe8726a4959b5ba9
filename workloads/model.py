"""Layer and Workload: what runs, with bit widths, independent of any hardware.

GEMM view (SCALE-Sim's): ifmap M x K (activations), filter K x N (weights, or the second
activation when ``weight_operand`` is False), ofmap M x N; ``repeat`` independent copies
(batch x heads for attention matmuls). MACs = m * n * k * repeat.
Vector ops (softmax, layernorm, ...) are ``m`` rows of ``n`` elements, ``repeat`` times:
elements = m * n * repeat; softmax and layernorm reduce along ``n``.
Layout ops (``layout``: a copy with no arithmetic: permute, roll, pad, gather, cat ...; workloads/layout.py) move
m * n * repeat elements, read at ``a_bits`` and written at ``out_bits``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import yaml

from workloads.checks import check_conv_geometry, omit_conv_defaults
from workloads.enums import StrChoice
from workloads.errors import (
    InputError,
    WorkloadError,
    check_size,
    require_choice,
    require_finite,
    require_int,
    require_mapping,
    retyped,
)
from workloads.quant_fields import QUANT_DEFAULTS, check_accuracy, check_quant_fields
from workloads.quant_fields import check_quant_combination as _check_combination
from workloads.sparsity import DENSE, check_layer_sparsity, normalize_sparsity, omit_sparsity_defaults

SCHEMA_VERSION = 1
GEMM_OPS = ("gemm", "matmul", "conv")
VECTOR_OPS = ("softmax", "layernorm", "gelu", "add", "mul", "quantize", "elementwise", "topk")
LAYOUT_OPS = ("layout",)  # a copy with no arithmetic (workloads/layout.py)
OPS = GEMM_OPS + VECTOR_OPS + LAYOUT_OPS
DTYPES = ("int", "fp")
MAX_BITS = 32


class Granularity(StrChoice):
    """Kind of scale granularity: one scale per tensor, per channel, per token, or per group (``group:<size>``)."""

    TENSOR = "tensor"
    CHANNEL = "channel"
    TOKEN = "token"
    GROUP = "group"


def granularity_kind(granularity: str) -> Granularity:
    """The kind of a granularity string: ``group:128`` -> ``Granularity.GROUP``."""
    return Granularity(granularity.split(":", 1)[0])


def _check_granularity(source: str, fld: str, value) -> str:
    """Granularity is ``tensor``, ``channel``, ``token`` or ``group:<size>``."""
    if value in (Granularity.TENSOR, Granularity.CHANNEL, Granularity.TOKEN):
        return value
    if isinstance(value, str) and value.startswith("group:"):
        require_int(source, fld, _int_or_str(value[6:]), 1)
        return value
    raise InputError(source, fld, f"unknown granularity {value!r}", "tensor, channel, token, group:<size>")


def _int_or_str(s: str):
    try:
        return int(s)
    except ValueError:
        return s


def group_size(granularity: str) -> int:
    """Group size of ``group:<g>`` granularity, else 0."""
    return int(granularity[6:]) if granularity.startswith("group:") else 0


@dataclass(frozen=True)
class Layer:
    """One operation of a network, with its shape and bit widths (see module docstring)."""

    name: str
    op: str
    m: int
    n: int
    k: int = 0
    repeat: int = 1
    w_bits: int = 8
    a_bits: int = 8
    out_bits: int = 8
    acc_bits: int = 32
    dtype: str = "int"
    w_granularity: str = "tensor"
    a_granularity: str = "tensor"
    weight_operand: bool = True
    sqnr_db: float | None = None
    w_quantizer: str = "uniform"          # W_QUANTIZERS
    a_quantizer: str = "uniform"          # A_QUANTIZERS (the layer's input activation)
    w_zero_point: bool = False            # asymmetric weights: a zero point per weight scale
    a_zero_point: bool | None = None      # None: not stated (fake quant asymmetric, no hardware correction)
    scale_pow2: bool = False              # scales rounded up to powers of two (a shift instead of a multiply)
    outlier_channels: int = 0             # input channels (of K) kept at outlier_bits with their own scale
    outlier_bits: int = 0
    calibration: str = ""                 # CALIBRATION_METHODS; "" = the command's default
    w_sparsity: str = DENSE               # sparsity: workloads/sparsity.py
    w_density: float = 1.0
    w_format: str = "bitmask"
    a_density: float = 1.0
    w_col_nnz: tuple | None = None
    # convolution geometry (op conv only; all 0 = absent: the layer is only its im2col GEMM; workloads/conv.py)
    conv_in_h: int = 0                    # input height, pixels (before padding)
    conv_in_w: int = 0                    # input width, pixels
    conv_in_channels: int = 0             # input channels, all groups
    conv_kernel_h: int = 0                # filter height, pixels
    conv_kernel_w: int = 0                # filter width, pixels
    conv_stride: int = 0                  # stride, pixels (both directions)
    conv_padding: int = 0                 # zero padding on each side, pixels
    conv_groups: int = 0                  # groups (= repeat; in_channels for a depthwise conv)
    # width of the stored scales (block formats' shared scales: 8; workloads/block_formats.py); 0: the hardware's
    w_scale_bits: int = 0
    a_scale_bits: int = 0
    # the block-scaled format by name (workloads/block_formats.py), "" for none: what the fake quantizer rounds to
    # (the element's exponent/mantissa split, the kind of shared scale); the cost model reads only the fields above
    w_block_format: str = ""
    a_block_format: str = ""

    def __post_init__(self):
        normalize_sparsity(self)

    @property
    def is_gemm(self) -> bool:
        return self.op in GEMM_OPS

    @property
    def macs(self) -> int:
        """MACs = m * n * k * repeat for GEMM-like ops, 0 for vector ops."""
        return self.m * self.n * self.k * self.repeat if self.is_gemm else 0

    @property
    def elements(self) -> int:
        """Output elements: m * n * repeat."""
        return self.m * self.n * self.repeat

    @property
    def precision(self) -> str:
        """Short precision label, e.g. ``w4a8`` or ``fp16``."""
        if self.dtype == "fp":
            return f"fp{max(self.w_bits, self.a_bits)}" if self.is_gemm else f"fp{self.a_bits}"
        return f"w{self.w_bits}a{self.a_bits}" if self.is_gemm else f"a{self.a_bits}"

    def to_dict(self) -> dict:
        """Plain dict with default-valued optional fields left out."""
        d = asdict(self)
        if d["sqnr_db"] is None:
            del d["sqnr_db"]
        omit_sparsity_defaults(d)
        omit_conv_defaults(d)
        for f, default in QUANT_DEFAULTS.items():
            if d[f] == default and type(d[f]) is type(default):
                del d[f]
        if not self.is_gemm:
            d.pop("k")
        return d

    @classmethod
    def from_dict(cls, d, source: str = "<layer>", combinations: bool = True) -> Layer:
        """Validate a dict (from YAML/JSON) and build a Layer; errors name ``source`` and the field.
        ``combinations=False`` checks each field alone (a recipe rule sets only some of them)."""
        try:
            return cls._from_dict(d, source, combinations)
        except WorkloadError:
            raise
        except InputError as e:
            raise retyped(e, WorkloadError) from None

    @classmethod
    def _from_dict(cls, d, source: str, combinations: bool = True) -> Layer:
        require_mapping(source, "layer", d)
        name = d.get("name")
        where = f"layers[{name}]" if name else "layers[?]"
        if not isinstance(name, str) or not name:
            raise WorkloadError(source, f"{where}.name", "missing or not a string")
        known = {f.name for f in fields(cls)}
        extra = set(d) - known
        if extra:
            raise WorkloadError(source, f"{where}.{min(map(str, extra))}", "unknown field", ", ".join(sorted(known)))
        op = require_choice(source, f"{where}.op", d.get("op"), OPS)
        kw = dict(d)
        for f in ("m", "n", "repeat"):
            if f in kw or f in ("m", "n"):
                kw[f] = require_int(source, f"{where}.{f}", kw.get(f), 1)
        if op in GEMM_OPS:
            kw["k"] = require_int(source, f"{where}.k", kw.get("k"), 1)
        else:
            kw["k"] = 0
        for f in ("w_bits", "a_bits", "out_bits", "acc_bits"):
            if f in kw:
                v = require_int(source, f"{where}.{f}", kw[f], 1)
                if v > MAX_BITS:
                    raise WorkloadError(source, f"{where}.{f}", f"{v} bits is unsupported", f"1 to {MAX_BITS}")
        if "dtype" in kw:
            require_choice(source, f"{where}.dtype", kw["dtype"], DTYPES)
        for f in ("w_granularity", "a_granularity"):
            if f in kw:
                _check_granularity(source, f"{where}.{f}", kw[f])
        if "weight_operand" in kw and not isinstance(kw["weight_operand"], bool):
            raise WorkloadError(source, f"{where}.weight_operand", "expected true or false")
        if kw.get("sqnr_db") is not None:
            kw["sqnr_db"] = require_finite(source, f"{where}.sqnr_db", kw["sqnr_db"], "finite numbers (dB), or null")
        check_size(source, where, kw["m"], kw["n"], kw["k"], kw.get("repeat", 1))
        check_quant_fields(source, where, kw)
        if combinations:
            check_quant_combination(source, where, kw)
        check_layer_sparsity(source, where, op in GEMM_OPS, kw)
        check_conv_geometry(source, where, op, kw)
        return cls(**kw)


def check_quant_combination(source: str, where: str, kw: dict) -> None:
    """Bits, quantizers, zero points and outliers that fit together (workloads/quant_fields.py)."""
    _check_combination(source, where, kw, MAX_BITS)


@dataclass(frozen=True)
class Workload:
    """A network as an ordered tuple of layers, with how it was made."""

    model: str
    layers: tuple[Layer, ...]
    img_size: int = 224
    batch: int = 1
    recipe: str = "none"
    source: str = "analytic"
    schema_version: int = SCHEMA_VERSION
    meta: dict = field(default_factory=dict, compare=False, hash=False)
    accuracy: dict | None = field(default=None, compare=False, hash=False)  # check_accuracy; docs/accuracy.md

    def __post_init__(self):  # every way a workload is made (file, builder, tracer, batch, recipe) ends here
        from workloads.checks import check_sizes

        check_sizes(self)

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def name(self) -> str:
        return f"{self.model}-{self.recipe}" if self.recipe != "none" else self.model

    def with_batch(self, batch: int) -> Workload:
        """Rescale to another batch: attention matmuls scale ``repeat``, every other op its rows ``m``."""
        batch = require_int(self.name, "batch", batch, 1)
        if batch == self.batch:
            return self
        layers = []
        for layer in self.layers:
            if layer.op == "matmul":
                if layer.repeat % self.batch:
                    raise WorkloadError(self.name, f"layers[{layer.name}].repeat", "not divisible by the batch")
                layers.append(replace(layer, repeat=layer.repeat // self.batch * batch))
            else:
                if layer.m % self.batch:
                    raise WorkloadError(self.name, f"layers[{layer.name}].m", "not divisible by the batch")
                layers.append(replace(layer, m=layer.m // self.batch * batch))
        return replace(self, layers=tuple(layers), batch=batch)

    def to_dict(self) -> dict:
        return {
            "schema_version": self.schema_version,
            "model": self.model,
            "img_size": self.img_size,
            "batch": self.batch,
            "recipe": self.recipe,
            "source": self.source,
            "meta": dict(self.meta),
            "macs": self.macs,
            "layers": [layer.to_dict() for layer in self.layers],
            **({"accuracy": dict(self.accuracy)} if self.accuracy else {}),
        }

    @classmethod
    def from_dict(cls, d, source: str = "<workload>") -> Workload:
        """Validate then build. Unknown schema versions and bad layers are errors naming ``source``."""
        if not isinstance(d, dict):
            raise WorkloadError(source, "top level", f"expected a mapping, got {type(d).__name__}")
        version = d.get("schema_version")
        if type(version) is not int or version != SCHEMA_VERSION:  # not True, not 1.0
            raise WorkloadError(source, "schema_version", f"unsupported value {version!r}", str(SCHEMA_VERSION))
        model = d.get("model")
        if not isinstance(model, str) or not model:
            raise WorkloadError(source, "model", "missing or not a string")
        raw = d.get("layers")
        if not isinstance(raw, list) or not raw:
            raise WorkloadError(source, "layers", "missing or empty", "a non-empty list of layers")
        from workloads.checks import workload_fields
        from workloads.limits import check

        check("layers", len(raw), source, "layers", "fewer layers")
        for i, x in enumerate(raw):  # a layer that is not a mapping, or has no name, is named by its index
            if not isinstance(x, dict):
                raise WorkloadError(source, f"layers[{i}]", f"expected a mapping, got {type(x).__name__}")
            if not isinstance(x.get("name"), str) or not x.get("name"):
                raise WorkloadError(source, f"layers[{i}].name", "missing or not a string")
        layers = tuple(Layer.from_dict(x, source) for x in raw)
        return cls(
            model=model,
            layers=layers,
            img_size=require_int(source, "img_size", d.get("img_size", 224), 1),
            **workload_fields(source, d, layers),  # keys, batch agreeing with the layers, recipe, source, meta
            accuracy=check_accuracy(source, d.get("accuracy")),
        )

    def save(self, path: str | Path) -> Path:
        """Write YAML (``.yaml``/``.yml``) or JSON (``.json``) atomically (temporary name, then rename)."""
        from workloads.io import atomic_write_text

        path = Path(path)
        if path.suffix == ".json":
            text = json.dumps(self.to_dict(), indent=1)
        elif path.suffix in (".yaml", ".yml"):
            text = dump_yaml(self.to_dict())
        else:
            raise WorkloadError(str(path), "output", "unknown file type", ".yaml, .yml, .json")
        return atomic_write_text(path, text)

    @classmethod
    def load(cls, path: str | Path) -> Workload:
        """Read a workload file (YAML or JSON); every problem is a ``WorkloadError`` naming the file."""
        from workloads.io import read_structured

        try:
            return cls.from_dict(read_structured(path), str(path))
        except WorkloadError:
            raise
        except InputError as e:
            raise retyped(e, WorkloadError) from None


def dump_yaml(data: dict) -> str:
    """YAML with one flow-style mapping per layer: compact and diff-friendly."""
    layers = data.get("layers")
    head = {k: v for k, v in data.items() if k != "layers"}
    text = yaml.safe_dump(head, sort_keys=False)
    if layers is not None:
        text += "layers:\n"
        for layer in layers:
            text += "- " + yaml.safe_dump(layer, default_flow_style=True, sort_keys=False, width=10_000)
    return text
