"""Sparse weights and activations on a design: what the array runs, what is stored, what the decoder costs.

A layer (K x N filter, ``repeat`` copies; fields in workloads/sparsity.py) meets the hardware's ``sparsity``
section (simulator/hardware/config.py::SparsityConfig) in one of these modes (``SparsePlan.mode``):

  dense       nothing to skip or compress (a dense layer, or dense PEs without a decompressor): K, bits as is.
  nm          an N:M layer on PEs with a pattern N':M (same M, N' >= N, the smallest such N'): K is compacted to
              the kept weights, K_c = ceil(K / M) * N'; each kept weight carries ceil(log2 M) index bits (NVIDIA's
              2-bit index per non-zero of 2:4); every dense activation still reaches the PE (an M:1 multiplexer
              per kept weight picks it): the kernel runs K_c with w_bits' = w_bits + ceil(log2 M) and
              a_bits' = a_bits * K / K_c, so the filter moves K_c * N * w_bits' bits and the ifmap M * K * a_bits.
  skip        an unstructured (or block:B, or N:M without a matching pattern) layer on PEs that skip any zero
              weight: every filter column is compacted to its non-zeros; the columns of one fold run in
              lockstep, so a fold lasts as long as its densest column (load imbalance):
                K_eff = mean over column groups of (max non-zeros in the group)
              groups: C consecutive filter columns (os, ws: N on the columns); all N (is: rows hold K for every
              column). From the traced mask (``w_col_nnz``) exactly; declared density d: the expectation
              E[max of G iid Binomial(K, d)] = sum_{x=0}^{K-1} (1 - F(x)^G) (F: the binomial CDF); block:B counts
              blocks (K/B per column, ceil(G/B) block columns) and multiplies by B. The kernel runs K_eff with
              w_bits' = (values + metadata bits) / (K_eff * N) and a_bits' = a_bits * K / K_eff.
  decompress  a sparse layer on dense PEs with a decoder between DRAM and the weight buffer: DRAM filter bytes
              x (values + metadata bits) / (K * N * w_bits); SRAM and cycles stay dense.
  scalesim    SCALE-Sim 3.0's convention (hardware ``sparsity.convention: scalesim``) for an N:M layer: K
              compacted for both operands to the kept rows of one pattern (N ones then M - N zeros, repeated) shared
              by every filter column, trailing all-zero rows dropped (operand_matrix.py, OptimizedMapping false):
              K_c = floor(K / M) * N + min(K mod M, N); filter bits unchanged, no metadata traffic; the ifmap is
              compacted too on os and is arrays, read whole on ws (its ws compute reads the original ifmap, K
              padded to whole groups of M): a_bits' = a_bits * ceil(K / M) * M / K_c there. SCALE-Sim's reported storage: ``scalesim_storage_words``.

Storage bits of one K x N filter (values + metadata; nnz kept weights; ``metadata_bits``):
  N:M     values K_c * N * w_bits; metadata K_c * N * ceil(log2 M)   (2:4 at INT4: 3 bits per dense weight,
          0.75 x dense; at INT8: 5 bits, 0.625 x)
  bitmask values nnz * w_bits; metadata K * N (one bit per position)
  csr     (rows = the N output channels, as torch stores a Linear weight) nnz * ceil(log2 K) + (N + 1) *
          ceil(log2(nnz + 1))
  csc     nnz * ceil(log2 N) + (K + 1) * ceil(log2(nnz + 1))
  rle:r   each non-zero carries an r-bit run of preceding zeros; a run longer than 2^r - 1 inserts a zero entry:
          padding = nnz * q / (1 - q), q = (1 - d)^(2^r) (geometric runs); metadata (nnz + padding) * r +
          padding * w_bits
  block:B bitmask over blocks: ceil(K / B) * ceil(N / B) bits; values nnz * w_bits
Executed MACs (the PEs' work) = MACs x executed_frac (nm: K_c / K; skip: nnz / (K N); else 1); MACs that switch
(energy) = executed x a_density when the hardware gates zero activations (``zero_skip``), else executed.
Decoder energy per event (``decode_pj``, priced in simulator/model/price.py): nm: a_bits * (M - 1) 2:1-mux bits +
ceil(log2 M) register bits per executed MAC; skip: an index adder of ceil(log2 K) bits + the index's register
bits per executed MAC; decompress: w_bits 2:1-mux bits per dense weight written to the weight buffer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workloads.sparsity import DENSE, block_size, nm_pattern, rle_run_bits


@dataclass(frozen=True)
class SparsePlan:
    mode: str                 # dense | nm | skip | decompress | scalesim
    k: int                    # K the array runs (nm / scalesim: K_c; skip: filled per design by kernel_k)
    w_bits: float             # filter bits per element the kernel moves
    a_bits: float             # ifmap bits per element the kernel moves
    value_bits: float         # stored weight values of one filter (bits)
    metadata_bits: float      # stored index metadata of one filter (bits)
    dense_bits: float         # K * N * w_bits
    executed_frac: float      # executed MACs / MACs
    active_frac: float        # MACs that switch / MACs
    decode_pj: float          # pJ per decode event
    pattern: str = DENSE      # the pattern run (``2:4`` for 1:4 weights on 2:4 PEs)
    ifmap_read_scale: float = 1.0   # ifmap elements read / the kernel's count (dense activations into the muxes)

    @property
    def dram_filter_scale(self) -> float:
        """DRAM filter bytes / the kernel's (decompress: compressed / dense; else 1)."""
        return (self.value_bits + self.metadata_bits) / self.dense_bits if self.mode == "decompress" else 1.0

    @property
    def metadata_frac(self) -> float:
        """Share of the filter's moved bits that is index metadata (0 for scalesim and dense)."""
        if self.mode in ("dense", "scalesim"):
            return 0.0
        return self.metadata_bits / (self.value_bits + self.metadata_bits)


