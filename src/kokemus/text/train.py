"""Train the theme model shipped in ``data/theme_model.json`` (deterministic).

    python -m kokemus.text.train            # retrain and write the package's model file
    python -m kokemus.text.train --cv       # cross-validated figures per language, no writing
    python -m kokemus.text.train --check    # exit 1 if the shipped file is not what training gives

The labelled comments are ``tests/data/comments_{fi,sv,en}.csv`` (the development set) and
``tests/data/train_{fi,sv,en}.csv`` (the training set); the blind held-out set in
``tests/data/heldout`` is never read here. Features are those of :mod:`kokemus.text.model`
computed on the comment's clauses exactly as :func:`kokemus.text.analyse` does, including the
default taxonomy's lexicon hits. Each theme gets an L2-regularised logistic regression fitted
with L-BFGS (scipy, a training-time tool only; run time needs numpy alone). The add and veto
thresholds are chosen on out-of-fold predictions of a k-fold cross-validation.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .analyser import comment_features, segment
from .model import LEXICON_PREFIX, MODEL_FILE
from .taxonomy import Taxonomy

LANGUAGES = ("fi", "sv", "en")
PREFIXES = ("comments", "train")
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "tests" / "data"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "data" / MODEL_FILE

#: Hyper-parameters (chosen by cross-validation on the development + training sets).
CONFIG: dict[str, Any] = {
    "c": 30.0,  # inverse L2 strength
    "min_df": 2,  # a feature must occur in at least this many comments
    "folds": 5,
    "max_iterations": 400,
    "quantisation_levels": 127,
}
ADD_GRID = tuple(round(0.1 + 0.05 * i, 2) for i in range(15))  # 0.10 … 0.80
VETO_GRID = (0.0, 0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6)


@dataclass(frozen=True)
class Example:
    id: str
    language: str
    text: str
    themes: frozenset[str]
    lexicon: frozenset[str]
    features: frozenset[str]
    source: str


def load_examples(data_dir: Path = DEFAULT_DATA) -> list[Example]:
    """Labelled comments of the development and training sets with their features."""
    tax = Taxonomy.default()
    out: list[Example] = []
    for prefix in PREFIXES:
        for lang in LANGUAGES:
            path = data_dir / f"{prefix}_{lang}.csv"
            with path.open(encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    segments = segment(row["text"], lang, tax)
                    lexicon = frozenset(k for c in segments for _t, _l, ks in c for k in ks)
                    gold = frozenset(p.split(":")[0] for p in row["themes"].split(";") if p)
                    out.append(Example(row["id"], lang, row["text"], gold, lexicon,
                                       frozenset(comment_features(segments, tax)), prefix))
    return out


def _fold_of(example_id: str, folds: int) -> int:
    digest = hashlib.sha256(example_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % folds


def _design(examples: Sequence[Example], vocabulary: dict[str, int]) -> Any:
    from scipy import sparse

    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for r, ex in enumerate(examples):
        idx = sorted({vocabulary[f] for f in ex.features
                      if f in vocabulary and not f.startswith(LEXICON_PREFIX)})
        lex = sorted({vocabulary[f] for f in ex.features
                      if f in vocabulary and f.startswith(LEXICON_PREFIX)})
        # Same values as ThemeModel.logits: unit-norm text block, lexicon hits at 1.
        v = 1.0 / np.sqrt(len(idx)) if idx else 0.0
        rows.extend([r] * (len(idx) + len(lex)))
        cols.extend(idx + lex)
        vals.extend([v] * len(idx) + [1.0] * len(lex))
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(examples), len(vocabulary)))


def build_vocabulary(examples: Sequence[Example], min_df: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ex in examples:
        for f in ex.features:
            counts[f] = counts.get(f, 0) + 1
    kept = sorted(f for f, n in counts.items() if n >= min_df)
    return {f: i for i, f in enumerate(kept)}


def fit(examples: Sequence[Example], themes: Sequence[str], config: dict[str, Any]
        ) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """One-vs-rest L2-regularised logistic regressions (biases not penalised).

    The per-theme problems are independent; they are solved together with one L-BFGS run
    over all weights because that is much faster than one run per theme.
    """
    from scipy.optimize import minimize

    vocabulary = build_vocabulary(examples, int(config["min_df"]))
    x = _design(examples, vocabulary)
    xt = x.T.tocsr()
    n_features, n_themes = len(vocabulary), len(themes)
    y = np.array([[key in ex.themes for key in themes] for ex in examples], dtype=np.float64)
    sign = 2.0 * y - 1.0
    c = float(config["c"])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: n_features * n_themes].reshape(n_features, n_themes)
        b = theta[n_features * n_themes :]
        m = sign * (x @ w + b)
        value = float(np.logaddexp(0.0, -m).sum() + 0.5 / c * np.sum(w * w))
        g = -sign / (1.0 + np.exp(m))
        grad = np.concatenate([(xt @ g + w / c).ravel(), g.sum(axis=0)])
        return value, grad

    theta0 = np.zeros(n_features * n_themes + n_themes)
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B",
                      options={"maxiter": int(config["max_iterations"]), "gtol": 1e-5})
    theta = result.x
    weights = theta[: n_features * n_themes].reshape(n_features, n_themes)
    return vocabulary, weights, theta[n_features * n_themes :]


def _predict(examples: Sequence[Example], vocabulary: dict[str, int], weights: np.ndarray,
             bias: np.ndarray) -> np.ndarray:
    z = _design(examples, vocabulary) @ weights + bias
    return 1.0 / (1.0 + np.exp(-z))


def out_of_fold(examples: Sequence[Example], themes: Sequence[str], config: dict[str, Any]
                ) -> np.ndarray:
    """Probabilities for every example from a model that did not see it."""
    folds = int(config["folds"])
    probs = np.zeros((len(examples), len(themes)))
    assignment = [_fold_of(ex.id, folds) for ex in examples]
    for k in range(folds):
        train = [ex for ex, f in zip(examples, assignment, strict=True) if f != k]
        test_idx = [i for i, f in enumerate(assignment) if f == k]
        vocabulary, weights, bias = fit(train, themes, config)
        probs[test_idx] = _predict([examples[i] for i in test_idx], vocabulary, weights, bias)
    return probs


def decide(ex: Example, p: np.ndarray, themes: Sequence[str], add: float, veto: float
           ) -> set[str]:
    """The combination rule of :func:`kokemus.text.analyser.combine_themes`."""
    index = {k: j for j, k in enumerate(themes)}
    kept = {k for k in ex.lexicon if k not in index or p[index[k]] >= veto}
    added = {k for k in themes if k not in ex.lexicon and p[index[k]] >= add}
    return kept | added


def scores(examples: Sequence[Example], predicted: Sequence[set[str]]) -> dict[str, float]:
    """Theme micro-F1 and macro-F1 (over themes present in the gold labels)."""
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    for ex, pred in zip(examples, predicted, strict=True):
        for k in pred | ex.themes:
            target = tp if (k in pred and k in ex.themes) else fp if k in pred else fn
            target[k] = target.get(k, 0) + 1
    a, b, c = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro = 2 * a / (2 * a + b + c) if a + b + c else 0.0
    f1s = [2 * tp.get(k, 0) / (2 * tp.get(k, 0) + fp.get(k, 0) + fn.get(k, 0))
           for k in set(tp) | set(fn)]
    return {"micro_f1": round(micro, 3), "macro_f1": round(sum(f1s) / len(f1s), 3)
            if f1s else 0.0, "n": len(examples)}


def choose_thresholds(examples: Sequence[Example], probs: np.ndarray, themes: Sequence[str]
                      ) -> tuple[float, float]:
    """Add/veto thresholds maximising the mean per-language micro-F1 out of fold."""
    best = (-1.0, 0.5, 0.0)
    for add in ADD_GRID:
        for veto in VETO_GRID:
            pred = [decide(ex, p, themes, add, veto) for ex, p in zip(examples, probs,
                                                                      strict=True)]
            per_lang = [scores([e for e in examples if e.language == lang],
                               [q for e, q in zip(examples, pred, strict=True)
                                if e.language == lang])["micro_f1"] for lang in LANGUAGES]
            value = sum(per_lang) / len(per_lang)
            if value > best[0] + 1e-9:
                best = (value, add, veto)
    return best[1], best[2]


def report(examples: Sequence[Example], probs: np.ndarray, themes: Sequence[str],
           add: float, veto: float) -> dict[str, Any]:
    """Cross-validated figures per language and source, lexicon alone vs lexicon + model."""
    out: dict[str, Any] = {"add_threshold": add, "veto_threshold": veto}
    combined = [decide(ex, p, themes, add, veto) for ex, p in zip(examples, probs, strict=True)]
    for lang in LANGUAGES:
        for source in (*PREFIXES, "all"):
            sel = [i for i, e in enumerate(examples) if e.language == lang
                   and source in (e.source, "all")]
            subset = [examples[i] for i in sel]
            out[f"{lang}/{source}"] = {
                "lexicon": scores(subset, [set(e.lexicon) for e in subset]),
                "lexicon+model": scores(subset, [combined[i] for i in sel]),
            }
    return out


def train(data_dir: Path = DEFAULT_DATA, config: dict[str, Any] | None = None
          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Cross-validate, choose thresholds, fit on everything; returns (model JSON, CV report)."""
    config = {**CONFIG, **(config or {})}
    examples = load_examples(data_dir)
    themes = Taxonomy.default().keys()
    probs = out_of_fold(examples, themes, config)
    add, veto = choose_thresholds(examples, probs, themes)
    cv = report(examples, probs, themes, add, veto)
    vocabulary, weights, bias = fit(examples, themes, config)
    return serialise(vocabulary, weights, bias, themes, add, veto, config), cv


