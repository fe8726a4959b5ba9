"""Convolution input tiles: a conv layer with geometry (workloads/conv.py) held as raw input rows, not im2col.

Plain Python compiled with the GEMM kernel (``kernel.JIT_MODULES``). Per group (one GEMM copy; groups = repeat),
on an input of H x W pixels x C channels (C = channels per group), filter Fh x Fw, stride s, padding p, output
Ho x Wo, ``images`` images, N filters of K = Fh * Fw * C weights:

  rows read by output rows [lo, hi) (``window_rows``): the distinct input rows of their windows inside [0, H):
      s < Fh (windows overlap): min(H, (hi - 1) s - p + Fh) - max(0, lo s - p)   (th = hi - lo output rows need
      (th - 1) s + Fh rows: the halo is Fh - s rows on each side of a tile);
      s >= Fh (no overlap): the sum over the output rows of their clipped windows;
  columns: ``window_rows(0, Wo, s, Fw, p, W)`` (whole rows are fetched), row bits = columns * C * a_bits;
  input bits of the whole layer I0 = images * window_rows(0, Ho) * row bits (the compulsory input);
  a tile is th output rows of one image; its input bits = window_rows(tile) * row bits; tiles are NOT
      sliding-window buffered: each tile fetches its own halo rows (two tiles of one image add exactly the
      Fh - s rows they share);
  tile size: the largest th whose largest tile fits half the ifmap buffer (double buffering; th = 1 when not
      even one fits: a row then streams through in channel slices, same bytes); ``tiles_bits(th)`` =
      images * sum over tiles of their input bits (>= I0, = I0 at th = Ho); n_tiles = images * ceil(Ho / th),
      or, when a whole image fits (th = Ho), ceil(images / floor(ifmap_bits / 2 / image bits)): a tile of
      whole images;
  filters F = K * N * w_bits; they fit the weight buffer whole (one filter group), or in groups of
      nf = max(1, floor(weight_bits / 2 / (K * w_bits))) filters: n_fg = ceil(N / nf);
  loop orders (the one moving fewer bits runs; ties: filter groups outer):
      filter groups outer, input tiles inner: input = I0 if I0 fits the ifmap buffer, else n_fg * tiles_bits;
          filters = F;
      input tiles outer, filter groups inner: input = I0 if it fits, else tiles_bits; filters = F if n_fg = 1,
          else n_tiles * F.
The largest fitting tile is the least-traffic one (fewer halo rows and fewer tiles); the brute-force loop nest of
tests/reference/conv_loopnest.py checks every th and both orders.
"""

from __future__ import annotations

from simulator.model.grouped_kernel import filter_bits
from simulator.model.kernel_defs import (
    CLOSED_FORM_BITS,
    COMPUTE,
    CONV_FILTER_GROUPS,
    CONV_FILTERS_OUTER,
    CONV_TILE_ROWS,
    CONV_TILES,
    DRAM_FILTER,
    DRAM_IFMAP,
    DRAM_OFMAP,
    DRAM_WRITE,
    ON_FILTER,
    ON_IFMAP,
    P_ABITS,
    P_BPC,
    P_COLS,
    P_CV_C,
    P_CV_H,
    P_CV_HO,
    P_CV_IMAGES,
    P_CV_KH,
    P_CV_KW,
    P_CV_P,
    P_CV_S,
    P_CV_W,
    P_CV_WO,
    P_DEPTH_I,
    P_DEPTH_W,
    P_IFMAP_B,
    P_K,
    P_LAT,
    P_N,
    P_REPEAT,
    P_WEIGHT_B,
    PREFETCH,
    STALL,
    STALL_FILTER,
    STALL_IFMAP,
)


def window_rows(lo, hi, s, kk, p, size):
    """Distinct input rows (of ``size``) read by output rows [lo, hi) of a kk-tall filter, stride s, padding p."""
    if hi <= lo:
        return 0
    if s < kk:
        a = max(0, lo * s - p)
        b = min(size, (hi - 1) * s - p + kk)
        return max(0, b - a)
    n = 0
    for o in range(lo, hi):
        a = max(0, o * s - p)
        b = min(size, o * s - p + kk)
        n += max(0, b - a)
    return n


def tiles_rows(th, ho, s, kh, p, h):
    """(sum over the tiles of th output rows of one image of their input rows, the largest tile's rows)."""
    total = 0
    most = 0
    lo = 0
    while lo < ho:
        hi = min(ho, lo + th)
        r = window_rows(lo, hi, s, kh, p, h)
        total += r
        most = max(most, r)
        lo = hi
    return total, most


def input_bits(h, w, c, kh, kw, s, p, ho, wo, images, a_bits):
    """I0: the bits of every input element a conv reads, once (the compulsory input of one group)."""
    return float(images * window_rows(0, ho, s, kh, p, h)) * window_rows(0, wo, s, kw, p, w) * c * a_bits


