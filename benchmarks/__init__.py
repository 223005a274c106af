"""faborite's benchmarks: compile/plan at scale, apply overhead, sync throughput, CLI start-up.

Run all of them with ``python -m benchmarks`` (see benchmarks/README.md).
"""
