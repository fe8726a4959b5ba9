"""Every result field, declared once: name, unit, type and meaning.

``LAYER_FIELDS`` are the columns of a per-layer result (``LayerResult``), ``TOTAL_FIELDS`` the network
totals (``Totals``). The typed results (simulator/results.py), the JSON/CSV/Parquet writers, the CLI
table, the sweep's metric names and docs/columns.md (``python tools/gen_columns.py``) all come from here.
Units: ``cycles`` are array clock cycles; ``B`` bytes (INT4 packs two elements per byte, so a byte count
may be fractional); ``pJ``/``uJ`` energy; ``elements`` tensor elements; ``ops`` primitive operations.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    unit: str        # "" for labels and pure numbers
    type: type       # int, float, str, bool
    meaning: str
    view: str = ""   # the formula over Counts (simulator/model/views.py); "" for what the layer or setup says


F = Field
LAYER_FIELDS: tuple[Field, ...] = (
    # what the layer is (from the workload)
    F("name", "", str, "layer name (module path)"),
    F("op", "", str, "operation: gemm, matmul, conv, softmax, layernorm, gelu, add, mul, quantize, elementwise"),
    F("m", "", int, "GEMM rows M (ifmap rows; vector ops: rows)"),
    F("n", "", int, "GEMM columns N (filter columns; vector ops: elements per row)"),
    F("k", "", int, "GEMM reduction K (0 for vector ops)"),
    F("repeat", "", int, "independent copies (batch x heads for attention matmuls)"),
    F("w_bits", "bits", int, "weight (second operand) width"),
    F("a_bits", "bits", int, "activation (ifmap) width"),
    F("out_bits", "bits", int, "output width"),
    F("precision", "", str, "the layer's precision label, e.g. w4a8, fp16, a8"),
    F("pe_precision", "", str, "PE mode the layer ran in (vector: 'vector')"),
    F("engine", "", int, "engine that ran it: index in the hardware's engines list (0: one engine)", view='C.engine'),
    F("promoted", "", bool, "no exact PE mode: ran in the nearest wider one"),
    F("macs", "MACs", int, "multiply-accumulates = m * n * k * repeat (0 for vector ops)"),
    # time: counts of cycles, then how they compose
    F("compute_cycles", "cycles", int, "stall-free cycles: repeat * folds * lines - 1 (GEMM); "
                                         "ceil(elements * cycles_per_element / lanes) (vector)",
      view='C.compute'),
    F("stall_cycles", "cycles", float, "all stalls = stall_memory + stall_chunk_fill + ppu_stall + dram_floor_stall",
      view='C.stall'),
    F("total_cycles", "cycles", float, "compute_cycles + stall_cycles - overlap_hidden_cycles; fractional when a "
                                       "DRAM transfer ends mid-cycle (bytes / bytes-per-cycle)",
      view='C.total'),
    F("utilization", "", float, "executed_macs / (total_cycles * R * C * macs_per_pe_cycle); 0 for vector ops",
      view='div0(C.executed_macs, C.total * D.rows * D.cols * S.p)'),
    F("mapping_efficiency", "", float, "mean used PEs per fold / (R * C)"),
    F("sram_read_bytes", "B", float, "all SRAM reads: array-side reads, write-back drains, scales",
      view='C.ibuf_rd + C.wbuf_rd + C.obuf_rd'),
    F("sram_write_bytes", "B", float, "all SRAM writes: DRAM fills and array-side writes",
      view='C.ibuf_wr + C.wbuf_wr + C.obuf_wr'),
    F("dram_read_bytes", "B", float, "DRAM reads = ifmap + filter + ofmap (partial sums) + scales and zero points",
      view='C.dram_rd'),
    F("dram_write_bytes", "B", float, "DRAM writes (outputs and spilled partial sums)",
      view='C.dram_wr'),
    F("energy_pj", "pJ", float, "energy = mac + sram + dram + vector + ppu + static + sparse (disjoint parts)",
      view='E.total'),
    F("macs_per_pe_cycle", "MACs/cycle", float, "MACs one PE does per cycle in this mode (p)"),
    F("impl", "", str, "PE type (GEMM) or the vector implementation: float, integer, lut"),
    F("dataflow", "", str, "os, ws, is (vector: 'vector')"),
    F("folds", "", float, "array folds run, repeat and temporal chunks included",
      view='C.folds'),
    F("temporal_chunks", "", float, "chunks the temporal dimension was split into (1: none; 0 vector)",
      view='C.temporal_chunks'),
    F("acc_bits_used", "bits", int, "accumulator width: min(layer acc_bits, PE acc_bits)"),
    F("loop_order", "", str, "row_outer or col_outer: which folds form the outer loop"),
    F("outer_operand", "", str, "operand streamed by the outer loop"),
    F("refetched_operand", "", str, "operands fetched from DRAM more than once"),
    # a conv with geometry under memory.conv: tiles (simulator/model/convtile.py, docs/memory.md "Convolutions")
    F("conv_tile_rows", "rows", int, "output rows per input tile of a conv read as tiles; 0 otherwise"),
    F("conv_filter_groups", "", int, "filter groups that fit the weight buffer (per conv group); 0 otherwise"),
    F("conv_loop_order", "", str, "filters_outer or tiles_outer for a conv read as tiles; '' otherwise"),
    # network memory plan (simulator/model/residency.py, docs/memory.md)
    F("ifmap_source", "", str, "where the main input came from: dram, or on_chip (kept by its producer)"),
    F("filter_source", "", str, "where the second operand came from: dram (weights always), on_chip (a kept "
                                "activation: K, V, the residual); '' for one-input vector ops"),
    F("ofmap_dest", "", str, "where the output went: on_chip (kept for its consumers) or dram"),
    F("onchip_activation_bytes", "B", float, "DRAM bytes not moved because operands stayed on chip (the "
                                             "compulsory bytes of the kept ifmap, second activation and ofmap)",
      view='C.onchip_activation_bytes'),
    F("stall_buffer", "", str, "the largest stall cause (ifmap, filter, ofmap, ofmap_write, chunk_fill, ppu, "
                               "dram, vector_io); empty when there is no stall"),
    F("stall_memory_cycles", "cycles", float, "waits for DRAM in the fold walk (GEMM) or the vector unit's I/O",
      view='C.stall_memory'),
    F("stall_ifmap_cycles", "cycles", float, "memory stall attributed to ifmap fetches",
      view='C.stall_ifmap'),
    F("stall_filter_cycles", "cycles", float, "memory stall attributed to filter fetches",
      view='C.stall_filter'),
    F("stall_ofmap_cycles", "cycles", float, "memory stall attributed to partial-sum read-backs",
      view='C.stall_ofmap'),
    F("stall_ofmap_write_cycles", "cycles", float, "memory stall attributed to ofmap write-backs",
      view='C.stall_write'),
    F("stall_vector_io_cycles", "cycles", float, "a vector layer's wait for its DRAM I/O (0 for GEMMs); "
                                               "stall_memory = ifmap + filter + ofmap + ofmap_write + vector_io",
      view='C.stall_vector_io'),
    F("stall_chunk_fill_cycles", "cycles", float, "temporal chunks' initial fills not hidden by the previous chunk",
      view='C.chunk_fill'),
    F("ppu_stall_cycles", "cycles", float, "max(0, ppu_cycles - (compute + memory and chunk stalls))",
      view='C.ppu_stall'),
    F("dram_floor_stall_cycles", "cycles", float, "max(0, dram_cycles - (compute + the other stalls)): the layer "
                                                  "never beats its DRAM time",
      view='C.dram_floor'),
    F("overlap_hidden_cycles", "cycles", float, "vector cycles run beside a GEMM (vector.overlap gemm, or auto with "
                                                "an ofmap slot free for a tile of its input: schedule.py); else 0",
      view='C.hidden'),
    F("prefetched_weight_bytes", "B", float, "weights fetched in earlier layers' idle DRAM cycles (memory.prefetch "
                                             "network, or auto with a free weight slot): not in the DRAM floor",
      view='C.prefetched_weight_bytes'),
    F("output_tiles", "", float, "output tiles the GEMM completes in order: folds (os), folds / row folds (ws, is); "
                                 "0 for vector ops",
      view='C.output_tiles'),
    F("prefetch_cycles", "cycles", float, "initial fill before the first fold (overlapped with the previous layer)",
      view='C.prefetch'),
    F("drain_cycles", "cycles", float, "final write-back after the last fold (overlapped with the next layer)",
      view='C.drain'),
    F("scalesim_total_cycles", "cycles", float, "SCALE-Sim's total: compute + memory, chunk and PPU stalls",
      view='C.scalesim_total'),
    F("dram_cycles", "cycles", float, "(dram_read_bytes + dram_write_bytes) / achieved DRAM bytes per cycle (rated "
                                      "x achievable fraction, or the outstanding-request bound when lower)",
      view='C.dram'),
    F("ppu_cycles", "cycles", int, "post-processing unit: repeat * ceil(element ops per copy / ppu lanes)",
      view='C.ppu'),
    F("cycles_per_element", "cycles", float, "vector-unit cycles per element per lane"),
    # traffic
    F("dram_ifmap_read_bytes", "B", float, "ifmap bytes read from DRAM",
      view='C.dram_ifmap_rd'),
    F("dram_filter_read_bytes", "B", float, "filter bytes read from DRAM",
      view='C.dram_filter_rd'),
    F("dram_ofmap_read_bytes", "B", float, "spilled partial sums read back from DRAM",
      view='C.dram_psum_rd'),
    F("dram_psum_read_bytes", "B", float, "partial sums read back (at acc_bits)",
      view='C.dram_psum_rd'),
    F("dram_psum_write_bytes", "B", float, "partial sums spilled (at acc_bits)",
      view='C.dram_psum_wr'),
    F("dram_scale_read_bytes", "B", float, "quantization scales, zero points and outlier channel lists read from DRAM",
      view='C.dram_scale_rd'),
    F("achieved_dram_gbps", "GB/s", float, "(dram_read_bytes + dram_write_bytes) / latency",
      view='(C.dram_rd + C.dram_wr) / C.total * D.freq_mhz / 1e3'),
    F("ifmap_sram_reads", "elements", float, "ifmap SRAM reads by the array (SCALE-Sim's count)",
      view='C.ifmap_sram_reads'),
    F("filter_sram_reads", "elements", float, "filter SRAM reads by the array (SCALE-Sim's count)",
      view='C.filter_sram_reads'),
    F("ofmap_sram_writes", "elements", float, "ofmap SRAM writes by the array (SCALE-Sim's count)",
      view='C.ofmap_sram_writes'),
    F("sram_ifmap_read_bytes", "B", float, "ifmap buffer -> array bytes",
      view='C.ibuf_ifmap_rd'),
    F("sram_filter_read_bytes", "B", float, "weight buffer -> array bytes",
      view='C.wbuf_filter_rd'),
    F("sram_ofmap_write_bytes", "B", float, "array -> ofmap buffer bytes (outputs and partial sums; a vector layer's staged output)",
      view='C.obuf_ofmap_wr'),
    F("sram_ofmap_read_bytes", "B", float, "ofmap buffer -> array partial-sum read-backs",
      view='C.obuf_psum_rd'),
    F("ifmap_buf_read_bytes", "B", float, "ifmap buffer reads: array side, kept activations copied out, activation scales",
      view='C.ibuf_rd'),
    F("ifmap_buf_write_bytes", "B", float, "ifmap buffer writes: DRAM fills, kept outputs, activation scales",
      view='C.ibuf_wr'),
    F("weight_buf_read_bytes", "B", float, "weight buffer reads: array side, weight scales",
      view='C.wbuf_rd'),
    F("weight_buf_write_bytes", "B", float, "weight buffer writes: DRAM fills (dense after a decompressor), kept K/V, weight scales",
      view='C.wbuf_wr'),
    F("ofmap_buf_read_bytes", "B", float, "ofmap buffer reads (partial sums, write-back drains)",
      view='C.obuf_rd'),
    F("ofmap_buf_write_bytes", "B", float, "ofmap buffer writes (array outputs, partial sums, DRAM fills)",
      view='C.obuf_wr'),
    F("sram_ifmap_bytes", "B", float, "every ifmap-buffer access priced for energy: ifmap_buf_read + ifmap_buf_write",
      view='C.ibuf_rd + C.ibuf_wr'),
    F("sram_weight_bytes", "B", float, "every weight-buffer access priced for energy: weight_buf_read + weight_buf_write",
      view='C.wbuf_rd + C.wbuf_wr'),
    F("sram_ofmap_bytes", "B", float, "every ofmap-buffer access priced for energy: ofmap_buf_read + ofmap_buf_write",
      view='C.obuf_rd + C.obuf_wr'),
    # quantization and post-processing
    F("k_segments", "", int, "scale segments along K (per-group scales)"),
    F("w_scales", "", int, "weight (second operand) scales"),
    F("a_scales", "", int, "activation scales"),
    F("requant_ops", "ops", int, "PPU requantizations (one per output)"),
    F("rescale_ops", "ops", int, "PPU per-group partial-sum rescales"),
    F("absmax_ops", "ops", int, "PPU max-reductions for per-token scales"),
    F("zero_point_ops", "ops", int, "PPU zero-point work: row/column sums and cross-term multiply-adds"),
    F("zero_point_macs", "MACs", float, "MACs of the array's extra zero-point columns (ppu.zero_point: array): "
                                        "active MACs x columns / n; priced like the layer's MACs",
      view='C.zero_point_macs'),
    F("zero_point_bytes", "B", float, "zero points and folded zero-point corrections read (in dram_scale_read_bytes)"),
    # primitive operation counts of the vector unit (vector ops) or the PPU (GEMMs)
    F("int_add_ops", "ops", float, "integer additions, compares and shifts counted as adds (32-bit)",
      view='C.int_add_ops'),
    F("int_mult_ops", "ops", float, "16x16-bit integer multiplies",
      view='C.int_mult_ops'),
    F("int_mult_32x16_ops", "ops", float, "32x16-bit integer multiplies",
      view='C.int_mult_32x16_ops'),
    F("shift_ops", "ops", float, "32-bit shifts",
      view='C.shift_ops'),
    F("fp_add_ops", "ops", float, "FP32 additions",
      view='C.fp_add_ops'),
    F("fp_mult_ops", "ops", float, "FP32 multiplies",
      view='C.fp_mult_ops'),
    F("convert_ops", "ops", float, "int <-> float conversions",
      view='C.convert_ops'),
    F("lut_ops", "ops", float, "lookup-table reads",
      view='C.lut_ops'),
    # prices
    F("mac_pj", "pJ/MAC", float, "energy of one MAC: arithmetic + register traffic",
      view='E.mac_pj'),
    F("energy_mac_pj", "pJ", float, "(active_macs + zero_point_macs) * mac_pj (= macs * mac_pj on dense hardware)",
      view='E.mac'),
    F("energy_sram_pj", "pJ", float, "8 * sum over buffers of accessed bytes * pJ/bit(buffer size)",
      view='E.sram'),
    F("energy_dram_pj", "pJ", float, "8 * DRAM bytes * pJ/bit(DRAM type)",
      view='E.dram'),
    F("energy_vector_pj", "pJ", float, "the vector unit's primitive ops * their energies (0 for GEMMs, whose ops are the PPU's)",
      view='E.vector'),
    F("ppu_energy_pj", "pJ", float, "the PPU's primitive ops * their energies (GEMMs; 0 for vector layers)",
      view='E.ppu'),
    F("energy_static_pj", "pJ", float, "leakage_mw * total_cycles * 1e3 / freq_mhz",
      view='E.static'),
    # sparsity (simulator/model/sparsity.py, docs/sparsity.md)
    F("w_sparsity", "", str, "weight pattern of the layer: dense, N:M, block:B, unstructured"),
    F("w_density", "", float, "fraction of weights kept (1 dense)"),
    F("sparse_mode", "", str, "how the design ran it: dense, nm (N:M PEs skip pruned weights), skip (PEs skip any "
                              "zero weight), decompress (dense PEs, compressed DRAM), scalesim (SCALE-Sim 3.0)"),
    F("sparse_k", "", int, "reduction length K the array ran (compacted; skip: the densest column per fold)"),
    F("w_imbalance", "", float, "skip: sparse_k / mean non-zeros per filter column (load imbalance, >= 1); else 1"),
    F("executed_macs", "MACs", float, "MACs the PEs executed: macs x kept fraction when they skip pruned weights",
      view='C.executed_macs'),
    F("active_macs", "MACs", float, "executed MACs not gated by a zero activation (zero_skip); energy_mac uses them",
      view='C.active_macs'),
    F("dram_metadata_read_bytes", "B", float, "sparse index metadata read from DRAM (in dram_filter_read_bytes)",
      view='C.metadata_bytes'),
    F("sparse_decode_ops", "ops", float, "decoder events: executed MACs on sparse PEs, dense weights unpacked by a "
                                         "decompressor",
      view='C.decode_events'),
    F("sparse_decode_pj", "pJ/op", float, "energy of one decoder event (multiplexer bits, index register/adder)",
      view='E.decode_pj'),
    F("energy_sparse_pj", "pJ", float, "sparse_decode_ops * sparse_decode_pj",
      view='E.sparse'),
)

TOTAL_FIELDS: tuple[Field, ...] = (
    F("total_cycles", "cycles", float, "sum of layer total_cycles (layers run one after another)",
      view='N.total'),
    F("compute_cycles", "cycles", float, "sum of layer compute_cycles",
      view='N.compute'),
    F("stall_cycles", "cycles", float, "sum of layer stall_cycles",
      view='N.stall'),
    F("stall_memory_cycles", "cycles", float, "sum of layer stall_memory_cycles",
      view='N.stall_memory'),
    F("stall_vector_io_cycles", "cycles", float, "sum of layer stall_vector_io_cycles (the vector layers' part of "
                                               "stall_memory_cycles)",
      view='N.stall_vector_io'),
    F("stall_chunk_fill_cycles", "cycles", float, "sum of layer stall_chunk_fill_cycles",
      view='N.chunk_fill'),
    F("ppu_stall_cycles", "cycles", float, "sum of layer ppu_stall_cycles",
      view='N.ppu_stall'),
    F("dram_floor_stall_cycles", "cycles", float, "sum of layer dram_floor_stall_cycles",
      view='N.dram_floor'),
    F("overlap_hidden_cycles", "cycles", float, "sum of layer overlap_hidden_cycles (vector time under the array)",
      view='N.hidden'),
    F("prefetched_weight_bytes", "B", float, "sum of layer prefetched_weight_bytes",
      view='N.prefetched_weight_bytes'),
    F("gemm_cycles", "cycles", float, "total_cycles of the GEMM layers",
      view='N.gemm_total'),
    F("vector_cycles", "cycles", float, "total_cycles of the vector-unit layers = total - gemm",
      view='N.total - N.gemm_total'),
    F("host_us", "us", float, "host overhead of the run: host.overhead_us_per_image * batch + "
                              "host.overhead_us_per_batch (0 without a host section)",
      view='host_time_us'),
    F("latency_us", "us", float, "total_cycles / freq_mhz + host_us",
      view='latency_s * 1e6'),
    F("throughput_fps", "images/s", float, "batch / latency",
      view='batch / latency_s'),
    F("images_per_s", "images/s", float, "batch / latency (same as throughput_fps)",
      view='batch / latency_s'),
    F("macs", "MACs", float, "sum of layer MACs",
      view='N.macs'),
    F("utilization", "", float, "whole network: macs / (total_cycles * R * C * p_used), p_used = the largest "
                                "macs_per_pe_cycle among the PE modes the GEMM layers ran in; vector-unit time and "
                                "stalls count as idle array time",
      view='div0(N.executed_macs, N.total * D.rows * D.cols * p_used)'),
    F("gemm_utilization", "", float, "GEMM layers only: macs / sum over GEMM layers of total_cycles * R * C * "
                                     "macs_per_pe_cycle",
      view='div0(N.executed_macs, N.mac_slots * D.rows * D.cols)'),
    F("sram_read_bytes", "B", float, "sum of layer SRAM reads",
      view='N.ibuf_rd + N.wbuf_rd + N.obuf_rd'),
    F("sram_write_bytes", "B", float, "sum of layer SRAM writes",
      view='N.ibuf_wr + N.wbuf_wr + N.obuf_wr'),
    F("dram_read_bytes", "B", float, "sum of layer DRAM reads",
      view='N.dram_rd'),
    F("dram_write_bytes", "B", float, "sum of layer DRAM writes",
      view='N.dram_wr'),
    F("dram_scale_read_bytes", "B", float, "sum of layer scale reads",
      view='N.dram_scale_rd'),
    F("energy_uj", "uJ", float, "sum of layer energy + energy_host_uj",
      view='energy_pj / 1e6'),
    F("energy_per_image_uj", "uJ", float, "energy_uj / batch",
      view='energy_pj / 1e6 / batch'),
    F("energy_mac_uj", "uJ", float, "MAC energy",
      view='E.mac / 1e6'),
    F("energy_sram_uj", "uJ", float, "SRAM energy",
      view='E.sram / 1e6'),
    F("energy_dram_uj", "uJ", float, "DRAM energy",
      view='E.dram / 1e6'),
    F("energy_vector_uj", "uJ", float, "vector-unit energy (the PPU's is energy_ppu_uj)",
      view='E.vector / 1e6'),
    F("energy_static_uj", "uJ", float, "leakage energy",
      view='E.static / 1e6'),
    F("energy_ppu_uj", "uJ", float, "PPU energy",
      view='E.ppu / 1e6'),
    F("energy_host_uj", "uJ", float, "host.power_w * host_us (0 unless host.power_w is given)",
      view='host_pj / 1e6'),
    F("power_w", "W", float, "energy / latency",
      view='energy_pj * 1e-12 / latency_s'),
    F("leakage_w", "W", float, "leakage_mw_per_mm2 * area_mm2 / 1e3",
      view='P.leakage_mw / 1e3'),
    F("effective_tops", "TOPS", float, "2 * macs / latency / 1e12",
      view='tops'),
    F("tops_per_w", "TOPS/W", float, "effective_tops / power_w",
      view='div0(tops, power_w)'),
    F("tops_per_w_on_chip", "TOPS/W", float, "2 * macs / energy without DRAM (ops/pJ)",
      view='div0(2 * N.macs, E.total - E.dram)'),
    F("images_per_s_per_w", "images/s/W", float, "batch / energy in J",
      view='div0(batch, energy_pj * 1e-12)'),
    F("peak_tops", "TOPS", float, "largest of 2 * R * C * p * freq over PE modes",
      view='peak_tops'),
    F("area_mm2", "mm2", float, "pe + sram + vector + ppu area",
      view='A["area_mm2"]'),
    F("area_pe_mm2", "mm2", float, "R * C * PE area",
      view='A["area_pe_mm2"]'),
    F("area_sram_mm2", "mm2", float, "buffers' KiB * SRAM density",
      view='A["area_sram_mm2"]'),
    F("area_vector_mm2", "mm2", float, "vector lanes * lane area",
      view='A["area_vector_mm2"]'),
    F("area_ppu_mm2", "mm2", float, "PPU lanes * lane area",
      view='A["area_ppu_mm2"]'),
    F("peak_tops_per_mm2", "TOPS/mm2", float, "peak_tops / area_mm2",
      view='peak_tops / A["area_mm2"]'),
    F("promoted_layers", "layers", float, "layers run in a wider PE mode than their bits",
      view='N.promoted_layers'),
    F("onchip_activation_bytes", "B", float, "sum of layer onchip_activation_bytes: DRAM traffic the memory plan "
                                             "kept on chip",
      view='N.onchip_activation_bytes'),
    F("executed_macs", "MACs", float, "sum of layer executed_macs (= macs unless the PEs skip pruned weights)",
      view='N.executed_macs'),
    F("dram_metadata_read_bytes", "B", float, "sum of layer sparse index metadata read from DRAM",
      view='N.metadata_bytes'),
    F("energy_sparse_uj", "uJ", float, "sparse index decoding energy (multiplexers, decompressor)",
      view='E.sparse / 1e6'),
)
# temporaries of the totals' views (simulator/model/views.py ``total_view``), in order
TOTAL_LETS: tuple[tuple[str, str], ...] = (
    ("host_time_us", "D.host_us_per_image * batch + D.host_us_per_batch"),
    ("latency_s", "N.total / (D.freq_mhz * 1e6) + host_time_us * 1e-6"),
    ("host_pj", "P.host_w * host_time_us * 1e6"),
    ("energy_pj", "E.total + host_pj"),
    ("tops", "2 * N.macs / latency_s / 1e12"),
)
# totals that are mappings (not sweep metrics): precision label -> TOPS
TOTAL_MAPPINGS: tuple[Field, ...] = (
    F("peak_tops_by_precision", "TOPS", dict, "2 * R * C * p * freq per PE mode"),
    F("effective_tops_by_precision", "TOPS", dict, "2 * macs / time of the GEMM layers run in each PE mode"),
)

# totals of FPGA designs only (a hardware ``fpga`` section; simulator/fpga/, docs/fpga.md): absent from the totals,
# JSON and sweeps of every other design (so their outputs are unchanged); numbers, fpga_fits 1.0 (fits) or 0.0
FPGA_TOTAL_FIELDS: tuple[Field, ...] = (
    F("fpga_dsp", "DSPs", float, "DSP slices used: MACs / MACs per DSP (by precision) + vector unit + PPU"),
    F("fpga_lut", "LUTs", float, "LUTs used: PE fabric or LUT MACs + vector unit + PPU + control"),
    F("fpga_ff", "FFs", float, "flip-flops used"),
    F("fpga_bram36", "blocks", float, "block RAM blocks used (BRAM36 on AMD parts, M20K on Intel): buffers by port "
                                      "width and depth + control"),
    F("fpga_uram", "blocks", float, "UltraRAM blocks used (288 Kb, 72 x 4K)"),
    F("fpga_fits", "", float, "1 if every resource and the clock fit the device (after fpga.reserve), else 0"),
    F("fpga_fmax_mhz", "MHz", float, "clock limit: fpga.fmax_mhz, or the family default for the precision"),
    F("fpga_static_w", "W", float, "device static power"),
    F("fpga_dynamic_w", "W", float, "sum of used resources x mW per 100 MHz x freq_mhz / 100 / 1e3"),
    F("fpga_power_w", "W", float, "fpga_static_w + fpga_dynamic_w"),
    F("fpga_energy_per_image_uj", "uJ", float, "fpga_power_w * latency_us / batch"),
    F("fpga_images_per_s_per_w", "images/s/W", float, "throughput_fps / fpga_power_w"),
)

LAYER_NAMES = tuple(f.name for f in LAYER_FIELDS)
FPGA_TOTAL_NAMES = tuple(f.name for f in FPGA_TOTAL_FIELDS)
TOTAL_NAMES = tuple(f.name for f in TOTAL_FIELDS)


def total_metric_names(fpga: bool = False) -> tuple[str, ...]:
    """The numeric totals a sweep stores and constraints/objectives may name (``fpga``: with FPGA_TOTAL_NAMES)."""
    return TOTAL_NAMES + FPGA_TOTAL_NAMES if fpga else TOTAL_NAMES


def field(name: str) -> Field:
    """The declaration of a layer or total field by name."""
    for f in LAYER_FIELDS + TOTAL_FIELDS + TOTAL_MAPPINGS + FPGA_TOTAL_FIELDS:
        if f.name == name:
            return f
    raise KeyError(name)
