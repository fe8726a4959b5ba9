"""Weight sparsity measured from a real torch model: magnitude pruning (torch.nn.utils.prune) and the mask read back.

``prune_magnitude(model, amount=0.5)`` prunes every ``nn.Linear`` whose path matches ``include`` (default: the
transformer blocks; patch embedding and head stay dense) by L1 magnitude: unstructured (``prune.l1_unstructured``)
or N:M (``pattern='2:4'``: the N largest of every M consecutive weights along the input dimension K kept, applied
with ``prune.custom_from_mask``), then made permanent (``prune.remove``: zeros in the weight). ``measure_sparsity(model, workload)`` reads each weight GEMM's module weight (the
pruned product when a mask is still attached, traced as ``<path>.linear``; so a model the user pruned by any means
works too) and sets on its layer:
  w_col_nnz   non-zeros of each output channel (a row of torch's N x K weight = a filter column of the GEMM)
  w_density   sum(w_col_nnz) / (K * N)
  w_sparsity  ``N:M`` when every group of M consecutive weights along K holds at most N non-zeros and the density is
              exactly N/M (M in 4, 8; the smallest such N), else ``unstructured`` (``dense`` when nothing is zero).
Layers are matched by name: a traced GEMM's name is its module path (workloads/trace/naming.py).
"""

from __future__ import annotations

import fnmatch
from dataclasses import replace

from workloads.model import Workload
from workloads.trace.bits import require_torch

NM_GROUPS = (4, 8)


def _linears(model, include: str):
    torch = require_torch()
    for path, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear) and fnmatch.fnmatchcase(path, include):
            yield path, mod


def nm_mask(weight, n: int, m: int):
    """Keep the ``n`` largest |w| of every ``m`` consecutive weights along the last dimension (K); K % m == 0."""
    torch = require_torch()
    rows, k = weight.shape
    groups = weight.detach().abs().reshape(rows, k // m, m)
    idx = groups.topk(n, dim=-1).indices
    mask = torch.zeros_like(groups).scatter_(-1, idx, 1.0)
    return mask.reshape(rows, k)


def prune_magnitude(model, amount: float = 0.5, pattern: str | None = None, include: str = "blocks.*"):
    """Magnitude-prune the Linear layers matching ``include`` in place (module docstring); returns ``model``."""
    require_torch()
    from torch.nn.utils import prune
    for _, mod in _linears(model, include):
        if pattern is None:
            prune.l1_unstructured(mod, "weight", amount=amount)
        else:
            n, m = (int(x) for x in pattern.split(":"))
            prune.custom_from_mask(mod, "weight", nm_mask(mod.weight, n, m))
        prune.remove(mod, "weight")      # permanent: zeros in the weight, no re-parametrization left to trace
    return model


def weight_sparsity(weight) -> dict:
    """{w_sparsity, w_density, w_col_nnz} of an N x K torch weight (module docstring)."""
    nz = weight.detach() != 0
    n, k = nz.shape
    col_nnz = tuple(int(x) for x in nz.sum(dim=1).tolist())
    total = sum(col_nnz)
    if total == n * k:
        return {"w_sparsity": "dense", "w_density": 1.0, "w_col_nnz": None}
    density = total / (n * k)
    for m in NM_GROUPS:
        if k % m:
            continue
        worst = int(nz.reshape(n, k // m, m).sum(dim=-1).max())
        if worst < m and total * m == worst * n * k:
            return {"w_sparsity": f"{worst}:{m}", "w_density": worst / m, "w_col_nnz": None}
    return {"w_sparsity": "unstructured", "w_density": density, "w_col_nnz": col_nnz}


def activation_density(model, inputs) -> dict[str, float]:
    """Non-zero fraction of every ``nn.Linear``'s input over one forward pass of ``inputs`` (forward pre-hooks):
    what activation zero-skipping hardware can gate (post-ReLU zeros; GELU leaves few exact zeros)."""
    torch = require_torch()
    seen: dict[str, list[int]] = {}
    hooks = []
    for path, mod in model.named_modules():
        if isinstance(mod, torch.nn.Linear):
            def pre(_m, args, path=path):
                x = args[0]
                c = seen.setdefault(path, [0, 0])
                c[0] += int((x != 0).sum())
                c[1] += x.numel()
            hooks.append(mod.register_forward_pre_hook(pre))
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for h in hooks:
            h.remove()
    return {p: nz / total for p, (nz, total) in seen.items() if total}


def measure_sparsity(model, workload: Workload, a_density: dict[str, float] | None = None) -> Workload:
    """``workload`` with each weight GEMM's sparsity measured from ``model``'s weights (module docstring) and, when
    given, its input activation density (``activation_density``; a fully zero input is left at 1)."""
    torch = require_torch()
    weights = {path: mod.weight for path, mod in model.named_modules()
               if isinstance(mod, torch.nn.Linear)}
    layers = []
    for layer in workload.layers:
        key = layer.name if layer.name in weights else layer.name.removesuffix(".linear")   # still re-parametrized
        w = weights.get(key)
        if layer.op == "gemm" and layer.weight_operand and w is not None and tuple(w.shape) == (layer.n, layer.k):
            layer = replace(layer, **weight_sparsity(w))
            if a_density and a_density.get(key, 0) > 0:
                layer = replace(layer, a_density=a_density[key])
        layers.append(layer)
    return replace(workload, layers=tuple(layers))


def parse_prune(value: str, source: str = "--prune") -> tuple[float, str | None]:
    """``0.5`` (unstructured, that fraction removed) or ``N:M`` -> (amount, pattern); errors name ``source``."""
    from workloads.errors import WorkloadError
    from workloads.sparsity import nm_pattern

    allowed = "a fraction in (0, 1) pruned by magnitude, or an N:M pattern such as 2:4"
    if ":" in value:
        parts = value.split(":")
        if len(parts) == 2 and all(p.isdigit() for p in parts) and 1 <= nm_pattern(value)[0] < nm_pattern(value)[1]:
            return 0.0, value
        raise WorkloadError(source, "prune", f"bad pattern {value!r}", allowed)
    try:
        amount = float(value)
    except ValueError:
        raise WorkloadError(source, "prune", f"{value!r} is not a number", allowed) from None
    if not 0 < amount < 1:
        raise WorkloadError(source, "prune", f"{amount} is out of range", allowed)
    return amount, None


def trace_pruned(name: str, prune: str, *, img_size: int | None = None, batch: int = 1,
                 recipe: str | None = None) -> Workload:
    """Build timm model ``name`` (pretrained=False, random weights, on the CPU), magnitude-prune its block linears
    (``prune``: a fraction or ``N:M``), trace it and measure each layer's weight sparsity and input activation
    density (one forward pass on seeded Gaussian images); then apply ``recipe``."""
    from workloads.trace.models import create_model, model_input_size
    from workloads.trace.tracer import trace_module

    torch = require_torch()
    amount, pattern = parse_prune(prune)
    torch.manual_seed(0)
    model = create_model(name, img_size, device="cpu").eval()
    prune_magnitude(model, amount, pattern)
    c, h, w = model_input_size(model, img_size)
    with torch.no_grad():
        wl = trace_module(model, torch.zeros(batch, c, h, w), model_name=name, img_size=h)[0]
    dens = activation_density(model, torch.randn(batch, c, h, w, generator=torch.Generator().manual_seed(0)))
    wl = measure_sparsity(model, wl, dens)
    if recipe:
        from workloads.quantize import load_recipe

        wl = load_recipe(recipe).apply(wl)
    return replace(wl, meta={**wl.meta, "pruned": prune})
