"""The cost model. Where each number is counted:

  kernel.py   GEMM mapping (folds, lines, compute cycles), loop order, DRAM/SRAM traffic, the fold walk's
              memory stalls, temporal chunks: plain Python, compiled by jit.py where it pays (with
              foldwalk.py, sramcount.py: array-side SRAM counts, convtile.py: a conv's input tiles, halo,
              filter groups and loop order)
  layer.py    one layer's counts: PPU and vector cycles, bytes per buffer and operand, primitive ops, and
              ``compose_stalls``: the only place stall_cycles and total_cycles are composed
  price.py    counts -> energy: the only place a pJ is multiplied
  network.py  distinct-layer plan, one design's per-layer results and the network totals
  batch.py    many designs as columns -> totals as arrays, bit-identical to network.py
  bound.py    many designs -> a proven floor on cycles and energy, exact area and peaks (screening, closed form)
  traffic.py  compulsory DRAM bytes and the array's SRAM traffic, shared with the roofline
  memo.py     values cached per live object (plans, setups, compulsory bytes)
Leaf formulas elsewhere: simulator/quant.py (scales, PPU), simulator/vector.py (vector-op costs),
simulator/energy.py (technology table, MAC energy), simulator/area.py (area).
"""
