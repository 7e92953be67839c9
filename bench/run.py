"""All benchmarks, each in a fresh process; prints the tables the README shows.

    python bench/run.py            # 1k, 10k, 100k rows
    python bench/run.py --quick    # 1k and 10k only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(script: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, str(HERE / script), *args], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    print("## One cycle: read, append 50 rows, change 200 cells (emulator in its own process)\n")
    print("| rows | approach | Sheets requests | bytes read | bytes written | tool CPU s | peak RSS MB | "
          "minutes of 60/min quota |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for size in sizes:
        for approach in ("batched", "per_row", "rewrite"):
            r = child("bench_cycle.py", approach, str(size))
            name = {"batched": "**sheets-sync (batched)**", "per_row": "per-row gspread calls",
                    "rewrite": "whole-sheet rewrite"}[approach]
            print(f"| {size:,} | {name} | {r['requests']} | {r['bytes_read']:,} | {r['bytes_written']:,} | "
                  f"{r['tool_cpu_s']} | {r['peak_rss_mb']} | {r['quota_minutes_at_60_per_min']} |", flush=True)
    print("\n## `run --once`: every Sheets request of a full cycle, process start included\n")
    print("| Tracker rows | Sheets requests | reads | writes |")
    print("|---:|---:|---:|---:|")
    for size in ([100, 100_000] if not args.quick else [100, 10_000]):
        r = child("bench_run_once.py", str(size))
        print(f"| {size:,} | {r['sheets_requests']} | {r['reads']} | {r['writes']} |", flush=True)
    print("\n## Emulator\n")
    subprocess.run([sys.executable, str(HERE / "bench_emulator.py")], check=False)


if __name__ == "__main__":
    main()
