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
    """Every layer of ``workload`` within ``errors.check_size`` (named by the model; batch in the hint)."""
    for layer in workload.layers:
        check_size(workload.model, f"layers[{layer.name}]", layer.m, layer.n, layer.k, layer.repeat, workload.batch)
