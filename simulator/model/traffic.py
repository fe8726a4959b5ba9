"""Traffic of a layer: the compulsory DRAM bytes, the array's SRAM bytes, and the modelled GEMM traffic.

One traffic model for the simulator and the roofline (analysis/roofline.py):
  compulsory DRAM bytes (``compulsory_dram_bytes``): every operand and the result once at its bit width,
      GEMM (M*K*a_bits + K*N*w_bits + M*N*out_bits) / 8 * repeat + scales (simulator/quant.py); vector ops:
      inputs at a_bits (``add`` reads two) and the output at out_bits; a conv with geometry under
      ``memory.conv: tiles`` reads its input once (``conv_input_bytes``) in place of M*K. The roofline's DRAM level uses this;
      the simulator's modelled DRAM bytes (``gemm_traffic``) are never below it and equal it when every
      operand fits its buffer.
  array SRAM bytes (``array_sram_bytes``): buffer <-> array traffic, ``kernel.sram_traffic`` (partial sums
      at acc_bits, read back), the same numbers the simulator reports.
"""

from __future__ import annotations

from types import MappingProxyType

from simulator.model import kernel as K
from simulator.model.convtile import input_bits
from simulator.model.mapping import DATAFLOW_CODES
from simulator.model.memo import per_object
from simulator.quant import layer_quant
from simulator.vector import INPUTS
from workloads.conv import has_geometry, images, out_hw

_NAMES = ("ifmap", "filter", "ofmap")


_PLAIN: dict = {}


def compulsory_dram_bytes(layer, skip: frozenset = frozenset(), scale_bits: int = 16, conv_tiles: bool = False):
    """Compulsory DRAM bytes per operand {ifmap, filter, ofmap, scales}; ``skip`` names operands kept on chip:
    ifmap (the main input), filter (a GEMM's second operand; a two-input vector op's second input), ofmap, or all.
    Scales and zero points: ``layer_quant``'s bytes at ``scale_bits``. ``conv_tiles`` (``memory.conv: tiles``): a
    conv with geometry reads its input once, ``conv_input_bytes``, not its im2col ifmap. With the default arguments
    (the simulator's per-layer counts) the answer is computed once per layer object and returned read-only."""
    if not skip and scale_bits == 16 and not conv_tiles:
        return per_object(_PLAIN, (layer,), (), lambda: MappingProxyType(_compulsory(layer, skip, 16, False)), 4096)
    return _compulsory(layer, skip, scale_bits, conv_tiles)


def _compulsory(layer, skip: frozenset, scale_bits: int, conv_tiles: bool) -> dict:
    if "all" in skip:
        return {"ifmap": 0.0, "filter": 0.0, "ofmap": 0.0, "scales": 0.0}
    r = layer.repeat
    if not layer.is_gemm:
        e = layer.elements
        inputs = INPUTS.get(layer.op, 1)
        kept = ("ifmap" in skip) + ("filter" in skip and inputs > 1)
        return {"ifmap": e * (inputs - kept) * layer.a_bits / 8, "filter": 0.0,
                "ofmap": 0.0 if "ofmap" in skip else e * layer.out_bits / 8, "scales": 0.0}
    m, n, k = layer.m, layer.n, layer.k
    q = layer_quant(layer, scale_bits)
    scales = q["scale_dram_w_bytes"] + (0.0 if "ifmap" in skip else q["scale_dram_a_bytes"])
    ifmap = conv_input_bytes(layer) if conv_tiles and layer.op == "conv" and has_geometry(layer) else \
        m * k * layer.a_bits / 8 * r
    return {"ifmap": 0.0 if "ifmap" in skip else ifmap,
            "filter": 0.0 if "filter" in skip else k * n * layer.w_bits / 8 * r,
            "ofmap": 0.0 if "ofmap" in skip else m * n * layer.out_bits / 8 * r,
            "scales": scales}


def conv_input_bytes(layer) -> float:
    """Bytes of every input element a conv with geometry reads, once (all groups): ``convtile.input_bits``.
    E.g. a 3x3 stride-1 conv, padding 1, on 8 x 8 x 4 at 8 bits: 256 bytes (the im2col ifmap: 2304)."""
    ho, wo = out_hw(layer)
    c = layer.conv_in_channels // layer.conv_groups
    return input_bits(layer.conv_in_h, layer.conv_in_w, c, layer.conv_kernel_h, layer.conv_kernel_w,
                      layer.conv_stride, layer.conv_padding, ho, wo, images(layer), layer.a_bits) / 8 * layer.repeat