def serialise(vocabulary: dict[str, int], weights: np.ndarray, bias: np.ndarray,
              themes: Sequence[str], add: float, veto: float, config: dict[str, Any]
              ) -> dict[str, Any]:
    """Sparse, quantised JSON form read by :class:`kokemus.text.model.ThemeModel`."""
    levels = int(config["quantisation_levels"])
    scale = np.abs(weights).max(axis=0) / levels
    scale[scale == 0] = 1.0
    q = np.rint(weights / scale).astype(int)
    used = np.flatnonzero(np.abs(q).sum(axis=1))
    names = sorted(vocabulary, key=vocabulary.__getitem__)
    features = [names[i] for i in used]
    q = q[used]
    return {
        "_comment": "Generated by `python -m kokemus.text.train`; do not edit.",
        "themes": list(themes),
        "features": features,
        "bias": [round(float(b), 5) for b in bias],
        "scale": [float(f"{s:.6g}") for s in scale],
        "weights": {key: [[int(i), int(q[i, j])] for i in np.flatnonzero(q[:, j])]
                    for j, key in enumerate(themes)},
        "add_threshold": add,
        "veto_threshold": veto,
        "config": {k: config[k] for k in sorted(config)},
    }


def dumps(model: dict[str, Any]) -> str:
    return json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kokemus.text.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="directory of the CSV files")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT), help="model file to write")
    parser.add_argument("--cv", action="store_true", help="print cross-validated figures only")
    parser.add_argument("--check", action="store_true",
                        help="compare with the existing output file instead of writing it")
    args = parser.parse_args(argv)
    model, cv = train(Path(args.data))
    if args.cv:
        print(json.dumps(cv, indent=1))
        return 0
    text = dumps(model)
    output = Path(args.output)
    if args.check:
        same = output.exists() and output.read_text(encoding="utf-8") == text
        print("up to date" if same else f"{output} differs from a fresh training run")
        return 0 if same else 1
    output.write_text(text, encoding="utf-8")
    print(json.dumps({"written": str(output), "features": len(model["features"]),
                      "add_threshold": model["add_threshold"],
                      "veto_threshold": model["veto_threshold"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
