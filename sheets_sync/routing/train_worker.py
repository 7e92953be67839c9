"""The learned router's training, in a child process: scikit-learn never enters the service's process.

Importing scikit-learn costs ~125 MB of resident memory and ~1.5 s of CPU, and the memory is never given back:
a runner that trained once would carry it for its whole life (issue 16: ≤ 200 MB peak for a 100,000-row cycle).
So the service runs ``python -m sheets_sync.routing.train_worker``: the examples go in as JSON on stdin, this
module trains exactly the pipeline below, and the fitted parameters come back as plain arrays (``.npz`` bytes
on stdout, no pickle) that :mod:`.plain_model` turns into probabilities with numpy alone.

Parent side: :func:`train_in_child` — a timeout, and any failure (the child crashed, timed out, wrote nothing
readable) is logged and gives None: routing stays the rules' alone, as with too few examples.
"""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ANALYZER_OPTIONS", "TRAIN_TIMEOUT", "fit", "main", "parameters", "pipeline", "train_in_child",
           "train_tasks_in_child"]

log = logging.getLogger("sheets_sync.routing")

# A 5,000-example training takes ~3-7 s of CPU on the shared 2-core machine (bench_learning.py); ten times that
# means something is wrong (a stuck child, a starved machine): give up and route by the rules until the next
# training. A module constant, not a setting: no sheet has a reason to wait longer.
TRAIN_TIMEOUT = 120.0
# The vectorizer options that change what the analyzer produces or how counts become weights; the plain model
# implements these values only and refuses parameters fitted with any other (plain_model.check_options).
ANALYZER_OPTIONS = ("analyzer", "lowercase", "ngram_range", "sublinear_tf", "norm", "use_idf", "smooth_idf",
                    "binary", "strip_accents", "preprocessor", "tokenizer", "input", "dtype")


def pipeline(random_state: int = 0) -> Any:
    """The learned router's model: TF-IDF of char_wb 2-4-grams into a LinearSVC calibrated by sigmoid, 3 folds."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
        CalibratedClassifierCV(LinearSVC(C=0.5, random_state=random_state), cv=3, method="sigmoid"),
    )


def fit(texts: Sequence[str], labels: Sequence[str], random_state: int = 0) -> Any:
    """The fitted :func:`pipeline` (scikit-learn objects: for this process, and for tests that compare)."""
    fitted = pipeline(random_state)
    with warnings.catch_warnings():
        # A department with 3-5 examples makes a calibration fold thin; sklearn warns, the fit is still sound.
        warnings.simplefilter("ignore", UserWarning)
        fitted.fit(list(texts), list(labels))
    return fitted


def parameters(fitted: Any) -> dict[str, Any]:
    """The fitted pipeline as plain arrays (see :class:`.plain_model.PlainModel` for how they are used).

    Each calibration fold contributes one row per calibrator, exactly as ``_CalibratedClassifier.predict_proba``
    pairs them: the fold's LinearSVC decision row (coef, intercept), the class it estimates (its index in
    ``classes``; a two-class fold has one row, for the second class) and its sigmoid's (a, b)."""
    import numpy as np

    vectorizer, calibrated = fitted.steps[0][1], fitted.steps[1][1]
    classes = [str(c) for c in calibrated.classes_]
    terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    options = {name: _plain(getattr(vectorizer, name)) for name in ANALYZER_OPTIONS}
    weights, intercepts, targets, folds, slopes, offsets = [], [], [], [], [], []
    for fold, member in enumerate(calibrated.calibrated_classifiers_):
        svc = member.estimator
        positions = [classes.index(str(c)) for c in svc.classes_]
        # zip() stops at the shorter: one decision row (and calibrator) per class, or one for a two-class fold.
        for position, coef, intercept, calibrator in zip(positions, svc.coef_, svc.intercept_, member.calibrators,
                                                        strict=False):
            weights.append(coef)
            intercepts.append(intercept)
            targets.append(position + 1 if len(classes) == 2 else position)
            folds.append(fold)
            slopes.append(calibrator.a_)
            offsets.append(calibrator.b_)
    return {
        "options": np.array(json.dumps(options)), "terms": np.array(terms, dtype=str),
        "idf": np.asarray(vectorizer.idf_, dtype=np.float64), "classes": np.array(classes, dtype=str),
        "weights": np.asarray(weights, dtype=np.float64), "intercepts": np.asarray(intercepts, dtype=np.float64),
        "targets": np.asarray(targets, dtype=np.int64), "folds": np.asarray(folds, dtype=np.int64),
        "a": np.asarray(slopes, dtype=np.float64), "b": np.asarray(offsets, dtype=np.float64),
        "n_folds": np.array(len(calibrated.calibrated_classifiers_)),
    }


