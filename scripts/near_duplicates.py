"""Find labelled training rows that resemble a blind held-out comment.

    python scripts/near_duplicates.py tests/data/retired_fi.csv --against tests/data/heldout5 tests/data/heldout6
    python scripts/near_duplicates.py NEW.csv --against ... --drop   # rewrite NEW.csv without them

The rule of docs/text-labelling.md ("Where the labelled files come from"): a training row
that shares a three-word sequence with a held-out comment *and* has a word-set overlap
(Jaccard) of at least 0.4 with it is removed before training, so that a blind set measures
generalisation and not recall of something like its own comments. Only the held-out texts
are read, never their labels. Prints one line per match (row id, held-out id, Jaccard) and
exits 0.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Sequence
from pathlib import Path

WORD = re.compile(r"\w+", re.UNICODE)
JACCARD = 0.4


def words(text: str) -> list[str]:
    return WORD.findall(text.casefold())


def trigrams(tokens: Sequence[str]) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + 3]) for i in range(len(tokens) - 2)}


def held_out_texts(directories: Sequence[Path]) -> list[tuple[str, str]]:
    out = []
    for directory in directories:
        for path in sorted(directory.glob("*.csv")):
            with path.open(encoding="utf-8", newline="") as fh:
                out.extend((row["id"], row["text"]) for row in csv.DictReader(fh))
    return out


def matches(rows: Sequence[dict[str, str]], held: Sequence[tuple[str, str]]
            ) -> list[tuple[str, str, float]]:
    """(row id, held-out id, Jaccard) for every pair the rule flags."""
    index: dict[tuple[str, ...], list[int]] = {}
    held_words = []
    for j, (_hid, text) in enumerate(held):
        tokens = words(text)
        held_words.append(set(tokens))
        for g in trigrams(tokens):
            index.setdefault(g, []).append(j)
    found = []
    for row in rows:
        tokens = words(row["text"])
        own = set(tokens)
        candidates = {j for g in trigrams(tokens) for j in index.get(g, ())}
        for j in sorted(candidates):
            other = held_words[j]
            jaccard = len(own & other) / len(own | other)
            if jaccard >= JACCARD:
                found.append((row["id"], held[j][0], round(jaccard, 3)))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="labelled CSV files to check")
    parser.add_argument("--against", nargs="+", type=Path, required=True,
                        help="held-out directories (their *.csv texts)")
    parser.add_argument("--drop", action="store_true",
                        help="rewrite the files without the flagged rows")
    args = parser.parse_args(argv)
    held = held_out_texts(args.against)
    for path in args.files:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        found = matches(rows, held)
        for row_id, held_id, jaccard in found:
            print(f"{path.name}\t{row_id}\t{held_id}\t{jaccard}")
        if args.drop and found:
            flagged = {row_id for row_id, _h, _j in found}
            with path.open("w", encoding="utf-8", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
                writer.writeheader()
                writer.writerows(r for r in rows if r["id"] not in flagged)
            print(f"{path.name}: dropped {len(flagged)} of {len(rows)} rows", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
