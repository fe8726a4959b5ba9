"""Devices for the roofline: peak throughput per precision and memory levels (bandwidth, capacity).

A GPU comes from ``hwconfigs/gpus/*.yaml`` (dense peaks in TOPS per precision, each with its source).
A vitsim accelerator (any hardware YAML) becomes a device with, per PE precision mode,
    peak_ops_per_s = rows * cols * macs_per_cycle * 2 * freq_mhz * 1e6      (2 ops per MAC)
a vector-unit ceiling per layer (a lane issues one primitive op per cycle; cycles_per_element is the
simulator's count for the op, implementation, dtype and bits: ``simulator.vector.element_ops`` or the config's
override),
    peak_ops_per_s(layer) = OPS_PER_ELEMENT[op] * lanes / cycles_per_element(layer) * freq_mhz * 1e6
(so ops / peak = elements * cycles_per_element / lanes cycles, the vector unit's stall-free time),
levels ``dram`` (``Hardware.dram_bytes_per_cycle`` x clock: achievable) and ``sram`` (3 buffers; bandwidth = the
array's edge ports at full rate: operands in, freq * max over modes of macs_per_cycle * (rows * left_bits + cols *
top_bits) / 8 with (left, top) = (a, w) for os and ws, (w, a) for is; plus results out, freq * cols * acc_bits / 8;
plus, for ws and is, whose reduction spans row folds, the partial sums read back, freq * cols * acc_bits / 8).
``host`` is this machine: peaks and bandwidth measured by ``analysis.measure.peaks`` (``device_from_measurement``).
Ridge point of a ceiling on a level = peak_ops_per_s / bandwidth_bytes_per_s (ops per byte).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import hwconfigs
from analysis.gpu_extras import gpu_info, gpu_notes
from analysis.measure.peaks import HostMeasurement, measure_host
from workloads.enums import StrChoice
from workloads.errors import (
    InputError,
    require_choice,
    require_known,
    require_mapping,
    require_number,
    require_str,
)
from workloads.model import Layer


class DeviceKind(StrChoice):
    """What a roofline device is: a GPU (peaks from a datasheet), a vitsim accelerator, or this host (measured)."""

    GPU = "gpu"
    ACCELERATOR = "accelerator"
    HOST = "host"


# Ops counted per element of a vector op (documented in docs/roofline.md):
# softmax: max, subtract, exp, sum, divide = 5; layernorm: sum, subtract mean, square, sum, multiply by
# 1/std, scale, shift = 7; gelu (erf form, timm's nn.GELU): x/sqrt2, erf, +1, *x, *0.5 = 5;
# add, mul, elementwise = 1; quantize: scale and round/clip = 2; layout (a copy, workloads/layout.py) = 0.
OPS_PER_ELEMENT = {"softmax": 5, "layernorm": 7, "gelu": 5, "add": 1, "mul": 1, "quantize": 2, "elementwise": 1,
                   "topk": 17, "layout": 0}  # topk: radix select over 8-bit scores (simulator/vector.py)

GPU_PEAK_KEYS = ("fp32", "tf32", "fp16_fp32acc", "fp16_fp16acc", "bf16_fp32acc", "fp8_fp32acc", "fp8_fp16acc",
                 "int8", "int4", "fp4")
GPU_PEAK_KEYS += tuple(k + "_sparse" for k in GPU_PEAK_KEYS[1:])  # 2:4 sparse tensor cores (analysis/sparse.py)


@dataclass(frozen=True)
class Peak:
    """One compute ceiling: ``key`` (e.g. ``fp16_fp32acc``, ``int8``, ``w4a4``) in ops/s, with its source."""

    key: str
    ops_per_s: float
    source: str = ""


@dataclass(frozen=True)
class MemoryLevel:
    """A memory level: ``dram``, ``l2`` or ``sram``; bandwidth in bytes/s (None when not modelled)."""

    name: str
    bandwidth_bytes_per_s: float | None
    capacity_bytes: float | None
    source: str = ""


@dataclass(frozen=True)
class Device:
    """Peaks per precision, memory levels (``memory[0]`` is DRAM) and how layers pick a ceiling."""

    name: str
    kind: DeviceKind
    peaks: tuple[Peak, ...]
    memory: tuple[MemoryLevel, ...]
    defaults: tuple[tuple[str, str], ...] = ()  # alias -> peak key, e.g. fp16 -> fp16_fp32acc
    vector_key: str = "fp32"                    # GPUs/host: the ceiling vector ops run on
    source: str = ""
    notes: tuple[str, ...] = ()
    hardware: object = field(default=None, compare=False, repr=False)  # simulator Hardware for accelerators
    gpu: object = None          # GPUs: analysis.gpu_extras.GpuInfo (arch, SMs, clocks, framework profile)

    def __post_init__(self):
        object.__setattr__(self, "kind", DeviceKind(self.kind))

    # ------------------------------------------------------------------ lookups
    def _key(self, key: str) -> str:
        return dict(self.defaults).get(key, key)

    def has(self, key: str) -> bool:
        k = self._key(key)
        return any(p.key == k for p in self.peaks)

    def peak(self, key: str) -> Peak:
        """The ceiling named ``key`` (aliases such as ``fp16`` resolved); InputError if absent."""
        k = self._key(key)
        for p in self.peaks:
            if p.key == k:
                return p
        raise InputError(self.source or self.name, "peaks", f"{self.name} has no {key} ceiling",
                         ", ".join(p.key for p in self.peaks))

    def level(self, name: str) -> MemoryLevel | None:
        return next((m for m in self.memory if m.name == name), None)

    @property
    def dram(self) -> MemoryLevel:
        return self.memory[0]

    def ridge(self, key: str, level: str = "dram") -> float:
        """Ridge point (ops/byte) = peak ops/s of ``key`` / bandwidth of ``level``."""
        lv = self.level(level)
        if lv is None or not lv.bandwidth_bytes_per_s:
            raise InputError(self.name, "memory", f"no bandwidth for level {level!r}")
        return self.peak(key).ops_per_s / lv.bandwidth_bytes_per_s

    # ------------------------------------------------------------------ which ceiling a layer runs at
    def gemm_peak(self, layer: Layer, prefer: str | None = None) -> tuple[Peak, str]:
        """(ceiling, note) for a GEMM-like layer; ``prefer`` (e.g. ``bf16``, ``tf32``) overrides the first choice.

        Accelerators: the PE mode the simulator would pick (``PEConfig.resolve``: exact, else the fastest wider).
        GPUs/host: W4A4 -> int4 (else int8), W8A8 and W4A8 -> int8, weight-only (activations > 8 bits, e.g.
        W4A16) -> fp16, fp16 -> the default fp16 ceiling, fp8 -> fp8, fp32 -> fp32; a missing ceiling falls
        back along int4 -> int8 -> fp16 -> fp32 (fp8 -> fp16 -> fp32) with a note; block-scaled formats the device
        does not run natively -> fp16 (analysis/gpu_chain.py). Sparse weights: analysis/sparse.py.
        """
        if self.kind == "accelerator":
            mode, promoted = self.hardware.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
            if mode is None:
                raise InputError(self.source, "pe.precisions",
                                 f"layer {layer.name} needs {layer.precision} and no PE mode of {self.name} is wide "
                                 f"enough", ", ".join(p.key for p in self.peaks if not p.key.startswith("vector")))
            note = f"{layer.precision} runs as {mode.label} (promoted)" if promoted else ""
            from analysis.sparse import accelerator_peak  # PEs that skip pruned weights (docs/sparsity.md)

            return accelerator_peak(layer, self.hardware, mode, self.peak(mode.label), note)
        from analysis.gpu_chain import gpu_chain

        chain, note = gpu_chain(self, layer)
        if prefer:
            chain = [prefer] + [c for c in chain if c != prefer]
        for i, key in enumerate(chain):
            if self.has(key):
                if i > 0 and not note:
                    note = f"no {chain[0]} ceiling on {self.name}: {key}"
                elif i > 0:
                    note += f"; no {chain[0]} ceiling on {self.name}: {key}"
                from analysis.sparse import gpu_peak  # 2:4 layers on sparse tensor cores (docs/sparsity.md)

                return gpu_peak(self, layer, key, note)
        raise InputError(self.source or self.name, "peaks", f"no ceiling for {layer.precision}",
                         ", ".join(p.key for p in self.peaks))

    def vector_peak(self, layer: Layer) -> tuple[Peak, str]:
        """(ceiling, note) for a vector layer: the accelerator's vector unit, or a GPU's CUDA cores (FP32)."""
        if self.kind == "accelerator":
            hw = self.hardware
            cpe = vector_cycles_per_element(hw, layer)
            return Peak(f"vector:{layer.op}", OPS_PER_ELEMENT[layer.op] * hw.vector.lanes / cpe * hw.freq_mhz * 1e6,
                        f"{hw.source}: {OPS_PER_ELEMENT[layer.op]} ops x {hw.vector.lanes} lanes / {cpe:g} "
                        f"cycles per element"), ""
        return self.peak(self.vector_key), f"{layer.op} on the {self.vector_key} (non-tensor) ceiling"

    def to_dict(self) -> dict:
        return {
            "name": self.name, "kind": self.kind.value, "source": self.source,
            "peaks_tops": {p.key: p.ops_per_s / 1e12 for p in self.peaks},
            "defaults": dict(self.defaults),
            "memory": {m.name: {"bandwidth_gbps": None if m.bandwidth_bytes_per_s is None
                                else m.bandwidth_bytes_per_s / 1e9,
                                "capacity_bytes": m.capacity_bytes} for m in self.memory},
            "notes": list(self.notes),
        }


def vector_cycles_per_element(hw, layer: Layer) -> float:
    """Cycles per element per lane of a vector layer on ``hw``: exactly what the simulator charges
    (``simulator.vector.vector_op``: the config's override, else the op count of the implementation)."""
    from simulator.vector import vector_op

    return float(vector_op(hw, layer.op, layer.dtype, layer.a_bits)[1])


# ---------------------------------------------------------------------------------------------- builders
def device_from_hardware(hw) -> Device:
    """A vitsim accelerator as a Device (formulas in the module docstring)."""
    f = hw.freq_mhz * 1e6
    r, c = hw.array.rows, hw.array.cols
    src = f"{hw.source}: {r}x{c} PEs x macs_per_cycle x 2 ops x {hw.freq_mhz:g} MHz"
    peaks = [Peak(label, tops * 1e12, src) for label, tops in hw.peak_tops().items()]
    for op, n_ops in OPS_PER_ELEMENT.items():   # listed at INT8 (the vector ceiling depends on the layer)
        if op == "layout":                        # copies: absorbed by addressing (workloads/layout.py)
            continue
        cpe = vector_cycles_per_element(hw, Layer("probe", op, m=1, n=1))
        peaks.append(Peak(f"vector:{op}", n_ops * hw.vector.lanes / cpe * f,
                          f"{hw.source}: {n_ops} ops x {hw.vector.lanes} lanes / {cpe:g} cycles (int8 input)"))
    edge = sram_edge_bytes_per_cycle(hw)
    memory = (
        MemoryLevel("dram", hw.dram_bytes_per_cycle * f, None, f"{hw.source}: {hw.dram.rate_note}"),
        MemoryLevel("sram", edge * f, float(sum(hw.buffers.bytes)),
                    f"{hw.source}: buffers; bandwidth = array edge feed {edge:g} B/cycle"),
    )
    return Device(hw.name, "accelerator", tuple(peaks), memory, source=hw.source, hardware=hw, notes=(
        f"{hw.array.dataflow} dataflow; sram bytes use the array's tile reuse", f"dram {hw.dram.rate_note}"))


def sram_edge_bytes_per_cycle(hw) -> float:
    """Bytes per cycle the array's edges move at full rate (module docstring): operands in, results out, and the
    partial-sum read-back port of ws/is arrays."""
    r, c = hw.array.rows, hw.array.cols
    ports = 1 if hw.array.dataflow == "os" else 2     # results out (+ partial sums back in for ws/is)
    feed = max(m.macs_per_cycle * ((r * m.w_bits + c * m.a_bits) if hw.array.dataflow == "is"
                                   else (r * m.a_bits + c * m.w_bits)) / 8 for m in hw.pe.precisions)
    return feed + ports * c * hw.pe.acc_bits / 8


def _src(path: Path) -> str:
    """``hwconfigs/...`` for a shipped file (wherever installed), else the path as given."""
    try:
        return path.relative_to(hwconfigs.root().parent).as_posix()
    except ValueError:
        return str(path)


_GPU_KEYS = {"name", "aliases", "kind", "arch", "sm_count", "clock_mhz", "source", "defaults", "default_note",
             "vector_peak", "peaks_tops", "memory", "framework", "notes", "max_clock_mhz", "sustained_clock_mhz", "power",
             "block_formats"}
GPU_MAX = {"tops": 1e6, "gbps": 1e9, "capacity": 2 ** 40, "clock_mhz": 1e6, "sm_count": 2 ** 20, "power_w": 1e5}


def gpu_from_dict(d, source: str) -> Device:
    """Validate a GPU YAML mapping (every field typed, finite and bounded by ``GPU_MAX``; unknown keys refused at
    every level) and build its Device."""
    require_mapping(source, "top level", d)
    require_known(source, "", d, _GPU_KEYS)
    name = require_str(source, "name", d.get("name"), empty=False)
    for k in ("arch", "source", "default_note"):
        require_str(source, k, d.get(k, ""))
    aliases = d.get("aliases", []) or []
    if not isinstance(aliases, list) or not all(isinstance(a, (str, int)) and not isinstance(a, bool)
                                                for a in aliases):
        raise InputError(source, "aliases", "expected a list of names")
    raw = require_mapping(source, "peaks_tops", d.get("peaks_tops"))
    peaks = []
    for key, v in raw.items():
        if key not in GPU_PEAK_KEYS:
            raise InputError(source, f"peaks_tops.{key}", "unknown precision", ", ".join(GPU_PEAK_KEYS))
        require_mapping(source, f"peaks_tops.{key}", v)
        require_known(source, f"peaks_tops.{key}", v, ("value", "source"))
        peaks.append(Peak(key, require_number(source, f"peaks_tops.{key}.value", v.get("value"),
                                              maximum=GPU_MAX["tops"]) * 1e12,
                          require_str(source, f"peaks_tops.{key}.source", v.get("source", ""))))
    keys = {p.key for p in peaks}
    defaults = require_mapping(source, "defaults", d.get("defaults", {}))
    for alias, key in defaults.items():
        if not isinstance(key, str) or key not in keys:
            raise InputError(source, f"defaults.{alias}", f"{key!r} is not in peaks_tops", ", ".join(sorted(keys)))
    vector = d.get("vector_peak", "fp32")
    if not isinstance(vector, str) or vector not in keys:
        raise InputError(source, "vector_peak", f"{vector!r} is not in peaks_tops", ", ".join(sorted(keys)))
    mem = require_mapping(source, "memory", d.get("memory"))
    require_known(source, "memory", mem, ("dram", "l2"))
    dram = require_mapping(source, "memory.dram", mem.get("dram"))
    require_known(source, "memory.dram", dram, ("bandwidth_gbps", "capacity_gib", "type", "source"))
    for k in ("type", "source"):
        require_str(source, f"memory.dram.{k}", dram.get(k, ""))
    cap = dram.get("capacity_gib")
    cap = None if cap is None else require_number(source, "memory.dram.capacity_gib", cap, strict=False,
                                                 maximum=GPU_MAX["capacity"])
    levels = [MemoryLevel("dram", require_number(source, "memory.dram.bandwidth_gbps", dram.get("bandwidth_gbps"),
                                                 maximum=GPU_MAX["gbps"]) * 1e9,
                          cap * 2 ** 30 if cap else None, str(dram.get("source", "")))]
    if "l2" in mem:
        l2 = require_mapping(source, "memory.l2", mem["l2"])
        require_known(source, "memory.l2", l2, ("capacity_mib", "source"))
        levels.append(MemoryLevel("l2", None, require_number(source, "memory.l2.capacity_mib", l2.get("capacity_mib"),
                                                             maximum=GPU_MAX["capacity"]) * 2 ** 20,
                                  require_str(source, "memory.l2.source", l2.get("source", ""))))
    kind = require_choice(source, "kind", d.get("kind", "gpu"), DeviceKind.values())
    return Device(name, DeviceKind(kind), tuple(peaks), tuple(levels),
                  tuple((str(k), v) for k, v in defaults.items()), vector, d.get("source") or source,
                  gpu_notes(d, source), gpu=gpu_info(d, source, GPU_MAX))


def load_device_file(path: str | Path, overrides=()) -> Device:
    """A GPU YAML (has ``peaks_tops``) or a vitsim hardware YAML, ``overrides`` (``--set``) set before validation."""
    from simulator.hardware import hardware_from_dict
    from simulator.loader import load_hardware, read_structured
    from simulator.overrides import apply_sets

    path = Path(path)
    if path.suffix == ".cfg":
        return device_from_hardware(load_hardware(path, overrides))
    data = apply_sets(read_structured(path), overrides, _src(path))
    if isinstance(data, dict) and "peaks_tops" in data:
        return gpu_from_dict(data, _src(path))
    return device_from_hardware(hardware_from_dict(data, _src(path)))


def _norm(s: str) -> str:
    return re.sub(r"[\s_\-.]+", "", s.lower())


def known_devices() -> dict[str, Path]:
    """Normalised name -> file, for every GPU (stem, name, aliases) and every hwconfigs/*.yaml (stem, name)."""
    from workloads.io import read_structured

    out: dict[str, Path] = {}
    for p in hwconfigs.files("gpu").values():
        d = read_structured(p)
        for n in [p.stem, d.get("name", "")] + list(d.get("aliases", []) or []):
            if n:
                out.setdefault(_norm(str(n)), p)
    for p in hwconfigs.files("accelerator").values():
        d = read_structured(p)
        for n in (p.stem, d.get("name", "") if isinstance(d, dict) else ""):
            if n:
                out.setdefault(_norm(str(n)), p)
    return out


def device_names() -> list[str]:
    """Display names: GPU file stems, then accelerator config stems."""
    return hwconfigs.names("gpu") + hwconfigs.names("accelerator")


def load_device(spec: str, overrides=()) -> Device:
    """A device by GPU name (case/space-insensitive: ``rtx4090``, ``H100 SXM``), file path, or hwconfig name.

    ``host`` is built by measuring this machine (``host_device``). A path (a separator or a .yaml/.yml/.json/.cfg
    suffix) is a file; otherwise a known name wins over a file of that name in the working directory.
    """
    from simulator.overrides import no_sets
    from workloads.io import looks_like_path

    if _norm(spec) == "host":
        no_sets(overrides, "the host is measured, not configured")
        return host_device()
    path = Path(spec)
    found = None if looks_like_path(spec, (".yaml", ".yml", ".json", ".cfg")) else known_devices().get(_norm(spec))
    if found is None and (looks_like_path(spec, (".yaml", ".yml", ".json", ".cfg")) or path.is_file()):
        if not path.exists():
            raise InputError(spec, "device", "file not found")
        return load_device_file(path, overrides)
    if found is None:
        raise InputError(spec, "device", f"unknown device {spec!r}",
                         ", ".join(device_names() + ["host", "a GPU or hardware YAML path"]))
    return load_device_file(found, overrides)


# ---------------------------------------------------------------------------------------------- this machine
def device_from_measurement(m: HostMeasurement) -> Device:
    """A ``host`` Device: measured fp32 (and int8) peaks, DRAM = max(copy, triad), and a ``cache`` level (the L2
    triad) when it is faster (``analysis.measure.peaks``)."""
    peaks = [Peak("fp32", m.fp32_ops_per_s, "measured: torch.mm FP32, 1 thread")]
    if m.int8_ops_per_s > 0:
        peaks.append(Peak("int8", m.int8_ops_per_s, f"measured: {m.int8_kernel}, 1 thread"))
    bw = max(m.copy_bytes_per_s, m.triad_bytes_per_s)
    mem = (MemoryLevel("dram", bw, None, f"measured: STREAM-like copy {m.copy_bytes_per_s / 1e9:.1f} GB/s, "
                                         f"triad {m.triad_bytes_per_s / 1e9:.1f} GB/s (max taken)"),)
    if m.cache_bytes_per_s > bw:
        mem += (MemoryLevel("cache", m.cache_bytes_per_s, None, "measured: triad on L2-resident arrays"),)
    return Device("host", "host", tuple(peaks), mem, defaults=(("fp16", "fp32"),), vector_key="fp32",
                  source="measured on this machine", notes=("host: one thread; vector ops on the fp32 ceiling",),
                  hardware=m)


@functools.lru_cache(maxsize=4)
def host_device(n: int = 1024, stream_mib: float = 128, repeats: int = 5) -> Device:
    """This machine as a Device, measured once per process."""
    return device_from_measurement(measure_host(n, stream_mib, repeats))
