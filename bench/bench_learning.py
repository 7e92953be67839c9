"""What the cell's corrections buy: the learned router's learning curve, and what training costs.

    python bench/bench_learning.py [--seeds N] [--threshold P]    # default 5 seeds, routing.model_threshold

The labelled comments (tests/data/labelled_comments.jsonl) are split once per seed: a held-out 100 — the 42
written after the rules (``"set": "holdout"``) and 58 drawn from the rest — that no model ever sees, and a pool
fed to the sheet as Tracker rows: a comment the rules route right becomes a row its department answered
(Replied, Replied By a name); one they route wrong becomes a row a person re-routed (Department changed,
Assigned By left as the tool wrote it). After 0, 50, 100, 200 and all pool rows, the router is trained from
those rows exactly as a cycle does, and department accuracy on the held-out 100 is measured for the rules
alone, the model alone and the two combined. Then: training time for a few hundred and a few thousand
examples. Prints lines for people, then one JSON line.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sheets_sync.routing import Classifier, load_default_rules
from sheets_sync.routing.learned import (
    DEFAULT_MODEL_THRESHOLD,
    CombinedRouter,
    Example,
    examples_from_rows,
    train,
)

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled_comments.jsonl"
STEPS = (0, 50, 100, 200, None)  # None: the whole pool
HELD_OUT_EXTRA = 58


def sheet_row(record: dict, classifier: Classifier, n: int) -> dict:
    """The Tracker row a labelled comment becomes once people have dealt with it."""
    route = classifier.classify(record["text"], post_department=record.get("post_department"))
    right = route.department == record["department"]
    return {"Ticket ID": f"FB-{n}", "Comment": record["text"], "Department": record["department"],
            "Assigned By": route.assigned_by, "Status": "Replied" if right else "Assigned",
            "Replied By": "department desk" if right else ""}


def split(records: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(held-out 100, pool) for one seed."""
    rest = [r for r in records if r.get("set") != "holdout"]
    random.Random(seed).shuffle(rest)
    return [r for r in records if r.get("set") == "holdout"] + rest[:HELD_OUT_EXTRA], rest[HELD_OUT_EXTRA:]


def accuracy(router: CombinedRouter, held_out: list[dict]) -> tuple[float, float | None]:
    """(combined, model alone) department accuracy on ``held_out``."""
    right = sum(router.classify(r["text"], post_department=r.get("post_department")).department == r["department"]
                for r in held_out)
    model = None
    if router.model is not None:
        predicted = router.model.predict([r["text"] for r in held_out])
        model = sum(p == r["department"] for (p, _), r in zip(predicted, held_out, strict=True)) / len(held_out)
    return right / len(held_out), model


def curve(records: list[dict], seed: int, classifier: Classifier, rules: list, threshold: float) -> list[dict]:
    """One seed's learning curve."""
    held_out, pool = split(records, seed)
    rules_alone = accuracy(CombinedRouter(classifier, None), held_out)[0]
    points = []
    for step in STEPS:
        fed = pool if step is None else pool[:step]
        examples = examples_from_rows([sheet_row(r, classifier, n) for n, r in enumerate(fed)], rules)
        router = CombinedRouter(classifier, train(examples, rules), threshold)
        combined, model = accuracy(router, held_out)
        points.append({"rows": len(fed), "examples": len(examples), "rules": rules_alone, "model": model,
                       "combined": combined,
                       "learned": sum(router.classify(r["text"]).assigned_by.startswith("learned")
                                      for r in held_out)})
    return points


def training_time(records: list[dict], size: int) -> float:
    """Seconds to train on ``size`` examples (labelled texts varied with a counter, as bench_routing does)."""
    examples = [Example(f"{records[i % len(records)]['text']} {i}", records[i % len(records)]["department"],
                        "answered") for i in range(size)]
    started = time.perf_counter()
    train(examples, load_default_rules())
    return time.perf_counter() - started