def idx_bits(m: int) -> int:
    """ceil(log2 m) index bits (1 for m <= 2)."""
    return max(1, math.ceil(math.log2(m)))


def nnz_of(layer) -> int:
    """Kept weights of one filter: the traced count, else round(density * K * N)."""
    if layer.w_col_nnz is not None:
        return sum(layer.w_col_nnz)
    nm = nm_pattern(layer.w_sparsity)
    if nm is not None:
        return -(-layer.k // nm[1]) * nm[0] * layer.n
    return round(layer.w_density * layer.k * layer.n)


def metadata_bits(layer) -> tuple[float, float]:
    """(value bits, metadata bits) of one K x N filter stored in the layer's format (module docstring)."""
    k, n, w = layer.k, layer.n, layer.w_bits
    nm = nm_pattern(layer.w_sparsity)
    if nm is not None:
        kc = -(-k // nm[1]) * nm[0]
        return float(kc * n * w), float(kc * n * idx_bits(nm[1]))
    nnz = nnz_of(layer)
    b = block_size(layer.w_sparsity)
    if b:
        return float(nnz * w), float(-(-k // b) * -(-n // b))
    fmt = layer.w_format
    if fmt == "bitmask":
        meta = k * n
    elif fmt == "csr":
        meta = nnz * idx_bits(k) + (n + 1) * idx_bits(nnz + 1)
    elif fmt == "csc":
        meta = nnz * idx_bits(n) + (k + 1) * idx_bits(nnz + 1)
    else:
        r = rle_run_bits(fmt)
        d = nnz / (k * n)
        q = (1 - d) ** (2 ** r)
        pad = nnz * q / (1 - q)
        meta = (nnz + pad) * r + pad * w
    return float(nnz * w), float(meta)


def expected_max_binomial(trials: int, p: float, group: int) -> float:
    """E[max of ``group`` iid Binomial(trials, p)] = sum_{x=0}^{trials-1} (1 - F(x)^group).
    Example: 2 coins (trials 1, p 0.5): 1 - 0.5^2 = 0.75."""
    if p >= 1.0:
        return float(trials)
    total, cdf = 0.0, 0.0
    log_q, log_p = math.log1p(-p), math.log(p)
    for x in range(trials):
        cdf += math.exp(math.lgamma(trials + 1) - math.lgamma(x + 1) - math.lgamma(trials - x + 1)
                        + x * log_p + (trials - x) * log_q)
        total += 1.0 - min(cdf, 1.0) ** group
    return total


def k_balanced(layer, group: int) -> int:
    """K_eff of a ``skip`` layer whose columns run ``group`` at a time (module docstring), rounded up."""
    n = layer.n
    group = max(1, min(group, n))
    if layer.w_col_nnz is not None:
        cols = layer.w_col_nnz
        maxima = [max(cols[i:i + group]) for i in range(0, n, group)]
        return max(1, math.ceil(sum(maxima) / len(maxima) - 1e-9))
    nm = nm_pattern(layer.w_sparsity)
    if nm is not None:               # N:M without a matching pattern: every column holds ceil(K/M)*N
        return -(-layer.k // nm[1]) * nm[0]
    b = block_size(layer.w_sparsity) or 1
    e = expected_max_binomial(-(-layer.k // b), layer.w_density, -(-group // b)) * b
    return max(1, min(layer.k, math.ceil(e - 1e-9)))


def plan(layer, hw, tech, a_bits_mode: int) -> SparsePlan:
    """The sparse mode of a GEMM layer on ``hw`` (module docstring); ``a_bits_mode``: the PE mode's activation
    bits (the multiplexer's width)."""
    sp = hw.sparsity
    k, n, w, a = layer.k, layer.n, layer.w_bits, layer.a_bits
    dense_bits = float(k * n * w)
    gate = layer.a_density if sp.zero_skip else 1.0
    if layer.w_sparsity == DENSE or not layer.weight_operand:
        return SparsePlan("dense", k, w, a, dense_bits, 0.0, dense_bits, 1.0, gate, 0.0)
    values, meta = metadata_bits(layer)
    nm = nm_pattern(layer.w_sparsity)
    if nm is not None and sp.convention == "scalesim":
        kc = k // nm[1] * nm[0] + min(k % nm[1], nm[0])
        # its ws array reads the ifmap uncompacted, K padded to whole groups of M
        dense_in = -(-k // nm[1]) * nm[1] / kc if str(hw.array.dataflow) == "ws" else 1.0
        return SparsePlan("scalesim", kc, w, a * dense_in, values, meta, dense_bits, kc / k, kc / k * gate, 0.0,
                          pattern=layer.w_sparsity, ifmap_read_scale=dense_in)
    if nm is not None:
        fits = [p for p in sp.structured if nm_pattern(p)[1] == nm[1] and nm_pattern(p)[0] >= nm[0]]
        if fits:
            run = min(fits, key=lambda p: nm_pattern(p)[0])
            n_run, m = nm_pattern(run)
            kc = -(-k // m) * n_run
            ib = idx_bits(m)
            dec = tech.mux2_bit_pj * a_bits_mode * (m - 1) + tech.reg_pj_per_bit * ib
            return SparsePlan("nm", kc, w + ib, a * k / kc, float(kc * n * w), float(kc * n * ib), dense_bits,
                              kc / k, kc / k * gate, dec, pattern=run, ifmap_read_scale=k / kc)
    if sp.unstructured:
        frac = nnz_of(layer) / (k * n)
        dec = tech.add_pj(idx_bits(k)) + tech.reg_pj_per_bit * meta / max(nnz_of(layer), 1)
        return SparsePlan("skip", 0, 0.0, 0.0, values, meta, dense_bits, frac, frac * gate, dec,
                          pattern=layer.w_sparsity)
    if sp.decompress:
        return SparsePlan("decompress", k, w, a, values, meta, dense_bits, 1.0, gate, tech.mux2_bit_pj * w)
    return SparsePlan("dense", k, w, a, dense_bits, 0.0, dense_bits, 1.0, gate, 0.0)


def kernel_k(layer, s: SparsePlan, cols, dataflow: str) -> tuple:
    """(K, w_bits, a_bits) the kernel runs on designs with ``cols`` columns (a number or an array)."""
    if s.mode != "skip":
        return s.k, s.w_bits, s.a_bits
    bits = s.value_bits + s.metadata_bits
    if dataflow == "is":
        ke = k_balanced(layer, layer.n)
        return ke, bits / (ke * layer.n), layer.a_bits * layer.k / ke
    if isinstance(cols, (int, float)):
        ke = k_balanced(layer, int(cols))
        return ke, bits / (ke * layer.n), layer.a_bits * layer.k / ke
    import numpy as np

    uniq, inv = np.unique(cols, return_inverse=True)
    ke = np.asarray([k_balanced(layer, int(c)) for c in uniq], dtype=np.float64)[inv]
    return ke, bits / (ke * layer.n), layer.a_bits * layer.k / ke


def decode_events(s: SparsePlan, executed_macs, dram_filter_dense_bytes, w_bits: int):
    """Decoder events: executed MACs (nm, skip), dense weights written to the weight buffer (decompress), else 0."""
    if s.mode in ("nm", "skip"):
        return executed_macs
    if s.mode == "decompress":
        return dram_filter_dense_bytes * 8 / w_bits
    return 0.0


def sparse_labels(layer, s: SparsePlan | None, k_run) -> dict:
    """The per-layer sparsity fields (simulator/schema.py) of a GEMM run with reduction ``k_run`` (None: vector)."""
    if s is None:
        return {"w_sparsity": layer.w_sparsity, "w_density": layer.w_density, "sparse_mode": "dense", "sparse_k": 0,
                "w_imbalance": 1.0}
    imb = k_run * layer.n / nnz_of(layer) if s.mode == "skip" else 1.0
    return {"w_sparsity": layer.w_sparsity, "w_density": layer.w_density, "sparse_mode": s.mode,
            "sparse_k": int(k_run), "w_imbalance": imb}


def scalesim_storage_words(k: int, n: int, nm: tuple[int, int], rep: str) -> tuple[float, float, float]:
    """SCALE-Sim 3.0's SPARSE_REPORT (words) of a K x N filter with N:M ``nm`` in its layer-wise mapping:
    (original, new = values + metadata, metadata). Mask: N ones then M - N zeros down K, every column alike.
    ellpack_block: K_c x N values, metadata K_c x N x ceil(log2 M) / 32; csr (rows = K): nnz indices + K + 1
    pointers, new = 2 nnz + K + 1; csc (columns = N): nnz + N + 1, new = 2 nnz + N + 1.
    Example: K 16, N 12, 2:4, ellpack_block: 192, 96 + 6 = 102, 6."""
    kc = k // nm[1] * nm[0] + min(k % nm[1], nm[0])
    nnz = kc * n
    if rep == "ellpack_block":
        meta = nnz * math.ceil(math.log2(nm[1])) / 32
        return float(k * n), nnz + meta, meta
    ptr = (k if rep == "csr" else n) + 1
    return float(k * n), float(2 * nnz + ptr), float(nnz + ptr)
