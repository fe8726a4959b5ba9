"""Hardware configuration types: frozen dataclasses, ``ConfigError``, and (re-exported from
simulator/hardware/enums.py) the enums of closed sets. No I/O.

Units are in the names: ``freq_mhz``, ``*_kib`` (1 KiB = 1024 bytes), ``bandwidth_gbps`` (GB/s, 1e9 bytes per
second), ``*_cycles``. Enum fields hold members (str enums: ``Dataflow.OS == "os"``); ``Hardware.to_dict`` gives
plain strings.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from simulator.hardware.buffering import BUFFER_NAMES, DEFAULT_DEPTH, BufferConfig, DramConfig  # noqa: F401
from simulator.hardware.enums import (  # noqa: F401 - re-exported: the config's closed sets
    ACTIVATION_POLICIES,
    ARRAY_TYPES,
    ATTENTION_MODES,
    CONV_INPUTS,
    DATAFLOWS,
    DTYPES,
    FOLD_ORDERS,
    FP_EXACT_INT_BITS,
    GROUPED_CONVS,
    PE_TYPES,
    PREFETCH_MODES,
    TEMPORAL_TILINGS,
    VECTOR_OVERLAPS,
    Activations,
    ArrayType,
    AttentionMode,
    ConvInput,
    Dataflow,
    FoldOrder,
    GroupedConv,
    PEType,
    Prefetch,
    TemporalTiling,
    VectorOverlap,
)
from workloads.enums import plain
from workloads.errors import InputError


class ConfigError(InputError):
    """A hardware configuration is wrong."""


@dataclass(frozen=True)
class ArrayConfig:
    """R x C PEs and the dataflow. ``temporal_tiling``: ``auto`` lets the controller split a layer's streamed
    dimension at the candidate size that moves the fewest DRAM bytes (simulator/model/tchunk.py); ``off`` is
    SCALE-Sim's behaviour (one pass over the whole temporal dimension per fold). ``grouped``: how grouped and
    depthwise convs map (``GroupedConv``)."""

    rows: int
    cols: int
    dataflow: Dataflow
    temporal_tiling: TemporalTiling = TemporalTiling.AUTO
    type: ArrayType = ArrayType.SYSTOLIC
    folds: FoldOrder = FoldOrder.SERIAL
    grouped: GroupedConv = GroupedConv.PACKED

    def __post_init__(self):
        object.__setattr__(self, "dataflow", Dataflow(self.dataflow))
        object.__setattr__(self, "temporal_tiling", TemporalTiling(self.temporal_tiling))
        object.__setattr__(self, "type", ArrayType(self.type))
        object.__setattr__(self, "folds", FoldOrder(self.folds))
        object.__setattr__(self, "grouped", GroupedConv(self.grouped))

    @property
    def timing_code(self) -> int:
        """kernel_defs.ARR_*: 0 serial systolic, 1 pipelined systolic, 2 broadcast (always pipelined)."""
        return 2 if self.type == ArrayType.BROADCAST else 1 if self.folds == FoldOrder.PIPELINED else 0


@dataclass(frozen=True)
class PrecisionMode:
    """One (weight bits, activation bits) pair the PE runs natively, and MACs per PE per cycle."""

    dtype: str
    w_bits: int
    a_bits: int
    macs_per_cycle: float

    @property
    def label(self) -> str:
        return f"fp{max(self.w_bits, self.a_bits)}" if self.dtype == "fp" else f"w{self.w_bits}a{self.a_bits}"


@dataclass(frozen=True)
class PEConfig:
    """PE type and its native modes. ``float_format`` (fp16|bf16) prices float PEs; ``serial_operand``
    (a|w|both) says which operand a bit-serial PE takes one bit per cycle of."""

    type: PEType
    acc_bits: int
    precisions: tuple[PrecisionMode, ...]
    float_format: str = "fp16"
    serial_operand: str = "a"

    def __post_init__(self):
        object.__setattr__(self, "type", PEType(self.type))

    def resolve(self, dtype: str, w_bits: int, a_bits: int) -> tuple[PrecisionMode | None, bool]:
        """The mode a layer runs at: exact match, else the nearest wider one (``promoted`` True).

        Among modes wide enough (same dtype with w >= w_bits and a >= a_bits, or for integers a
        float mode whose mantissa holds them), pick the fastest, then the narrowest. None if no
        mode is wide enough. A bit-serial PE runs every width up to its widest mode natively, at
        p = (bits per cycle) / serial bits, bits per cycle = the widest mode's p x its serial bits (1 unless
        the config sets macs_per_cycle).
        """
        exact = [p for p in self.precisions if (p.dtype, p.w_bits, p.a_bits) == (dtype, w_bits, a_bits)]
        if exact:
            return exact[0], False
        ok = [p for p in self.precisions if p.dtype == dtype and p.w_bits >= w_bits and p.a_bits >= a_bits]
        if ok and self.type == "bitserial" and dtype == "int":
            ref = max(ok, key=lambda p: p.w_bits * p.a_bits)
            bits_per_cycle = ref.macs_per_cycle / bitserial_macs_per_cycle(self.serial_operand, ref.w_bits, ref.a_bits)
            p = bits_per_cycle * bitserial_macs_per_cycle(self.serial_operand, w_bits, a_bits)
            return PrecisionMode("int", w_bits, a_bits, min(p, 1.0)), False
        if not ok and dtype == "int":
            ok = [p for p in self.precisions if p.dtype == "fp"
                  and FP_EXACT_INT_BITS.get(min(p.w_bits, p.a_bits), 0) >= max(w_bits, a_bits)]
        if not ok:
            return None, False
        return min(ok, key=lambda p: (-p.macs_per_cycle, p.w_bits * p.a_bits)), True


def bitserial_macs_per_cycle(serial_operand: str, w_bits: int, a_bits: int) -> float:
    """A bit-serial PE finishes one MAC in (serial bits) cycles: p = 1/a, 1/w or 1/(w*a)."""
    return 1.0 / {"a": a_bits, "w": w_bits, "both": w_bits * a_bits}[serial_operand]


@dataclass(frozen=True)
class VectorConfig:
    """Vector unit: ``lanes`` elements per cycle at cost 1. Costs per element come from the op counts in
    simulator/vector.py; ``pipelined``: a fixed-function pipeline per op in each lane, one element per lane per cycle
    in each pass over the data (``simulator.vector.passes``); ``cycles_per_element`` overrides either per op;
    ``overlap`` (none | gemm | auto, ``VectorOverlap``): whether it runs beside the array on the neighbouring GEMM's tiles
    (simulator/model/schedule.py)."""

    lanes: int
    cycles_per_element: tuple[tuple[str, float], ...] = ()
    overlap: VectorOverlap = VectorOverlap.AUTO
    pipelined: bool = False

    def __post_init__(self):
        object.__setattr__(self, "overlap", VectorOverlap(self.overlap))

    def override(self, op: str) -> float | None:
        """The configured cycles per element of ``op``, or None to use the op-count default."""
        for name, c in self.cycles_per_element:
            if name == op:
                return c
        return None


@dataclass(frozen=True)
class PPUConfig:
    """Post-processing unit at the array's output: requantize, rescale per-group partial sums, find
    per-token maxima. ``lanes`` element ops per cycle; scales stored at ``scale_bits``. ``zero_point``: where the
    row sums of a weight zero point's correction are made: ``ppu`` (adds on the PPU) or ``array`` (one extra filter
    column of ones per weight-scale segment, run on the array; simulator/quant.py)."""

    lanes: int = 64
    scale_bits: int = 16
    arithmetic: str = "fixed"
    zero_point: str = "ppu"


@dataclass(frozen=True)
class NonlinearConfig:
    """Implementation of each non-linear op (float | integer | lut) and the post-softmax quantizer
    (uniform | log2 | twin_uniform); ``post_softmax_bits`` (optional) sets the attn@v input bits."""

    softmax: str = "float"
    gelu: str = "float"
    layernorm: str = "float"
    post_softmax: str = "uniform"
    post_softmax_bits: int | None = None


@dataclass(frozen=True)
class TechConfig:
    """Which technology table (``simulator/tech/<table>.yaml``) prices MACs, SRAM, DRAM and vector ops,
    and the node/voltage it is scaled to (None: the table's own)."""

    table: str
    node_nm: float | None = None
    voltage_v: float | None = None
    leakage_mw_per_mm2: float | None = None


@dataclass(frozen=True)
class MemoryConfig:
    """Network-level memory planning (simulator/model/residency.py, docs/memory.md): ``activations`` on_chip keeps
    a layer's output in the activation (ifmap) buffer for its consumers when it fits with everything else live
    there; dram writes every output to DRAM and reads it back (SCALE-Sim .cfg files load with dram). ``prefetch``
    layer, network (weights fetched across layer boundaries, simulator/model/schedule.py) or auto (default: network
    when the weight buffer's depth is 2 or more, ``Prefetch``). ``conv``
    tiles (default) or im2col: how a conv with geometry reads its input (``ConvInput``)."""

    activations: Activations = Activations.ON_CHIP
    attention: AttentionMode = AttentionMode.UNFUSED
    prefetch: Prefetch = Prefetch.AUTO
    conv: ConvInput = ConvInput.TILES

    def __post_init__(self):
        object.__setattr__(self, "conv", ConvInput(self.conv))
        object.__setattr__(self, "activations", Activations(self.activations))
        object.__setattr__(self, "attention", AttentionMode(self.attention))
        object.__setattr__(self, "prefetch", Prefetch(self.prefetch))


SPARSE_CONVENTIONS = ("hardware", "scalesim")


@dataclass(frozen=True)
class SparsityConfig:
    """What the hardware does with sparse workloads (formulas: simulator/model/sparsity.py, docs/sparsity.md).
    ``structured``: the N:M patterns whose pruned weights the PEs skip (an M:1 activation multiplexer per kept
    weight, as NVIDIA's sparse tensor cores and S2TA); ``unstructured``: the PEs skip zero weights of any pattern
    (compressed weight columns; load imbalance across the columns of a fold); ``zero_skip``: a MAC whose input
    activation is zero is gated (energy only: the systolic array still advances in lockstep); ``decompress``: a
    decoder between DRAM and the weight buffer stores weights compressed in DRAM (dense PEs: DRAM bytes only);
    ``convention``: ``scalesim`` runs SCALE-Sim 3.0's sparse model (K compacted for both operands, no metadata
    traffic). Defaults: a dense design."""

    structured: tuple[str, ...] = ()
    unstructured: bool = False
    zero_skip: bool = False
    decompress: bool = False
    convention: str = "hardware"

    @property
    def skips(self) -> bool:
        return bool(self.structured) or self.unstructured


@dataclass(frozen=True)
class HostConfig:
    """Optional host overhead around the accelerator, for end-to-end figures: ``overhead_us_per_image`` (pre/post-
    processing, transfers per image) and ``overhead_us_per_batch`` (launch, synchronisation per run), added to the
    network latency (simulator/schema.py ``host_us``); ``power_w`` (None: the host's energy is not counted)
    prices that time. Defaults: no host overhead."""

    overhead_us_per_image: float = 0.0
    overhead_us_per_batch: float = 0.0
    power_w: float | None = None


@dataclass(frozen=True)
class Hardware:
    name: str
    freq_mhz: float
    array: ArrayConfig
    pe: PEConfig
    buffers: BufferConfig
    dram: DramConfig
    vector: VectorConfig
    tech: TechConfig
    default_workload: str | None = None
    description: str = ""
    source: str = field(default="<hardware>", compare=False)
    ppu: PPUConfig = field(default_factory=PPUConfig)
    nonlinear: NonlinearConfig = field(default_factory=NonlinearConfig)
    memory: MemoryConfig = field(default_factory=MemoryConfig)
    sparsity: SparsityConfig = field(default_factory=SparsityConfig)
    fpga: object = None            # simulator.fpga.devices.FpgaConfig, or None: not an FPGA design
    host: HostConfig = field(default_factory=HostConfig)

    @property
    def prefetches_weights(self) -> bool:
        """Weights fetched across layers (``memory.prefetch`` network, or auto with a weight buffer of 2 or more
        slots)."""
        p = self.memory.prefetch
        return p == Prefetch.NETWORK or (p == Prefetch.AUTO and self.buffers.slots("weight") >= 2)

    @property
    def dram_bytes_per_cycle(self) -> float:
        """DRAM bytes served per array cycle = bandwidth_gbps * 1e9 / (freq_mhz * 1e6) * the achievable fraction
        (``simulator.tech.dram.bytes_per_cycle``); what the model achieves is this rate bounded by the outstanding
        requests (simulator/model/design.py ``achieved_bytes_per_cycle``)."""
        from simulator.tech.dram import bytes_per_cycle

        return bytes_per_cycle(self.dram.bandwidth_gbps, self.freq_mhz, self.dram.efficiency_used)

    def peak_tops(self) -> dict[str, float]:
        """Peak TOPS per PE mode: 2 * R * C * p * freq_mhz * 1e6 / 1e12."""
        return {m.label: 2 * self.array.rows * self.array.cols * m.macs_per_cycle * self.freq_mhz / 1e6
                for m in self.pe.precisions}

    def to_dict(self) -> dict:
        """Plain data (enums as their string values): what the YAML/JSON writers dump."""
        fpga = self.fpga
        d = asdict(self)
        d.pop("source")
        if fpga is None:
            del d["fpga"]              # designs without an fpga section: the mapping as before it existed
        else:
            d["fpga"] = fpga.to_dict()
        d["vector"]["cycles_per_element"] = dict(self.vector.cycles_per_element)
        d["pe"]["precisions"] = [asdict(p) for p in self.pe.precisions]
        if self.sparsity == SparsityConfig():
            del d["sparsity"]          # dense designs: the mapping (and sweep hashes) as before sparsity existed
        else:
            d["sparsity"]["structured"] = list(self.sparsity.structured)
        if self.host == HostConfig():
            del d["host"]              # no host overhead: the mapping as before the host section existed
        return plain(d)
