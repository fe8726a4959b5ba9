"""One layer on one design: its ``Counts`` (cycles by cause, accesses, ops, MACs) and the one stall composition.

A layer is evaluated in three steps, the same for one design (Python numbers) and for many designs at once
(numpy arrays over designs, ``simulator.model.batch``); simulator/model/pipeline.py runs them:
  1. ``gemm_setup`` / ``vector_setup``: what depends on the layer and the hardware's structure only (PE mode,
     MACs per PE cycle p, accumulator width, scale counts, primitive-op counts; the price of one MAC in that mode);
  2. ``gemm_counts`` / ``vector_counts``: a ``Counts`` (simulator/model/counts.py) from the GEMM kernel
     (simulator/model/kernel.py) or the vector unit (simulator/vector.py), the PPU (simulator/quant.py), and
     ``compose_stalls``, on the design's numbers (simulator/model/design.py ``Design``);
  3. ``simulator.model.price.price``: energy from the counts and the design's prices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from simulator.energy import mac_arith_pj, mac_reg_bits
from simulator.hardware import ConfigError
from simulator.model import arith
from simulator.model import kernel as K
from simulator.model import sparsity as SP
from simulator.model.counts import PRIMITIVES, Counts, access, zero_accesses
from simulator.model.design import Design
from simulator.model.grouped import packing
from simulator.model.residency import DRAM, Placement, onchip_moves, vector_dram_bytes
from simulator.model.traffic import compulsory_dram_bytes
from simulator.quant import ABSMAX_OPS, FLOAT_OUTPUT_OPS, PPU_OPS, ZERO_POINT_OPS, layer_quant, ppu_cycles
from simulator.vector import INPUTS, vector_cycles, vector_op
from workloads.conv import has_geometry, images, out_hw

DATAFLOW_CODE = {"os": K.OS, "ws": K.WS, "is": K.IS}
OPERAND_NAMES = ("ifmap", "filter", "ofmap")


@dataclass(frozen=True)
class GemmSetup:
    """A GEMM layer on a hardware structure: its PE mode and what follows from it (no design numbers)."""

    pe_precision: str
    promoted: bool
    p: float                     # MACs per PE per cycle
    acc_bits: int
    impl: str
    mac_pj: float                # the price of one MAC in this mode (arithmetic + register traffic, pJ): a price,
                                 # read by price.py only, never a count
    quant: dict                  # simulator.quant.gemm_quant
    ops: tuple                   # PPU primitive ops of the layer, by primitive (counts.PRIMITIVES order)
    sparse: SP.SparsePlan        # what the PEs skip, what is stored compressed (simulator/model/sparsity.py)
    conv_tiles: bool = False     # memory.conv: tiles (a conv with geometry reads raw input rows: convtile.py)
    grouped_packed: bool = False  # array.grouped: packed (a grouped conv's groups share a fold: grouped.py)


@dataclass(frozen=True)
class VectorSetup:
    cycles_per_element: float
    impl: str
    ops: tuple                   # primitive ops of the layer, by primitive (counts.PRIMITIVES order)


def gemm_setup(layer, hw, tech, attn_input: bool = False) -> GemmSetup:
    """PE mode, p, accumulator, MAC energy, scales and PPU op counts of a GEMM layer on ``hw``."""
    mode, promoted = hw.pe.resolve(layer.dtype, layer.w_bits, layer.a_bits)
    if mode is None:
        raise ConfigError(hw.source, "pe.precisions",
                          f"layer {layer.name} needs {layer.precision} and no PE mode is wide enough",
                          ", ".join(m.label for m in hw.pe.precisions))
    if hw.pe.type == "xnor" and layer.dtype == "int" and layer.w_quantizer == "uniform":
        raise ConfigError(hw.source, "pe.type", f"layer {layer.name} has uniform {layer.w_bits}-bit weights and an "
                          "xnor PE runs binary or ternary weights only", "w_quantizer: binary or ternary")
    p = mode.macs_per_cycle
    acc = min(layer.acc_bits, hw.pe.acc_bits)
    quantizer = (layer.a_quantizer if layer.a_quantizer != "uniform"
                 else hw.nonlinear.post_softmax if attn_input else "uniform")
    mac_pj = (mac_arith_pj(tech, hw.pe.type, mode.dtype, layer.w_bits if not promoted else mode.w_bits,
                           layer.a_bits if not promoted else mode.a_bits, acc, p, hw.pe.float_format, quantizer)
              + tech.reg_pj_per_bit * mac_reg_bits(hw.array.dataflow, mode.w_bits, mode.a_bits, acc, p))
    q = layer_quant(layer, hw.ppu.scale_bits, hw.ppu.zero_point)
    arith_ops = PPU_OPS[hw.ppu.arithmetic]
    ops = dict.fromkeys(PRIMITIVES, 0.0)
    for count, per in ((q["requant_ops"], arith_ops["requant"] if layer.dtype == "int" else FLOAT_OUTPUT_OPS),
                       (q["rescale_ops"], arith_ops["rescale"]), (q["absmax_ops"], ABSMAX_OPS),
                       (q["zp_sum_ops"], ZERO_POINT_OPS["sum"]), (q["zp_ops"], ZERO_POINT_OPS["correct"])):
        for prim, n in per.items():
            ops[prim] += float(count * n)
    return GemmSetup(mode.label, promoted, p, acc, str(hw.pe.type), mac_pj, q, tuple(ops.values()),
                     SP.plan(layer, hw, tech, mode.a_bits), hw.memory.conv == "tiles", hw.array.grouped == "packed")


def vector_setup(layer, hw) -> VectorSetup:
    """Cycles per element and primitive-op counts of a vector layer on ``hw`` (simulator/vector.py)."""
    counts, cycles, impl = vector_op(hw, layer.op, layer.dtype, layer.a_bits)
    ops = dict.fromkeys(PRIMITIVES, 0.0)
    for prim, n in counts.items():
        ops[prim] += float(layer.elements * n)
    return VectorSetup(cycles, impl, tuple(ops.values()))


def kernel_params(layer, setup: GemmSetup, dataflow: str, temporal_tiling: str, d: Design,
                  placement: Placement = DRAM, array_timing: int = 0, depths: tuple = (0, 0, 0)) -> list:
    """The kernel's parameter vector (kernel.P_*) of a GEMM layer on one design; ``placement`` (the memory plan,
    simulator/model/residency.py): the operands kept on chip and what kept tensors take of the ifmap buffer;
    ``array_timing``: kernel.ARR_* (``ArrayConfig.timing_code``); sparse weights: (K, bits) of
    ``simulator.model.sparsity.kernel_k``; under ``memory.conv: tiles`` (``setup.conv_tiles``) a conv with
    geometry reads its input as raw rows (``conv_geometry``); ``depths``: the stated (ifmap, weight, ofmap) buffer
    depths, 0 where not stated (``BufferConfig.depths``, kernel.P_DEPTH_*); under ``array.grouped: packed`` a
    grouped conv runs as ``copies`` packed GEMMs of G groups each, M x G N x G K (``grouped.packing``; P_GPACK = G,
    P_GROUPS = g)."""
    k, w_bits, a_bits = SP.kernel_k(layer, setup.sparse, d.cols, dataflow)
    n = layer.n + setup.quant["zp_array_cols"]
    repeat, g_pack, groups = layer.repeat, 1, 0
    df = DATAFLOW_CODE[dataflow]
    if packs(layer, setup):
        groups = layer.repeat
        g_pack, repeat = packing(df, groups, n, k, d.rows, d.cols, setup.p)
        n, k = g_pack * n, g_pack * k
    return [df, layer.m, n, k, d.rows, d.cols, setup.p, a_bits,
            w_bits, layer.out_bits, setup.acc_bits, d.ifmap_bytes - placement.other_bytes, d.weight_bytes,
            d.ofmap_bytes, d.bytes_per_cycle, d.latency_cycles, repeat,
            1.0 if temporal_tiling == "auto" else 0.0, placement.onchip_bits, array_timing,
            *conv_geometry(layer, setup.conv_tiles, g_pack), *depths, g_pack, groups]


def packs(layer, setup: GemmSetup) -> bool:
    """Whether a layer runs as packed grouped GEMMs: a conv of more than one group (its ``repeat`` copies are its
    groups) under ``array.grouped: packed``."""
    return setup.grouped_packed and layer.op == "conv" and layer.conv_groups > 1 and layer.repeat > 1


def conv_geometry(layer, conv_tiles: bool, g_pack=1) -> tuple:
    """kernel.P_CV_* of a layer: H, W, channels per copy (per group, times G groups of a packed copy), Fh, Fw,
    stride, padding, Ho, Wo, images of a conv with geometry when ``conv_tiles``, else zeros (the im2col GEMM)."""
    if not (conv_tiles and layer.op == "conv" and has_geometry(layer)):
        return (0,) * 10
    ho, wo = out_hw(layer)
    return (layer.conv_in_h, layer.conv_in_w, layer.conv_in_channels // layer.conv_groups * g_pack,
            layer.conv_kernel_h, layer.conv_kernel_w, layer.conv_stride, layer.conv_padding, ho, wo, images(layer))


def dram_floor(scalesim_total, dram_cycles, prefetched_cycles=0.0):
    """max(0, dram_cycles - prefetched_cycles - scalesim_total): a layer never beats the DRAM time of the bytes it
    moves itself (``prefetched_cycles``: its weights fetched during earlier layers, simulator/model/schedule.py)."""
    return arith.max0(dram_cycles - prefetched_cycles - scalesim_total)


class Composed(NamedTuple):
    ppu_stall: object
    scalesim_total: object
    dram_floor: object
    stall: object
    total: object


def compose_stalls(compute, memory, chunk_fill, ppu, dram_cycles, hidden=0.0, prefetched_cycles=0.0) -> Composed:
    """The one stall composition:
    ppu_stall = max(0, ppu - (compute + memory + chunk_fill)) (the PPU overlaps the array);
    scalesim_total = compute + memory + chunk_fill + ppu_stall (SCALE-Sim's convention, no floor);
    dram_floor_stall = ``dram_floor`` (a layer never beats its DRAM time, less what was prefetched for it);
    stall = memory + chunk_fill + ppu_stall + dram_floor_stall; total = compute + stall - hidden, ``hidden``: the
    cycles a vector layer ran beside a GEMM (``overlap_hidden_cycles``; both from simulator/model/schedule.py,
    0 unless the hardware asks for them)."""
    before_ppu = memory + chunk_fill
    ppu_stall = arith.max0(ppu - (compute + before_ppu))
    stall = before_ppu + ppu_stall
    floor = dram_floor(compute + stall, dram_cycles, prefetched_cycles)
    return Composed(ppu_stall, compute + stall, floor, stall + floor, compute + (stall + floor) - hidden)


_IF_DRAM, _FI_DRAM, _PS_DRAM, _SC_DRAM = (access(o, "dram", "rd") for o in ("ifmap", "filter", "psum", "scale"))
_OF_DRAM_W, _PS_DRAM_W = access("ofmap", "dram", "wr"), access("psum", "dram", "wr")
_IF_IB = access("ifmap", "ibuf", "rd"), access("ifmap", "ibuf", "wr")
_SC_IB = access("scale", "ibuf", "rd"), access("scale", "ibuf", "wr")
_FI_WB = access("filter", "wbuf", "rd"), access("filter", "wbuf", "wr")
_SC_WB = access("scale", "wbuf", "rd"), access("scale", "wbuf", "wr")
_OF_OB = access("ofmap", "obuf", "rd"), access("ofmap", "obuf", "wr")
_PS_OB = access("psum", "obuf", "rd"), access("psum", "obuf", "wr")
_IF_OB = access("ifmap", "obuf", "rd"), access("ifmap", "obuf", "wr")


def gemm_counts(layer, s: GemmSetup, d: Design, k, placement: Placement = DRAM, hidden=0.0, prefetched=0.0
                ) -> Counts:
    """Counts of a GEMM layer; ``k[j]`` is kernel output j (a number, or an array over designs); ``placement``:
    operands kept on chip (their on-chip moves: ``residency.onchip_moves``); ``hidden``, ``prefetched``: its
    network schedule terms (cycles run beside the array, weight bytes fetched during earlier layers;
    simulator/model/schedule.py). Accesses (simulator/model/counts.py): DRAM reads ifmap, filter (compressed when
    a decompressor unpacks it), partial sums, scales; DRAM writes outputs and spilled partial sums; the ifmap
    buffer is filled from DRAM and read by the array, the weight buffer likewise (a decompressor writes the dense
    filter), each scale is written once and read once in the buffer of its operand; the ofmap buffer takes the
    array's outputs and the partial sums read back from DRAM, and gives the array its partial sums back
    (``psum`` reads) and DRAM its drained outputs and spills (``ofmap`` reads). output_tiles = folds (os) or folds /
    row folds (ws, is: an output completes after its last reduction fold)."""
    q = s.quant
    scale_w, scale_a = q["scale_dram_w_bytes"], q["scale_dram_a_bytes"]
    compute = k[K.COMPUTE]
    ppu = ppu_cycles(q["requant_ops"], q["rescale_ops"], q["absmax_ops"], layer.repeat, d.ppu_lanes,
                     q["zp_sum_ops"] + q["zp_ops"])
    di, df_, do, dw = k[K.DRAM_IFMAP], k[K.DRAM_FILTER], k[K.DRAM_OFMAP], k[K.DRAM_WRITE]
    pw = k[K.DRAM_PSUM_WRITE]
    sp = s.sparse        # decompress: DRAM holds the compressed filter, the weight buffer the dense one
    df_dense, df_ = df_, df_ * sp.dram_filter_scale
    unpacked = df_dense - df_
    a = zero_accesses()
    a[_IF_DRAM], a[_FI_DRAM], a[_PS_DRAM], a[_SC_DRAM] = di, df_, do, scale_w + scale_a
    a[_OF_DRAM_W], a[_PS_DRAM_W] = dw - pw, pw
    a[_IF_IB[0]], a[_IF_IB[1]] = k[K.SRAM_IFMAP_READ], di
    a[_SC_IB[0]], a[_SC_IB[1]] = scale_a, scale_a
    a[_FI_WB[0]], a[_FI_WB[1]] = k[K.SRAM_FILTER_READ], df_ + unpacked
    a[_SC_WB[0]], a[_SC_WB[1]] = scale_w, scale_w
    a[_OF_OB[0]], a[_OF_OB[1]] = dw, k[K.SRAM_OFMAP_WRITE]
    a[_PS_OB[0]], a[_PS_OB[1]] = k[K.SRAM_OFMAP_READ], do
    onchip = onchip_moves(a, layer, placement)
    dram_cycles = (di + df_ + do + scale_w + scale_a + dw) / d.bytes_per_cycle
    memory, fill = k[K.STALL], k[K.CHUNK_FILL]
    t = compose_stalls(compute, memory, fill, ppu, dram_cycles, hidden, prefetched / d.bytes_per_cycle)
    executed = layer.macs * sp.executed_frac
    active = layer.macs * sp.active_frac
    reduction_folds = 1.0 + (k[K.ROW_FOLDS] - 1.0) * ((k[K.ZOP] != K.OFMAP) * 1.0)
    return Counts(
        compute, memory, k[K.STALL_IFMAP], k[K.STALL_FILTER], k[K.STALL_OFMAP], k[K.STALL_WRITE], 0.0, fill,
        t.ppu_stall, t.dram_floor, hidden, t.stall, t.total, t.scalesim_total, ppu, k[K.PREFETCH], k[K.DRAIN],
        dram_cycles, t.total, t.total * s.p, tuple(a), k[K.IFMAP_READS] * sp.ifmap_read_scale,
        k[K.FILTER_READS], k[K.OFMAP_WRITES], s.ops, layer.macs, executed, active,
        active * s.quant["zp_array_cols"] / layer.n, SP.decode_events(sp, executed, df_dense, layer.w_bits),
        onchip, prefetched, df_ * sp.metadata_frac, k[K.FOLDS], k[K.CHUNKS], k[K.FOLDS] / reduction_folds,
        1.0 if s.promoted else 0.0)


def vector_counts(layer, s: VectorSetup, d: Design, placement: Placement = DRAM, hidden=0.0) -> Counts:
    """Counts of a vector layer: compute = ceil(elements * cycles_per_element / lanes); its compulsory bytes
    (traffic.py: inputs at a_bits, ``add`` reads two tensors, the output at out_bits) are staged through the
    ofmap buffer (written and read once each); those not kept on chip (``placement``) cross DRAM: the I/O stall =
    max(0, latency + DRAM bytes / bytes_per_cycle - compute) is its memory stall, all of it ``stall_vector_io``
    (no latency without DRAM bytes); ``hidden``: its cycles run beside a GEMM (simulator/model/schedule.py)."""
    e = layer.elements
    compute = vector_cycles(e, s.cycles_per_element, d.vector_lanes)
    io_bytes = compulsory_dram_bytes(layer)
    read, write, saved = vector_dram_bytes(io_bytes, placement, INPUTS.get(layer.op, 1))
    memory = arith.max0((d.latency_cycles if read + write > 0 else 0) + (read + write) / d.bytes_per_cycle - compute)
    a = zero_accesses()
    a[_IF_DRAM], a[_OF_DRAM_W] = read, write
    a[_IF_OB[0]] = a[_IF_OB[1]] = io_bytes["ifmap"]
    a[_OF_OB[0]] = a[_OF_OB[1]] = io_bytes["ofmap"]
    dram_cycles = (read + write) / d.bytes_per_cycle
    t = compose_stalls(compute, memory, 0.0, 0, dram_cycles, hidden)
    zero = 0.0
    return Counts(
        compute, memory, zero, zero, zero, zero, memory, zero, t.ppu_stall, t.dram_floor, hidden, t.stall, t.total,
        t.scalesim_total, 0, zero, zero, dram_cycles, zero, zero, tuple(a), 0, 0, 0, s.ops, 0, zero, zero, zero,
        zero, saved, zero, zero, 0, 0, zero, 0.0)


def stall_cause(c: Counts) -> str:
    """The largest stall cause of one layer's counts, '' when it has no stall (first listed wins a tie)."""
    if not c.stall > 0:
        return ""
    causes = (("ifmap", c.stall_ifmap), ("filter", c.stall_filter), ("ofmap", c.stall_ofmap),
              ("ofmap_write", c.stall_write), ("vector_io", c.stall_vector_io), ("chunk_fill", c.chunk_fill),
              ("ppu", c.ppu_stall), ("dram", c.dram_floor))
    return max(causes, key=lambda x: x[1])[0]


def gemm_labels(k) -> dict:
    """Loop order and operand labels of one design's kernel output."""
    outer, inner = int(k[K.OUTER]), int(k[K.INNER])
    again = [OPERAND_NAMES[x] for x, flag in ((outer, k[K.REFETCH_OUTER]), (inner, k[K.REFETCH_INNER])) if flag]
    tiled = k[K.CONV_TILE_ROWS] > 0
    return {"mapping_efficiency": k[K.MAP_EFF],
            "loop_order": "row_outer" if k[K.ROW_OUTER] else "col_outer", "outer_operand": OPERAND_NAMES[outer],
            "refetched_operand": "+".join(again), "conv_tile_rows": int(k[K.CONV_TILE_ROWS]),
            "conv_filter_groups": int(k[K.CONV_FILTER_GROUPS]),
            "conv_loop_order": ("filters_outer" if k[K.CONV_FILTERS_OUTER] else "tiles_outer") if tiled else ""}
