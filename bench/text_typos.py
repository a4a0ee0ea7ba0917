"""How much typos cost the comment analyser, and how much the spelling correction recovers.

    .venv/bin/python bench/text_typos.py [--rate 0.15] [--seed 0]

Reads the labelled comments of ``tests/data`` (development, training and retired sets; never
the blind held-out sets), puts a one-letter typo (a letter dropped, doubled, replaced or
swapped with its neighbour, never the first) into each word of six letters or more with
probability ``--rate`` (deterministic), and analyses the comments on the fast path (lexicon
sentiment, lexicon + theme model; no embeddings) as written and with typos, each with and
without :mod:`kokemus.text.spelling`. Prints JSON: per language sentiment accuracy and theme
micro-F1 of each of the four, and the words the correction changed in the comments as
written (each one a false correction unless it was a typo of the writer's).

The comments are training data, so the theme model has seen their clean form (theme F1 as
written is near 1); the drop with typos and its recovery are the figures to read.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from kokemus.text import analyser, spelling  # noqa: E402
from kokemus.text.diacritics import restore  # noqa: E402

DATA = ROOT / "tests" / "data"
PREFIXES = ("comments", "train", "retired")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if op == 2:
        return word[:i] + rng.choice(LETTERS) + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def perturb(text: str, rate: float, seed: int) -> str:
    rng = random.Random(seed)
    return _WORD.sub(lambda m: typo(m.group(0), rng) if len(m.group(0)) >= 6
                     and rng.random() < rate else m.group(0), text)


def load(language: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for prefix in PREFIXES:
        with (DATA / f"{prefix}_{language}.csv").open(encoding="utf-8", newline="") as fh:
            rows.extend(csv.DictReader(fh))
    return rows


def evaluate(rows: list[dict[str, str]], language: str, texts: list[str]) -> dict[str, float]:
    results = analyser.analyse_many(texts, language=language, use_embeddings=False)
    correct = sum(r.sentiment == row["sentiment"] for r, row in zip(results, rows, strict=True))
    tp = fp = fn = 0
    for r, row in zip(results, rows, strict=True):
        gold = {p.split(":")[0] for p in row["themes"].split(";") if p}
        pred = set(r.theme_keys)
        tp, fp, fn = tp + len(gold & pred), fp + len(pred - gold), fn + len(gold - pred)
    return {"sentiment_accuracy": round(correct / len(rows), 3),
            "theme_micro_f1": round(2 * tp / (2 * tp + fp + fn), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=0.15,
                        help="share of the words of six letters or more given a typo")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    corrected = analyser.correct_spelling
    out: dict[str, object] = {"rate": args.rate}
    for language in ("fi", "sv", "en"):
        rows = load(language)
        clean = [row["text"] for row in rows]
        noisy = [perturb(t, args.rate, args.seed * 1_000_003 + i) for i, t in enumerate(clean)]
        figures: dict[str, object] = {"comments": len(rows)}
        for name, fix in (("uncorrected", lambda text, _lang: text), ("corrected", corrected)):
            analyser.correct_spelling = fix
            figures[name] = {"as_written": evaluate(rows, language, clean),
                             "with_typos": evaluate(rows, language, noisy)}
        analyser.correct_spelling = corrected
        changed: Counter[str] = Counter()
        for text in clean:
            for m in _WORD.finditer(restore(text, language)):
                found = spelling.correction(m.group(0).lower(), language)
                if found:
                    changed[f"{m.group(0).lower()}->{found}"] += 1
        figures["changed_as_written"] = dict(changed.most_common())
        out[language] = figures
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
