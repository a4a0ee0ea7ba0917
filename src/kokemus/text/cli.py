"""Command line: ``kokemus text analyse FILE.csv --column COL [--output OUT.csv]``."""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence

from .analyser import Analysis, analyse_many

OUTPUT_COLUMNS = ("language", "sentiment", "score", "themes", "redacted")
#: Comments analysed together (see :func:`kokemus.text.analyse_many`).
BATCH = 256


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kokemus text", description="Comment analytics")
    sub = parser.add_subparsers(dest="command", required=True)
    an = sub.add_parser("analyse", help="analyse a column of free-text comments in a CSV file")
    an.add_argument("file", help="input CSV file (UTF-8, header row)")
    an.add_argument("--column", required=True, help="name of the column holding the comments")
    an.add_argument("--output", help="output CSV file (default: standard output)")
    an.add_argument("--language", help="fi, sv or en for every comment; identify per comment "
                    "if omitted")
    an.add_argument("--expected-language", metavar="LANG", choices=("fi", "sv", "en"),
                    help="the survey's language (fi, sv or en): used unless a comment is "
                    "clearly written in another of the three")
    an.add_argument("--staff-names", default="",
                    help="comma-separated staff names to redact in addition to detected PII")
    an.add_argument("--delimiter", default=None, help="input delimiter (default: sniffed)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; ``argv`` excludes the program name (a leading ``"text"`` is accepted).

    Writes every input row with ``language``, ``sentiment``, ``score``, ``themes`` (``key:label``
    pairs separated by ``;``) and ``redacted`` columns appended. Returns the exit status.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["text"]:
        args_list = args_list[1:]
    args = _parser().parse_args(args_list)
    staff = tuple(n.strip() for n in args.staff_names.split(",") if n.strip())

    with open(args.file, newline="", encoding="utf-8-sig") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delimiter = args.delimiter
        if delimiter is None:
            try:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
        reader = csv.DictReader(fh, delimiter=delimiter)
        fieldnames = list(reader.fieldnames or [])
        if args.column not in fieldnames:
            print(f"column {args.column!r} not found; columns: {', '.join(fieldnames)}",
                  file=sys.stderr)
            return 2
        rows = list(reader)

    out_fields = fieldnames + [c for c in OUTPUT_COLUMNS if c not in fieldnames]
    out = open(args.output, "w", newline="", encoding="utf-8") if args.output else sys.stdout
    try:
        writer = csv.DictWriter(out, fieldnames=out_fields, delimiter=delimiter)
        writer.writeheader()
        # In batches: comments that need the embedding classifier are embedded together.
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            results = analyse_many([row.get(args.column) or "" for row in batch],
                                   language=args.language,
                                   expected_language=args.expected_language,
                                   staff_names=staff)
            for row, result in zip(batch, results, strict=True):
                _write(writer, row, result)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def _write(writer: csv.DictWriter, row: dict, result: Analysis) -> None:  # type: ignore[type-arg]
    row.update(language=result.language, sentiment=result.sentiment,
               score=f"{result.score:.3f}",
               themes=";".join(f"{t.key}:{t.sentiment}" for t in result.themes),
               redacted=result.redacted)
    writer.writerow(row)


if __name__ == "__main__":
    raise SystemExit(main())
