"""One layer on one design: counts (cycles, bytes, ops), the one stall composition, then prices.

A layer is evaluated in three steps, the same for one design (Python numbers) and for many designs at once
(numpy arrays over designs, ``simulator.model.batch``):
  1. ``gemm_setup`` / ``vector_setup``: what depends on the layer and the hardware's structure only (PE mode,
     MACs per PE cycle p, accumulator width, scale counts, primitive-op counts, the energy of one MAC);
  2. ``gemm_counts`` / ``vector_counts``: cycles and traffic from the GEMM kernel (simulator/model/kernel.py)
     or the vector unit (simulator/vector.py), the PPU (simulator/quant.py), and ``compose_stalls``;
  3. ``simulator.model.price.price``: energy from the counts.
Design numbers (``Design``): R, C, buffer bytes, DRAM bytes per cycle and latency, clock, vector and PPU lanes,
SRAM pJ/bit per buffer, DRAM pJ/bit, leakage.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.energy import mac_arith_pj, mac_reg_bits
from simulator.hardware import ConfigError
from simulator.model import arith
from simulator.model import kernel as K
from simulator.model import sparsity as SP
from simulator.model.residency import DRAM, Placement, add_onchip_moves, vector_dram_bytes
from simulator.model.traffic import compulsory_dram_bytes
from simulator.quant import ABSMAX_OPS, FLOAT_OUTPUT_OPS, PPU_OPS, ZERO_POINT_OPS, layer_quant, ppu_cycles
from simulator.vector import INPUTS, vector_cycles, vector_op
from workloads.conv import has_geometry, images, out_hw

DATAFLOW_CODE = {"os": K.OS, "ws": K.WS, "is": K.IS}
OPERAND_NAMES = ("ifmap", "filter", "ofmap")
PRIMITIVES = ("int_add", "int_mult", "int_mult_32x16", "shift", "fp_add", "fp_mult", "convert", "lut")


@dataclass(frozen=True)
class Design:
    """The numbers of one design (Python numbers) or of many (numpy arrays of one length)."""

    rows: object
    cols: object
    ifmap_bytes: object          # buffer capacities in bytes
    weight_bytes: object
    ofmap_bytes: object
    bytes_per_cycle: object      # DRAM bytes per array cycle = bandwidth_gbps * 1e3 / freq_mhz
    latency_cycles: object
    freq_mhz: object
    vector_lanes: object
    ppu_lanes: object
    sram_pj_per_bit: tuple       # (ifmap, weight, ofmap) buffers
    dram_pj_per_bit: object
    leakage_mw: object


def design_of(hw, costs) -> Design:
    """The Design of one Hardware (``costs``: ``simulator.energy.hw_costs(hw)``)."""
    ib, wb, ob = hw.buffers.bytes
    return Design(hw.array.rows, hw.array.cols, ib, wb, ob, hw.dram_bytes_per_cycle, hw.dram.latency_cycles,
                  hw.freq_mhz, hw.vector.lanes, hw.ppu.lanes, costs.sram_pj_per_bit, costs.dram_pj_per_bit,
                  costs.leakage_mw)


@dataclass(frozen=True)
class GemmSetup:
    """A GEMM layer on a hardware structure: its PE mode and what follows from it (no design numbers)."""

    pe_precision: str
    promoted: bool
    p: float                     # MACs per PE per cycle
    acc_bits: int
    impl: str
    mac_pj: float                # energy of one MAC: arithmetic + register traffic
    quant: dict                  # simulator.quant.gemm_quant
    ops: dict                    # PPU primitive ops of the layer, by primitive
    sparse: SP.SparsePlan        # what the PEs skip, what is stored compressed (simulator/model/sparsity.py)
    conv_tiles: bool = False     # memory.conv: tiles (a conv with geometry reads raw input rows: convtile.py)


@dataclass(frozen=True)
class VectorSetup:
    cycles_per_element: float
    impl: str
    ops: dict                    # primitive ops of the layer, by primitive


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
    if q["zp_array_cols"]:  # the array's extra columns of ones: (n + G) / n MACs per useful MAC
        mac_pj *= (layer.n + q["zp_array_cols"]) / layer.n
    arith_ops = PPU_OPS[hw.ppu.arithmetic]
    ops = dict.fromkeys(PRIMITIVES, 0.0)
    for count, per in ((q["requant_ops"], arith_ops["requant"] if layer.dtype == "int" else FLOAT_OUTPUT_OPS),
                       (q["rescale_ops"], arith_ops["rescale"]), (q["absmax_ops"], ABSMAX_OPS),
                       (q["zp_sum_ops"], ZERO_POINT_OPS["sum"]), (q["zp_ops"], ZERO_POINT_OPS["correct"])):
        for prim, n in per.items():
            ops[prim] += float(count * n)
    return GemmSetup(mode.label, promoted, p, acc, str(hw.pe.type), mac_pj, q, ops,
                     SP.plan(layer, hw, tech, mode.a_bits), hw.memory.conv == "tiles")


def vector_setup(layer, hw) -> VectorSetup:
    """Cycles per element and primitive-op counts of a vector layer on ``hw`` (simulator/vector.py)."""
    counts, cycles, impl = vector_op(hw, layer.op, layer.dtype, layer.a_bits)
    ops = dict.fromkeys(PRIMITIVES, 0.0)
    for prim, n in counts.items():
        ops[prim] += float(layer.elements * n)
    return VectorSetup(cycles, impl, ops)


def kernel_params(layer, setup: GemmSetup, dataflow: str, temporal_tiling: str, d: Design,
                  placement: Placement = DRAM, array_timing: int = 0) -> list:
    """The kernel's parameter vector (kernel.P_*) of a GEMM layer on one design; ``placement`` (the memory plan,
    simulator/model/residency.py): the operands kept on chip and what kept tensors take of the ifmap buffer;
    ``array_timing``: kernel.ARR_* (``ArrayConfig.timing_code``); sparse weights: (K, bits) of
    ``simulator.model.sparsity.kernel_k``; under ``memory.conv: tiles`` (``setup.conv_tiles``) a conv with
    geometry reads its input as raw rows (``conv_geometry``)."""
    k, w_bits, a_bits = SP.kernel_k(layer, setup.sparse, d.cols, dataflow)
    return [DATAFLOW_CODE[dataflow], layer.m, layer.n + setup.quant["zp_array_cols"], k, d.rows, d.cols, setup.p, a_bits,
            w_bits, layer.out_bits, setup.acc_bits, d.ifmap_bytes - placement.other_bytes, d.weight_bytes,
            d.ofmap_bytes, d.bytes_per_cycle, d.latency_cycles, layer.repeat,
            1.0 if temporal_tiling == "auto" else 0.0, placement.onchip_bits, array_timing,
            *conv_geometry(layer, setup.conv_tiles)]


def conv_geometry(layer, conv_tiles: bool) -> tuple:
    """kernel.P_CV_* of a layer: H, W, channels per group, Fh, Fw, stride, padding, Ho, Wo, images of a conv with
    geometry when ``conv_tiles``, else zeros (the im2col GEMM)."""
    if not (conv_tiles and layer.op == "conv" and has_geometry(layer)):
        return (0,) * 10
    ho, wo = out_hw(layer)
    return (layer.conv_in_h, layer.conv_in_w, layer.conv_in_channels // layer.conv_groups, layer.conv_kernel_h,
            layer.conv_kernel_w, layer.conv_stride, layer.conv_padding, ho, wo, images(layer))


def dram_floor(scalesim_total, dram_cycles, prefetched_cycles=0.0):
    """max(0, dram_cycles - prefetched_cycles - scalesim_total): a layer never beats the DRAM time of the bytes it
    moves itself (``prefetched_cycles``: its weights fetched during earlier layers, simulator/model/schedule.py)."""
    return arith.max0(dram_cycles - prefetched_cycles - scalesim_total)


def compose_stalls(c: dict, compute, memory, chunk_fill, ppu, dram_cycles, hidden=0.0, prefetched_cycles=0.0) -> None:
    """The one stall composition, written into counts ``c``:
    ppu_stall = max(0, ppu - (compute + memory + chunk_fill)) (the PPU overlaps the array);
    scalesim_total = compute + memory + chunk_fill + ppu_stall (SCALE-Sim's convention, no floor);
    dram_floor_stall = ``dram_floor`` (a layer never beats its DRAM time, less what was prefetched for it);
    stall = memory + chunk_fill + ppu_stall + dram_floor_stall; total = compute + stall - hidden, ``hidden``: the
    cycles a vector layer ran beside a GEMM (``overlap_hidden_cycles``; both from simulator/model/schedule.py,
    0 unless the hardware asks for them)."""
    before_ppu = memory + chunk_fill
    ppu_stall = arith.max0(ppu - (compute + before_ppu))
    stall = before_ppu + ppu_stall
    c["ppu_stall_cycles"] = ppu_stall
    c["scalesim_total_cycles"] = compute + stall
    floor = dram_floor(compute + stall, dram_cycles, prefetched_cycles)
    c["dram_floor_stall_cycles"] = floor
    c["stall_cycles"] = stall + floor
    c["overlap_hidden_cycles"] = hidden
    c["total_cycles"] = compute + (stall + floor) - hidden


def gemm_counts(layer, s: GemmSetup, d: Design, k, placement: Placement = DRAM, hidden=0.0, prefetched=0.0) -> dict:
    """Counts of a GEMM layer; ``k[j]`` is kernel output j (a number, or an array over designs); ``placement``:
    operands kept on chip (their on-chip moves: ``residency.add_onchip_moves``); ``hidden``, ``prefetched``: its
    network schedule terms (cycles run beside the array, weight bytes fetched during earlier layers;
    simulator/model/schedule.py). output_tiles = folds (os) or folds / row folds (ws, is: an output completes
    after its last reduction fold)."""
    q = s.quant
    scale_w, scale_a = q["scale_dram_w_bytes"], q["scale_dram_a_bytes"]
    compute = k[K.COMPUTE]
    ppu = ppu_cycles(q["requant_ops"], q["rescale_ops"], q["absmax_ops"], layer.repeat, d.ppu_lanes,
                     q["zp_sum_ops"] + q["zp_ops"])
    di, df_, do, dw = k[K.DRAM_IFMAP], k[K.DRAM_FILTER], k[K.DRAM_OFMAP], k[K.DRAM_WRITE]
    sp = s.sparse        # decompress: DRAM holds the compressed filter, the weight buffer the dense one
    df_dense, df_ = df_, df_ * sp.dram_filter_scale
    unpacked = df_dense - df_
    sif, sfi, sow, sor = k[K.SRAM_IFMAP_READ], k[K.SRAM_FILTER_READ], k[K.SRAM_OFMAP_WRITE], k[K.SRAM_OFMAP_READ]
    dram_read = di + df_ + do + scale_w + scale_a
    c = {"compute_cycles": compute, "stall_memory_cycles": k[K.STALL], "stall_ifmap_cycles": k[K.STALL_IFMAP],
         "stall_filter_cycles": k[K.STALL_FILTER], "stall_ofmap_cycles": k[K.STALL_OFMAP],
         "stall_ofmap_write_cycles": k[K.STALL_WRITE], "stall_chunk_fill_cycles": k[K.CHUNK_FILL],
         "prefetch_cycles": k[K.PREFETCH], "drain_cycles": k[K.DRAIN], "ppu_cycles": ppu,
         "dram_ifmap_read_bytes": di, "dram_filter_read_bytes": df_, "dram_ofmap_read_bytes": do,
         "dram_write_bytes": dw, "dram_psum_read_bytes": k[K.DRAM_PSUM_READ],
         "dram_psum_write_bytes": k[K.DRAM_PSUM_WRITE], "dram_scale_read_bytes": scale_w + scale_a,
         "dram_read_bytes": dram_read,
         "ifmap_sram_reads": k[K.IFMAP_READS] * s.sparse.ifmap_read_scale, "filter_sram_reads": k[K.FILTER_READS],
         "ofmap_sram_writes": k[K.OFMAP_WRITES], "sram_ifmap_read_bytes": sif, "sram_filter_read_bytes": sfi,
         "sram_ofmap_write_bytes": sow, "sram_ofmap_read_bytes": sor,
         "ifmap_buf_read_bytes": sif, "ifmap_buf_write_bytes": di, "weight_buf_read_bytes": sfi,
         "weight_buf_write_bytes": df_ + unpacked, "ofmap_buf_read_bytes": sor + dw, "ofmap_buf_write_bytes": sow + do,
         # every SRAM access per buffer: array side, DRAM fills and drains, scales (filled once, read once)
         "sram_ifmap_bytes": sif + di + 2 * scale_a, "sram_weight_bytes": sfi + df_ + unpacked + 2 * scale_w,
         "sram_ofmap_bytes": sow + sor + do + dw,
         "sram_read_bytes": sif + sfi + sor + dw + scale_w + scale_a,
         "sram_write_bytes": dram_read + unpacked + sow,
         "folds": k[K.FOLDS], "temporal_chunks": k[K.CHUNKS], "mapping_efficiency": k[K.MAP_EFF]}
    add_onchip_moves(c, layer, placement)
    reduction_folds = 1.0 + (k[K.ROW_FOLDS] - 1.0) * ((k[K.ZOP] != K.OFMAP) * 1.0)
    c["output_tiles"] = k[K.FOLDS] / reduction_folds
    c["prefetched_weight_bytes"] = prefetched
    c["dram_cycles"] = (dram_read + dw) / d.bytes_per_cycle
    compose_stalls(c, compute, k[K.STALL], k[K.CHUNK_FILL], ppu, c["dram_cycles"], hidden,
                   prefetched / d.bytes_per_cycle)
    cycles = c["total_cycles"]
    executed = layer.macs * sp.executed_frac
    c["executed_macs"] = executed
    c["active_macs"] = layer.macs * sp.active_frac
    c["dram_metadata_read_bytes"] = df_ * sp.metadata_frac
    c["sparse_decode_ops"] = SP.decode_events(sp, executed, df_dense, layer.w_bits)
    c["sparse_decode_pj"] = sp.decode_pj
    c["utilization"] = executed / (cycles * d.rows * d.cols * s.p)
    c["achieved_dram_gbps"] = (dram_read + dw) / cycles * d.freq_mhz / 1e3
    for prim in PRIMITIVES:
        c[prim + "_ops"] = s.ops[prim]
    return c


def vector_counts(layer, s: VectorSetup, d: Design, placement: Placement = DRAM, hidden=0.0) -> dict:
    """Counts of a vector layer: compute = ceil(elements * cycles_per_element / lanes); its compulsory bytes
    (traffic.py: inputs at a_bits, ``add`` reads two tensors, the output at out_bits) are staged through the
    ofmap buffer; those not kept on chip (``placement``) cross DRAM: the I/O stall = max(0, latency +
    DRAM bytes / bytes_per_cycle - compute) is its memory stall (no latency without DRAM bytes); ``hidden``: its
    cycles run beside a GEMM (simulator/model/schedule.py)."""
    e = layer.elements
    compute = vector_cycles(e, s.cycles_per_element, d.vector_lanes)
    io_bytes = compulsory_dram_bytes(layer)
    io = io_bytes["ifmap"] + io_bytes["ofmap"]
    read, write, saved = vector_dram_bytes(io_bytes, placement, INPUTS.get(layer.op, 1))
    memory = arith.max0((d.latency_cycles if read + write > 0 else 0) + (read + write) / d.bytes_per_cycle - compute)
    zero = 0.0
    c = {"compute_cycles": compute, "stall_memory_cycles": memory, "stall_ifmap_cycles": zero,
         "stall_filter_cycles": zero, "stall_ofmap_cycles": zero, "stall_ofmap_write_cycles": zero,
         "stall_chunk_fill_cycles": zero, "prefetch_cycles": zero, "drain_cycles": zero, "ppu_cycles": 0,
         "dram_ifmap_read_bytes": read, "dram_filter_read_bytes": zero, "dram_ofmap_read_bytes": zero,
         "dram_write_bytes": write, "dram_psum_read_bytes": zero, "dram_psum_write_bytes": zero,
         "dram_scale_read_bytes": zero, "dram_read_bytes": read + zero + zero + zero,
         "ifmap_sram_reads": 0, "filter_sram_reads": 0, "ofmap_sram_writes": 0,
         "sram_ifmap_read_bytes": zero, "sram_filter_read_bytes": zero, "sram_ofmap_write_bytes": zero,
         "sram_ofmap_read_bytes": zero, "ifmap_buf_read_bytes": zero, "ifmap_buf_write_bytes": zero,
         "weight_buf_read_bytes": zero, "weight_buf_write_bytes": zero, "ofmap_buf_read_bytes": io,
         "ofmap_buf_write_bytes": io, "sram_ifmap_bytes": zero, "sram_weight_bytes": zero, "sram_ofmap_bytes": 2 * io,
         "sram_read_bytes": io, "sram_write_bytes": io, "folds": 0, "temporal_chunks": 0, "mapping_efficiency": zero,
         "onchip_activation_bytes": saved, "output_tiles": zero, "prefetched_weight_bytes": zero}
    c["dram_cycles"] = (c["dram_read_bytes"] + write) / d.bytes_per_cycle
    compose_stalls(c, compute, memory, zero, 0, c["dram_cycles"], hidden)
    c["utilization"] = zero
    c.update(executed_macs=zero, active_macs=zero, dram_metadata_read_bytes=zero, sparse_decode_ops=zero,
             sparse_decode_pj=zero)
    c["achieved_dram_gbps"] = (c["dram_read_bytes"] + write) / c["total_cycles"] * d.freq_mhz / 1e3
    for prim in PRIMITIVES:
        c[prim + "_ops"] = s.ops[prim]
    return c


def stall_cause(c: dict, is_gemm: bool) -> str:
    """The largest stall cause of one layer's counts, '' when it has no stall (first listed wins a tie)."""
    if not c["stall_cycles"] > 0:
        return ""
    causes = (("ifmap", c["stall_ifmap_cycles"]), ("filter", c["stall_filter_cycles"]),
              ("ofmap", c["stall_ofmap_cycles"]), ("ofmap_write", c["stall_ofmap_write_cycles"]),
              ("chunk_fill", c["stall_chunk_fill_cycles"]), ("ppu", c["ppu_stall_cycles"]),
              ("dram", c["dram_floor_stall_cycles"])) if is_gemm else (
        ("vector_io", c["stall_memory_cycles"]), ("dram", c["dram_floor_stall_cycles"]))
    return max(causes, key=lambda x: x[1])[0]


def gemm_labels(k) -> dict:
    """Loop order and operand labels of one design's kernel output."""
    outer, inner = int(k[K.OUTER]), int(k[K.INNER])
    again = [OPERAND_NAMES[x] for x, flag in ((outer, k[K.REFETCH_OUTER]), (inner, k[K.REFETCH_INNER])) if flag]
    tiled = k[K.CONV_TILE_ROWS] > 0
    return {"loop_order": "row_outer" if k[K.ROW_OUTER] else "col_outer", "outer_operand": OPERAND_NAMES[outer],
            "refetched_operand": "+".join(again), "conv_tile_rows": int(k[K.CONV_TILE_ROWS]),
            "conv_filter_groups": int(k[K.CONV_FILTER_GROUPS]),
            "conv_loop_order": ("filters_outer" if k[K.CONV_FILTERS_OUTER] else "tiles_outer") if tiled else ""}
