"""The symprogram performance suite: ``python -m benchmarks`` writes ``REPORT.md``."""
