"""Empirical roofline of this machine: measured peaks and bandwidth, and measured layers against their bounds.

Peaks (one thread, ``torch.set_num_threads(1)``; best of ``repeats``):
  fp32 GEMM: s x s x s ``torch.mm`` for s in n/4, n/2, n; ops = 2 s^3; peak = the best ops / time.
  int8 GEMM: the faster of ``torch._int_mm`` and the fbgemm/x86 ``quantized.linear`` kernel on n x n x n.
  DRAM bandwidth (STREAM-like, arrays of ``stream_mib`` MiB each, far larger than the caches): copy
  ``b.copy_(a)`` moves 2 x 4N bytes; triad ``a = b + s * c`` moves 3 x 4N bytes (no write-allocate counted,
  as in STREAM). The device's DRAM level takes the larger of the two, so bounds stay lower bounds.
Layers: a timm model (``pretrained=False``, fused attention off) runs forward on the CPU in FP32 under a
``TorchDispatchMode`` that times every aten op; module hooks give each op its module path. Ops inside a leaf
module that is a workload layer (``blocks.0.mlp.fc1``) are that layer's time (bias adds and views included);
arithmetic ops written inline (``q * scale``, ``q @ k^T``, softmax, ``attn @ v``, residual and position adds)
go, in order, to the next layer of the same kind named under the running module; data movement between them
(transposes, copies) is charged to the next arithmetic op. Per layer the median over ``repeats`` forward passes
is compared with its roofline time on the measured host: measured / bound < 1 is impossible for a correct model
and measurement, and is flagged (``faster_than_bound``). The DRAM roofline assumes every operand comes from
DRAM; on a CPU small activations stay in cache, so each row also has ``cache_bound_s`` (the same bytes at the
measured L2 triad bandwidth): faster than the DRAM bound but not the cache bound = served from cache; faster
than the cache bound too (``faster_than_cache_bound``) = a real error in the model or the measurement.
Torch is imported inside functions only.
"""

from __future__ import annotations

import functools
import statistics
import time
import warnings
from dataclasses import dataclass, field

from analysis.devices import Device, MemoryLevel, Peak
from workloads.errors import InputError

ATEN_KIND = {"mm": "gemm", "addmm": "gemm", "linear": "gemm", "bmm": "matmul", "baddbmm": "matmul",
             "matmul": "matmul", "convolution": "conv", "_convolution": "conv", "conv2d": "conv",
             "_softmax": "softmax", "softmax": "softmax", "native_layer_norm": "layernorm", "layer_norm": "layernorm",
             "gelu": "gelu", "add": "add", "add_": "add", "mul": "mul", "mul_": "mul"}
COMPATIBLE = {"gemm": ("gemm", "matmul"), "matmul": ("matmul", "gemm"), "conv": ("conv",)}


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover
        raise InputError("--device host", "torch", "torch is not installed", "pip install -e '.[trace]'") from None
    torch.set_num_threads(1)
    return torch


