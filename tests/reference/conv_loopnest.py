"""A brute-force convolution loop nest: the DRAM input and filter bits of every tile size and both loop orders,
counted element by element (an independent check of simulator/model/convtile.py, which uses closed forms).

For one group: every output pixel (image, oy, ox) reads the input pixels (iy, ix) = (oy*s - p + r, ox*s - p + q)
inside the input, r < Fh, q < Fw, each with C channels. A tile of th output rows of one image fetches the set of
input ROWS any of its pixels reads, each row with every COLUMN any output pixel reads (rows are fetched whole);
the layer's compulsory input is the set of (image, row, column) any pixel reads. Buffers and loop orders as
convtile's docstring says; this walks them literally: for each loop order, for each tile and filter group in loop
order, it fetches what is not already resident.
"""

from __future__ import annotations


def _rows(oys, s, p, kh, h):
    return {oy * s - p + r for oy in oys for r in range(kh) if 0 <= oy * s - p + r < h}


def compulsory_bits(h, w, c, kh, kw, s, p, ho, wo, images, a_bits):
    """Bits of the distinct input elements any output pixel reads."""
    cols = _rows(range(wo), s, p, kw, w)
    rows = _rows(range(ho), s, p, kh, h)
    return images * len(rows) * len(cols) * c * a_bits


def loop_nest(th, filters_outer, h, w, c, kh, kw, s, p, ho, wo, images, n, k, a_bits, w_bits, ib_bits, wb_bits):
    """(input bits, filter bits) of one loop nest with tiles of ``th`` output rows (None when a tile does not fit
    half the ifmap buffer and th > 1)."""
    cols = len(_rows(range(wo), s, p, kw, w))
    row_bits = cols * c * a_bits
    tiles = []
    for img in range(images):
        for lo in range(0, ho, th):
            tiles.append((img, _rows(range(lo, min(ho, lo + th)), s, p, kh, h)))
    whole = compulsory_bits(h, w, c, kh, kw, s, p, ho, wo, images, a_bits)
    if th > 1 and max(len(r) for _, r in tiles) * row_bits > ib_bits / 2:
        return None
    if th == ho and images > 1:  # whole images per tile: as many as fit half the buffer
        size = len(tiles[0][1]) * row_bits
        per = images if size == 0 else max(1, int(ib_bits / 2 // size))
        grouped = []
        for j in range(0, images, per):
            grouped.append([t for t in tiles if j <= t[0] < j + per])
        tiles = [(g[0][0], sum(len(r) for _, r in g)) for g in grouped]
    else:
        tiles = [(img, len(r)) for img, r in tiles]
    fbits = k * n * w_bits
    if fbits <= wb_bits:
        groups = [n]
    else:
        nf = min(n, max(1, int(wb_bits / 2 // (k * w_bits))))
        groups = [nf] * (n // nf) + ([n % nf] if n % nf else [])
    resident_in = whole <= ib_bits
    resident_f = len(groups) == 1
    in_bits = 0
    f_bits = 0
    fetched_in = False
    fetched_f = False
    if filters_outer:
        for g in groups:
            f_bits += g * k * w_bits
            if resident_in and fetched_in:
                continue
            for _, rows in tiles:
                in_bits += rows * row_bits
            fetched_in = True
    else:
        for _, rows in tiles:
            in_bits += rows * row_bits
            if resident_f and fetched_f:
                continue
            for g in groups:
                f_bits += g * k * w_bits
            fetched_f = True
    if resident_in:
        in_bits = whole
    return in_bits, f_bits


def best(h, w, c, kh, kw, s, p, ho, wo, images, n, k, a_bits, w_bits, ib_bits, wb_bits):
    """The least input + filter bits over every tile size and both loop orders: (total, input, filter)."""
    out = None
    for th in range(1, ho + 1):
        for outer in (True, False):
            r = loop_nest(th, outer, h, w, c, kh, kw, s, p, ho, wo, images, n, k, a_bits, w_bits, ib_bits, wb_bits)
            if r is not None and (out is None or r[0] + r[1] < out[0]):
                out = (r[0] + r[1], r[0], r[1])
    return out
