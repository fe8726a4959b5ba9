"""Decomposed non-linear ops in an ONNX graph, found as one vitsim layer each.

- LayerNorm: ``u = ReduceMean(x)``, ``d = Sub(x, u)``, ``v = ReduceMean(Pow(d, 2))`` (or ``Mul(d, d)``),
  ``y = Div(d, Sqrt(Add(v, eps)))``, optionally ``Mul(y, gamma)`` and ``Add(., beta)`` with constant gamma/beta:
  one ``layernorm`` over x's reduced axes (what the torch exporter writes for LayerNorm before opset 17).
- GELU (erf form): ``e = Erf(Div(x, sqrt 2))`` (or ``Mul(x, 1/sqrt 2)``), ``Add(e, 1)``, then ``Mul`` by x and by
  0.5 in either order: one ``gelu`` on x's shape. The tanh approximation stays as its elementwise ops.
``find_patterns(graph, const)`` returns {index of the first node: (op, input tensor, output tensor)} and the set of
absorbed node indices; ``const`` is the set of constant tensor names.
"""

from __future__ import annotations

from workloads.onnx_import.graph import Graph


def _consumers(nodes) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for t in n.input:
            if t:
                out.setdefault(t, []).append(i)
    return out


def find_patterns(graph: Graph, const: set) -> tuple[dict, set]:
    nodes = graph.nodes
    users = _consumers(nodes)
    producer = {t: i for i, n in enumerate(nodes) for t in n.output}
    fused: dict[int, tuple[str, str, str]] = {}
    absorbed: set[int] = set()

    def only(t: str, op: str) -> int | None:
        """The one consumer of ``t`` if it is an ``op`` node."""
        u = users.get(t, [])
        return u[0] if len(u) == 1 and nodes[u[0]].op_type == op else None

    def other(i: int, t: str) -> str | None:
        ins = [x for x in nodes[i].input if x]
        return next((x for x in ins if x != t), None) if len(ins) == 2 else None

    for i, n in enumerate(nodes):
        if i in absorbed:
            continue
        if n.op_type == "ReduceMean" and n.input[0] not in const:
            chain = _layernorm(nodes, users, n, i, only, other, const)
            if chain:
                fused[i] = ("layernorm", n.input[0], nodes[chain[-1]].output[0])
                absorbed.update(chain[1:])
        elif n.op_type == "Erf" and n.input[0] not in const:
            chain = _gelu(nodes, producer, n, i, only, other, const, users)
            if chain:
                first = min(chain)
                fused[first] = ("gelu", nodes[first].input[0], nodes[chain[-1]].output[0])
                absorbed.update(c for c in chain if c != first)
    return fused, absorbed


def _layernorm(nodes, users, n, i, only, other, const) -> list[int] | None:
    x = n.input[0]
    subs = [j for j in users.get(n.output[0], []) if nodes[j].op_type == "Sub" and list(nodes[j].input) == [x, n.output[0]]]
    if len(subs) != 1:
        return None
    s = subs[0]
    d = nodes[s].output[0]
    sq = [j for j in users.get(d, []) if nodes[j].op_type == "Pow" and nodes[j].input[1] in const
          or nodes[j].op_type == "Mul" and list(nodes[j].input) == [d, d]]
    div = [j for j in users.get(d, []) if nodes[j].op_type == "Div" and nodes[j].input[0] == d]
    if len(sq) != 1 or len(div) != 1:
        return None
    r2 = only(nodes[sq[0]].output[0], "ReduceMean")
    a = only(nodes[r2].output[0], "Add") if r2 is not None else None
    if a is None or other(a, nodes[r2].output[0]) not in const:
        return None
    q = only(nodes[a].output[0], "Sqrt")
    if q is None or nodes[div[0]].input[1] != nodes[q].output[0]:
        return None
    chain = [i, s, sq[0], r2, a, q, div[0]]
    last = div[0]
    for op in ("Mul", "Add"):   # the affine part: gamma, then beta
        j = only(nodes[last].output[0], op)
        if j is None or other(j, nodes[last].output[0]) not in const:
            break
        chain.append(j)
        last = j
    return chain


def _gelu(nodes, producer, n, i, only, other, const, users) -> list[int] | None:
    p = producer.get(n.input[0])
    if p is None or nodes[p].op_type not in ("Div", "Mul") or nodes[p].input[1] not in const:
        return None
    x = nodes[p].input[0]
    a = only(n.output[0], "Add")
    if a is None or other(a, n.output[0]) not in const:
        return None
    m1 = only(nodes[a].output[0], "Mul")
    if m1 is None:
        return None
    chain = [p, i, a, m1]
    o = other(m1, nodes[a].output[0])
    if o == x:                     # x * (1 + erf), then * 0.5
        m2 = only(nodes[m1].output[0], "Mul")
        if m2 is not None and other(m2, nodes[m1].output[0]) in const:
            chain.append(m2)
        return chain
    h = producer.get(o)            # (x * 0.5) * (1 + erf)
    if h is not None and nodes[h].op_type == "Mul" and x in nodes[h].input and other(h, x) in const \
            and len(users.get(nodes[h].output[0], [])) == 1:
        return [h, *chain] if h < p else [*chain[:1], h, *chain[1:]]
    return None
