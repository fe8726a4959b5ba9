"""The one workload resolver: file | zoo name | analytic model (+ recipe) | timm model, and every command using it."""

import importlib.util
import json
import shutil
from dataclasses import replace

import pytest

import workloads.resolve as resolve_module
from workloads import build_model, load_workload
from workloads.errors import InputError, WorkloadError
from workloads.model import Granularity, Workload, granularity_kind
from workloads.quantize import load_recipe
from workloads.resolve import resolve_workload, zoo_names, zoo_path
from workloads.vit import PRESETS, build_vit


def _shape(w):
    return [(x.name, x.op, x.m, x.n, x.k, x.repeat, x.w_bits, x.a_bits, x.dtype, x.w_granularity) for x in w.layers]


# ------------------------------------------------------------------------------------------ what a name means
def test_zoo_name():
    w = resolve_workload("deit_small-w4a4")
    assert w == Workload.load(zoo_path("deit_small-w4a4")) and w.recipe == "w4a4"


@pytest.mark.parametrize("name, full", [("deit_small", "deit_small_patch16_224"), ("vit_large", "vit_large_patch16_224"),
                                        ("vit_huge", "vit_huge_patch14_224"),
                                        ("vit_base_patch16_224", "vit_base_patch16_224")])
def test_analytic_model_full_or_short_name(name, full):
    for w in (resolve_workload(name), resolve_workload(model=name)):
        assert w.model == full and w.source == "analytic"
        assert _shape(w) == _shape(build_vit(PRESETS[full], model=full))


def test_model_with_recipe_batch_and_image_size():
    w = resolve_workload(model="vit_large", recipe="w8a8", batch=2, img_size=384)
    cfg = replace(PRESETS["vit_large_patch16_224"], img_size=384)
    ref = load_recipe("w8a8").apply(build_vit(cfg, batch=2, model="vit_large_patch16_224"))
    assert _shape(w) == _shape(ref) and (w.batch, w.img_size, w.recipe) == (2, 384, "w8a8")


def test_file_path_and_zoo_precedence(tmp_path, monkeypatch):
    """A bare zoo name means the zoo even if a file of that name exists; a separator or a suffix makes a path."""
    monkeypatch.chdir(tmp_path)
    tiny = Workload.load(zoo_path("deit_tiny-w8a8"))
    tiny.save(tmp_path / "mine.yaml")
    shutil.copy(tmp_path / "mine.yaml", tmp_path / "deit_small-w4a4")          # a file named like a zoo workload
    assert resolve_workload("deit_small-w4a4").model == "deit_small_patch16_224"
    assert resolve_workload("./deit_small-w4a4") == tiny
    assert resolve_workload("mine.yaml") == tiny == resolve_workload(tmp_path / "mine.yaml")
    shutil.copy(tmp_path / "mine.yaml", tmp_path / "plainfile")                # no suffix, no name: the file
    assert resolve_workload("plainfile") == tiny


def test_file_with_recipe_batch_and_image_size():
    w = resolve_workload("deit_tiny-w8a8", recipe="w4a4", batch=4)
    base = Workload.load(zoo_path("deit_tiny-w8a8"))
    assert w == load_recipe("w4a4").apply(base).with_batch(4)
    assert resolve_workload("deit_tiny-w8a8", img_size=224) == base
    with pytest.raises(WorkloadError, match="img_size"):
        resolve_workload("deit_tiny-w8a8", img_size=384)


def test_wrappers_are_the_resolver():
    assert load_workload("deit_tiny-w4a8") == resolve_workload("deit_tiny-w4a8")
    assert build_model("vit_small", "w4a8", batch=2) == resolve_workload(model="vit_small", recipe="w4a8", batch=2)
    assert "deit_small-w4a4" in zoo_names()


# ------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("kwargs, match", [
    ({}, "exactly one"),
    ({"spec": "deit_tiny-w8a8", "model": "deit_tiny"}, "exactly one"),
    ({"spec": "deit_tiny-w8a8", "batch": 0}, "batch: 0 is below 1"),
    ({"model": "deit_tiny", "img_size": -1}, "img_size"),
    ({"model": "deit_tiny", "recipe": "w3a1"}, "unknown recipe 'w3a1'"),
    ({"spec": "missing.yaml"}, "file not found"),
])
def test_errors_are_one_line_and_name_no_command_line_flag(kwargs, match):
    with pytest.raises(InputError, match=match) as e:
        resolve_workload(**kwargs)
    assert "\n" not in str(e.value) and "--" not in str(e.value)


