"""Energy: MAC energy by precision and PE type, SRAM/DRAM per bit, leakage, node scaling, breakdown sums."""

import pytest
from conftest import HWCONFIGS
from test_hardware import make_hw

from simulator import load_hardware, simulate
from simulator.energy import load_tech, mac_arith_pj, mac_reg_bits, static_pj, tech_for
from workloads.model import Layer, Workload

T = load_tech("horowitz45")


def test_mac_energy_hand_computed():
    """Fixed INT8, acc 32: 0.2 * 64/64 + 0.1 * 32/32 = 0.3 pJ (Horowitz 8b mult + 32b add).
    Scalable W4A4 (p = 4): 0.2*16/64 + 0.1*8/32 + 0.1/4 = 0.05 + 0.025 + 0.025 = 0.1 pJ.
    Bit-serial 8x8 serial in a (p = 1/8): 8 * (0.2*8/64 + 0.1) = 8 * 0.125 = 1.0 pJ.
    FP16 x FP16, FP32 accumulate: 1.1 + 0.9 = 2.0 pJ. BF16 x BF16, FP32 accumulate: 0.58 + 0.9 = 1.48 pJ."""
    assert mac_arith_pj(T, "fixed", "int", 8, 8, 32, 1) == pytest.approx(0.3)
    assert mac_arith_pj(T, "scalable", "int", 4, 4, 32, 4) == pytest.approx(0.1)
    assert mac_arith_pj(T, "bitserial", "int", 8, 8, 32, 1 / 8) == pytest.approx(1.0)
    assert mac_arith_pj(T, "float", "fp", 16, 16, 32, 1) == pytest.approx(2.0)
    assert mac_arith_pj(T, "float", "fp", 16, 16, 32, 1, "bf16") == pytest.approx(1.48)


def test_mac_energy_order_int4_w4a8_int8_fp16():
    """Same 1e6 MACs: INT4 < W4A8 < INT8 < FP16, on the shipped int4 (scalable) and fp16 arrays."""
    hw4, hw16 = load_hardware(HWCONFIGS / "int4.yaml"), load_hardware(HWCONFIGS / "fp16.yaml")

    def mac_energy(hw, w, a, dtype="int"):
        layer = Layer("g", "gemm", m=100, n=100, k=100, w_bits=w, a_bits=a, out_bits=8, dtype=dtype)
        return simulate(Workload("m", (layer,)), hw).layers["energy_mac_pj"].iloc[0]

    e = [mac_energy(hw4, 4, 4), mac_energy(hw4, 4, 8), mac_energy(hw4, 8, 8), mac_energy(hw16, 16, 16, "fp")]
    assert e[0] < e[1] < e[2] < e[3], e


def test_register_bits_per_dataflow():
    """os forwards a and w and updates the accumulator: 8 + 8 + 32 = 48 bits; ws 8 + 32; is 8 + 32;
    with 4 MACs per PE-cycle the accumulator update is shared: 4 + 4 + 32/4 = 16."""
    assert mac_reg_bits("os", 8, 8, 32, 1) == 48
    assert mac_reg_bits("ws", 8, 8, 32, 1) == 40 and mac_reg_bits("is", 8, 8, 32, 1) == 40
    assert mac_reg_bits("os", 4, 4, 32, 4) == 16


def test_sram_per_bit_points_and_interpolation():
    """Table points exact (8 KiB 10/64, 32 KiB 20/64 pJ/bit); 16 KiB halfway in log-log = sqrt(product)."""
    assert T.sram_pj_per_bit(8) == pytest.approx(10 / 64) and T.sram_pj_per_bit(32) == pytest.approx(20 / 64)
    assert T.sram_pj_per_bit(16) == pytest.approx((10 / 64 * 20 / 64) ** 0.5)
    assert T.sram_pj_per_bit(1) == T.sram_pj_per_bit(8) and T.sram_pj_per_bit(4096) == pytest.approx(100 / 64)


def test_dram_types():
    assert [T.dram_pj(t) for t in ("lpddr4", "ddr4", "hbm2", "ddr3")] == [8.0, 7.6, 3.9, 70.0]


def test_node_scaling_rule():
    """45 -> 28 nm at 0.9 V: logic/SRAM energy x 28/45, area x (28/45)^2, DRAM unchanged;
    0.9 -> 0.8 V at 45 nm: energy x (0.8/0.9)^2."""
    t28 = tech_for("horowitz45", 28, 0.9)
    assert t28.mult_pj(8, 8) == pytest.approx(0.2 * 28 / 45)
    assert t28.sram_pj_per_bit(32) == pytest.approx(20 / 64 * 28 / 45)
    assert t28.mult_um2(8, 8) == pytest.approx(282 * (28 / 45) ** 2)
    assert t28.dram_pj("lpddr4") == 8.0 and t28.leakage_mw_per_mm2 == T.leakage_mw_per_mm2
    assert tech_for("horowitz45", 45, 0.8).add_pj(32) == pytest.approx(0.1 * (0.8 / 0.9) ** 2)


def test_static_energy_is_leakage_times_time():
    """1 mW for 1000 cycles at 1000 MHz (1 us) = 1 nJ = 1000 pJ."""
    assert static_pj(1.0, 1000, 1000) == pytest.approx(1000.0)
    hw = make_hw()
    layer = Layer("g", "gemm", m=8, n=8, k=8)
    row = simulate(Workload("m", (layer,)), hw).layers.iloc[0]
    from simulator.energy import hw_costs

    leak = hw_costs(hw).leakage_mw
    assert leak == pytest.approx(T.leakage_mw_per_mm2 * hw_costs(hw).area["area_mm2"])
    assert row["energy_static_pj"] == pytest.approx(leak * row["total_cycles"] * 1e3 / 1000)


def test_leakage_override_in_config():
    hw = make_hw(tech={"table": "horowitz45", "leakage_mw_per_mm2": 0})
    r = simulate(Workload("m", (Layer("g", "gemm", m=8, n=8, k=8),)), hw)
    assert r.layers["energy_static_pj"].iloc[0] == 0.0


@pytest.mark.parametrize("name, workload", [("int8", "deit_small-w8a8"), ("int4", "deit_small-w4a4"),
                                            ("mixed", "deit_small-mixed"), ("fp16", "deit_small-fp16")])
def test_breakdown_sums_to_total(name, workload):
    from workloads import load_workload

    r = simulate(load_workload(workload), load_hardware(HWCONFIGS / f"{name}.yaml"))
    parts = ["energy_mac_pj", "energy_sram_pj", "energy_dram_pj", "energy_vector_pj", "ppu_energy_pj",
             "energy_static_pj", "energy_sparse_pj"]
    assert (r.layers[parts].sum(axis=1) - r.layers["energy_pj"]).abs().max() < 1e-6 * r.layers["energy_pj"].max()
    t = r.totals
    totals = ["energy_mac_uj", "energy_sram_uj", "energy_dram_uj", "energy_vector_uj", "energy_ppu_uj",
              "energy_static_uj", "energy_sparse_uj"]
    assert sum(t[p] for p in totals) == pytest.approx(t["energy_uj"])
    assert all(r.layers[p].min() >= 0 for p in parts)


def test_energy_per_bit_of_traffic():
    """DRAM energy = 8 * bytes * 8 pJ/bit (LPDDR4) for any layer."""
    hw = make_hw()
    r = simulate(Workload("m", (Layer("g", "gemm", m=16, n=16, k=16),)), hw).layers.iloc[0]
    assert r["energy_dram_pj"] == pytest.approx(8 * 8.0 * (r["dram_read_bytes"] + r["dram_write_bytes"]))
