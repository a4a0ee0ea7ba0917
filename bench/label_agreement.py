"""Agreement between the labels of ``tests/data`` and a second annotator's.

Usage: python bench/label_agreement.py [--second tests/data/agreement/second_annotator.csv]

The second annotator labelled a sample of the labelled comments from their text alone,
under docs/text-labelling.md, without seeing the first labels (see
tests/data/agreement/README.md). Prints one JSON document: per language and overall the
theme micro-F1 between the two annotations (either one taken as the reference gives the
same figure), the whole-comment sentiment agreement, the agreement on the sentiment of the
themes both gave, and per theme the counts given by both, only the first, only the second.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
LANGUAGES = ("fi", "sv", "en")


def _themes(field: str) -> dict[str, str]:
    return {p.split(":")[0]: p.split(":")[1] for p in field.split(";") if p}


def first_labels(data_dir: Path = DATA) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for prefix in ("comments", "train", "retired"):
        for lang in LANGUAGES:
            path = data_dir / f"{prefix}_{lang}.csv"
            if path.exists():
                with path.open(encoding="utf-8", newline="") as fh:
                    out.update({row["id"]: row for row in csv.DictReader(fh)})
    return out


def agreement(first: dict[str, dict[str, str]], second: list[dict[str, str]]) -> dict:
    report: dict[str, object] = {}
    per_theme: dict[str, Counter] = {}
    for lang in (*LANGUAGES, "all"):
        both = only_first = only_second = same_sentiment = n = theme_same = theme_n = 0
        for row in second:
            if lang != "all" and not row["id"].startswith(lang + "-"):
                continue
            ref = first[row["id"]]
            a, b = _themes(ref["themes"]), _themes(row["themes"])
            both += len(a.keys() & b.keys())
            only_first += len(a.keys() - b.keys())
            only_second += len(b.keys() - a.keys())
            n += 1
            same_sentiment += ref["sentiment"] == row["sentiment"]
            for key in a.keys() & b.keys():
                theme_n += 1
                theme_same += a[key] == b[key]
            if lang == "all":
                for key in a.keys() | b.keys():
                    c = per_theme.setdefault(key, Counter())
                    c["both" if key in a and key in b else "only_first" if key in a
                      else "only_second"] += 1
        report[lang] = {
            "n": n,
            "theme_micro_f1": round(2 * both / (2 * both + only_first + only_second), 3)
            if both + only_first + only_second else None,
            "sentiment_agreement": round(same_sentiment / n, 3) if n else None,
            "theme_sentiment_agreement": round(theme_same / theme_n, 3) if theme_n else None,
        }
    report["per_theme"] = {k: dict(v) for k, v in sorted(per_theme.items())}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--second", type=Path,
                        default=DATA / "agreement" / "second_annotator.csv")
    args = parser.parse_args()
    with args.second.open(encoding="utf-8", newline="") as fh:
        second = list(csv.DictReader(fh))
    print(json.dumps(agreement(first_labels(), second), indent=1))


if __name__ == "__main__":
    main()
