"""The learned router's predictions from plain parameters, numpy only: no scikit-learn in the service.

:mod:`.train_worker` fits the pipeline in a child process and hands back its parameters; this module computes
``pipeline.predict_proba`` from them, step by step as scikit-learn 1.9 does (tests/test_routing_plain_model.py
shows the two agree to 1e-9 on the labelled comments: Marathi, Hindi, English, romanised, emoji, empty):

1. *Analyzer* (``TfidfVectorizer(analyzer="char_wb", lowercase=True)``: ``_analyze`` → ``_preprocess`` →
   ``_char_wb_ngrams``): ``str.lower()``; runs of two or more whitespace characters (``\\s\\s+``) become one
   space; each whitespace-separated word is padded with one space each side and cut into every n-gram for n in
   ``ngram_range``, a word shorter than n counted once. No accent stripping, no token pattern.
2. *TF-IDF* (``CountVectorizer.transform`` + ``TfidfTransformer.transform``): counts of the n-grams in the
   vocabulary (others ignored); ``sublinear_tf``: 1 + ln(count); times ``idf``; rows scaled to unit l2 norm (a
   row of zeros stays zeros).
3. *Calibrated SVM* (``CalibratedClassifierCV.predict_proba``): for each of the 3 folds, each LinearSVC decision
   value ``x·coef + intercept`` goes through its class's sigmoid ``1 / (1 + exp(a·d + b))``; the fold's row is
   divided by its sum (uniform when the sum is 0; with two classes the first is 1 − the second); values in
   (1, 1 + 1e-5] become 1; the folds' rows are averaged.

Sums are taken in another order than scipy's sparse products, so results differ by rounding only (~1e-16).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["EXPECTED_OPTIONS", "PlainModel", "char_wb_ngrams"]

# The only vectorizer options this module implements (train_worker.pipeline's, scikit-learn's defaults besides).
EXPECTED_OPTIONS: dict[str, Any] = {
    "analyzer": "char_wb", "lowercase": True, "ngram_range": [2, 4], "sublinear_tf": True, "norm": "l2",
    "use_idf": True, "smooth_idf": True, "binary": False, "strip_accents": None, "preprocessor": None,
    "tokenizer": None, "input": "content", "dtype": "float64",
}
_WHITE_SPACES = re.compile(r"\s\s+")  # sklearn's VectorizerMixin._white_spaces


def char_wb_ngrams(text: str, min_n: int = 2, max_n: int = 4) -> list[str]:
    """The n-grams scikit-learn's ``char_wb`` analyzer yields for ``text`` (lowercase=True), in its order."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    grams: list[str] = []
    for word in text.split():
        padded = f" {word} "
        size = len(padded)
        for n in range(min_n, max_n + 1):
            if size <= n:
                grams.append(padded)  # a short word is counted once, whole, and longer n add nothing
                break
            grams.extend(padded[i:i + n] for i in range(size - n + 1))
    return grams


class PlainModel:
    """``predict_proba`` of the fitted pipeline, from :func:`.train_worker.parameters` (as ``.npz`` bytes)."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        options = json.loads(str(arrays["options"]))
        if options != EXPECTED_OPTIONS:
            wrong = sorted(k for k in EXPECTED_OPTIONS.keys() | options.keys()
                           if options.get(k) != EXPECTED_OPTIONS.get(k))
            raise ValueError(f"the trained vectorizer's options {wrong} are not the ones this model implements")
        self.min_n, self.max_n = options["ngram_range"]
        self.classes_: tuple[str, ...] = tuple(str(c) for c in arrays["classes"])
        self._index = {str(term): i for i, term in enumerate(arrays["terms"])}
        self._idf = arrays["idf"]
        # Features by rows (one row per n-gram): a text's few hundred n-grams gather contiguous rows.
        self._weights = np.ascontiguousarray(arrays["weights"].T)
        self._intercepts, self._a, self._b = arrays["intercepts"], arrays["a"], arrays["b"]
        self._targets, self._folds = arrays["targets"], arrays["folds"]
        self.n_folds = int(arrays["n_folds"])

    @classmethod
    def from_bytes(cls, data: bytes, prefix: str = "") -> PlainModel:
        """The model from the worker's ``.npz`` output (no pickle: plain arrays only) — of several models, the
        one whose arrays are named ``prefix`` + name; ValueError when the bytes are not such parameters."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as loaded:
                return cls({name.removeprefix(prefix): loaded[name] for name in loaded.files
                            if name.startswith(prefix)})
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
            raise ValueError(f"not the learned router's parameters: {error}") from error

    @property
    def features(self) -> int:
        """The vocabulary's size."""
        return len(self._index)

    def tfidf(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's TF-IDF row, l2-normalised, as (feature indices, values)."""
        counts = Counter(g for g in char_wb_ngrams(text, self.min_n, self.max_n) if g in self._index)
        columns = np.fromiter((self._index[g] for g in counts), dtype=np.int64, count=len(counts))
        values = np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))) + 1.0
        values *= self._idf[columns]
        norm = np.sqrt(np.dot(values, values))
        return columns, (values / norm if norm > 0 else values)

    def decision(self, text: str) -> np.ndarray:
        """Every fold's LinearSVC decision values for the text (one per calibrator row)."""
        columns, values = self.tfidf(text)
        return values @ self._weights[columns] + self._intercepts

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities, one row per text and one column per class (``classes_``)."""
        return np.array([self._proba(text) for text in texts]).reshape(len(texts), len(self.classes_))

    def _proba(self, text: str) -> np.ndarray:
        with np.errstate(over="ignore"):  # exp overflow → inf → probability 0, as scipy's expit gives
            calibrated = 1.0 / (1.0 + np.exp(self._a * self.decision(text) + self._b))
        total = np.zeros(len(self.classes_))
        for fold in range(self.n_folds):
            mine = self._folds == fold
            proba = np.zeros(len(self.classes_))
            proba[self._targets[mine]] = calibrated[mine]
            total += self._normalised(proba)
        return total / self.n_folds

    def _normalised(self, proba: np.ndarray) -> np.ndarray:
        """One fold's row as ``_CalibratedClassifier.predict_proba`` leaves it."""
        if len(proba) == 2:
            proba[0] = 1.0 - proba[1]
        else:
            denominator = proba.sum()
            proba = proba / denominator if denominator != 0 else np.full_like(proba, 1.0 / len(proba))
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba
