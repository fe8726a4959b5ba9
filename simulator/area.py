"""Silicon area (mm^2) of a hardware config from the technology table: PE array, SRAM, vector unit, PPU.

PE (um^2), with (w, a) the widest integer mode, acc the accumulator bits, regs = w + a + acc flip-flops:
  fixed      A_mult(w, a) + A_add(acc) + regs * A_ff
  scalable   A_mult(w, a) + (p_max - 1) * A_add(w + a) + A_add(acc) + regs * A_ff
             (Bit Fusion: p_max narrow products from BitBricks summed by a shift-add tree)
  bitserial  A_mult(b, 1) + A_add(acc) + regs * A_ff      (b = width of the parallel operand)
  float      A_fpmult(16 or bf16) + A_fpadd(32 if acc > 16 else 16) + regs * A_ff
  xnor       p_max * (A_mult(w, a) + A_add(w * a)) + A_add(acc) + regs * A_ff  (p_max lanes of w * a XNOR/AND
             gates and a w * a-input popcount tree, one accumulator; w = 1 binary, 2 ternary)
  A_mult(w, a) = int_mult_8x8_um2 * w * a / 64,  A_add(bits) = int_add_32_um2 * bits / 32
pe_array_mm2 = R * C * A_PE / 1e6
sram_mm2     = (ifmap_kib + weight_kib + ofmap_kib) * sram_mm2_per_kib
vector_mm2   = lanes * (sum over the implementations the config selects of their lane datapath) / 1e6:
  float: A_fpmult(32) + A_fpadd(32); integer: A_mult(16, 16) + 2 * A_add(32) (adder + barrel shifter);
  lut: integer lane + one 256 x 16-bit table (0.5 KiB, SRAM density) per op run as lut. The elementwise
  ops use the integer lane, which every config has.
  Pipelined lanes (``vector.pipelined: true``, passes in simulator/vector.py): one functional unit per primitive op
  of each pipeline instead of the shared lane: lane = sum over softmax, GELU, LayerNorm (as the config runs them:
  ``element_ops`` at the config's implementation and post-softmax quantizer, dtype fp on a float PE else int,
  a_bits the PE's widest) of sum_p count_p * U(p), + the elementwise pipeline: per primitive the largest count
  over add / mul / quantize / elementwise and topk's per-pass stage (1 shift + 1 add), times U(p);
  U: int_add, shift -> A_add(32) (adder, barrel shifter); int_mult -> A_mult(16, 16); fp_add, convert ->
  A_fpadd(32) (a convert normalizes and rounds, priced as an FP32 add as its energy is); fp_mult -> A_fpmult(32);
  lut -> one 256 x 16-bit table (0.5 KiB at SRAM density).
  Worked (int4.yaml's I-ViT integer ops, horowitz45: A_add(32) = 137, A_mult(16, 16) = 4 * 282 = 1128 um^2):
  Shiftmax 6 add + 5 shift + 1 mult, ShiftGELU 7 add + 9 shift + 2 mult, I-LayerNorm 4 add + 1 shift + 3 mult,
  elementwise 1 add + 1 shift + 1 mult: 34 A_add(32) + 7 A_mult(16, 16) = 4,658 + 7,896 = 12,554 um^2 per lane
  (the shared integer lane: 1,128 + 2 * 137 = 1,402 um^2); 64 lanes: 0.8035 mm^2 against 0.0897 mm^2.
ppu_mm2      = ppu lanes * (fixed: A_mult(32, 16) + 2 * A_add(32); float: A_fpmult(32) + A_fpadd(32)) / 1e6
area_mm2     = pe_array_mm2 + sram_mm2 + vector_mm2 + ppu_mm2 (wiring and control are not modelled).
Sparse PEs (hardware ``sparsity``, simulator/model/sparsity.py) add per PE ``sparse_pe_um2``: N:M patterns, per MAC
lane (p_max): a_max * (M - 1) 2:1-mux bits (an M:1 activation multiplexer) + ceil(log2 M) index flip-flops (the
largest M listed); unstructured skipping: per lane an index adder of INDEX_ADDER_BITS + that many flip-flops. A
decompressor (``decompress``) adds per array column w_max 2:1-mux bits + one mask flip-flop, counted in the PE area.
"""

