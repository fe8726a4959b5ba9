"""The cost model. Where each number is counted:

  kernel.py   GEMM mapping (folds, lines, compute cycles), loop order, DRAM/SRAM traffic, the fold walk's
              memory stalls, temporal chunks: plain Python, compiled by jit.py where it pays (with
              foldwalk.py, sramcount.py: array-side SRAM counts, convtile.py: a conv's input tiles, halo,
              filter groups and loop order, grouped_kernel.py: a packed grouped conv's filter bits and scaling,
              tchunk.py: the candidate sizes a streamed dimension is split at)
  grouped.py  grouped and depthwise convs packed onto the array: groups per fold (``packing``)
  counts.py   ``Counts``: a layer's cycles by cause, accesses (operand x level x direction), ops, MACs; adds and
              scales (``weighted_sum``)
  layer.py    one layer's Counts: PPU and vector cycles, bytes per buffer and operand, primitive ops, and
              ``compose_stalls``: the only place stall_cycles and total_cycles are composed
  design.py   the hardware split once: structure, numbers (``Design``), prices (``Prices``)
  price.py    counts -> ``Energy``: the only place a pJ is multiplied
  views.py    the declared views of simulator/schema.py compiled into one function per table
  pipeline.py the one pipeline (plan -> counts -> schedule -> price -> views) for one design or a batch
  network.py  distinct-layer plan, the schedule's contexts, the cached one-design kernel call
  batch.py    many designs as columns -> totals as arrays through pipeline.py, bit-identical to simulate
  bound.py    many designs -> a proven floor on cycles and energy, exact area and peaks (screening, closed form)
  traffic.py  compulsory DRAM bytes and the array's SRAM traffic, shared with the roofline
  memo.py     values cached per live object (plans, setups, compulsory bytes)
Leaf formulas elsewhere: simulator/quant.py (scales, PPU), simulator/vector.py (vector-op costs),
simulator/energy.py (technology table, MAC energy), simulator/area.py (area), simulator/tech/dram.py (DRAM bytes
per cycle: the achievable fraction of the rated bandwidth).
"""
