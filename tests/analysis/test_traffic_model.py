"""The roofline and the simulator count the same traffic (``simulator.model.traffic``, the one traffic model).

SRAM: the roofline's array-side bytes are the simulator's per-layer ``sram_ifmap_read_bytes +
sram_filter_read_bytes + sram_ofmap_write_bytes + sram_ofmap_read_bytes``. DRAM: the roofline's bytes are the
compulsory traffic (every operand once), never above the simulator's ``dram_read_bytes + dram_write_bytes`` and
equal to it when every operand fits its buffer.
"""

from dataclasses import replace

import pytest

from analysis.devices import device_from_hardware
from analysis.roofline import analyze, layer_roofline
from simulator import load_hardware, simulate, simulate_layer
from workloads.model import Layer
from workloads.registry import load_workload

ZOO = ("deit_small-w4a4", "swin_tiny-w8a8", "levit_128s-w4a8")
HARDWARE = ("int4", "int8", "tpu_v1")
DATAFLOWS = ("os", "ws", "is")
CASES = [(z, h, d) for z in ZOO for h in HARDWARE for d in DATAFLOWS]
HUGE_KIB = 1 << 20          # 1 GiB per buffer: every operand of these workloads fits


def _hw(name: str, dataflow: str, temporal_tiling: str | None = None, buffers_kib: float | None = None):
    hw = load_hardware(name)
    array = replace(hw.array, dataflow=dataflow)
    array = replace(array, temporal_tiling=temporal_tiling) if temporal_tiling else array
    hw = replace(hw, array=array)
    if buffers_kib is not None:
        hw = replace(hw, buffers=replace(hw.buffers, ifmap_kib=buffers_kib, weight_kib=buffers_kib,
                                         ofmap_kib=buffers_kib))
    return hw


def _from_dram(hw):
    """Every activation read from and written to DRAM (the roofline's compulsory traffic moves each operand once
    from DRAM) where the hardware has a network memory plan that could keep activations on chip."""
    memory = getattr(hw, "memory", None)
    return hw if memory is None else replace(hw, memory=replace(memory, activations="dram"))


def _pairs(zoo: str, hw):
    """(simulated row, roofline record) of every layer, matched by name."""
    w = load_workload(zoo)
    rows = simulate(w, hw).layer_results
    rf = analyze(w, device_from_hardware(hw), crossover=False)
    assert [r.name for r in rows] == [lr.name for lr in rf.layers]
    return list(zip(rows, rf.layers, w.layers))


def _sim_sram(r) -> float:
    return r.sram_ifmap_read_bytes + r.sram_filter_read_bytes + r.sram_ofmap_write_bytes + r.sram_ofmap_read_bytes


def _stationary_bytes(layer: Layer, dataflow: str) -> float:
    """Bytes of the operand a ws/is array holds stationary (ws: the filter, is: the ifmap); os has none."""
    return {"os": 0.0, "ws": layer.k * layer.n * layer.w_bits / 8 * layer.repeat,
            "is": layer.m * layer.k * layer.a_bits / 8 * layer.repeat}[dataflow]


# ------------------------------------------------------------------------------------------------- SRAM
@pytest.mark.parametrize("zoo,hw_name,dataflow", CASES)
def test_roofline_sram_bytes_equal_the_simulators(zoo, hw_name, dataflow):
    """Every GEMM layer, temporal tiling off (one pass over the temporal dimension per fold): the roofline's
    SRAM bytes are exactly the simulator's array-side bytes."""
    gemms = [(r, lr) for r, lr, layer in _pairs(zoo, _hw(hw_name, dataflow, "off")) if layer.is_gemm]
    assert len(gemms) > 20
    for r, lr in gemms:
        assert r.temporal_chunks == 1, lr.name
        assert lr.sram_bytes == _sim_sram(r), (lr.name, lr.sram_bytes, _sim_sram(r))


@pytest.mark.parametrize("zoo,hw_name,dataflow", CASES)
def test_temporal_chunks_reread_the_stationary_operand(zoo, hw_name, dataflow):
    """Temporal tiling on (the shipped setting): a ws/is layer split into c chunks re-loads its stationary operand
    into the array once per chunk, so the simulator's array-side bytes are the roofline's (one pass, the minimum)
    plus (c - 1) x the stationary operand's bytes. The roofline does not model the chunking decision yet
    (it depends on the buffers; see docs/roofline.md), so its SRAM bytes stay a lower bound here."""
    gemms = [(r, lr, layer) for r, lr, layer in _pairs(zoo, _hw(hw_name, dataflow, "auto")) if layer.is_gemm]
    assert len(gemms) > 20
    for r, lr, layer in gemms:
        extra = (r.temporal_chunks - 1) * _stationary_bytes(layer, dataflow)
        assert lr.sram_bytes + extra == _sim_sram(r), (lr.name, r.temporal_chunks, lr.sram_bytes, _sim_sram(r))