from __future__ import annotations

from simulator.tech.table import TechTable, bitserial_parallel_bits, fp_adder_bits
from simulator.vector import NONLINEAR_OPS, element_ops

LUT_ENTRIES, LUT_BITS = 256, 16
INDEX_ADDER_BITS = 16   # unstructured skipping: activation addresses within a 64 K-element buffer window


def sparse_pe_um2(tech: TechTable, hw) -> float:
    """Sparse-PE additions to one PE in um^2 (module docstring); 0 for a dense design."""
    sp = hw.sparsity
    if not sp.skips:
        return 0.0
    lanes = max(1.0, max(m.macs_per_cycle for m in hw.pe.precisions))
    a = max(m.a_bits for m in hw.pe.precisions)
    area = 0.0
    if sp.structured:
        m = max(int(p.split(":")[1]) for p in sp.structured)
        area += lanes * (a * (m - 1) * tech.mux2_bit_um2 + max(1, (m - 1).bit_length()) * tech.reg_um2_per_bit)
    if sp.unstructured:
        area += lanes * (tech.add_um2(INDEX_ADDER_BITS) + INDEX_ADDER_BITS * tech.reg_um2_per_bit)
    return area


def decompressor_um2(tech: TechTable, hw) -> float:
    """Weight decompressor area per array column in um^2: w_max 2:1-mux bits + one mask flip-flop."""
    if not hw.sparsity.decompress:
        return 0.0
    return max(m.w_bits for m in hw.pe.precisions) * tech.mux2_bit_um2 + tech.reg_um2_per_bit


def pe_um2(tech: TechTable, hw) -> float:
    """Area of one PE in um^2 (module docstring), sparse-PE additions included."""
    return _pe_core_um2(tech, hw) + sparse_pe_um2(tech, hw)


def _pe_core_um2(tech: TechTable, hw) -> float:
    pe = hw.pe
    modes = pe.precisions
    w = max(m.w_bits for m in modes)
    a = max(m.a_bits for m in modes)
    regs = (w + a + pe.acc_bits) * tech.reg_um2_per_bit
    if pe.type == "float":
        bits = max(max(m.w_bits, m.a_bits) for m in modes)
        return tech.fp_mult_area(bits, pe.float_format) + tech.fp_add_area(fp_adder_bits(pe.acc_bits)) + regs
    if pe.type == "xnor":
        p_max = max(m.macs_per_cycle for m in modes)
        return p_max * (tech.mult_um2(w, a) + tech.add_um2(w * a)) + tech.add_um2(pe.acc_bits) + regs
    if pe.type == "bitserial":
        parallel = max(bitserial_parallel_bits(m.w_bits, m.a_bits, m.macs_per_cycle) for m in modes)
        return tech.mult_um2(parallel, 1) + tech.add_um2(pe.acc_bits) + regs
    core = tech.mult_um2(w, a) + tech.add_um2(pe.acc_bits) + regs
    if pe.type == "scalable":
        p_max = max(m.macs_per_cycle for m in modes)
        core += (p_max - 1) * tech.add_um2(w + a)
    return core


def _int_lane(tech: TechTable) -> float:
    return tech.mult_um2(16, 16) + 2 * tech.add_um2(32)


_LUT_UM2 = LUT_ENTRIES * LUT_BITS / 8 / 1024 * 1e6   # x sram_mm2_per_kib: one 256 x 16-bit table in um^2
_PASS_STAGE = {"shift": 1, "int_add": 1}              # topk's radix-select stage, on the elementwise pipeline


