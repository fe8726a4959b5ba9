"""``vitsim fpga list``: the FPGA parts vitsim knows (simulator/fpga/devices.yaml), with their resources and sources."""

from __future__ import annotations

import argparse

from workloads.cli_common import Parser, add_output_args, emit, json_text, output_format, text_table

COLUMNS = ["name", "dsp", "lut", "ff", "bram36", "uram", "fmax_mhz", "static_w", "dsp_kind", "bram_kbit", "part",
           "board", "family", "source"]
TABLE = COLUMNS[:-1]


def build_parser(prog: str = "python -m simulator.cli_fpga") -> argparse.ArgumentParser:
    p = Parser(prog=f"{prog} fpga" if not prog.endswith("fpga") else prog,
               description="FPGA parts: resources available, typical clocks, static power and the vendor table each "
                           "row was read from. A part of your own: fpga: {device_file: FILE, device: NAME} or an "
                           "inline device mapping in the hardware YAML (docs/fpga.md).")
    sub = p.add_subparsers(dest="command", required=True)
    ls = sub.add_parser("list", help="the shipped FPGA parts")
    add_output_args(ls)
    return p


def main(argv: list[str] | None = None, prog: str = "vitsim") -> int:
    args = build_parser(prog).parse_args(argv)
    fmt = output_format(args)
    from simulator.fpga.devices import shipped_devices

    rows = [d.to_dict() for d in shipped_devices().values()]
    for r in rows:
        r["fmax_mhz"] = f"{r['fmax_mhz'][0]:g}-{r['fmax_mhz'][1]:g}"
        del r["default_fmax_mhz"]
    if fmt == "json":
        text = json_text(rows)
    elif fmt == "csv":
        from simulator.results import csv_text

        text = csv_text({c: [r[c] for r in rows] for c in COLUMNS})
    else:
        text = text_table("FPGA parts (simulator/fpga/devices.yaml; bram36: M20K blocks on Intel parts; fmax_mhz: "
                          "typical clocks of published designs; static_w: see docs/fpga.md)", TABLE,
                          [[r[c] for c in TABLE] for r in rows])
        text += "sources:\n" + "".join(f"  {r['name']}: {r['source']}\n" for r in rows)
    emit(text, args.output)
    return 0
