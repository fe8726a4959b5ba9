"""The checks of a workload file's top-level fields, once at load (``Workload.from_dict``), and of its sizes.

Unknown top-level keys are refused (``WORKLOAD_KEYS``); ``recipe`` and ``source`` are strings, ``meta`` a
mapping, ``macs`` (informative, recomputed) a non-negative integer; ``batch`` must agree with the layers: it
divides every matmul's ``repeat`` and every other layer's ``m`` (what ``Workload.with_batch`` rescales), so a
file cannot claim batch 10^12 for layers built for one image. Every layer's m * n * max(k, 1) * repeat is at
most 2^53 (``errors.check_size``), wherever the workload comes from.
"""

from __future__ import annotations

from workloads.errors import WorkloadError, check_size, require_int, require_known, require_mapping, require_str

WORKLOAD_KEYS = ("schema_version", "model", "img_size", "batch", "recipe", "source", "meta", "macs", "layers",
                 "accuracy")


def workload_fields(source: str, d: dict, layers: tuple) -> dict:
    """``batch``, ``recipe``, ``source``, ``meta`` of a workload mapping ``d`` whose ``layers`` are built."""
    require_known(source, "", d, WORKLOAD_KEYS)
    batch = require_int(source, "batch", d.get("batch", 1), 1)
    off = next((x for x in layers if (x.repeat if x.op == "matmul" else x.m) % batch), None)
    if off is not None:
        dim = "repeat" if off.op == "matmul" else "m"
        raise WorkloadError(source, "batch", f"{batch} does not divide layers[{off.name}].{dim} = "
                            f"{getattr(off, dim)}: the layers were built for another batch", "1 if unsure")
    if d.get("macs") is not None:
        require_int(source, "macs", d["macs"], 0, 2 ** 63 - 1)
    return {"batch": batch, "recipe": require_str(source, "recipe", d.get("recipe", "none"), empty=False),
            "source": require_str(source, "source", d.get("source", "analytic")),
            "meta": dict(require_mapping(source, "meta", d.get("meta") or {}))}


def check_sizes(workload) -> None:
    """Every layer of ``workload`` within ``errors.check_size`` (named by the model; batch in the hint), and its
    convolution geometry, if any, agreeing with its GEMM (``workloads.conv.mismatch``)."""
    from workloads.conv import CONV_FIELDS, mismatch

    for layer in workload.layers:
        check_size(workload.model, f"layers[{layer.name}]", layer.m, layer.n, layer.k, layer.repeat, workload.batch)
        if layer.conv_in_h:
            bad = mismatch(layer.m, layer.n, layer.k, layer.repeat, {f: getattr(layer, f) for f in CONV_FIELDS})
            if bad:
                raise WorkloadError(workload.model, f"layers[{layer.name}].{bad[0]}", bad[1], bad[2])


def check_conv_geometry(source: str, where: str, op: str, kw: dict) -> None:
    """The optional ``conv_*`` fields of a layer mapping ``kw`` (workloads/conv.py): all absent, or a conv layer
    with conv_in_h, conv_in_w, conv_in_channels, conv_kernel_h, conv_kernel_w >= 1 (conv_stride >= 1, default 1;
    conv_padding >= 0, default 0; conv_groups >= 1, default 1) that agree with its m, n, k and repeat. Fills the
    defaults into ``kw``."""
    from workloads.conv import CONV_FIELDS, REQUIRED, mismatch

    given = [f for f in CONV_FIELDS if f in kw]
    if not given:
        return
    if op != "conv":
        raise WorkloadError(source, f"{where}.{given[0]}", f"convolution geometry on a {op} layer", "op: conv")
    for f in REQUIRED:
        kw[f] = require_int(source, f"{where}.{f}", kw.get(f), 1)
    kw["conv_stride"] = require_int(source, f"{where}.conv_stride", kw.get("conv_stride", 1), 1)
    kw["conv_padding"] = require_int(source, f"{where}.conv_padding", kw.get("conv_padding", 0), 0)
    kw["conv_groups"] = require_int(source, f"{where}.conv_groups", kw.get("conv_groups", 1), 1)
    bad = mismatch(kw["m"], kw["n"], kw["k"], kw.get("repeat", 1), kw)
    if bad:
        raise WorkloadError(source, f"{where}.{bad[0]}", bad[1], bad[2])


def omit_conv_defaults(d: dict) -> None:
    """Drop the ``conv_*`` fields of a layer dict without geometry (files stay as they were before them)."""
    from workloads.conv import CONV_FIELDS

    if not d.get("conv_in_h"):
        for f in CONV_FIELDS:
            d.pop(f, None)
