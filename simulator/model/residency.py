"""Network-level memory planning: which activations stay on chip between the layers that produce and read them.

Without planning (``memory.activations: dram``, SCALE-Sim's convention and every SCALE-Sim ``.cfg``) each layer
reads its inputs from DRAM and writes its output back. With ``on_chip`` (the default for vitsim YAMLs: TPU v1
keeps activations in its 24 MiB Unified Buffer) a layer's output stays in the activation buffer (the ifmap
buffer) for its consumers when it fits there together with every other tensor kept alive at the same time.

Tensors and their consumers (``edges``; the workload is a list of layers, its graph implicit in their order):
  T_i = the output of layer i, ``elements * out_bits / 8`` bytes rounded up (m * n * repeat elements);
  layer i reads T_{i-1} as its main input (ifmap; layer 0 reads the network input from DRAM);
  a second activation operand: a matmul without weights (``weight_operand`` False: q@k^T, attn@v) reads the
  output of the last earlier GEMM with weights (the qkv projection: K and V); a two-input vector op (``add``)
  reads the output of the last earlier ``add`` (the residual stream; none before it: a parameter in DRAM,
  e.g. the position embedding); the outlier part of a split GEMM (``<name>.outliers``, K = its outlier
  channels) reads the input of the main part before it. A tensor lives from its producer to its last consumer; one nobody reads
  (the network's output) goes to DRAM.
Plan (``plan_residency``), greedy in production order: T_j stays on chip iff, at every layer of its lifetime
[j, last consumer], the bytes already kept there plus T_j fit the capacity C (the ifmap buffer):
    max_{j <= i <= last(j)} occupied(i) + bytes(T_j) <= C;   then occupied(i) += bytes(T_j) on that span.
What a layer sees (``Placement``): ifmap / filter (second activation) on chip when their producer's tensor is
kept, ofmap kept; the GEMM kernel's ifmap buffer is what the kept tensors leave of it,
    C - (occupied(i) - bytes of its own kept ifmap),
and the kernel moves no DRAM bits for the kept operands (kernel.ON_* bits). On-chip bytes of a layer
(``onchip_activation_bytes``) = the compulsory DRAM bytes of its kept operands (what the dram policy moves).

Each layer that reads its ifmap from DRAM keeps a GEMM workspace there: min(C, its ifmap bytes), reserved at
every step a candidate spans (0 once that ifmap is itself kept): a kept tensor never leaves a layer less than
its whole input (when that fits C at all), so the kernel fetches that input as it would with the whole buffer.

Worked examples (tests/simulator/test_residency.py): two chained GEMMs, 64 x 64 x 64 INT8, every tensor 4,096 B.
With C = 16 KiB, T_0 at layer 0 needs 4,096 + 4,096 (layer 0's input workspace) = 8,192 <= 16,384 and at layer 1
4,096 (it is layer 1's input): kept, the network moves 2 x 4,096 B less. With C = 7 KiB, 8,192 > 7,168: T_0
spills, and the result equals the dram policy's cycle for cycle. A residual (add -> layernorm -> GEMM -> add,
2,048 B tensors): at 6 KiB every tensor stays, at 5 KiB the GEMM's output spills, at 3 KiB the residual too.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.model.attention import ONLINE
from simulator.model.counts import access
from simulator.model.kernel_defs import ON_FILTER, ON_IFMAP, ON_OFMAP
from simulator.model.traffic import compulsory_dram_bytes


@dataclass(frozen=True)
class Placement:
    """Where one layer's operands are: on chip (True) or in DRAM; ``other_bytes``: what kept tensors take of
    the ifmap buffer while the layer runs, besides its own kept ifmap (0 when unused)."""

    ifmap: bool = False
    filter: bool = False
    ofmap: bool = False
    other_bytes: int = 0

    @property
    def onchip_bits(self) -> int:
        """kernel.ON_* bits of the kept operands."""
        return (ON_IFMAP if self.ifmap else 0) | (ON_FILTER if self.filter else 0) | (ON_OFMAP if self.ofmap else 0)


DRAM = Placement()
_OBUF_OFMAP_RD, _IBUF_OFMAP_WR = access("ofmap", "obuf", "rd"), access("ofmap", "ibuf", "wr")
_IBUF_FILTER_RD, _WBUF_FILTER_WR = access("filter", "ibuf", "rd"), access("filter", "wbuf", "wr")


def activation_capacity(hw) -> int | None:
    """The activation buffer's bytes under ``memory.activations: on_chip`` (the ifmap buffer), None under dram."""
    return hw.buffers.bytes[0] if hw.memory.activations == "on_chip" else None


