"""Regenerate docs/figures/report_int4_deit_small_w4a4.png: the main job's HTML report, rendered by headless Chromium.

    python tools/screenshot_report.py                      # the main job: vitsim report int4
    python tools/screenshot_report.py --height 3000 -o docs/figures/x.png -- int8 --workload deit_tiny-w4a4

Writes the report (``python -m analysis report ...``) into a temporary directory, opens it from its file URL
in ``chromium --headless`` at 1400 px wide, crops the white margin below the content and stores the PNG with
an adaptive 256-colour palette (a fraction of the size, no visible loss on charts and text). Needs Debian's
``chromium`` (``apt-get install chromium``) and Pillow (installed with matplotlib).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "figures" / "report_int4_deit_small_w4a4.png"


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("chromium not found: apt-get install chromium")


def render(html: Path, png: Path, width: int, height: int) -> None:
    subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={png}", f"--window-size={width},{height}", html.resolve().as_uri()],
                   check=True, capture_output=True, timeout=180)


def shrink(png: Path, out: Path) -> None:
    """Crop the white below the content, then save with a 256-colour adaptive palette."""
    from PIL import Image, ImageChops

    im = Image.open(png).convert("RGB")
    box = ImageChops.difference(im, Image.new("RGB", im.size, "white")).getbbox()
    if box:
        im = im.crop((0, 0, im.width, min(im.height, box[3] + 24)))
    out.parent.mkdir(parents=True, exist_ok=True)
    im.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=2300, help="pixels of the page captured from the top")
    ap.add_argument("report", nargs="*", default=["int4"], help="arguments of 'vitsim report' (default: int4)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        html, png = Path(tmp) / "report.html", Path(tmp) / "shot.png"
        subprocess.run([sys.executable, "-m", "analysis", "report", *args.report, "-o", str(html)], check=True,
                       cwd=ROOT)
        render(html, png, args.width, args.height)
        shrink(png, args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:,.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
