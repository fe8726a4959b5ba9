"""docs/fpga.md "Calibration" and "Validation": every row's band, asserted.

Calibration design (at most two allowed; one used): ME-ViT on an Alveo U200 (arXiv:2402.09709v1,
docs/reference/me_vit/README.md). Its two power points set the static power per LUT and the dynamic scale
(simulator/fpga/costs.yaml ``power``), so the power rows hold by construction; the DSP rows check the packing.
Validation rows: none yet (docs/fpga.md says why); the table is asserted empty so that adding a row means adding
its band here.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from simulator.fpga.resources import fpga_power_w, fpga_use
from simulator.loader import load_hardware

# (row, published, band): docs/fpga.md "Calibration"
PUBLISHED_POWER_W = {300: 9.3, 150: 6.5}        # ME-ViT Table III, one ME-PE
PUBLISHED_DSP_PSYS32 = 0.023                      # FPS/DSP at 23.98 FPS: 23.98 / 0.023 = 1,043 DSPs (DERIVED)
PUBLISHED_FPS_300 = 23.98


def me_vit(psys: int | None = None, freq: float | None = None):
    hw = load_hardware("me_vit")
    if psys is not None:
        hw = replace(hw, array=replace(hw.array, rows=psys, cols=psys), vector=replace(hw.vector, lanes=psys),
                     ppu=replace(hw.ppu, lanes=psys))
    return hw if freq is None else replace(hw, freq_mhz=freq)


@pytest.mark.parametrize("freq", [300, 150])
def test_calibration_power(freq):
    hw = me_vit(freq=freq)
    static, dyn = fpga_power_w(fpga_use(hw), hw.fpga.device.static_w)
    assert (static + dyn) / PUBLISHED_POWER_W[freq] == pytest.approx(1.0, abs=0.01)


def test_calibration_dsps_psys32():
    """1,088 DSPs (1,024 MACs at 2 per DSP + 64 for the PPU) against the 1,043 ME-ViT's FPS/DSP implies: 1.04."""
    dsp = fpga_use(me_vit()).used["dsp"]
    ratio = dsp / (PUBLISHED_FPS_300 / PUBLISHED_DSP_PSYS32)
    assert 0.85 <= ratio <= 1.15
    assert dsp == 1088


def test_calibration_dsps_psys16():
    """'For PSYS = 16, 256 DSPs are used': the array's DSPs are exactly 16 * 16 * 2 / 2 = 256; with the PPU's 32,
    288 (1.125, within 15 %)."""
    use = fpga_use(me_vit(16))
    assert use.parts["macs"] == {"dsp": 256}
    assert 0.85 <= use.used["dsp"] / 256 <= 1.15


VALIDATION_ROWS: list = []      # docs/fpga.md "Validation": none could be built from readable tables (see there)


def test_validation_table_is_as_documented():
    assert VALIDATION_ROWS == []
