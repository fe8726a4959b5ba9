"""FPGA targets: device tables (devices.py, devices.yaml), unit prices (costs.yaml), the resource model
(resources.py: counts x prices, the one place a DSP, LUT, FF, BRAM36 or URAM is counted), and the FPGA totals and fit
lines (totals.py). docs/fpga.md describes the model and its sources. Nothing is read on import.
"""
