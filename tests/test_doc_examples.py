"""Every ```bash example of README.md and docs/*.md runs as written (exit 0), in one scratch directory, except the
ones in ``SKIP`` (each with its reason: they need data, a network service, the SCALE-Sim environment, or minutes).

The placeholders the docs name as the user's own files (``my_model.yaml``, ``my.cfg``, ``my_topo.csv``,
``model.onnx``, ``model.pt2``) are made first (``FIXTURES``); examples that read a file another example writes (``results/...``)
run after it. ``vitsim`` and ``python -m simulator|workloads|analysis`` run in-process (one interpreter: torch and
Numba load once); ``python FILE`` and ``python -c`` run as subprocesses. Trace and sweep examples need the
``trace`` and ``distributed`` extras, as the README's test command installs them.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OUT_FLAGS = {"-o", "--output", "--out", "--recipe-out", "--plot", "--plot-precisions", "--plot-time",
             "--save-workload"}
DATA = "needs a folder of labelled images (ImageNet layout): no data sets in tests"
SKIP = {
    "python -m pip install -e . && vitsim run int4": "installs the package (the suite runs on the installed one; "
                                                     "`vitsim run int4` is checked by tests/test_vitsim.py)",
    "python -m pip install -q -e '.[dev,trace,distributed]' && python -m pytest": "the test suite itself",
    "python benchmarks/vs_scalesim.py": "builds SCALE-Sim's virtual environment and times both tools (minutes): "
                                        "tests/scalesim run the same comparison",
    "vitsim roofline --device host --measure --plot results/host.png": "times this machine's CPU (~30 s, load "
                                                                       "dependent): tests/analysis/test_empirical.py",
    "vitsim sweep sweeps/area_budget.yaml -o results/area.parquet --scheduler tcp://HOST:8786": "needs a running "
                                                                                                 "Dask scheduler",
    "python -m workloads evaluate deit_small_patch16_224 --recipe w8a8 --data DIR --calib 64 --format json": DATA,
    "python -m workloads evaluate deit_small_patch16_224 --recipe w8a8 --data /data/imagenet/val --calib 64 "
    "--calib-data /data/imagenet/train_subset --limit 5000 --format json -o results/deit_s_w8a8.json": DATA,
    "python -m workloads evaluate vit_tiny_patch16_224 --recipe my.yaml --data DIR --checkpoint tiny.pth "
    "--save-workload results/tiny-w8a8.yaml": DATA + " and a checkpoint",
    "for m in deit_tiny deit_small deit_base; do for r in w8a8 w4a8 w4a4 mixed fp16; do": "regenerates the shipped "
                                                                                          "zoo (minutes)",
    "for r in w8a8 w4a8; do": "regenerates the shipped zoo (minutes)",
}


def examples() -> list[tuple[str, str]]:
    """(where, command) of every ```bash line (continuations joined, comments dropped; a ``for`` loop is one
    command keyed by its first line), each command once, in document order."""
    out, seen = [], set()
    for doc in DOCS:
        for block in re.findall(r"```bash\n(.*?)```", doc.read_text(), re.DOTALL):
            lines = block.replace("\\\n", " ").splitlines()
            i = 0
            while i < len(lines):
                line = lines[i].strip()
                i += 1
                if not line or line.startswith("#"):
                    continue
                if line.startswith("for "):
                    while i < len(lines) and not lines[i - 1].rstrip().endswith("done"):
                        i += 1
                cmd = _same(" ".join(shlex.split(line, comments=True))) if not line.startswith("for ") else line
                if cmd not in seen:
                    seen.add(cmd)
                    out.append((f"{doc.relative_to(ROOT)}", _normal(line) if not line.startswith("for ") else line))
    return out


def _same(cmd: str) -> str:
    """``python -m analysis X`` is ``vitsim X`` (and so on: docs/README's command-line contract): one key for both."""
    for long, short in (("python -m analysis ", "vitsim "), ("python -m simulator run ", "vitsim run "),
                        ("python -m workloads trace ", "vitsim trace "), ("python -m workloads ", "vitsim workloads ")):
        if cmd.startswith(long):
            return short + cmd[len(long):]
    return cmd


def _normal(line: str) -> str:
    """The command as written, without its comment, with single spaces (quoted arguments kept quoted)."""
    lex = shlex.shlex(line, posix=False, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = "#"
    return " ".join(lex)


def ordered(cmds: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Producers before the examples that read their outputs; otherwise document order."""
    outs = {c: set(_outputs(c)) for _, c in cmds}
    done: list[tuple[str, str]] = []
    pending = list(cmds)
    while pending:
        for k, (where, c) in enumerate(pending):
            needs = {t for t in _tokens(c) if t not in outs[c]}
            if not any(needs & outs[p] for _, p in pending if p != c):
                done.append(pending.pop(k))
                break
        else:
            done += pending
            break
    return done


def _tokens(cmd: str) -> list[str]:
    try:
        return shlex.split(cmd)
    except ValueError:
        return cmd.split()


def _outputs(cmd: str) -> list[str]:
    t = _tokens(cmd)
    return [t[i + 1].rstrip("/") for i, x in enumerate(t[:-1]) if x in OUT_FLAGS]


def _fixtures(d: Path) -> None:
    """The user's own files the docs name: a workload file, a SCALE-Sim config and topology, a QDQ ONNX model."""
    from simulator.scalesim_cfg import scalesim_cfg_text
    from workloads.resolve import resolve_workload
    from workloads.scalesim_io import write_topology

    resolve_workload("deit_small-w4a4").save(d / "my_model.yaml")
    (d / "my.cfg").write_text(scalesim_cfg_text("my", 32, 32, 256, 256, 128, "ws", 16))
    write_topology(resolve_workload("deit_tiny-w8a8"), d / "my_topo.csv")
    _qdq_attention(d / "model.onnx")
    _exported_mlp(d / "model.pt2")
    for name in ("sweeps", "hwconfigs", "examples", "benchmarks"):
        (d / name).symlink_to(ROOT / name)


def _qdq_attention(path: Path) -> None:
    """A QDQ (int8) attention block: x [1, 16, 32] -> q, k, v projections, q @ k^T, softmax, @ v, output
    projection, as ONNX Runtime's quantizer writes it."""
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import helper, numpy_helper

    n = helper.make_node
    inits = [numpy_helper.from_array(np.float32(0.05), "s"), numpy_helper.from_array(np.int8(0), "z")]
    nodes, last = [n("QuantizeLinear", ["x", "s", "z"], ["xq"]), n("DequantizeLinear", ["xq", "s", "z"], ["xd"])], {}

    def qdq(t):
        nodes.extend([n("QuantizeLinear", [t, "s", "z"], [t + "_q"]), n("DequantizeLinear", [t + "_q", "s", "z"],
                                                                          [t + "_d"])])
        return t + "_d"

    for w in ("q", "k", "v", "proj"):
        inits.append(numpy_helper.from_array(np.ones((32, 32), np.int8), f"W{w}"))
        nodes.append(n("DequantizeLinear", [f"W{w}", "s", "z"], [f"W{w}_d"]))
    for w in ("q", "k", "v"):
        nodes.append(n("MatMul", ["xd", f"W{w}_d"], [w], name=f"/blocks/blocks.0/attn/{w}/MatMul"))
        last[w] = qdq(w)
    nodes += [n("Transpose", [last["k"]], ["kt"], perm=[0, 2, 1], name="/blocks/blocks.0/attn/Transpose"),
              n("MatMul", [last["q"], "kt"], ["sc"], name="/blocks/blocks.0/attn/MatMul")]
    nodes.append(n("Softmax", [qdq("sc")], ["p"], axis=-1, name="/blocks/blocks.0/attn/Softmax"))
    nodes.append(n("MatMul", [qdq("p"), last["v"]], ["o"], name="/blocks/blocks.0/attn/MatMul_1"))
    nodes.append(n("MatMul", [qdq("o"), "Wproj_d"], ["y"], name="/blocks/blocks.0/attn/proj/MatMul"))
    g = helper.make_graph(nodes, "attn", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 16, 32])],
                          [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 16, 32])], inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)]), str(path))


def _exported_mlp(path: Path) -> None:
    """A saved torch.export program: LayerNorm, fc1, GELU, fc2 on [1, 16, 32] (float)."""
    torch = pytest.importorskip("torch")

    class Mlp(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.norm, self.fc1, self.act, self.fc2 = (torch.nn.LayerNorm(32), torch.nn.Linear(32, 128),
                                                       torch.nn.GELU(), torch.nn.Linear(128, 32))

        def forward(self, x):
            return self.fc2(self.act(self.fc1(self.norm(x))))

    torch.export.save(torch.export.export(Mlp(), (torch.zeros(1, 16, 32),)), path)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("doc_examples")
    _fixtures(d)
    return d


CASES = ordered(examples())
_failed: set[str] = set()


def _run(cmd: str, cwd: Path) -> tuple[int, str]:
    """Exit code and output of ``cmd`` in ``cwd`` (module docstring)."""
    argv = shlex.split(cmd, comments=True)
    mains = {"simulator": "simulator.cli", "workloads": "workloads.cli", "analysis": "analysis.cli"}
    if argv[0] == "vitsim" or (argv[:2] == ["python", "-m"] and argv[2] in mains):
        from importlib import import_module

        from workloads.cli_common import run_main

        main = import_module("analysis.cli_vitsim" if argv[0] == "vitsim" else mains[argv[2]]).main
        args = argv[1:] if argv[0] == "vitsim" else argv[3:]
        buf, old = io.StringIO(), os.getcwd()
        os.chdir(cwd)
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                code = run_main(main, args)
        finally:
            os.chdir(old)
        return code, buf.getvalue()
    argv = [sys.executable if a == "python" else a for a in argv]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=600, env=env)
    return r.returncode, r.stdout + r.stderr


def test_every_example_is_run_or_skipped_with_a_reason():
    cmds = {c for _, c in CASES}
    assert not set(SKIP) - cmds, f"SKIP names commands no doc has: {sorted(set(SKIP) - cmds)}"
    assert len(CASES) - len(SKIP) >= 40


@pytest.mark.slow
@pytest.mark.parametrize("where, cmd", CASES, ids=[c[:90] for _, c in CASES])
def test_doc_example_runs(where, cmd, workdir):
    if cmd in SKIP:
        pytest.skip(SKIP[cmd])
    needs = [c for _, c in CASES if c in _failed and set(_outputs(c)) & set(_tokens(cmd))]
    if needs:
        pytest.skip(f"its input comes from a failed example: {needs[0]}")
    code, out = _run(cmd, workdir)
    if code != 0:
        _failed.add(cmd)
    assert code == 0, f"{where}: `{cmd}` exited {code}:\n{out[-3000:]}"