def test_with_batch_error_names_the_workload_not_a_flag():
    with pytest.raises(InputError) as e:
        Workload.load(zoo_path("deit_tiny-w8a8")).with_batch(0)
    assert e.value.source == "deit_tiny_patch16_224-w8a8" and e.value.field == "batch" and "--" not in str(e.value)


def test_unknown_name_without_the_trace_extra_names_the_extra(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(resolve_module, "find_spec", lambda n: None if n in ("torch", "timm") else real(n))
    with pytest.raises(WorkloadError) as e:
        resolve_workload("swin_tiny_patch4_window7_224")
    msg = str(e.value)
    assert "unknown workload 'swin_tiny_patch4_window7_224'" in msg and "trace" in msg and "vitsim[trace]" in msg
    with pytest.raises(WorkloadError, match="unknown model 'nope'.*'trace' extra"):
        resolve_workload(model="nope")


@pytest.mark.trace
def test_unknown_name_with_timm_installed():
    pytest.importorskip("timm")
    with pytest.raises(WorkloadError, match="unknown workload 'no_such_net'.*timm model"):
        resolve_workload("no_such_net")


@pytest.mark.trace
def test_a_timm_name_is_traced():
    pytest.importorskip("timm")
    w = resolve_workload(model="vit_small_patch32_224", recipe="w8a8", batch=2)
    assert w.source == "trace" and w.batch == 2 and w.recipe == "w8a8" and w.layers[0].name == "patch_embed.proj"


def test_granularity_kinds():
    assert granularity_kind("group:128") is Granularity.GROUP and granularity_kind("channel") == "channel"


# ------------------------------------------------------------------------------------------ commands use it
def test_workloads_build_takes_vit_large_with_a_recipe(tmp_path):
    from workloads.cli import main

    out = tmp_path / "vl.json"
    assert main(["build", "vit_large", "--recipe", "w8a8", "-o", str(out)]) == 0
    assert Workload.load(out) == resolve_workload(model="vit_large", recipe="w8a8")


def test_workloads_build_unknown_model_names_no_flag(tmp_path, monkeypatch):
    from workloads.cli import main

    monkeypatch.setattr(resolve_module, "find_spec", lambda n: None)
    with pytest.raises(WorkloadError) as e:
        main(["build", "resnet_nope", "-o", str(tmp_path / "x.yaml")])
    assert "unknown model 'resnet_nope'" in str(e.value) and "--model" not in str(e.value)


def test_export_resolves_zoo_models_and_recipes(tmp_path):
    from workloads.cli import main

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main(["export", "deit_tiny", "--recipe", "w8a8", "--csv", "-o", str(a)]) == 0
    assert main(["export", "vit_small", "--recipe", "w8a8", "--batch", "2", "--csv", "-o", str(b)]) == 0
    assert a.read_text().count("\n") == len(resolve_workload("deit_tiny").layers) + 1
    assert b.read_text().splitlines()[1].startswith("patch_embed.proj,conv,392,")          # M = 2 images x 196


def test_simulator_run_model_recipe_equals_the_same_workload(capsys):
    """--model deit_tiny --recipe w8a8 is the analytic twin of the zoo's traced deit_tiny-w8a8: same totals."""
    from simulator.cli import main

    totals = []
    for args in (["--model", "deit_tiny", "--recipe", "w8a8", "--batch", "2"],
                 ["--workload", "deit_tiny-w8a8", "--batch", "2"]):
        assert main(["run", "int8", *args, "--format", "json"]) == 0
        totals.append(json.loads(capsys.readouterr().out)["totals"])
    assert totals[0] == totals[1]


def test_simulator_run_sources_are_mutually_exclusive(capsys):
    from simulator.cli import main

    for extra in (["--workload", "deit_tiny-w8a8", "--model", "deit_tiny"], ["--model", "deit_tiny", "--topology", "t.csv"]):
        with pytest.raises(SystemExit) as e:
            main(["run", "int8", *extra])
        assert e.value.code == 2
    assert "not allowed with" in capsys.readouterr().err
