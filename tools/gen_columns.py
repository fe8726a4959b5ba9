"""Write docs/columns.md from simulator/schema.py: every per-layer and total column with its unit and meaning.

    python tools/gen_columns.py            # rewrite docs/columns.md
    python tools/gen_columns.py --check    # exit 1 if docs/columns.md is stale (tests/test_docs.py runs this)
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "columns.md"


def render() -> str:
    from simulator.schema import FPGA_TOTAL_FIELDS, LAYER_FIELDS, TOTAL_FIELDS, TOTAL_LETS, TOTAL_MAPPINGS
    from simulator.schema_engines import ENGINE_FIELDS

    def table(fields, views: bool = True) -> list[str]:
        if not views:
            rows = ["| column | unit | type | meaning |", "|---|---|---|---|"]
            for f in fields:
                rows.append(f"| `{f.name}` | {f.unit or '-'} | {f.type.__name__} | {f.meaning.replace('|', '/')} |")
            return rows
        rows = ["| column | unit | type | meaning | view over the counts |", "|---|---|---|---|---|"]
        for f in fields:
            view = f"`{f.view}`" if f.view else "(layer or setup)"
            rows.append(f"| `{f.name}` | {f.unit or '-'} | {f.type.__name__} | {f.meaning.replace('|', '/')} | "
                        f"{view.replace('|', '/')} |")
        return rows

    lines = ["# Result columns", "",
             "Generated from `simulator/schema.py` by `python tools/gen_columns.py`; do not edit by hand (a test fails "
             "when this file is stale).", "",
             "Units: `cycles` are array clock cycles; `B` bytes (INT4 packs two elements per byte, so byte counts may "
             "be fractional); `pJ`, `uJ` energy; `ops` primitive operations; `elements` tensor elements.", "",
             "Whole and fractional cycles: the array's cycles (`compute_cycles`, `ppu_cycles`) are whole, typed `int`. "
             "A cycle count that includes DRAM time (memory stalls, the DRAM floor, prefetch, drain, and so "
             "`stall_cycles` and `total_cycles`) may be fractional: a transfer of B bytes takes B / (bytes per cycle) "
             "cycles, and vitsim keeps that fraction rather than rounding every transfer up (which would add up to "
             "one cycle per transfer). The command-line table "
             "prints whole counts without a decimal and says so under the table.", "",
             "Views: every count column is a formula over a layer's `Counts` (`C.`: cycles by cause, accesses "
             "`<level>_<operand>_<direction>` with level dram/ibuf/wbuf/obuf, `ibuf_rd` = the ifmap buffer's reads "
             "of every operand, ops `<kind>_ops`, MACs), its energy parts (`E.`, pJ), the design's numbers (`D.`) "
             "and prices (`P.`), the PE mode's MACs per cycle (`S.p`); totals over the network's summed counts "
             "(`N.`). simulator/model/counts.py and views.py say how; docs/architecture.md draws it.", "",
             "## Per layer (`layers.csv`, `result.json` `layers`, `simulate(...).layers`)", ""]
    lines += table(LAYER_FIELDS)
    lines += ["", "## Totals (`result.json` `totals`, `simulate_totals(...)`, sweep result columns)", "",
              "Temporaries of the totals' views: " + "; ".join(f"`{n} = {e}`" for n, e in TOTAL_LETS) + ".", ""]
    lines += table(TOTAL_FIELDS)
    lines += ["", "Mappings (JSON totals only; not sweep columns):", ""]
    lines += table(TOTAL_MAPPINGS, views=False)
    lines += ["", "## FPGA totals (designs with an `fpga` section only; docs/fpga.md)", "",
              "Present in `result.json` `totals`, `simulate(...).totals` and sweep columns only for a hardware config "
              "with an `fpga` section (a sweep whose base has one); absent for every other design, whose outputs are "
              "unchanged.", ""]
    lines += table(FPGA_TOTAL_FIELDS, views=False)
    lines += ["", "## Engines (chips of several engines only; docs/engines.md)", "",
              "`result.json` `engines` and `simulate(...).engines` (`EngineResult`, from `simulator/schema_engines.py`)"
              " for a hardware config with `engines:`; absent for every other design. On such a chip the totals' "
              "`total_cycles` is the schedule's makespan in the first engine's clock; `compute_cycles`, "
              "`stall_cycles`, `gemm_cycles` and `vector_cycles` sum the engines' busy cycles.", ""]
    lines += table(ENGINE_FIELDS, views=False)
    lines += ["", "Sweeps add `<x>_frac = <x>_cycles / total_cycles` for every `*_cycles` total but `total_cycles`, "
              "the axis columns, `point_id`, `design`, `workload`, `feasible` and `error` (docs/sweeps.md).", ""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not DOC.is_file() or DOC.read_text() != text:
            print(f"{DOC} is stale: run python tools/gen_columns.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(text)
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
