"""The GEMM kernel's codes and vector layouts (constants only), shared by kernel.py and foldwalk.py."""

OS, WS, IS = 0, 1, 2
INPUT, PSUM, OUTPUT = 0, 1, 2
IFMAP, FILTER, OFMAP, WRITE = 0, 1, 2, 3           # operand codes (WRITE: the ofmap write-back queue)
ROLES = ((IFMAP, FILTER, OFMAP), (IFMAP, OFMAP, FILTER), (FILTER, OFMAP, IFMAP))   # (X, Y, Z) per dataflow

# input vector of ``gemm`` (one row per GEMM in the batch kernel)
(P_DF, P_M, P_N, P_K, P_ROWS, P_COLS, P_MACS, P_ABITS, P_WBITS, P_OBITS, P_ACC, P_IFMAP_B, P_WEIGHT_B,
 P_OFMAP_B, P_BPC, P_LAT, P_REPEAT, P_TTILE, P_ONCHIP, P_ARRAY, P_CV_H, P_CV_W, P_CV_C, P_CV_KH, P_CV_KW, P_CV_S,
 P_CV_P, P_CV_HO, P_CV_WO, P_CV_IMAGES, P_DEPTH_I, P_DEPTH_W, P_DEPTH_O, P_GPACK, P_GROUPS) = range(35)
N_PARAMS = 35
# P_DEPTH_*: stated depth (slots) of the ifmap, weight and ofmap buffers, 0 where not stated (foldwalk.depth_of)
DEFAULT_DEPTH = 2      # = simulator.hardware.config.DEFAULT_DEPTH (a test pins them equal)
# P_CV_*: a conv's geometry per group (simulator/model/convtile.py): input H, W, channels per group, filter Fh, Fw,
# stride, padding, output Ho, Wo, images; P_CV_H = 0: no geometry (the input is the im2col GEMM's ifmap)
# P_GPACK, P_GROUPS: a grouped conv packed onto the array (simulator/model/grouped.py): G groups per packed GEMM
# (the GEMM's filter bits are w_bits / G) and g, the conv's groups (P_REPEAT copies hold g groups: traffic x
# g / (copies G)); P_GROUPS = 0: not packed
# P_ARRAY: how folds follow each other (kernel.fold_timing): SCALE-Sim's fold by fold, pipelined systolic, broadcast
ARR_SERIAL, ARR_PIPELINED, ARR_BROADCAST = 0, 1, 2
# P_ONCHIP bits: operands kept on chip by the network's memory plan (simulator/model/residency.py), no DRAM bits
ON_IFMAP, ON_FILTER, ON_OFMAP = 1, 2, 4

# output vector (cycles; traffic in bytes unless named; element counts for *_READS/_WRITES)
(COMPUTE, LINES, ROW_FOLDS, COL_FOLDS, MAP_EFF, STALL, STALL_IFMAP, STALL_FILTER, STALL_OFMAP, STALL_WRITE,
 PREFETCH, DRAIN, DRAM_IFMAP, DRAM_FILTER, DRAM_OFMAP, DRAM_WRITE, DRAM_PSUM_READ, DRAM_PSUM_WRITE,
 IFMAP_READS, FILTER_READS, OFMAP_WRITES, SRAM_IFMAP_READ, SRAM_FILTER_READ, SRAM_OFMAP_WRITE, SRAM_OFMAP_READ,
 ROW_OUTER, OUTER, INNER, ZOP, REFETCH_OUTER, REFETCH_INNER, CLOSED_FORM_BITS, FOLDS, CHUNKS,
 CHUNK_FILL, CONV_TILE_ROWS, CONV_TILES, CONV_FILTER_GROUPS, CONV_FILTERS_OUTER) = range(39)
N_OUT = 39
# summed over temporal chunks (the rest: the first chunk's, except DRAIN: the last chunk's)
_ADDED = (STALL, STALL_IFMAP, STALL_FILTER, STALL_OFMAP, STALL_WRITE, DRAM_IFMAP, DRAM_FILTER, DRAM_OFMAP,
          DRAM_WRITE, DRAM_PSUM_READ, DRAM_PSUM_WRITE, IFMAP_READS, FILTER_READS, OFMAP_WRITES, SRAM_IFMAP_READ,
          SRAM_FILTER_READ, SRAM_OFMAP_WRITE, SRAM_OFMAP_READ, CLOSED_FORM_BITS)
