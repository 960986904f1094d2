"""Run every benchmark, one process each: ``python -m benchmarks [--pg] [--only NAME ...]``.

Each benchmark prints its own figures and the ratios against the peer it measures in
the same run. The large demo databases are built once and cached in ``.bench/``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

BENCHMARKS = ["console", "tenants", "graph", "export", "importer", "repl", "delete", "move"]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--pg", action="store_true", help="Also measure on PostgreSQL where a benchmark supports it.")
    parser.add_argument("--only", nargs="+", choices=BENCHMARKS, help="Run only these benchmarks.")
    args = parser.parse_args()
    failed = []
    for name in args.only or BENCHMARKS:
        cmd = [sys.executable, "-m", f"benchmarks.{name}", *(["--pg"] if args.pg else [])]
        print(f"\n=== {' '.join(cmd[1:])}", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd)
        print(f"=== {name}: exit {code} after {time.perf_counter() - start:.0f}s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
