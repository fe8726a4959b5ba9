"""The closed sets of a hardware config (str enums: ``Dataflow.OS == "os"``) and their allowed values. No I/O;
``simulator.hardware.config`` re-exports every name."""

from __future__ import annotations

from workloads.enums import StrChoice


class Dataflow(StrChoice):
    """What stays in the PEs: outputs (os), weights (ws) or inputs (is)."""

    OS = "os"
    WS = "ws"
    IS = "is"


class TemporalTiling(StrChoice):
    """Split a layer's streamed dimension (ws/is: the temporal one; os: M or N) where that moves fewer DRAM bytes
    (auto: docs/memory.md "Splitting the streamed dimension, chosen by cost"), or never (off)."""

    AUTO = "auto"
    OFF = "off"


class Activations(StrChoice):
    """Where a layer's output goes when the next layers read it: kept on chip when it fits (on_chip), or always
    written to DRAM and read back (dram: SCALE-Sim's convention, every layer from DRAM)."""

    ON_CHIP = "on_chip"
    DRAM = "dram"


class AttentionMode(StrChoice):
    """Attention as three layers (unfused: the scores go through memory like any activation) or one operation tiled
    over the keys (fused, FlashAttention-style: simulator/model/attention.py)."""

    UNFUSED = "unfused"
    FUSED = "fused"


class VectorOverlap(StrChoice):
    """Whether the vector unit runs beside the array: gemm (it has a buffer for a tile of the intermediate and
    works on the neighbouring GEMM's output or input stream tile by tile, simulator/model/schedule.py), none (it
    waits for the whole GEMM: their cycles add up), or auto (the default: tile by tile when the ofmap buffer holds
    a tile of the intermediate beside the GEMM's own working slot, ``schedule.vector_buffered``)."""

    NONE = "none"
    GEMM = "gemm"
    AUTO = "auto"


class Prefetch(StrChoice):
    """How far ahead weights are fetched: within the layer only (layer: its initial fill counts against its own
    DRAM time), across layers (network: a GEMM's first weights stream into the weight buffer's free slots during
    the preceding layers' idle DRAM cycles, simulator/model/schedule.py), or auto (the default: across layers when
    the weight buffer has a free slot, i.e. its depth is 2 or more)."""

    LAYER = "layer"
    NETWORK = "network"
    AUTO = "auto"


class ConvInput(StrChoice):
    """How a conv layer with geometry reads its input: tiles of raw input rows with their halo (simulator/model/
    convtile.py), or im2col (every window's pixels as the GEMM's ifmap rows: SCALE-Sim's convention, .cfg files)."""

    TILES = "tiles"
    IM2COL = "im2col"


class ArrayType(StrChoice):
    """MAC array organisation: systolic (operands skewed through neighbour registers) or broadcast (operands
    broadcast to a row/column, adder trees reduce; no skew). simulator/model/foldwalk.py ``fold_timing``."""

    SYSTOLIC = "systolic"
    BROADCAST = "broadcast"


class FoldOrder(StrChoice):
    """How a systolic array runs consecutive folds: serial (each with its own fill and drain, SCALE-Sim's
    convention) or pipelined (the next fold enters as the previous drains)."""

    SERIAL = "serial"
    PIPELINED = "pipelined"


class GroupedConv(StrChoice):
    """How a grouped (or depthwise) convolution maps onto the array: one group at a time (serial: SCALE-Sim's
    convention, .cfg files), or several groups per fold as a block-diagonal GEMM (packed: simulator/model/
    grouped.py)."""

    SERIAL = "serial"
    PACKED = "packed"


class PEType(StrChoice):
    """Processing element: fixed precision, precision-scalable (Bit Fusion), bit-serial, floating point, or
    XNOR-popcount (binary and ternary weights)."""

    FIXED = "fixed"
    SCALABLE = "scalable"
    BITSERIAL = "bitserial"
    FLOAT = "float"
    XNOR = "xnor"


DATAFLOWS = Dataflow.values()
ACTIVATION_POLICIES = Activations.values()
ARRAY_TYPES = ArrayType.values()
ATTENTION_MODES = AttentionMode.values()
FOLD_ORDERS = FoldOrder.values()
GROUPED_CONVS = GroupedConv.values()
VECTOR_OVERLAPS = VectorOverlap.values()
PREFETCH_MODES = Prefetch.values()
CONV_INPUTS = ConvInput.values()
TEMPORAL_TILINGS = TemporalTiling.values()
PE_TYPES = PEType.values()
DTYPES = ("int", "fp")
# A float format of these bits holds integers of up to this many bits exactly (mantissa + 1).
FP_EXACT_INT_BITS = {16: 11, 32: 24}
