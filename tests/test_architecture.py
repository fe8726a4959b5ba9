"""The layout is the architecture: every import of workloads/, simulator/ and analysis/ (hwconfigs/ too once it is a
package) goes one way, and these tests fail the moment one does not.

Every ``.py`` file is parsed with ``ast``; every import counts, also one inside a function, a ``try`` or an ``if``
(relative imports are resolved). An import names the module it loads: ``from pkg import name`` is an edge to
``pkg.name`` when that is a module, else to ``pkg`` itself (its ``__init__``: importing a package's re-exports from
inside it is an edge to the package like any other).

- floors: workloads (0) < simulator (1) < analysis (2); a module imports only its own floor and the ones below.
  hwconfigs, if a package, is data: any floor may import it and it imports none of them.
- no import cycle between modules, direct or around a loop (the failure prints the loop).
- library modules never import command-line modules (``cli``, ``cli_*``, ``cmd_*``, ``__main__``).
- ``import simulator`` in a fresh interpreter loads none of the heavy optional packages.
- every module is under MAX_LINES lines.
The checker itself is tested on a synthetic package, so that each rule is seen to fail.
"""

from __future__ import annotations

import ast
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = {"workloads": 0, "simulator": 1, "analysis": 2}
DATA_PACKAGES = ("hwconfigs",)      # floor -1 when a package: imported by anyone, imports nothing of ours
HEAVY = ("torch", "timm", "pandas", "matplotlib", "dask", "rich", "numba")
MAX_LINES = 400


# ------------------------------------------------------------------------------------------ the checker
def module_files(root: Path, packages) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under each package directory of ``root``."""
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _resolve(name: str, modules) -> str | None:
    """The longest known module that ``name`` is, or is inside (``a.b.attr`` -> ``a.b``)."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in modules:
            return cand
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules) -> list[tuple[str, int]]:
    """(imported module of ours, line) for every import statement anywhere in the file."""
    is_pkg = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name, modules)
                if target is not None:
                    out.append((target, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                target = sub if sub in modules else _resolve(source, modules)
                if target is not None:
                    out.append((target, node.lineno))
    return out


def import_graph(root: Path, packages) -> tuple[dict[str, Path], dict[str, dict[str, int]]]:
    """Modules and edges ``src -> {dst: first line}`` (self-imports of a package's own name dropped)."""
    files = module_files(root, packages)
    graph: dict[str, dict[str, int]] = {}
    for mod, path in files.items():
        edges = graph.setdefault(mod, {})
        for dst, line in imports_of(mod, path, files):
            if dst != mod:
                edges.setdefault(dst, line)
    return files, graph


def floor_of(module: str) -> int:
    top = module.split(".")[0]
    return -1 if top in DATA_PACKAGES else FLOORS[top]


def is_cli(module: str) -> bool:
    last = module.split(".")[-1]
    return last in ("cli", "__main__") or last.startswith(("cli_", "cmd_"))


def upward_imports(graph) -> list[str]:
    return [f"{src} (floor {floor_of(src)}) imports {dst} (floor {floor_of(dst)}), line {line}"
            for src, edges in sorted(graph.items()) for dst, line in sorted(edges.items())
            if floor_of(dst) > floor_of(src)]


def cli_imports(graph) -> list[str]:
    return [f"{src} imports the command-line module {dst}, line {line}"
            for src, edges in sorted(graph.items()) if not is_cli(src)
            for dst, line in sorted(edges.items()) if is_cli(dst)]


def tangles(graph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan): modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    comps: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sorted(comps)


def cycles(graph) -> list[list[str]]:
    """One shortest loop ``[a, b, ..., a]`` per tangle."""
    return [_loop(graph, comp) for comp in tangles(graph)]


def _loop(graph, comp: list[str]) -> list[str]:
    """A shortest loop through the first module of a strongly connected component (breadth-first, inside it)."""
    start, members = comp[0], set(comp)
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph.get(v, {})):
                if w not in members or w in prev:
                    continue
                prev[w] = v
                if w == start:
                    path = [start]
                    while path[-1] != start or len(path) == 1:
                        path.append(prev[path[-1]])
                    return path[::-1]
                nxt.append(w)
        frontier = nxt
    return comp  # pragma: no cover - a strongly connected component always has a loop


def _show(graph, loop: list[str]) -> str:
    return " -> ".join(f"{a} (line {graph[a][b]})" for a, b in itertools.pairwise(loop)) + f" -> {loop[-1]}"


def long_modules(files, root: Path, max_lines: int = MAX_LINES) -> list[str]:
    counts = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in files.values()}
    return [f"{path.relative_to(root).as_posix()}: {n} lines" for path, n in sorted(counts.items()) if n >= max_lines]


# ------------------------------------------------------------------------------------------ the project
PACKAGES = list(FLOORS) + [p for p in DATA_PACKAGES if (ROOT / p / "__init__.py").exists()]


@pytest.fixture(scope="module")
def project():
    return import_graph(ROOT, PACKAGES)


def test_the_scan_sees_the_project(project):
    """Guard against a vacuous pass: the known modules and a function-level import are found."""
    files, graph = project
    assert {"workloads.model", "simulator", "analysis.roofline", "analysis.cli"} <= set(files)
    assert len(files) > 40
    assert "workloads.model" in graph["analysis.roofline"]


def test_no_upward_import(project):
    """workloads < simulator < analysis: a floor imports only itself and the floors below."""
    bad = upward_imports(project[1])
    assert not bad, "upward imports:\n  " + "\n  ".join(bad)


def test_no_import_cycle(project):
    graph = project[1]
    shown = [_show(graph, _loop(graph, comp)) + (f"  [tangled: {', '.join(comp)}]" if len(comp) > 2 else "")
             for comp in tangles(graph)]
    assert not shown, "import cycles:\n  " + "\n  ".join(shown)


def test_library_modules_never_import_the_command_line(project):
    bad = cli_imports(project[1])
    assert not bad, "library modules importing CLI modules:\n  " + "\n  ".join(bad)


def test_import_simulator_stays_light():
    code = (f"import json, sys, simulator; print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    assert loaded == [], f"`import simulator` loads {', '.join(loaded)}"


def test_modules_are_short(project):
    bad = long_modules(project[0], ROOT)
    assert not bad, f"modules of {MAX_LINES} lines or more:\n  " + "\n  ".join(bad)


# ------------------------------------------------------------------------------------------ the checker fails
def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def test_checker_sees_every_violation(tmp_path):
    """A synthetic project with one of each fault: function-level and relative imports are followed, a package's
    re-export counts, and every rule reports."""
    _write(tmp_path, {
        "workloads/__init__.py": "from workloads.a import A\n",
        "workloads/a.py": "A = 1\n\ndef f():\n    from ..simulator import engine\n",           # upward, relative
        "workloads/b.py": "from . import A\n" + "x = 1\n" * 5,                                  # re-export: b -> workloads
        "workloads/cli.py": "import workloads.b\n",
        "simulator/__init__.py": "",
        "simulator/engine.py": "def g():\n    import simulator.energy\n",
        "simulator/energy.py": "from simulator.engine import g\nfrom workloads.cli import x\n",  # cycle; CLI import
        "analysis/__init__.py": "",
        "analysis/ok.py": "import simulator\nfrom workloads import a\n",
    })
    files, graph = import_graph(tmp_path, list(FLOORS))
    assert graph["workloads.b"] == {"workloads": 1}
    assert graph["analysis.ok"] == {"simulator": 1, "workloads.a": 2}
    assert upward_imports(graph) == ["workloads.a (floor 0) imports simulator.engine (floor 1), line 4"]
    assert cli_imports(graph) == ["simulator.energy imports the command-line module workloads.cli, line 2"]
    loops = cycles(graph)
    assert loops == [["simulator.energy", "simulator.engine", "simulator.energy"]]
    assert _show(graph, loops[0]) == ("simulator.energy (line 1) -> simulator.engine (line 2) -> simulator.energy")
    assert long_modules(files, tmp_path, max_lines=5) == ["workloads/b.py: 6 lines"]


def test_checker_reports_a_loop_through_a_package_init(tmp_path):
    _write(tmp_path, {
        "workloads/__init__.py": "from workloads.trace import trace\n",
        "workloads/trace/__init__.py": "from workloads.trace.api import trace\n",
        "workloads/trace/api.py": "def trace():\n    from workloads.trace.quant import q\n",
        "workloads/trace/quant.py": "from workloads.trace import trace\n",
    })
    _, graph = import_graph(tmp_path, ["workloads"])
    assert cycles(graph) == [["workloads.trace", "workloads.trace.api", "workloads.trace.quant", "workloads.trace"]]


def test_the_one_design_cli_run_imports_no_numpy():
    """``vitsim run int4`` (one design, table on stdout) runs on Python numbers only: numpy (about 65 ms to import)
    is loaded only where arrays come in (sweeps, DataFrames, FPGA sweep totals)."""
    import subprocess
    import sys

    code = ("import sys, io, contextlib\n"
            "from simulator.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['run', 'int4'])\n    except SystemExit:\n        pass\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'numba', 'torch') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]", r.stderr