def conv_plan(h, w, c, kh, kw, s, p, ho, wo, images, n, k, a_bits, w_bits, ib_bits, wb_bits, cols):
    """Tile rows, tiles, filter groups, filters outer (1.0/0.0), input bits, filter bits and the bits the array
    waits for before it starts (the first tile and the filters of its first column fold, min(nf, cols) filters), of
    one group (module docstring)."""
    row_bits = float(window_rows(0, wo, s, kw, p, w)) * c * a_bits
    whole = input_bits(h, w, c, kh, kw, s, p, ho, wo, images, a_bits)
    th = ho
    total, most = tiles_rows(th, ho, s, kh, p, h)
    while th > 1 and most * row_bits > ib_bits / 2:
        th -= 1
        total, most = tiles_rows(th, ho, s, kh, p, h)
    n_tiles = images * ((ho + th - 1) // th)
    tiles = images * total * row_bits
    if th == ho and images > 1:  # whole images fit: a tile is as many whole images as fit half the buffer
        per = images if most * row_bits <= 0.0 else max(1, int(ib_bits / 2 // (most * row_bits)))
        n_tiles = (images + per - 1) // per
    fbits = float(k) * n * w_bits
    nf = n
    if fbits > wb_bits:
        nf = max(1, int(wb_bits / 2 // (float(k) * w_bits)))
        nf = min(nf, n)
    n_fg = (n + nf - 1) // nf
    resident = whole <= ib_bits
    in_a = whole if resident else n_fg * tiles
    in_b = whole if resident else tiles
    f_b = fbits if n_fg == 1 else n_tiles * fbits
    filters_outer = in_a + fbits <= in_b + f_b
    first = window_rows(0, th, s, kh, p, h) * row_bits + float(k) * min(nf, cols) * w_bits
    if filters_outer:
        return th, n_tiles, n_fg, 1.0, in_a, fbits, first
    return th, n_tiles, n_fg, 0.0, in_b, f_b, first


def conv_inputs(prm, onchip, out):
    """A conv with geometry (``prm[P_CV_H]`` > 0; else only the CONV_* outputs, zeroed): the array side (``out``, run with input and filters on chip) keeps its cycles, SRAM
    counts and output-side traffic; the input and filters come from DRAM as ``convtile.conv_plan`` says (0 bits
    for an operand the memory plan keeps on chip), in tiles behind the array (tiles sized to half their buffer:
    double-buffered, unless ``buffers.ifmap_depth`` / ``weight_depth`` states 1):
      first = the first input tile and the filters of the first column fold, fetched before the array starts:
      prefetch += latency + first / B (the initial fill, not a stall: as the fold walk's S_0);
      rest = input + filters - first [B]; serial = min(rest, bytes of the single-buffered operands) [B]
      (their next tile waits for the current one: their DRAM time adds to compute);
      busy = (rest - serial + ofmap reads + writes) / B, the channel's time beside the array;
      stall += serial / B + max(0, busy - (compute + output-side stall)), split between ifmap and filter by
      bytes.
    Input and filter bits per copy (group), times ``repeat``; the first copy's fill only."""
    if prm[P_CV_H] <= 0.0:   # no geometry: the im2col GEMM as the kernel ran it
        out[CONV_TILE_ROWS] = 0.0
        out[CONV_TILES] = 0.0
        out[CONV_FILTER_GROUPS] = 0.0
        out[CONV_FILTERS_OUTER] = 0.0
        return
    a_bits = prm[P_ABITS] if (onchip & ON_IFMAP) == 0 else 0.0
    w_bits = filter_bits(prm) if (onchip & ON_FILTER) == 0 else 0.0
    th, tiles, n_fg, f_outer, in_bits, f_bits, first = conv_plan(
        int(prm[P_CV_H]), int(prm[P_CV_W]), int(prm[P_CV_C]), int(prm[P_CV_KH]), int(prm[P_CV_KW]),
        int(prm[P_CV_S]), int(prm[P_CV_P]), int(prm[P_CV_HO]), int(prm[P_CV_WO]), int(prm[P_CV_IMAGES]),
        int(prm[P_N]), int(prm[P_K]), a_bits, w_bits, prm[P_IFMAP_B] * 8.0, prm[P_WEIGHT_B] * 8.0, int(prm[P_COLS]))
    repeat = prm[P_REPEAT]
    bpc = prm[P_BPC]
    di = in_bits * repeat / 8
    dfl = f_bits * repeat / 8
    lead = 0.0
    if first > 0.0:
        lead = prm[P_LAT] + first / 8 / bpc
    single = (di if int(prm[P_DEPTH_I]) == 1 else 0.0) + (dfl if int(prm[P_DEPTH_W]) == 1 else 0.0)
    if single > 0.0:
        rest = di + dfl - first / 8
        serial = min(rest, single)
        busy = (rest - serial + out[DRAM_OFMAP] + out[DRAM_WRITE]) / bpc
        extra = serial / bpc + max(0.0, busy - (out[COMPUTE] + out[STALL]))
    else:
        busy = (di + dfl - first / 8 + out[DRAM_OFMAP] + out[DRAM_WRITE]) / bpc
        extra = max(0.0, busy - (out[COMPUTE] + out[STALL]))
    if di + dfl > 0.0:
        out[STALL_IFMAP] += extra * di / (di + dfl)
        out[STALL_FILTER] += extra * dfl / (di + dfl)
    out[STALL] += extra
    out[PREFETCH] += lead
    out[DRAM_IFMAP] = di
    out[DRAM_FILTER] = dfl
    out[CLOSED_FORM_BITS] += (in_bits + f_bits) * repeat
    out[CONV_TILE_ROWS] = th
    out[CONV_TILES] = tiles * repeat
    out[CONV_FILTER_GROUPS] = n_fg
    out[CONV_FILTERS_OUTER] = f_outer
