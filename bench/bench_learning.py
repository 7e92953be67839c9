"""What the cell's corrections buy: the learned router's learning curve, and what training costs.

    python bench/bench_learning.py [--seeds N] [--threshold P]    # default 5 seeds, routing.model_threshold

The labelled comments (tests/data/labelled_comments.jsonl) are split once per seed: a held-out 100 — the 42
written after the rules (``"set": "holdout"``) and 58 drawn from the rest — that no model ever sees, and a pool
fed to the sheet as Tracker rows: a comment the rules route right becomes a row its department answered
(Replied, Replied By a name); one they route wrong becomes a row a person re-routed (Department changed,
Assigned By left as the tool wrote it). After 0, 50, 100, 200 and all pool rows, the router is trained from
those rows exactly as a cycle does, and department and category accuracy on the held-out 100 are measured for
the rules alone, the model alone and the two combined (each row's Category is its label, and its Assigned By
records the rules' category as the route job does: where the rules' category was wrong, a category correction). Then: training time for a few hundred and a few thousand
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
from sheets_sync.routing.learned_category import category_examples_from_rows, mark_category

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "labelled_comments.jsonl"
STEPS = (0, 50, 100, 200, None)  # None: the whole pool
HELD_OUT_EXTRA = 58


def sheet_row(record: dict, classifier: Classifier, n: int) -> dict:
    """The Tracker row a labelled comment becomes once people have dealt with it."""
    route = classifier.classify(record["text"], post_department=record.get("post_department"))
    right = route.department == record["department"]
    return {"Ticket ID": f"FB-{n}", "Comment": record["text"], "Department": record["department"],
            "Category": record["category"], "Assigned By": mark_category(route.assigned_by, route.category),
            "Status": "Replied" if right else "Assigned", "Replied By": "department desk" if right else ""}


def split(records: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(held-out 100, pool) for one seed."""
    rest = [r for r in records if r.get("set") != "holdout"]
    random.Random(seed).shuffle(rest)
    return [r for r in records if r.get("set") == "holdout"] + rest[:HELD_OUT_EXTRA], rest[HELD_OUT_EXTRA:]


def accuracy(router: CombinedRouter, held_out: list[dict]) -> dict[str, float | None]:
    """Department and category accuracy on ``held_out``: combined, and the model alone."""
    routes = [router.classify(r["text"], post_department=r.get("post_department")) for r in held_out]
    found: dict[str, float | None] = {
        "combined": sum(route.department == r["department"] for route, r in zip(routes, held_out, strict=True)),
        "category": sum(route.category == r["category"] for route, r in zip(routes, held_out, strict=True)),
        "model": None, "category_model": None}
    texts = [r["text"] for r in held_out]
    if router.model is not None:
        found["model"] = sum(p == r["department"] for (p, _), r in zip(router.model.predict(texts), held_out,
                                                                         strict=True))
        if router.model.category_model is not None:
            found["category_model"] = sum(p == r["category"] for (p, _), r in
                                          zip(router.model.predict_category(texts), held_out, strict=True))
    return {key: None if value is None else value / len(held_out) for key, value in found.items()}


def curve(records: list[dict], seed: int, classifier: Classifier, rules: list, threshold: float) -> list[dict]:
    """One seed's learning curve."""
    held_out, pool = split(records, seed)
    rules_alone = accuracy(CombinedRouter(classifier, None), held_out)
    points = []
    for step in STEPS:
        fed = pool if step is None else pool[:step]
        rows = [sheet_row(r, classifier, n) for n, r in enumerate(fed)]
        examples = examples_from_rows(rows, rules)
        categories = category_examples_from_rows(rows)
        router = CombinedRouter(classifier, train(examples, rules, category_examples=categories), threshold)
        found = accuracy(router, held_out)
        points.append({"rows": len(fed), "examples": len(examples), "rules": rules_alone["combined"],
                       "model": found["model"], "combined": found["combined"],
                       "category_rules": rules_alone["category"], "category_model": found["category_model"],
                       "category": found["category"],
                       "corrected_categories": sum(e.source == "corrected" for e in categories),
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

    from sheets_sync.routing.learned import sheet_category_examples, sheet_examples
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
                  "Category": record["category"] if answered else route.category,
                  "Assigned By": mark_category(route.assigned_by, route.category), "Status": "Replied" if answered else "Assigned",
                  "Replied By": "desk" if answered else "", "Received At": "2026-11-20 10:00"}
        rows.append([values.get(h, "") for h in tab.headers])
    tables = {"Tracker": Table(tab, tab.headers, rows, ZoneInfo("Asia/Kolkata"))}
    cache = ModelCache()
    now = datetime.now(UTC)
    texts = [records[i]["text"] for i in range(new)]
    figures = {}
    def scan() -> tuple[list, list]:
        return sheet_examples(tables, rules), sheet_category_examples(tables)

    for name in ("first cycle (trains)", "next cycle (cached, no scan)"):
        started = time.process_time()
        router = CombinedRouter(classifier, cache.current(scan, len(rows), rules, classifier, now=now).model)
        for text in texts:
            router.classify(text)
        figures[name] = time.process_time() - started
    started = time.process_time()
    scan()
    figures["the scan alone (department and category examples)"] = time.process_time() - started
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
    print(f"accuracy on 100 held-out comments, mean (min) over {seeds} splits, model_threshold {threshold}")
    print("rows fed  examples  department: rules  model        combined     by model | category: rules  model"
          "        combined     (corrected)")
    for i, _ in enumerate(STEPS):
        column = [run[i] for run in runs]

        def stat(key: str, column: list[dict] = column) -> tuple[float, float] | None:
            values = [p[key] for p in column if p[key] is not None]
            return (statistics.mean(values), min(values)) if values else None

        point = {key: stat(key) for key in ("rules", "model", "combined", "learned", "category_rules",
                                            "category_model", "category", "corrected_categories")}
        point.update(rows=column[0]["rows"], examples=column[0]["examples"])
        summary.append(point)
        cells = [f"{v[0]:.1%} ({v[1]:.0%})" if v else "—" for v in
                 (point["rules"], point["model"], point["combined"], point["category_rules"],
                  point["category_model"], point["category"])]
        print(f"{point['rows']:8}  {point['examples']:8}  {cells[0]:17}  {cells[1]:11}  {cells[2]:11}  "
              f"{point['learned'][0]:4.1f}     |  {cells[3]:15}  {cells[4]:11}  {cells[5]:11}  "
              f"{point['corrected_categories'][0]:.0f}")
    times = {size: training_time(records, size) for size in (300, 3000)}
    print("training time: " + ", ".join(f"{size} examples {t:.2f} s" for size, t in times.items()))
    cpu = route_cpu(records)
    print("route job, learned part, 100,000-row Tracker, 50 new comments, CPU: "
          + ", ".join(f"{name} {t:.2f} s" for name, t in cpu.items()))
    print(json.dumps({"curve": summary, "training_s": {str(k): round(v, 3) for k, v in times.items()},
                      "route_cpu_s": {k: round(v, 3) for k, v in cpu.items()}}))


if __name__ == "__main__":
    main()
