"""How fast the classifier routes comments with the default rules.

    python bench/bench_routing.py [N]      # default N = 10000

Texts are the labelled comments with a counter appended, so most tokens repeat (as in real
traffic) but no two texts are identical.  Prints a line for people, then a JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sheets_sync.routing import Classifier, classify, load_default_rules

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled_comments.jsonl"


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    base = [
        json.loads(line)["text"] for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    texts = [f"{base[i % len(base)]} {i}" for i in range(count)]
    rules = load_default_rules()

    started = time.perf_counter()
    classifier = Classifier(rules)
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    for text in texts:
        classifier.classify(text)
    classifier_s = time.perf_counter() - started

    started = time.perf_counter()
    for text in texts:
        classify(text, rules)  # the module function: cache lookup by rules on every call
    function_s = time.perf_counter() - started

    print(
        f"{count} comments, {len(rules)} rules: build {build_s * 1000:.1f} ms, "
        f"Classifier.classify {classifier_s:.2f} s, classify() {function_s:.2f} s"
    )
    print(
        json.dumps(
            {
                "comments": count,
                "rules": len(rules),
                "build_ms": round(build_s * 1000, 2),
                "classifier_s": round(classifier_s, 3),
                "classify_s": round(function_s, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