def unit_um2(tech: TechTable, primitive: str) -> float:
    """Area in um^2 of the functional unit that executes one ``primitive`` op per cycle (module docstring, U)."""
    if primitive == "int_mult":
        return tech.mult_um2(16, 16)
    if primitive in ("fp_add", "convert"):
        return tech.fp_add_area(32)
    if primitive == "fp_mult":
        return tech.fp_mult_area(32)
    if primitive == "lut":
        return _LUT_UM2 * tech.sram_mm2_per_kib
    return tech.add_um2(32)      # int_add, shift (barrel shifter)


def pipelined_lane_units(hw) -> dict[str, int]:
    """Functional units of one pipelined lane by primitive (module docstring): the non-linear pipelines' op counts
    summed, plus the elementwise pipeline (per primitive the most any elementwise op or topk's pass needs)."""
    dtype = "fp" if hw.pe.type == "float" else "int"
    a = max(m.a_bits for m in hw.pe.precisions)
    units: dict[str, int] = {}
    for op in NONLINEAR_OPS:
        post = hw.nonlinear.post_softmax if op == "softmax" else "uniform"
        for p, n in element_ops(op, getattr(hw.nonlinear, op), dtype, a, post).items():
            units[p] = units.get(p, 0) + n
    shared: dict[str, int] = dict(_PASS_STAGE)
    for op in ("add", "mul", "quantize", "elementwise"):
        for p, n in element_ops(op, "integer", dtype, a).items():
            shared[p] = max(shared.get(p, 0), n)
    for p, n in shared.items():
        units[p] = units.get(p, 0) + n
    return units


def vector_lane_um2(tech: TechTable, hw) -> float:
    """One vector lane: the integer lane plus a float datapath and/or a LUT if any non-linear op uses them; a
    pipelined lane: its functional units (``pipelined_lane_units``) times their areas (``unit_um2``)."""
    if hw.vector.pipelined:
        return sum(n * unit_um2(tech, p) for p, n in sorted(pipelined_lane_units(hw).items()))
    impls = [getattr(hw.nonlinear, op) for op in NONLINEAR_OPS]
    area = _int_lane(tech)
    if "float" in impls:
        area += tech.fp_mult_area(32) + tech.fp_add_area(32)
    tables = impls.count("lut")
    return area + tables * LUT_ENTRIES * LUT_BITS / 8 / 1024 * tech.sram_mm2_per_kib * 1e6


def ppu_lane_um2(tech: TechTable, hw) -> float:
    if hw.ppu.arithmetic == "float":
        return tech.fp_mult_area(32) + tech.fp_add_area(32)
    return tech.mult_um2(32, 16) + 2 * tech.add_um2(32)


def area_breakdown(tech: TechTable, hw, rows=None, cols=None, buffers_kib=None, vector_lanes=None,
                   ppu_lanes=None) -> dict:
    """{pe_um2, area_pe_mm2, area_sram_mm2, area_vector_mm2, area_ppu_mm2, area_mm2} of ``hw``; the numeric
    arguments (numbers or arrays over designs) replace the config's own: rows, cols, (ifmap, weight, ofmap)
    KiB, vector and PPU lanes."""
    b = hw.buffers
    rows = hw.array.rows if rows is None else rows
    cols = hw.array.cols if cols is None else cols
    ik, wk, ok = (b.ifmap_kib, b.weight_kib, b.ofmap_kib) if buffers_kib is None else buffers_kib
    vector_lanes = hw.vector.lanes if vector_lanes is None else vector_lanes
    ppu_lanes = hw.ppu.lanes if ppu_lanes is None else ppu_lanes
    pe = pe_um2(tech, hw)
    parts = {
        "area_pe_mm2": (rows * cols * pe + cols * decompressor_um2(tech, hw)) / 1e6 if hw.sparsity.decompress
        else rows * cols * pe / 1e6,
        "area_sram_mm2": (ik + wk + ok) * tech.sram_mm2_per_kib,
        "area_vector_mm2": vector_lanes * vector_lane_um2(tech, hw) / 1e6,
        "area_ppu_mm2": ppu_lanes * ppu_lane_um2(tech, hw) / 1e6,
    }
    total = 0
    for v in parts.values():
        total = total + v
    return {"pe_um2": pe, **parts, "area_mm2": total}
