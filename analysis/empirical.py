"""Empirical roofline of this machine: measured layers of a real ViT forward pass against their roofline bounds.

The host device (``analysis.devices.host_device``) has measured peaks and bandwidth (``analysis.measure.peaks``).
A timm model (``pretrained=False``, fused attention off) runs forward on the CPU in FP32 while every aten op is timed
and attributed to a workload layer (``analysis.measure.layers``). Per layer the median over ``repeats`` forward passes
is compared with its roofline time on the measured host: measured / bound < 1 is impossible for a correct model
and measurement, and is flagged (``faster_than_bound``). The DRAM roofline assumes every operand comes from
DRAM; on a CPU small activations stay in cache, so each row also has ``cache_bound_s`` (the same bytes at the
measured L2 triad bandwidth): faster than the DRAM bound but not the cache bound = served from cache; faster
than the cache bound too (``faster_than_cache_bound``) = a real error in the model or the measurement.
Torch is imported inside functions only.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from analysis.devices import Device
from analysis.measure.layers import attribute, time_forward
from analysis.measure.peaks import HostMeasurement
from analysis.measure.timing import require_torch
from analysis.roofline import analyze, apply_precision
from workloads.errors import InputError
from workloads.resolve import resolve_workload
from workloads.trace import create_model


@dataclass
class MeasuredModel:
    """Measured layer times of a real forward pass against the host roofline."""

    model: str
    device: Device
    measurement: HostMeasurement
    rows: list[dict]
    totals: dict = field(default_factory=dict)

    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows)

    def by_op(self) -> dict[str, dict]:
        """Per op type: measured seconds, bound seconds, measured / bound."""
        out: dict[str, dict] = {}
        for r in self.rows:
            d = out.setdefault(r["op"], {"measured_s": 0.0, "bound_s": 0.0, "layers": 0})
            d["measured_s"] += r["measured_s"]
            d["bound_s"] += r["bound_s"]
            d["layers"] += 1
        for d in out.values():
            d["measured_over_bound"] = d["measured_s"] / d["bound_s"] if d["bound_s"] else None
        return out

    def to_dict(self) -> dict:
        return {"device": self.device.to_dict(), "measurement": self.measurement.to_dict(), "model": self.model,
                "layers": self.rows, "by_op": self.by_op(), "totals": self.totals}


def measure_model(model: str, device: Device, batch: int = 1, repeats: int = 5) -> MeasuredModel:
    """Time each layer of ``model``'s FP32 forward pass on the CPU and place it on ``device``'s roofline."""
    torch = require_torch()
    if device.kind != "host":
        raise InputError(device.name, "device", "measured layers need the measured host device", "host")
    net = _cpu_model(model)
    workload = resolve_workload(model=model, batch=batch)
    workload, prefer = apply_precision(workload, "fp32")
    rf = analyze(workload, device, prefer, crossover=False)
    cfg = getattr(net, "pretrained_cfg", None) or {}
    c, h, w = cfg.get("input_size", (3, workload.img_size, workload.img_size))
    x = torch.randn(batch, c, h, w)
    names = {id(m): n for n, m in net.named_modules() if n}
    runs = time_forward(net, x, names, repeats)
    modules = set(names.values())
    per_run = [attribute(ev, workload.layers, modules) for ev in runs]
    rows = []
    cache = device.level("cache")
    for lr in rf.layers:
        meas = statistics.median(t[lr.name] for t, _ in per_run)
        # the same bytes streamed at the cache's bandwidth: what a layer whose operands stay cached can reach
        cache_s = max(lr.compute_time_s, lr.bytes / cache.bandwidth_bytes_per_s) if cache else lr.time_s
        rows.append({"name": lr.name, "op": lr.op, "ops": lr.ops, "bytes": lr.bytes, "intensity": lr.intensity,
                     "ceiling": lr.ceiling, "bound": lr.bound, "bound_s": lr.time_s, "cache_bound_s": cache_s,
                     "measured_s": meas, "measured_over_bound": meas / lr.time_s if lr.time_s else None,
                     "faster_than_bound": bool(meas > 0 and meas < lr.time_s),
                     "faster_than_cache_bound": bool(meas > 0 and meas < cache_s)})
    forward = statistics.median(sum(e[2] for e in ev) for ev in runs)
    totals = {"forward_s": forward, "layers_s": sum(r["measured_s"] for r in rows),
              "unattributed_s": statistics.median(o for _, o in per_run),
              "latency_s_bound": rf.totals["latency_s_bound"],
              "measured_over_bound": forward / rf.totals["latency_s_bound"],
              "faster_than_bound_layers": sum(r["faster_than_bound"] for r in rows),
              "faster_than_cache_bound_layers": sum(r["faster_than_cache_bound"] for r in rows),
              "unmeasured_layers": sum(1 for r in rows if r["measured_s"] == 0)}
    return MeasuredModel(model, device, device.hardware, rows, totals)


def _cpu_model(name: str):
    """timm ``name`` on the CPU, ``pretrained=False``, fused attention off, eval mode."""
    return create_model(name, device="cpu")