def _best(fn, repeats: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure_gemm_fp32(n: int = 1024, repeats: int = 5) -> float:
    """FP32 GEMM ops/s: best over sizes n/4, n/2, n of 2 s^3 / best time of ``torch.mm`` (s x s by s x s)."""
    torch = _torch()
    best = 0.0
    for s in sorted({max(8, n // 4), max(8, n // 2), n}):
        a, b = torch.randn(s, s), torch.randn(s, s)
        best = max(best, 2 * s ** 3 / _best(lambda a=a, b=b: torch.mm(a, b), repeats))
    return best


def measure_gemm_int8(n: int = 1024, repeats: int = 5) -> tuple[float, str]:
    """INT8 GEMM ops/s and the kernel: the faster of ``torch._int_mm`` and ``quantized.linear`` (0 if neither)."""
    torch = _torch()
    best, kernel = 0.0, ""
    try:
        a = torch.randint(-128, 127, (n, n), dtype=torch.int8)
        b = torch.randint(-128, 127, (n, n), dtype=torch.int8)
        ops = 2 * n ** 3 / _best(lambda: torch._int_mm(a, b), max(1, repeats // 2))
        best, kernel = ops, "torch._int_mm"
    except (RuntimeError, AttributeError, NotImplementedError):
        pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = torch.quantize_per_tensor(torch.randn(n, n), 0.05, 0, torch.qint8)
            packed = torch.ops.quantized.linear_prepack(w, None)
            x = torch.quantize_per_tensor(torch.randn(n, n), 0.05, 128, torch.quint8)
            ops = 2 * n ** 3 / _best(lambda: torch.ops.quantized.linear(x, packed, 1.0, 0), repeats)
        if ops > best:
            best, kernel = ops, f"quantized.linear ({torch.backends.quantized.engine})"
    except (RuntimeError, AttributeError, NotImplementedError):
        pass
    return best, kernel


def measure_bandwidth(stream_mib: float = 128, repeats: int = 5, cache_kib: float = 64) -> dict:
    """STREAM-like copy and triad bandwidth in bytes/s (module docstring), and the triad on three arrays of
    ``cache_kib`` KiB that stay in the core's L2 cache (the ``cache`` level), 64 passes per timing."""
    torch = _torch()
    n = int(stream_mib * 2 ** 20 / 4)
    a, b, c = torch.ones(n), torch.ones(n), torch.ones(n)
    copy = 2 * 4 * n / _best(lambda: b.copy_(a), repeats)
    triad = 3 * 4 * n / _best(lambda: torch.add(b, c, alpha=3.0, out=a), repeats)
    m = int(cache_kib * 1024 / 4)
    x, y, z = torch.ones(m), torch.ones(m), torch.ones(m)

    def passes():
        for _ in range(64):
            torch.add(y, z, alpha=3.0, out=x)

    cache = 64 * 3 * 4 * m / _best(passes, repeats)
    return {"copy": copy, "triad": triad, "cache_triad": cache}


@dataclass
class HostMeasurement:
    fp32_ops_per_s: float
    int8_ops_per_s: float
    int8_kernel: str
    copy_bytes_per_s: float
    triad_bytes_per_s: float
    seconds: float
    cache_bytes_per_s: float = 0.0

    def to_dict(self) -> dict:
        return {"fp32_gflops": self.fp32_ops_per_s / 1e9, "int8_gops": self.int8_ops_per_s / 1e9,
                "int8_kernel": self.int8_kernel, "copy_gbps": self.copy_bytes_per_s / 1e9,
                "triad_gbps": self.triad_bytes_per_s / 1e9, "cache_triad_gbps": self.cache_bytes_per_s / 1e9,
                "measure_seconds": self.seconds}


def measure_host(n: int = 1024, stream_mib: float = 128, repeats: int = 5) -> HostMeasurement:
    """Peaks and bandwidth of this machine (one thread)."""
    t = time.perf_counter()
    fp32 = measure_gemm_fp32(n, repeats)
    int8, kernel = measure_gemm_int8(n, repeats)
    bw = measure_bandwidth(stream_mib, repeats)
    return HostMeasurement(fp32, int8, kernel, bw["copy"], bw["triad"], time.perf_counter() - t, bw["cache_triad"])


def device_from_measurement(m: HostMeasurement) -> Device:
    """A ``host`` Device: measured fp32 (and int8) peaks, DRAM = max(copy, triad)."""
    peaks = [Peak("fp32", m.fp32_ops_per_s, "measured: torch.mm FP32, 1 thread")]
    if m.int8_ops_per_s > 0:
        peaks.append(Peak("int8", m.int8_ops_per_s, f"measured: {m.int8_kernel}, 1 thread"))
    bw = max(m.copy_bytes_per_s, m.triad_bytes_per_s)
    mem = (MemoryLevel("dram", bw, None, f"measured: STREAM-like copy {m.copy_bytes_per_s / 1e9:.1f} GB/s, "
                                         f"triad {m.triad_bytes_per_s / 1e9:.1f} GB/s (max taken)"),)
    if m.cache_bytes_per_s > bw:
        mem += (MemoryLevel("cache", m.cache_bytes_per_s, None, "measured: triad on L2-resident arrays"),)
    return Device("host", "host", tuple(peaks), mem, defaults=(("fp16", "fp32"),), vector_key="fp32",
                  source="measured on this machine", notes=("host: one thread; vector ops on the fp32 ceiling",),
                  hardware=m)


@functools.lru_cache(maxsize=4)
def host_device(n: int = 1024, stream_mib: float = 128, repeats: int = 5) -> Device:
    """This machine as a Device, measured once per process."""
    return device_from_measurement(measure_host(n, stream_mib, repeats))


# ---------------------------------------------------------------------------------------------- layer timing
def _timing_mode_class():
    torch = _torch()
    from torch.utils._python_dispatch import TorchDispatchMode

    class TimingMode(TorchDispatchMode):
        """Times every aten op; ``stack`` is the running module path (set by module hooks)."""

        def __init__(self):
            super().__init__()
            self.stack: list[str] = [""]
            self.events: list[tuple[str, str, float]] = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            t = time.perf_counter()
            out = func(*args, **(kwargs or {}))
            dt = time.perf_counter() - t
            self.events.append((self.stack[-1], func.overloadpacket.__name__, dt))
            return out

    del torch
    return TimingMode


def time_forward(model, x, names: dict, repeats: int = 5) -> list[list[tuple[str, str, float]]]:
    """Events (module path, aten op, seconds) of ``repeats`` forward passes of ``model(x)`` (after a warm-up)."""
    torch = _torch()
    from torch.nn.modules import module as nn_module

    mode = _timing_mode_class()()

    def pre(mod, _inp):
        mode.stack.append(names.get(id(mod), mode.stack[-1]))

    def post(mod, _inp, _out):
        mode.stack.pop()

    runs = []
    h1 = nn_module.register_module_forward_pre_hook(pre)
    h2 = nn_module.register_module_forward_hook(post, always_call=True)
    try:
        with torch.inference_mode():
            model(x)
            for _ in range(repeats):
                mode.events = []
                with mode:
                    model(x)
                runs.append(mode.events)
    finally:
        h1.remove()
        h2.remove()
    return runs


def attribute(events, layers, modules: set[str] = frozenset()) -> tuple[dict[str, float], float]:
    """Seconds per workload layer from one pass's events (rules in the module docstring), and the unmatched rest.

    ``modules`` = the model's module paths: a layer named like a module is timed as that module, any other layer
    is an inline op of its parent module (``blocks.0.attn.qk`` inside ``blocks.0.attn``)."""
    times = {la.name: 0.0 for la in layers}
    inline = [la for la in layers if la.name not in modules]
    used: set[str] = set()
    pending = other = 0.0
    for path, op, dt in events:
        if path in times and path in modules:      # inside a leaf module that is a layer
            times[path] += dt + pending
            pending = 0.0
            continue
        kind = ATEN_KIND.get(op)
        if kind is None:                           # data movement: charged to the next arithmetic op
            pending += dt
            continue
        prefix = path + "." if path else ""
        target = next((la.name for la in inline if la.name not in used and la.name.startswith(prefix)
                       and "." not in la.name[len(prefix):] and la.op in COMPATIBLE.get(kind, (kind,))), None)
        if target is None:
            other += dt + pending
        else:
            used.add(target)
            times[target] += dt + pending
        pending = 0.0
    return times, other + pending


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
    from analysis.roofline import analyze, apply_precision

    torch = _torch()
    if device.kind != "host":
        raise InputError("--measure", "device", "measured layers need the measured host device", "host")
    net = _cpu_model(model)
    workload = _workload(model, batch)
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
    try:
        from workloads.trace import create_model
    except ImportError:
        create_model = None
    if create_model is not None:
        return create_model(name, device="cpu")
    import timm  # pragma: no cover - fallback when the tracer is absent

    timm.layers.set_fused_attn(False)
    return timm.create_model(name, pretrained=False).eval()


def _workload(name: str, batch: int):
    from analysis.cmd_roofline import model_workload

    return model_workload(name, batch)


def render_table(result: MeasuredModel) -> str:
    """Measured peaks, measured over bound per op type and per distinct layer, as text tables."""
    from workloads.cli_common import rich_table

    m = result.measurement
    text = rich_table("host (1 thread, measured)", ["metric", "value"],
                      [["fp32 GEMM GFLOPS", m.fp32_ops_per_s / 1e9],
                       [f"int8 GEMM GOPS ({m.int8_kernel or 'none'})", m.int8_ops_per_s / 1e9],
                       ["copy GB/s", m.copy_bytes_per_s / 1e9], ["triad GB/s", m.triad_bytes_per_s / 1e9],
                       ["L2 triad GB/s", m.cache_bytes_per_s / 1e9]])
    text += rich_table(f"{result.model}: measured vs roofline bound per op type",
                       ["op", "layers", "measured_ms", "bound_ms", "measured_over_bound"],
                       [[op, d["layers"], d["measured_s"] * 1e3, d["bound_s"] * 1e3,
                         d["measured_over_bound"] if d["measured_over_bound"] is not None else "-"]
                        for op, d in result.by_op().items()])
    seen, rows = set(), []
    from analysis.plots import short_name

    for r in result.rows:
        key = short_name(r["name"])
        if key in seen:
            continue
        seen.add(key)
        rows.append([r["name"], r["op"], r["intensity"] or 0.0, r["bound"], r["bound_s"] * 1e6,
                     r["measured_s"] * 1e6, r["measured_over_bound"] or 0.0,
                     "FASTER THAN BOUND" if r["faster_than_bound"] else ""])
    text += rich_table("first block's layers", ["name", "op", "intensity", "bound", "bound_us", "measured_us",
                                                "measured_over_bound", "flag"], rows)
    text += rich_table("totals", ["metric", "value"], [[k, v] for k, v in result.totals.items()])
    return text