def tensor_bytes(layer) -> int:
    """Bytes of a layer's output: ceil(m * n * repeat * out_bits / 8)."""
    return -(-layer.m * layer.n * layer.repeat * layer.out_bits // 8)


def edges(layers) -> list[tuple[int, int]]:
    """Per layer (producer of its main input, producer of its second activation input); -1: from DRAM."""
    out = []
    last_weight_gemm = -1
    last_add = -1
    for i, layer in enumerate(layers):
        second = -1
        if layer.is_gemm and not layer.weight_operand:
            second = last_weight_gemm
        elif layer.op == "add":
            second = last_add
        main = i - 1
        if i > 1 and layers[i - 1].name.endswith(ONLINE):
            main = i - 2           # an online-softmax rescale layer (attention.py) is not a producer
        if i > 0 and layer.is_gemm and 0 < getattr(layer, "outlier_channels", 0) == layer.k:
            main = out[i - 1][0]   # the outlier part of a split GEMM (simulator/quant.py) reads its main part's input
        out.append((main, second))
        if layer.is_gemm and layer.weight_operand:
            last_weight_gemm = i
        elif layer.op == "add":
            last_add = i
    return out


def plan_residency(layers, capacity_bytes: int, streamed: set = frozenset()) -> list[Placement]:
    """Each layer's Placement under the on-chip policy with an activation buffer of ``capacity_bytes`` (module
    docstring: greedy in production order, each layer's GEMM workspace reserved). ``streamed``: layers of fused
    attention chains whose outputs stay on chip as tiles outside the activation buffer (simulator/model/attention.py;
    an online-rescale layer also reads its input there)."""
    n = len(layers)
    e = edges(layers)
    last = [-1] * n
    for i, (a, b) in enumerate(e):
        for j in (a, b):
            if j >= 0:
                last[j] = max(last[j], i)
    size = [tensor_bytes(layer) for layer in layers]
    need = [min(capacity_bytes, ifmap_bytes(layer)) if layer.is_gemm else 0 for layer in layers]
    occupied = [0] * n
    kept = [False] * n
    for j in range(n):
        if j in streamed:
            kept[j] = True
            continue
        if last[j] < 0:
            continue
        fits = True
        for i in range(j, last[j] + 1):
            a = e[i][0]
            workspace = 0 if a >= 0 and (kept[a] or a == j) else need[i]
            if occupied[i] + size[j] + workspace > capacity_bytes:
                fits = False
                break
        if fits:
            kept[j] = True
            for i in range(j, last[j] + 1):
                occupied[i] += size[j]
    out = []
    for i, layer in enumerate(layers):
        a, b = e[i]
        on_if = a >= 0 and kept[a] or (i in streamed and layer.name.endswith(ONLINE))
        on_fi = b >= 0 and kept[b]
        out.append(Placement(on_if, on_fi, kept[i], occupied[i] if layer.is_gemm and not on_if else 0))
    return out


def skip_of(placement: Placement) -> frozenset:
    """The operands a placement keeps on chip, as ``traffic.compulsory_dram_bytes``'s ``skip`` names them."""
    return frozenset(name for name, kept in (("ifmap", placement.ifmap), ("filter", placement.filter),
                                             ("ofmap", placement.ofmap)) if kept)


def ifmap_bytes(layer) -> int:
    """Bytes of a GEMM's ifmap: ceil(m * k * repeat * a_bits / 8)."""
    return -(-layer.m * layer.k * layer.repeat * layer.a_bits // 8)


def onchip_bytes(compulsory: dict, placement: Placement, n_inputs: int = 1) -> float:
    """DRAM bytes a layer does not move because operands are on chip: of ``compulsory`` (traffic.py's
    {ifmap, filter, ofmap}), the kept ifmap (for a two-input vector op, each kept input is half its ifmap
    bytes), the kept second activation (a GEMM's filter; a vector op's second input) and the kept ofmap."""
    per_input = compulsory["ifmap"] / n_inputs
    saved = per_input if placement.ifmap else 0.0
    if placement.filter:
        saved += per_input if n_inputs > 1 else compulsory["filter"]
    if placement.ofmap:
        saved += compulsory["ofmap"]
    return saved


def vector_dram_bytes(io_bytes: dict, placement: Placement, n_inputs: int) -> tuple:
    """(DRAM read, DRAM write, on-chip bytes) of a vector op with compulsory bytes ``io_bytes``: each kept input
    (the main one; the second of a two-input op) reads ifmap / n_inputs bytes less, a kept output writes none."""
    kept_in = (1 if placement.ifmap else 0) + (1 if placement.filter and n_inputs > 1 else 0)
    read = io_bytes["ifmap"] - io_bytes["ifmap"] / n_inputs * kept_in if kept_in else io_bytes["ifmap"]
    write = 0.0 if placement.ofmap else io_bytes["ofmap"]
    return read, write, onchip_bytes(io_bytes, placement, n_inputs)


def onchip_moves(acc: list, layer, placement: Placement) -> float:
    """Into a GEMM's access table ``acc`` (simulator/model/counts.py) the buffer accesses of its on-chip moves, and
    its on-chip bytes (returned). A kept output goes from the ofmap buffer to the activation (ifmap) buffer instead
    of DRAM (read there, written here); a kept second activation (K, V) is copied from the activation buffer into
    the weight buffer instead of from DRAM. A kept ifmap is read where it already is (the array-side reads are
    counted by the kernel)."""
    if placement is DRAM:
        return 0.0
    comp = compulsory_dram_bytes(layer)
    out = comp["ofmap"] if placement.ofmap else 0.0
    fil = comp["filter"] if placement.filter else 0.0
    acc[_OBUF_OFMAP_RD] = acc[_OBUF_OFMAP_RD] + out
    acc[_IBUF_OFMAP_WR] = acc[_IBUF_OFMAP_WR] + out
    acc[_IBUF_FILTER_RD] = acc[_IBUF_FILTER_RD] + fil
    acc[_WBUF_FILTER_WR] = acc[_WBUF_FILTER_WR] + fil
    return onchip_bytes(comp, placement)


def describe(flag: bool) -> str:
    """'on_chip' or 'dram' (the ``*_source`` / ``ofmap_dest`` columns)."""
    return "on_chip" if flag else "dram"
