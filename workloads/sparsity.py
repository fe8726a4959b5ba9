"""Weight and activation sparsity of a layer: what is pruned and how it is stored (no hardware here).

Layer fields (workloads/model.py), set per layer by recipe glob (workloads/quantize.py) or measured by the tracer
(workloads/trace/sparsity.py):
  w_sparsity  ``dense`` | ``N:M`` (structured: at most N non-zeros in every group of M consecutive weights along
              the reduction dimension K, e.g. ``2:4``, ``1:4``, ``4:8``) | ``block:B`` (B x B blocks of the K x N
              filter kept or pruned whole) | ``unstructured`` (any pattern).
  w_density   fraction of weights kept, in (0, 1]. N:M fixes it at N/M; dense at 1.
  w_format    storage of the kept weights of ``block:B`` / ``unstructured`` layers: ``bitmask`` | ``csr`` | ``csc``
              | ``rle`` (``rle:<run bits>``, plain ``rle`` = ``rle:5``). N:M layers store ``log2(M)``-bit indices
              (the format is fixed by the pattern). Bits per format: simulator/model/sparsity.py::metadata_bits.
  a_density   fraction of non-zero activations at the layer's input, in (0, 1] (post-ReLU/GELU zeros; declared or
              traced), used by activation zero-skipping hardware.
  w_col_nnz   measured non-zeros of each filter column (output channel), in order, when traced from a real mask:
              the load imbalance then comes from the mask, not from the binomial model.
"""

from __future__ import annotations

from workloads.errors import InputError, WorkloadError

DENSE = "dense"
UNSTRUCTURED = "unstructured"
FORMATS = ("bitmask", "csr", "csc", "rle")
RLE_DEFAULT_RUN_BITS = 5   # Eyeriss' run-length code: 5-bit runs (Chen et al., JSSC 2017, Sec. V-B)
SPARSITY_FIELDS = ("w_sparsity", "w_density", "w_format", "a_density")


def nm_pattern(w_sparsity: str) -> tuple[int, int] | None:
    """(N, M) of an ``N:M`` pattern, else None: ``nm_pattern('2:4') == (2, 4)``."""
    if ":" not in w_sparsity or w_sparsity.startswith("block:"):
        return None
    n, m = w_sparsity.split(":", 1)
    return int(n), int(m)


def block_size(w_sparsity: str) -> int:
    """B of ``block:B``, else 0."""
    return int(w_sparsity[6:]) if w_sparsity.startswith("block:") else 0


def rle_run_bits(w_format: str) -> int:
    """Run-length bits of ``rle:<bits>`` (plain ``rle``: RLE_DEFAULT_RUN_BITS)."""
    return int(w_format[4:]) if w_format.startswith("rle:") else RLE_DEFAULT_RUN_BITS


def check_sparsity(source: str, where: str, w_sparsity, w_density, w_format, a_density) -> tuple:
    """Validate the sparsity fields; returns them normalized (N:M density = N/M, dense density = 1).
    Errors name ``source``, ``where.<field>``, the value and what is allowed."""
    allowed = "dense, N:M (1 <= N < M <= 32, e.g. 2:4), block:<B>, unstructured"
    if not isinstance(w_sparsity, str):
        raise InputError(source, f"{where}.w_sparsity", f"unknown pattern {w_sparsity!r}", allowed)
    for f, v in (("w_density", w_density), ("a_density", a_density)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            raise InputError(source, f"{where}.{f}", f"{v!r} is not a fraction", "a number in (0, 1]")
    w_density, a_density = float(w_density), float(a_density)
    if w_sparsity == DENSE:
        if w_density != 1.0:
            raise InputError(source, f"{where}.w_density", f"{w_density} with w_sparsity dense",
                             "1, or set w_sparsity to unstructured, block:<B> or N:M")
    elif w_sparsity == UNSTRUCTURED:
        pass
    elif w_sparsity.startswith("block:"):
        b = w_sparsity[6:]
        if not b.isdigit() or int(b) < 1:
            raise InputError(source, f"{where}.w_sparsity", f"bad block size in {w_sparsity!r}", "block:<B>, B >= 1")
    else:
        parts = w_sparsity.split(":")
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or not 1 <= int(parts[0]) < int(parts[1]) <= 32:
            raise InputError(source, f"{where}.w_sparsity", f"unknown pattern {w_sparsity!r}", allowed)
        n, m = int(parts[0]), int(parts[1])
        if w_density not in (1.0, n / m):
            raise InputError(source, f"{where}.w_density", f"{w_density} contradicts {w_sparsity}",
                             f"{n / m} (N/M) or leave it out")
        w_density = n / m
    fmt_ok = isinstance(w_format, str) and (w_format in FORMATS or (
        w_format.startswith("rle:") and w_format[4:].isdigit() and 1 <= int(w_format[4:]) <= 16))
    if not fmt_ok:
        raise InputError(source, f"{where}.w_format", f"unknown format {w_format!r}",
                         "bitmask, csr, csc, rle, rle:<run bits 1..16>")
    return w_sparsity, w_density, w_format, a_density


def check_layer_sparsity(source: str, where: str, is_gemm: bool, kw: dict) -> None:
    """A layer mapping's sparsity fields, normalized in ``kw``; ``w_col_nnz``: n counts in 0..k (GEMMs only)."""
    sp = check_sparsity(source, where, kw.get("w_sparsity", DENSE), kw.get("w_density", 1.0),
                        kw.get("w_format", "bitmask"), kw.get("a_density", 1.0))
    kw.update(zip(SPARSITY_FIELDS, sp))
    nnz = kw.get("w_col_nnz")
    if nnz is not None:
        if (not isinstance(nnz, (list, tuple)) or not is_gemm or len(nnz) != kw["n"]
                or not all(isinstance(x, int) and 0 <= x <= kw["k"] for x in nnz)):
            raise WorkloadError(source, f"{where}.w_col_nnz", "not a list of n non-zero counts",
                                "n integers in 0..k (one per filter column)")
        kw["w_col_nnz"] = tuple(nnz)


def normalize_sparsity(layer) -> None:
    """In a new (frozen) Layer: N:M fixes w_density at N/M, dense at 1; ``w_col_nnz`` becomes a tuple."""
    nm = nm_pattern(layer.w_sparsity)
    if nm is not None or layer.w_sparsity == DENSE:
        object.__setattr__(layer, "w_density", 1.0 if nm is None else nm[0] / nm[1])
    if layer.w_col_nnz is not None and not isinstance(layer.w_col_nnz, tuple):
        object.__setattr__(layer, "w_col_nnz", tuple(layer.w_col_nnz))


def omit_sparsity_defaults(d: dict) -> None:
    """A layer's dict without the sparsity fields at their defaults (files written before them are unchanged)."""
    for f, default in (("w_sparsity", DENSE), ("w_density", 1.0), ("w_format", "bitmask"), ("a_density", 1.0),
                       ("w_col_nnz", None)):
        if d[f] == default:
            del d[f]
    if d.get("w_col_nnz") is not None:
        d["w_col_nnz"] = list(d["w_col_nnz"])
