from workloads.cli import entry

entry()
