"""Docs generated from code stay true: docs/columns.md is the schema's."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_columns_doc_is_fresh():
    """tools/gen_columns.py --check exits 0 only when docs/columns.md equals what the schema renders."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_columns.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_every_result_column_is_documented():
    """Every column simulate() produces is declared in the schema (and so in docs/columns.md), and back."""
    from simulator import load_hardware, simulate
    from simulator.schema import LAYER_NAMES, TOTAL_FIELDS, TOTAL_MAPPINGS
    from workloads import load_workload

    r = simulate(load_workload("deit_tiny-w8a8"), load_hardware("int8"))
    assert list(r.columns()) == list(LAYER_NAMES)
    assert set(r.totals.to_dict()) == {f.name for f in TOTAL_FIELDS + TOTAL_MAPPINGS}
    doc = (ROOT / "docs" / "columns.md").read_text()
    missing = [n for n in LAYER_NAMES if f"`{n}`" not in doc]
    assert missing == []


def test_formats_defaults_are_fresh():
    """tools/gen_formats.py --check: docs/formats.md lists every default the loaders fill in, as they fill it."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_formats.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


def test_doc_figures_are_fresh():
    """tools/gen_doc_figures.py --check: the figures docs/energy.md and docs/roofline.md quote are what the code
    prints today."""
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_doc_figures.py"), "--check"], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr


# "issue 12", "issue #5", "issues 3": internal history. A citation of another project's tracker says so
# ("upstream issue #130") and is allowed.
HISTORY = re.compile(r"(?<!upstream )\bissues? ?#?\d+", re.IGNORECASE)
SOURCE_PACKAGES = ("simulator", "analysis", "workloads")


def user_facing_files() -> list[Path]:
    """README, docs/**/*.md except the validation-designs page (a generated audit trail), every shipped YAML."""
    docs = [p for p in sorted((ROOT / "docs").rglob("*.md")) if p.name != "validation-designs.md"]
    yamls = [p for p in sorted(ROOT.rglob("*.yaml"))
             if not {"tests", ".git"} & set(p.relative_to(ROOT).parts)]
    return [ROOT / "README.md", *docs, *yamls]


def all_help_texts() -> dict[str, str]:
    """``--help`` of every command and sub-command of every command line (vitsim and the python -m ones)."""
    import argparse

    from analysis import cli as analysis_cli
    from analysis import cli_vitsim
    from simulator import cli as simulator_cli
    from simulator import cli_fpga
    from workloads import cli as workloads_cli

    texts = {"vitsim": cli_vitsim.usage()}

    def walk(name: str, parser: argparse.ArgumentParser) -> None:
        texts[name] = parser.format_help()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(f"{name} {sub_name}", sub)

    for name, mod in (("simulator", simulator_cli), ("analysis", analysis_cli), ("workloads", workloads_cli),
                      ("fpga", cli_fpga)):
        walk(name, mod.build_parser())
    return texts


def history_hits(text: str) -> list[str]:
    return [m.group(0) for m in HISTORY.finditer(text)]


def test_history_pattern_can_fail():
    """The pattern catches the forms user text used to carry and spares another project's tracker."""
    assert history_hits("as before issue 12 part 3 (issue 16); see Issue #5") == ["issue 12", "issue 16", "Issue #5"]
    assert history_hits("counts stalls twice (upstream issue #130); a lane issues one op") == []


def test_no_internal_history_in_docs_and_yaml():
    """README, docs (except docs/validation-designs.md) and every shipped YAML say what the behaviour is, not which
    issue changed it."""
    found = {str(p.relative_to(ROOT)): history_hits(p.read_text()) for p in user_facing_files()}
    assert len(found) > 50  # README, the docs pages and the shipped YAMLs were all read
    assert {f: h for f, h in found.items() if h} == {}


def test_no_internal_history_in_help():
    """Every command's --help (vitsim, python -m simulator|analysis|workloads, vitsim fpga)."""
    texts = all_help_texts()
    assert {"simulator run", "analysis report", "analysis sweep", "workloads list"} <= set(texts)
    assert {name: history_hits(t) for name, t in texts.items() if history_hits(t)} == {}


def test_no_internal_history_in_messages():
    """Error messages and report text are string literals in the packages: none names an issue."""
    found = {}
    for pkg in SOURCE_PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and history_hits(node.value):
                    found.setdefault(str(path.relative_to(ROOT)), []).extend(history_hits(node.value))
    assert found == {}
