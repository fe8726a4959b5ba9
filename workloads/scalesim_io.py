"""SCALE-Sim topology CSV files in and out.

SCALE-Sim (3.0) topologies have one header line, then one layer per line, each ending with a
comma (its parser drops the last field, so a row without the trailing comma loses a value there;
vitsim accepts both). Two kinds of rows, told apart by their number of fields:

- GEMM: ``Layer, M, N, K,`` -> ifmap M x K, filter K x N, ofmap M x N (op ``gemm``);
- convolution: ``Layer, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels,
  Num Filter, Strides,`` (no padding) -> a GEMM with M = output pixels oh*ow, N = filters,
  K = Fh*Fw*C (op ``conv``), the output grid as SCALE-Sim 3.0 computes it (``topology_utils``):
  oh = ceil((H - Fh + S) / S), ow = ceil((W - Fw + S) / S). Where S does not divide H - Fh this is one
  more than floor((H - Fh) / S) + 1 (SCALE-Sim counts a last, partial window): 112x112, 3x3, stride 2
  -> 56 x 56 = 3136 pixels, not 55 x 55. A name containing ``DP`` is depthwise and becomes, as in
  SCALE-Sim, C separate single-channel layers ``<name>Channel_<c>`` (K = Fh*Fw, N = filters), so
  each has its own fold sequence and compute cycles folds * lines - 1, SCALE-Sim's per-layer count
  (one layer with ``repeat`` = C would be C - 1 cycles longer: its copies run back to back).

An optional last field ``N:M`` is SCALE-Sim's sparsity ratio: the layer's ``w_sparsity`` (``N:N`` is dense;
docs/sparsity.md; older versions refused anything but ``1:1``). A SCALE-Sim word is one byte: every layer is 8-bit (w8a8, 8-bit
output). Writing: GEMM-like layers as ``name, M, N, K,`` rows; a layer with ``repeat`` r > 1
becomes r rows (``name#0`` ...), SCALE-Sim having no repeat; vector ops are left out.
"""

from __future__ import annotations

import io
from pathlib import Path

from workloads.errors import WorkloadError, _short
from workloads.limits import LIMITS
from workloads.model import Layer, Workload, check_size

GEMM_FIELDS = ("Layer", "M", "N", "K")
CONV_FIELDS = ("Layer", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels", "Num Filter",
               "Strides")