def _plain(value: Any) -> Any:
    """An option as JSON: tuples as lists, a dtype or a callable by name (the plain model refuses either)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return getattr(value, "__name__", repr(value))


def main() -> int:
    """The child: ``{"texts": [...], "labels": [...], "random_state": 0}`` on stdin, ``.npz`` bytes on stdout; or
    ``{"tasks": {name: {"texts", "labels"}}, "random_state": 0}``: one model per task (the department's and the
    category's, one scikit-learn import for both), each array named ``name.array``."""
    import numpy as np

    request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
    random_state = int(request.get("random_state", 0))
    arrays: dict[str, Any] = {}
    if "tasks" in request:
        for name, task in request["tasks"].items():
            fitted = fit(task["texts"], task["labels"], random_state)
            arrays.update({f"{name}.{key}": value for key, value in parameters(fitted).items()})
    else:
        arrays = parameters(fit(request["texts"], request["labels"], random_state))
    out = io.BytesIO()
    np.savez(out, **arrays)
    sys.stdout.buffer.write(out.getvalue())
    sys.stdout.buffer.flush()
    return 0


def train_in_child(texts: Sequence[str], labels: Sequence[str], *, random_state: int = 0,
                   timeout: float = TRAIN_TIMEOUT) -> bytes | None:
    """The fitted parameters (``.npz`` bytes) from a child process; None, logged, when it fails or times out."""
    return _run_child({"texts": list(texts), "labels": list(labels), "random_state": random_state}, timeout)


def train_tasks_in_child(tasks: Mapping[str, tuple[Sequence[str], Sequence[str]]], *, random_state: int = 0,
                         timeout: float = TRAIN_TIMEOUT) -> bytes | None:
    """Several models (name → (texts, labels)) in one child: ``.npz`` bytes whose arrays are named
    ``name.array`` (:meth:`.plain_model.PlainModel.from_bytes` takes ``prefix="name."``); None as above."""
    request = {"tasks": {name: {"texts": list(texts), "labels": list(labels)} for name, (texts, labels)
                         in tasks.items()}, "random_state": random_state}
    return _run_child(request, timeout)


def _run_child(request: Mapping[str, Any], timeout: float) -> bytes | None:
    # ASCII JSON (\uXXXX escapes): a lone surrogate in a comment travels as it is instead of failing to encode.
    data = json.dumps(request).encode()
    command = [sys.executable, "-m", "sheets_sync.routing.train_worker"]
    try:
        done = subprocess.run(command, input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        log.warning("route: training the learned router took over %g s and was stopped; routing by the rules "
                    "alone until the next training (sheets-sync job route retrains now)", timeout)
        return None
    except OSError as error:
        log.warning("route: could not start the learned router's training (%s); routing by the rules alone", error)
        return None
    if done.returncode != 0 or not done.stdout:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        log.warning("route: the learned router's training failed (exit %s: %s); routing by the rules alone until "
                    "the next training (sheets-sync job route retrains now)", done.returncode, last[0])
        return None
    return done.stdout


if __name__ == "__main__":
    sys.exit(main())