def route_cpu(records: list[dict], size: int = 100_000, new: int = 50) -> dict[str, float]:
    """CPU seconds of the route job's learned part on a ``size``-row Tracker (a tenth answered by their
    department) routing ``new`` comments: the first cycle of a process (trains) and the next (cached model)."""
    from zoneinfo import ZoneInfo

    from sheets_sync.routing.learned import sheet_examples
    from sheets_sync.routing.model_cache import ModelCache
    from sheets_sync.schema import load_schema
    from sheets_sync.tracker.table import Table

    tab, rules = load_schema()["Tracker"], load_default_rules()
    classifier = Classifier(rules)
    routes = [classifier.classify(r["text"]) for r in records]
    rows = []
    for i in range(size):
        record, route = records[i % len(records)], routes[i % len(records)]
        answered = i % 10 == 0  # else untouched: the Department the tool set
        values = {"Ticket ID": f"FB-{i}", "Comment": f"{record['text']} {i}",
                  "Department": record["department"] if answered else route.department,
                  "Assigned By": route.assigned_by, "Status": "Replied" if answered else "Assigned",
                  "Replied By": "desk" if answered else "", "Received At": "2026-11-20 10:00"}
        rows.append([values.get(h, "") for h in tab.headers])
    tables = {"Tracker": Table(tab, tab.headers, rows, ZoneInfo("Asia/Kolkata"))}
    cache = ModelCache()
    now = datetime.now(UTC)
    texts = [records[i]["text"] for i in range(new)]
    figures = {}
    for name in ("first cycle (trains)", "next cycle (cached)"):
        started = time.process_time()
        examples = sheet_examples(tables, rules)
        router = CombinedRouter(classifier, cache.model(examples, rules, classifier, now=now).model)
        for text in texts:
            router.classify(text)
        figures[name] = time.process_time() - started
    return figures


def _option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def main() -> None:
    seeds = int(_option("--seeds", "5"))
    threshold = float(_option("--threshold", str(DEFAULT_MODEL_THRESHOLD)))
    records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rules = load_default_rules()
    classifier = Classifier(rules)
    runs = [curve(records, seed, classifier, rules, threshold) for seed in range(seeds)]
    summary = []
    print(f"department accuracy on 100 held-out comments, mean (min) over {seeds} splits, "
          f"model_threshold {threshold}")
    print("rows fed  examples  rules        model        combined     routed by model")
    for i, _ in enumerate(STEPS):
        column = [run[i] for run in runs]

        def stat(key: str, column: list[dict] = column) -> tuple[float, float] | None:
            values = [p[key] for p in column if p[key] is not None]
            return (statistics.mean(values), min(values)) if values else None

        point = {"rows": column[0]["rows"], "examples": column[0]["examples"], "rules": stat("rules"),
                 "model": stat("model"), "combined": stat("combined"), "learned": stat("learned")}
        summary.append(point)
        cells = [f"{v[0]:.1%} ({v[1]:.0%})" if v else "—" for v in (point["rules"], point["model"],
                                                                       point["combined"])]
        print(f"{point['rows']:8}  {point['examples']:8}  {cells[0]:11}  {cells[1]:11}  {cells[2]:11}  "
              f"{point['learned'][0]:.1f}")
    times = {size: training_time(records, size) for size in (300, 3000)}
    print("training time: " + ", ".join(f"{size} examples {t:.2f} s" for size, t in times.items()))
    cpu = route_cpu(records)
    print("route job, learned part, 100,000-row Tracker, 50 new comments, CPU: "
          + ", ".join(f"{name} {t:.2f} s" for name, t in cpu.items()))
    print(json.dumps({"curve": summary, "training_s": {str(k): round(v, 3) for k, v in times.items()},
                      "route_cpu_s": {k: round(v, 3) for k, v in cpu.items()}}))


if __name__ == "__main__":
    main()