def test_temporal_chunks_happen_in_the_zoo():
    """swin_tiny-w8a8 on int8.yaml (ws, 128 KiB ofmap buffer, acc 32): layers.0.blocks.0.attn.qkv, M = 3136,
    N = 288, K = 96, spills its partial sums and splits M into chunks of 128 KiB * 8 / 2 / (64 * 32) = 256 rows:
    ceil(3136 / 256) = 13 chunks; its 96 x 288 filter (27,648 B) is read 13 times: 12 x 27,648 = 331,776 B more
    than the roofline's 9,661,440."""
    pairs = {lr.name: (r, lr) for r, lr, _ in _pairs("swin_tiny-w8a8", _hw("int8", "ws", "auto"))}
    r, lr = pairs["layers.0.blocks.0.attn.qkv"]
    assert r.temporal_chunks == 13
    assert lr.sram_bytes == 9_661_440
    assert _sim_sram(r) - lr.sram_bytes == 12 * 96 * 288 == 331_776


def test_deit_small_fc1_w4a4_ws_hand_computed():
    """DeiT-S fc1 at W4A4, M x N x K = 197 x 1536 x 384, on int4.yaml switched to ws (64 x 64, W4A4 mode p = 4,
    acc_bits 32, out_bits 4). Rows hold K in blocks of R*p = 256: nr = ceil(384/256) = 2 row folds; columns hold N:
    nc = 1536/64 = 24 column folds; M streams (197 < the 256-row chunk: no temporal tiling).
      ifmap reads   = M*K*nc * 4/8          = 197*384*24 / 2         =   907,776 B
      filter reads  = K*N * 4/8 (stationary, once)  = 384*1536 / 2   =   294,912 B
      ofmap writes  = M*N * (out_bits + (nr-1)*acc_bits)/8 = 302,592 * 36/8 = 1,361,664 B
                      (151,296 B of outputs at 4 bits + 1,210,368 B of partial sums at 32 bits)
      read-backs    = M*N*(nr-1) * 32/8     = 302,592 * 4            = 1,210,368 B
      total                                                          = 3,774,720 B
    The roofline's old formula (A*nc + W + O*nk, partial sums at out_bits, no read-back) gave
    907,776 + 294,912 + 151,296*2 = 1,505,280 B."""
    hw = _hw("int4", "ws")
    fc1 = Layer("blocks.0.mlp.fc1", "gemm", m=197, n=1536, k=384, w_bits=4, a_bits=4, out_bits=4, acc_bits=32,
                w_granularity="channel")
    lr = layer_roofline(fc1, device_from_hardware(hw))
    assert lr.sram_bytes == 907_776 + 294_912 + 1_361_664 + 1_210_368 == 3_774_720
    r = {lr.name: r for r, lr, _ in _pairs("deit_small-w4a4", hw)}["blocks.0.mlp.fc1"]
    assert (r.sram_ifmap_read_bytes, r.sram_filter_read_bytes, r.sram_ofmap_write_bytes,
            r.sram_ofmap_read_bytes) == (907_776, 294_912, 1_361_664, 1_210_368)


# ------------------------------------------------------------------------------------------------- DRAM
@pytest.mark.parametrize("buffers_kib", [None, 8])
@pytest.mark.parametrize("zoo,hw_name,dataflow", CASES)
def test_roofline_dram_bytes_never_exceed_the_simulators(zoo, hw_name, dataflow, buffers_kib):
    """Every layer (GEMM and vector), shipped buffers and 8 KiB buffers (refetches, spills): the compulsory bytes
    (scales included) are at most the simulator's modelled DRAM bytes."""
    pairs = _pairs(zoo, _from_dram(_hw(hw_name, dataflow, buffers_kib=buffers_kib)))
    assert len(pairs) > 100
    for r, lr, _ in pairs:
        assert lr.bytes <= r.dram_read_bytes + r.dram_write_bytes, (lr.name, lr.bytes,
                                                                   r.dram_read_bytes + r.dram_write_bytes)


def test_small_buffers_move_more_than_compulsory():
    """The <= above is not an equality in disguise: with 8 KiB buffers deit_small-w4a4 on int8.yaml (ws) refetches,
    so the simulator moves strictly more DRAM bytes than the compulsory traffic in total."""
    pairs = _pairs("deit_small-w4a4", _from_dram(_hw("int8", "ws", buffers_kib=8)))
    assert sum(lr.bytes for _, lr, _ in pairs) < sum(r.dram_read_bytes + r.dram_write_bytes for r, _, _ in pairs)


