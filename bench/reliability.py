"""The long reliability run whose figures the README reports.

    python bench/reliability.py --cycles 300 --seeds 1 2 3
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter

from sheets_sync.demo.reliability import run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--fault-rate", type=float, default=0.3)
    args = parser.parse_args()
    logging.disable(logging.ERROR)
    total: Counter[str] = Counter()
    violations: list[str] = []
    started = time.monotonic()
    for seed in args.seeds:
        report = run(cycles=args.cycles, seed=seed, fault_rate=args.fault_rate, kill_rate=0.2, two_runner_rate=0.1)
        summary = report.summary()
        print(json.dumps({"seed": seed, **summary}, ensure_ascii=False), flush=True)
        for key, value in summary.items():
            if isinstance(value, int):
                total[key] += value
        violations += report.violations
    print(json.dumps({"total": dict(total), "seconds": round(time.monotonic() - started, 1)}))
    for v in violations[:50]:
        print("VIOLATION:", v)
    raise SystemExit(1 if violations else 0)


if __name__ == "__main__":
    main()
