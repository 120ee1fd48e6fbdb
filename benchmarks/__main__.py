"""``python -m benchmarks``: run every benchmark and write benchmarks/REPORT.md."""

from benchmarks.run import main

main()