@pytest.mark.parametrize("zoo,hw_name,dataflow", CASES)
def test_roofline_dram_bytes_equal_the_simulators_when_everything_fits(zoo, hw_name, dataflow):
    """1 GiB buffers: every operand is fetched once and no partial sum spills, so the simulator's DRAM bytes are
    exactly the compulsory bytes, layer by layer."""
    pairs = _pairs(zoo, _from_dram(_hw(hw_name, dataflow, buffers_kib=HUGE_KIB)))
    assert len(pairs) > 100
    for r, lr, _ in pairs:
        assert lr.bytes == r.dram_read_bytes + r.dram_write_bytes, (lr.name, lr.bytes,
                                                                   r.dram_read_bytes + r.dram_write_bytes)


def test_options_and_totals_name_the_traffic():
    """The roofline says which traffic each level counts; totals sum the layers."""
    w = load_workload("deit_small-w4a4")
    rf = analyze(w, device_from_hardware(_hw("int4", "ws")), crossover=False)
    assert rf.options["dram_traffic"].startswith("compulsory")
    assert rf.options["sram_traffic"].startswith("array-side")
    assert rf.totals["dram_bytes"] == sum(lr.bytes for lr in rf.layers)
    assert rf.totals["sram_bytes"] == sum(lr.sram_bytes for lr in rf.layers if lr.sram_bytes is not None)
    assert rf.to_dict()["options"]["sram_traffic"] == rf.options["sram_traffic"]


# ------------------------------------------------------------------------------ the SRAM level's bandwidth
def _one_gemm():
    """int8.yaml (ws, 64 x 64, p = 1, acc 32) with a 2 MiB ofmap buffer (partial sums stay on chip) and
    1000 GB/s DRAM (DRAM time negligible), buffers stated double-buffered (a fold's 64 x 4096 B ifmap tile fills
    the 256 KiB ifmap buffer: left to the tiles, its depth would be 1), and a W8A8 GEMM M x N x K = 4096 x 64 x 640:
    simulated row (a dict) and roofline record."""
    hw = load_hardware("int8")
    hw = replace(hw, buffers=replace(hw.buffers, ofmap_kib=2048, ifmap_depth=2, weight_depth=2, ofmap_depth=2),
                 dram=replace(hw.dram, bandwidth_gbps=1000))
    layer = Layer("g", "gemm", m=4096, n=64, k=640)
    return hw, simulate_layer(layer, hw), layer_roofline(layer, device_from_hardware(hw))


def test_read_back_heavy_gemm_hand_computed():
    """The GEMM of ``_one_gemm``: nr = 10 row folds, one column fold; compute = 10 x (4096 + 2*64 + 64 - 2) - 1 =
    42,859 cycles, no stall. Array-side bytes: ifmap 4096*640 = 2,621,440; filter 640*64 = 40,960; ofmap writes
    4096*64*(8 + 9*32)/8 = 9,699,328; read-backs 4096*64*9*4 = 9,437,184; total 21,798,912 B, moved in 42,859
    cycles = 508.6 B/cycle. The SRAM level's bandwidth (analysis/devices.py, array edge: operands in
    (64*8 + 64*8)/8 = 128, partial sums out 64*32/8 = 256 and back in 256: 640 B/cycle) puts them at 34,061 cycles."""
    hw, r, lr = _one_gemm()
    assert r["compute_cycles"] == r["total_cycles"] == 42_859
    assert lr.sram_bytes == 2_621_440 + 40_960 + 9_699_328 + 9_437_184 == 21_798_912
    assert lr.sram_time_s * hw.freq_mhz * 1e6 == pytest.approx(21_798_912 / 640)


def test_sram_bound_never_beats_the_simulated_time():
    """The GEMM of ``_one_gemm`` standing alone takes 42,859 + fill + drain = 43,524 cycles. The array moves
    508.6 B/cycle: ifmap in 64 B, filter in 64 B, partial sums out 256 B, and 64 partial sums x 32 bits = 256 B
    per cycle back for accumulation. With that read-back port (640 B/cycle) the SRAM bound is 34,061 cycles
    (without it, 384 B/cycle, the bound would be 56,768: above the simulated time)."""
    hw, r, lr = _one_gemm()
    assert r["total_cycles"] + r["prefetch_cycles"] + r["drain_cycles"] >= lr.time_s * hw.freq_mhz * 1e6
