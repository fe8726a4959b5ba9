"""Screening bounds: for many designs at once, in closed form, a proven LOWER bound on cycles and energy, and the
exact area, peak and compulsory-traffic figures (two-fidelity search, docs/sweeps.md "Screening").

Every bound is built from the leaf formulas the exact evaluator uses (``simulator.model.batch``), with the fold
walk, the stalls and the network schedule left out; each left-out term can only add cycles or energy:

GEMM layer (``gemm_cycles_floor``), per design:
    compute = repeat * folds * P + (L - P) - 1 (``kernel.mapping``, ``foldwalk.fold_timing``, exact), or, when
        temporal tiling may split it (ws/is, ``array.temporal_tiling: auto``, 1 <= T' < T), the smaller of that and
        the chunked sum at the partial-sum size (sum over chunks of compute_i + 1) - 1: a floor whatever chunk size
        the kernel chooses (``simulator.model.tchunk``), since a chunked sum is never below the whole layer's
        compute (each chunk adds its own fill and drain; sums of ceilings and of max(T_c, R) are >= the whole's);
    total_cycles >= max(compute, ppu_cycles, DRAM floor)   (``layer.compose_stalls``: total = scalesim_total +
        max(0, dram - prefetched - scalesim_total), scalesim_total >= compute and >= ppu; stalls >= 0)
    DRAM floor = compulsory bytes / bytes per cycle (``gemm_dram_floor_bytes``), the filter left out under
        cross-layer prefetch (``Hardware.prefetches_weights``; prefetched bytes <= the filter's);
vector layer: its exact standalone total (``layer.vector_counts``) = max(compute, latency + DRAM bytes / B);
    0 unless ``vector.overlap: none`` (the hidden share of a vector layer is at most its own total,
    simulator/model/schedule.py);
network: total_cycles >= sum over layers (the totals add up: the schema's views over the summed ``Counts``).
Energy (``simulator.model.price``): MAC, vector/PPU op and sparse-decode-free terms exact; SRAM >= the array-side
bytes (``sramcount.sram_traffic``, exact: linear in the temporal dimension) + the compulsory fills; DRAM >=
compulsory bytes x pJ/bit; static = leakage x cycles floor / clock.
Memory plans (``memory.activations: on_chip``, ``memory.attention: fused``) are grouped as ``batch.evaluate_planned``
does, so each design's bound uses its own plan. Every floor is multiplied by (1 - SLACK) and every ceiling by
(1 + SLACK), SLACK = 1e-9, so a different summation order in the exact path can never put a bound a rounding
error beyond the exact value (tests/simulator/test_bound.py checks bound <= exact on every shipped config).
"""

from __future__ import annotations

import numpy as np

from simulator.energy import hw_tech, static_pj
from simulator.model import kernel as K
from simulator.model.batch import per_variant
from simulator.model.design import design_columns
from simulator.model.foldwalk import fold_timing
from simulator.model.grouped import packing
from simulator.model.layer import kernel_params, vector_counts
from simulator.model.network import peak_tops, plan
from simulator.model.pipeline import prepare, setup
from simulator.model.price import ops_energy_pj
from simulator.model.residency import skip_of
from simulator.model.sramcount import sram_traffic
from simulator.model.traffic import compulsory_dram_bytes
from simulator.quant import ppu_cycles

SLACK = 1e-9
# screening columns: metric -> how the screen value relates to the exact one ("floor": <=, "ceiling": >=, "exact")
SCREEN_METRICS = {
    "total_cycles": "floor", "latency_us": "floor", "throughput_fps": "ceiling", "images_per_s": "ceiling",
    "effective_tops": "ceiling", "energy_uj": "floor", "energy_per_image_uj": "floor",
    "dram_read_bytes": "floor", "dram_write_bytes": "floor", "macs": "exact", "peak_tops": "exact",
    "area_mm2": "exact", "area_pe_mm2": "exact", "area_sram_mm2": "exact", "area_vector_mm2": "exact",
    "area_ppu_mm2": "exact", "peak_tops_per_mm2": "exact", "leakage_w": "exact",
}