def _int(src: str, where: str, text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise WorkloadError(src, where, f"expected a positive integer, got {_short(text)}") from None
    if v < 1:
        raise WorkloadError(src, where, f"{v} is below 1", "integers >= 1")
    return v


def scalesim_out_dim(size: int, filt: int, stride: int) -> int:
    """SCALE-Sim's output size ceil((size - filt + stride) / stride), in integers: 112, 3, 2 -> 56."""
    return -(-(size - filt + stride) // stride)


def _rows(text: str):
    """(line number, stripped line) of every non-blank, non-comment line, read lazily (no list of the file)."""
    for i, ln in enumerate(io.StringIO(text), 1):
        ln = ln.strip()
        if ln and not ln.startswith("#"):
            yield i, ln


def parse_topology(text: str, src: str = "<topology>") -> list[Layer]:
    """Layers of a SCALE-Sim topology (module docstring); every problem is one ``WorkloadError`` line. At most
    ``limits.layers`` layers (a depthwise row counts once per channel), refused before they are built."""
    from workloads.limits import limit

    cap = limit("layers")
    rows = _rows(text)
    if next(rows, None) is None:  # the first line is the header, as in SCALE-Sim
        raise WorkloadError(src, "file", "empty topology", "a header line, then GEMM or convolution rows")
    layers = []
    for lineno, ln in rows:
        fields = [f.strip() for f in ln.split(",")]
        if fields and fields[-1] == "":
            fields.pop()  # the trailing comma
        pattern = "dense"
        if fields and ":" in fields[-1]:
            pattern = _nm(src, lineno, fields.pop())
        if len(fields) == len(GEMM_FIELDS):
            kind = GEMM_FIELDS
        elif len(fields) == len(CONV_FIELDS):
            kind = CONV_FIELDS
        else:
            raise WorkloadError(src, f"line {lineno}", f"{len(fields)} fields",
                                "GEMM rows 'Layer, M, N, K,' or convolution rows '" + ", ".join(CONV_FIELDS) + ",'")
        name = fields[0]
        if not name:
            raise WorkloadError(src, f"line {lineno} Layer", "empty layer name")
        v = [_int(src, f"line {lineno} {kind[j]}", fields[j]) for j in range(1, len(kind))]
        if len(layers) + (v[4] if kind is CONV_FIELDS and "DP" in name else 1) > cap:
            raise WorkloadError(src, f"line {lineno}", f"more than {cap:,} layers (a depthwise 'DP' row is one per "
                                "channel)", f"fewer rows, or set {LIMITS['layers'].variable} higher")
        if kind is GEMM_FIELDS:
            check_size(src, f"line {lineno}", v[0], v[1], v[2], 1)
            layers.append(Layer(name, "gemm", v[0], v[1], v[2], w_sparsity=pattern))
            continue
        h, w, fh, fw, c, nf, s = v
        if fh > h or fw > w:
            raise WorkloadError(src, f"line {lineno} Filter Height", f"filter {fh}x{fw} is larger than ifmap {h}x{w}")
        oh, ow = scalesim_out_dim(h, fh, s), scalesim_out_dim(w, fw, s)
        check_size(src, f"line {lineno}", oh * ow, nf, fh * fw * (1 if "DP" in name else c), 1)
        if "DP" in name:
            layers += [Layer(f"{name}Channel_{j}", "conv", oh * ow, nf, fh * fw, w_sparsity=pattern) for j in range(c)]
        else:
            layers.append(Layer(name, "conv", oh * ow, nf, fh * fw * c, w_sparsity=pattern))
    if not layers:
        raise WorkloadError(src, "file", "no layers after the header line")
    return layers


def _nm(src: str, lineno: int, ratio: str) -> str:
    """SCALE-Sim's N:M field -> a layer's ``w_sparsity``: N == M is dense, else ``N:M`` (1 <= N < M <= 32)."""
    parts = ratio.replace(" ", "").split(":")
    ok = len(parts) == 2 and all(p.isdigit() for p in parts) and 1 <= int(parts[0]) <= int(parts[1]) <= 32
    if not ok:
        raise WorkloadError(src, f"line {lineno} sparsity", f"{ratio!r} is not an N:M ratio", "N:M, 1 <= N <= M <= 32")
    return "dense" if parts[0] == parts[1] else f"{int(parts[0])}:{int(parts[1])}"


def read_topology(path: str | Path) -> Workload:
    """A SCALE-Sim topology CSV as a ``Workload`` (8-bit layers, batch 1, named after the file)."""
    from workloads.errors import InputError, retyped
    from workloads.io import read_text

    path = Path(path)
    try:
        text = read_text(path)  # size-capped UTF-8 (workloads/io.py)
    except InputError as e:
        raise retyped(e, WorkloadError) from None
    layers = parse_topology(text, str(path))
    return Workload(model=path.stem, layers=tuple(layers), recipe="none", source=f"scalesim:{path.name}")


def topology_text(workload: Workload) -> str:
    """SCALE-Sim GEMM topology text of ``workload`` (module docstring); a name a spreadsheet would run as a
    formula gets a leading apostrophe (``workloads.csvcells``)."""
    from workloads.csvcells import csv_cell

    rows = ["Layer, M, N, K,"]
    for layer in workload.layers:
        if not layer.is_gemm:
            continue
        names = [layer.name] if layer.repeat == 1 else [f"{layer.name}#{i}" for i in range(layer.repeat)]
        rows += [f"{csv_cell(n)}, {layer.m}, {layer.n}, {layer.k}," for n in names]
    return "\n".join(rows) + "\n"


def write_topology(workload: Workload, path: str | Path) -> Path:
    """Write ``workload``'s GEMM-like layers as a SCALE-Sim topology CSV, atomically."""
    from workloads.io import atomic_write_text

    bad = next((x.name for x in workload.layers if "," in x.name or "\n" in x.name or "\r" in x.name), None)
    if bad is not None:
        raise WorkloadError(str(path), "layers", f"layer name {bad!r} holds a comma or a line break",
                            "names without commas or line breaks (SCALE-Sim's rows are not quoted)")
    if not any(layer.is_gemm for layer in workload.layers):
        raise WorkloadError(workload.name, "layers", "no GEMM-like layers to export", "gemm, matmul, conv layers")
    return atomic_write_text(path, topology_text(workload))