def array_sram_bytes(dataflow: str, m: int, n: int, k: int, repeat: int, rows: int, cols: int, p: float,
                     a_bits: int, w_bits: int, out_bits: int, acc_bits: int) -> float:
    """Bytes between the buffers and the array of one GEMM: ifmap and filter reads, ofmap writes (outputs and
    partial sums at acc_bits) and partial-sum read-backs (``kernel.sram_traffic``)."""
    df = DATAFLOW_CODES[dataflow]
    row_dim, col_dim, t, block, _ = K.mapping(df, m, n, k, rows, cols, p)
    out = [0.0] * K.N_OUT
    K.sram_traffic(df, row_dim, col_dim, t, -(-row_dim // block), -(-col_dim // cols), a_bits, w_bits, out_bits,
                   acc_bits, repeat, out)
    return out[K.SRAM_IFMAP_READ] + out[K.SRAM_FILTER_READ] + out[K.SRAM_OFMAP_WRITE] + out[K.SRAM_OFMAP_READ]


def gemm_traffic(dataflow: str, m: int, n: int, k: int, rows: int, cols: int, p: float, a_bits: int, w_bits: int,
                 out_bits: int, acc_bits: int, buffers_bytes, bytes_per_cycle: float, latency_cycles: int,
                 repeat: int = 1, temporal_tiling: bool = False, onchip: int = 0, array_timing: int = 0,
                 conv: tuple = (0,) * 10, depths: tuple = (2, 2, 2), packed: tuple = (1, 0)) -> dict:
    """The kernel's modelled traffic, stalls and loop order of one GEMM, by name (bytes, cycles, elements);
    ``onchip``: kernel.ON_* bits of operands the memory plan keeps on chip (no DRAM traffic); ``array_timing``:
    kernel.ARR_* (fold by fold, pipelined, broadcast); ``conv``: kernel.P_CV_* (``layer.conv_geometry``), zeros
    for a plain GEMM; ``depths``: (ifmap, weight, ofmap) buffer slots (kernel.P_DEPTH_*; default: all double-
    buffered whatever the tile size, 0 derives one from the tiles: ``foldwalk.depth_of``); ``packed``: (G, g) of a
    packed grouped conv (kernel.P_GPACK, P_GROUPS; simulator/model/grouped.py: m, n, k, repeat are then the packed
    GEMM's), (1, 0) otherwise."""
    ib, wb, ob = buffers_bytes
    prm = [DATAFLOW_CODES[dataflow], m, n, k, rows, cols, p, a_bits, w_bits, out_bits, acc_bits, ib, wb, ob,
           bytes_per_cycle, latency_cycles, repeat, 1.0 if temporal_tiling else 0.0, onchip, array_timing, *conv,
           *depths, *packed]
    o, full, part = [0.0] * K.N_OUT, [0.0] * K.N_OUT, [0.0] * K.N_OUT
    K.gemm([float(x) for x in prm], o, full, part)
    stalls = {"ifmap": o[K.STALL_IFMAP], "filter": o[K.STALL_FILTER], "ofmap": o[K.STALL_OFMAP],
              "ofmap_write": o[K.STALL_WRITE]}
    outer, inner = _NAMES[int(o[K.OUTER])], _NAMES[int(o[K.INNER])]
    order = {outer: 0, inner: 1, _NAMES[int(o[K.ZOP])]: 2, "ofmap_write": 3}
    busiest = max(sorted(stalls, key=order.get), key=stalls.get) if o[K.STALL] > 0 else ""
    again = [x for x, flag in ((outer, o[K.REFETCH_OUTER]), (inner, o[K.REFETCH_INNER])) if flag]
    return {
        "compute_cycles": o[K.COMPUTE], "lines": o[K.LINES], "folds": o[K.FOLDS], "temporal_chunks": o[K.CHUNKS],
        "loop_order": "row_outer" if o[K.ROW_OUTER] else "col_outer", "outer_operand": outer,
        "refetched_operand": "+".join(again), "stall_buffer": busiest,
        "stall_cycles": o[K.STALL] + o[K.CHUNK_FILL], "stall_memory_cycles": o[K.STALL],
        "stall_chunk_fill_cycles": o[K.CHUNK_FILL], "prefetch_cycles": o[K.PREFETCH], "drain_cycles": o[K.DRAIN],
        **{f"stall_{name}_cycles": v for name, v in stalls.items()},
        "dram_ifmap_read_bytes": o[K.DRAM_IFMAP], "dram_filter_read_bytes": o[K.DRAM_FILTER],
        "dram_ofmap_read_bytes": o[K.DRAM_OFMAP], "dram_write_bytes": o[K.DRAM_WRITE],
        "dram_psum_read_bytes": o[K.DRAM_PSUM_READ], "dram_psum_write_bytes": o[K.DRAM_PSUM_WRITE],
        "ifmap_sram_reads": o[K.IFMAP_READS], "filter_sram_reads": o[K.FILTER_READS],
        "ofmap_sram_writes": o[K.OFMAP_WRITES], "sram_ifmap_read_bytes": o[K.SRAM_IFMAP_READ],
        "sram_filter_read_bytes": o[K.SRAM_FILTER_READ], "sram_ofmap_write_bytes": o[K.SRAM_OFMAP_WRITE],
        "sram_ofmap_read_bytes": o[K.SRAM_OFMAP_READ], "closed_form_dram_bits": o[K.CLOSED_FORM_BITS],
        "ifmap_buf_read_bytes": o[K.SRAM_IFMAP_READ], "ifmap_buf_write_bytes": o[K.DRAM_IFMAP],
        "weight_buf_read_bytes": o[K.SRAM_FILTER_READ], "weight_buf_write_bytes": o[K.DRAM_FILTER],
        "ofmap_buf_read_bytes": o[K.SRAM_OFMAP_READ] + o[K.DRAM_WRITE],
        "ofmap_buf_write_bytes": o[K.SRAM_OFMAP_WRITE] + o[K.DRAM_OFMAP],
        "conv_tile_rows": o[K.CONV_TILE_ROWS], "conv_tiles": o[K.CONV_TILES],
        "conv_filter_groups": o[K.CONV_FILTER_GROUPS],
        "conv_loop_order": ("filters_outer" if o[K.CONV_FILTERS_OUTER] else "tiles_outer") if o[K.CONV_TILE_ROWS] else "",
    }