def gemm_array_floor(df, m, n, k, p, repeat, arr, ttile, acc_bits, groups, rows, cols, ofmap_bytes, a_bits, w_bits,
                     out_bits) -> tuple:
    """(compute cycles floor, SRAM ifmap read, filter read, ofmap write, ofmap read bytes) of one GEMM on one
    design (scalars; module docstring). SRAM bytes are exact (``sramcount.sram_traffic``). ``groups`` > 0: a
    packed grouped conv of that many groups (simulator/model/grouped.py: the packed GEMM on this design, its
    filter bits / G, its SRAM bytes x g / (copies G), as ``kernel.packed_groups``)."""
    rows, cols = int(rows), int(cols)
    frac = 1.0
    if groups:
        g_pack, repeat = packing(df, groups, n, k, rows, cols, p)
        n, k, w_bits = g_pack * n, g_pack * k, float(int(w_bits)) / g_pack
        frac = groups / (repeat * g_pack)

    def compute(t_m, t_n):
        row_dim, col_dim, _, block, lines = K.mapping(df, t_m, t_n, k, rows, cols, p)
        span, pitch = fold_timing(df, arr, rows, lines - (rows + cols - 2 if df == K.OS else 2 * rows + cols - 2),
                                  lines)
        return repeat * (-(-row_dim // block)) * (-(-col_dim // cols)) * pitch + (span - pitch)

    whole = compute(m, n) - 1
    row_dim, col_dim, t, block, _ = K.mapping(df, m, n, k, rows, cols, p)
    if ttile and df != K.OS:
        t_chunk = int(ofmap_bytes * 8 / 2 // (cols * acc_bits))
        if 1 <= t_chunk < t:
            n_full, rem = divmod(t, t_chunk)
            size = (lambda s: (s, n)) if df == K.WS else (lambda s: (m, s))
            chunked = n_full * compute(*size(t_chunk)) + (compute(*size(rem)) if rem else 0) - 1
            whole = min(whole, chunked)
    out = [0.0] * K.N_OUT
    sram_traffic(df, row_dim, col_dim, t, -(-row_dim // block), -(-col_dim // cols), a_bits, w_bits, out_bits,
                 acc_bits, repeat, out)
    return (float(whole), out[K.SRAM_IFMAP_READ] * frac, out[K.SRAM_FILTER_READ] * frac,
            out[K.SRAM_OFMAP_WRITE] * frac, out[K.SRAM_OFMAP_READ] * frac)


_MEMO: dict = {}     # per process: GEMM parameters -> {design code: gemm_array_floor output}


def _per_code(fn, fixed: tuple, code: tuple, columns: list, memo: bool = True) -> np.ndarray:
    """``fn(*fixed, *scalars of columns)`` once per distinct design of ``code`` = (codes, a representative design of
    each, index per design), remembered per process across calls by the argument values (a sweep's blocks repeat
    the same geometries); (designs x outputs) float64."""
    _, first, inv = code
    args = list(zip(*[c[first].tolist() if isinstance(c, np.ndarray) and c.ndim else [c] * len(first)
                      for c in columns]))
    table = _MEMO.setdefault(fixed, {}) if memo else {}
    if len(table) > 1 << 16:
        table.clear()
    vals = []
    for a in args:
        v = table.get(a)
        if v is None:
            v = table[a] = fn(*fixed, *a)
        vals.append(v)
    return np.asarray(vals, dtype=np.float64)[inv]


def dense_codes(c: np.ndarray) -> tuple[np.ndarray, int]:
    """(index of each value among the distinct values of integer array ``c``, how many there are): a presence
    table when the values are small (or small multiples of 1024, as buffer bytes are), else a sort."""
    c = np.asarray(c)
    if c.dtype.kind in "iu" and len(c) and c.min() >= 0:
        for unit in (1, 1024):
            v = c // unit if unit > 1 else c
            if (unit == 1 or not (c % unit).any()) and v.max() < 4 * len(c) + 65536:
                seen = np.zeros(int(v.max()) + 1, dtype=bool)
                seen[v] = True
                return (np.cumsum(seen) - 1)[v], int(seen.sum())
    u, inv = np.unique(c, return_inverse=True)
    return inv.reshape(-1), len(u)


def design_code(*cols) -> tuple:
    """(distinct codes, a representative design of each, the index of its code per design) of the combinations of
    integer ``cols`` (arrays over designs)."""
    code = np.zeros(len(cols[0]), dtype=np.int64)
    size = 1
    for c in cols:
        idx, m = dense_codes(c)
        code = code * m + idx
        size *= m
    if size > 4 * len(code) + 65536:
        uniq, first, inv = np.unique(code, return_index=True, return_inverse=True)
        return uniq, first, inv.reshape(-1)
    seen = np.zeros(size, dtype=bool)
    seen[code] = True
    uniq = np.flatnonzero(seen)
    slot = np.cumsum(seen) - 1
    inv = slot[code]
    first = np.empty(len(uniq), dtype=np.int64)
    first[inv[::-1]] = np.arange(len(code) - 1, -1, -1)
    return uniq, first, inv


def gemm_dram_floor_bytes(layer, setup, placement, params) -> dict:
    """DRAM bytes floor of a GEMM by operand {ifmap, filter, dense_filter, scales_w, scales_a, ofmap}: the
    compulsory bytes of each operand not kept on chip (``traffic.compulsory_dram_bytes``; under sparsity the smaller
    of it and the kernel's own operand size), the filter as DRAM stores it (``SparsePlan.dram_filter_scale``) and
    as the weight buffer holds it (dense), and every scale the layer reads (``layer.gemm_counts``)."""
    q = setup.quant
    comp = compulsory_dram_bytes(layer, skip_of(placement), 16, setup.conv_tiles)
    r = layer.repeat
    ifmap, filt = comp["ifmap"], comp["filter"]
    if setup.sparse.mode != "dense":
        kk, wb, ab = params[K.P_K] / params[K.P_GPACK], params[K.P_WBITS], params[K.P_ABITS]   # K per group
        ifmap = np.minimum(ifmap, layer.m * kk * ab / 8 * r) if ifmap else ifmap
        filt = np.minimum(filt, kk * layer.n * wb / 8 * r) if filt else filt
    return {"ifmap": ifmap, "filter": filt * setup.sparse.dram_filter_scale, "dense_filter": filt,
            "scales_w": q["scale_dram_w_bytes"], "scales_a": q["scale_dram_a_bytes"], "ofmap": comp["ofmap"]}


def screen_variant(workload, hw, nums: dict) -> dict:
    """Screening figures (``SCREEN_METRICS``, float64 arrays) of ``workload`` on designs of one structure ``hw``
    with per-design numbers ``nums`` (``batch.NUMERIC`` columns); designs grouped by memory plan as
    ``batch.evaluate_planned`` groups them."""
    on_chip, fused = hw.memory.activations == "on_chip", hw.memory.attention == "fused"
    n = len(nums["rows"])
    d, prices, area = design_columns(hw, nums)
    if not on_chip and not fused:
        return _screen_planned(workload, hw, d, prices, area, None, None)
    none = np.zeros(n, dtype=np.int64)
    caps = d.ifmap_bytes if on_chip else none      # = (ifmap_kib * 1024).astype(int64), as batch.py
    obufs = d.ofmap_bytes if fused else none
    _, first, inv = design_code(caps, obufs)
    out: dict = {}
    for j, i in enumerate(first.tolist()):
        sel = np.flatnonzero(inv == j)
        t = _screen_planned(workload, hw, _take(d, sel), _take(prices, sel),
                            {k: v[sel] if np.ndim(v) else v for k, v in area.items()},
                            int(caps[i]) if on_chip else None, (int(obufs[i]), hw.pe.acc_bits) if fused else None)
        for name, v in t.items():
            out.setdefault(name, np.full(n, np.nan))[sel] = v
    return out


def _take(d, sel):
    """The ``design.Design`` or ``design.Prices`` of the designs ``sel`` (array fields indexed, scalars kept)."""
    from dataclasses import fields, replace

    pick = (lambda v: v[sel] if isinstance(v, np.ndarray) and v.ndim else v)
    return replace(d, **{f.name: (tuple(pick(x) for x in getattr(d, f.name)) if f.name == "sram_pj_per_bit"
                                  else pick(getattr(d, f.name))) for f in fields(d)})


def _screen_planned(workload, hw, d, prices, area, capacity, fusion) -> dict:
    tech = hw_tech(hw)
    prims = tech.primitives()
    n = len(d.rows)
    unique, counts, _ = plan(prepare(workload, fusion), hw.nonlinear.post_softmax_bits, capacity, fusion)
    overlap, prefetch = hw.vector.overlap != "none", hw.prefetches_weights
    ei, ew, eo = prices.sram_pj_per_bit
    cycles = np.zeros(n)
    energy = np.zeros(n)
    dram_r = np.zeros(n)
    dram_w = np.zeros(n)
    macs = 0.0
    key = None
    for (layer, attn, where), count in zip(unique, counts):
        if layer.is_gemm:
            s = setup(layer, hw, tech, attn)
            prm = kernel_params(layer, s, hw.array.dataflow, hw.array.temporal_tiling, d, where, hw.array.timing_code,
                                hw.buffers.depths)
            # a packed grouped conv: its groups' own N and K (gemm_array_floor packs them per design)
            groups = prm[K.P_GROUPS]
            kk = prm[K.P_K] / prm[K.P_GPACK] if groups else prm[K.P_K]
            n_cols = layer.n + s.quant["zp_array_cols"]
            varying = [c for c in (kk, prm[K.P_ABITS], prm[K.P_WBITS]) if isinstance(c, np.ndarray)
                       and c.ndim]
            if key is None:
                key = design_code(d.rows, d.cols, d.ofmap_bytes)
            fixed = (int(prm[K.P_DF]), layer.m, n_cols, *([] if varying else [kk]), s.p,
                     layer.repeat, hw.array.timing_code, hw.array.temporal_tiling == "auto", s.acc_bits, groups)
            if varying:   # sparse skipping: K and the bits follow the columns (rare); codes are not values: no memo
                code = design_code(key[2], *(np.unique(v, return_inverse=True)[1].reshape(-1) for v in varying))
                arr = _per_code(gemm_array_floor, fixed[:3], code, [kk, *fixed[3:], d.rows, d.cols,
                                                                    d.ofmap_bytes, prm[K.P_ABITS], prm[K.P_WBITS],
                                                                    layer.out_bits], memo=False)
            else:
                arr = _per_code(gemm_array_floor, fixed, key, [d.rows, d.cols, d.ofmap_bytes, prm[K.P_ABITS],
                                                               prm[K.P_WBITS], layer.out_bits])
            q = s.quant
            ppu = ppu_cycles(q["requant_ops"], q["rescale_ops"], q["absmax_ops"], layer.repeat, d.ppu_lanes,
                             q["zp_sum_ops"] + q["zp_ops"])
            b = gemm_dram_floor_bytes(layer, s, where, prm)
            read = b["ifmap"] + b["filter"] + b["scales_w"] + b["scales_a"]
            write = b["ofmap"]
            dram_floor = (read - (b["filter"] if prefetch else 0.0) + write) / d.bytes_per_cycle
            total = np.maximum(np.maximum(arr[:, 0], ppu), dram_floor)
            sram = 8 * ((arr[:, 1] + b["ifmap"] + 2 * b["scales_a"]) * ei
                        + (arr[:, 2] + b["dense_filter"] + 2 * b["scales_w"]) * ew
                        + (arr[:, 3] + arr[:, 4] + write) * eo)
            active = layer.macs * s.sparse.active_frac      # with the zero-point columns' MACs (layer.gemm_counts)
            e = ((active + active * q["zp_array_cols"] / layer.n) * s.mac_pj + ops_energy_pj(s.ops, prims) + sram
                 + 8 * (read + write) * prices.dram_pj_per_bit)
            macs += layer.macs * count
        else:
            s = setup(layer, hw, tech, False)
            c = vector_counts(layer, s, d, where)
            total = 0.0 if overlap else c.total
            read, write = c.bytes("ifmap", "dram", "rd"), c.bytes("ofmap", "dram", "wr")
            staged = (c.bytes("ifmap", "obuf", "rd") + c.bytes("ofmap", "obuf", "rd") + c.bytes("ifmap", "obuf", "wr")
                      + c.bytes("ofmap", "obuf", "wr"))
            e = 8 * staged * eo + 8 * (read + write) * prices.dram_pj_per_bit + ops_energy_pj(s.ops, prims)
        cycles = cycles + total * count
        energy = energy + e * count
        dram_r = dram_r + read * count
        dram_w = dram_w + write * count
    energy = energy + static_pj(prices.leakage_mw, cycles, d.freq_mhz)
    lo, hi = 1 - SLACK, 1 + SLACK
    latency_s = cycles / (d.freq_mhz * 1e6)
    pk = peak_tops(d.rows, d.cols, d.freq_mhz, hw.pe.precisions)
    b = workload.batch
    with np.errstate(divide="ignore"):
        out = {"total_cycles": cycles * lo, "latency_us": latency_s * 1e6 * lo, "throughput_fps": b / latency_s * hi,
               "images_per_s": b / latency_s * hi, "effective_tops": 2 * macs / latency_s / 1e12 * hi,
               "energy_uj": energy / 1e6 * lo, "energy_per_image_uj": energy / 1e6 / b * lo,
               "dram_read_bytes": dram_r * lo, "dram_write_bytes": dram_w * lo, "macs": macs, "peak_tops": pk,
               "area_mm2": area["area_mm2"], "area_pe_mm2": area["area_pe_mm2"],
               "area_sram_mm2": area["area_sram_mm2"], "area_vector_mm2": area["area_vector_mm2"],
               "area_ppu_mm2": area["area_ppu_mm2"], "peak_tops_per_mm2": pk / area["area_mm2"],
               "leakage_w": prices.leakage_mw / 1e3}
    return {k: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)) for k, v in out.items()}


def screen(workload, designs) -> tuple[dict, list]:
    """Screening figures of ``workload`` on every design of a ``batch.DesignBatch``: ({SCREEN_METRICS: float64
    array}, [error or '' per design]); a structure that cannot run the workload gets NaN and the error the exact
    evaluator gives (``batch.evaluate``)."""
    return per_variant(designs, SCREEN_METRICS, lambda hw, nums: screen_variant(workload, hw, nums))
