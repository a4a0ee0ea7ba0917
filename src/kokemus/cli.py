"""The ``kokemus`` command: Django's management commands with kokemus' settings.

``kokemus`` alone (or ``--help``) lists the product's own commands; every Django
command (``kokemus migrate``, ``kokemus check --deploy`` …) works as well.
"""

from __future__ import annotations

import os
import sys

PRODUCT_COMMANDS = [
    ("demo", "migrate, load the demo organisations and serve on http://127.0.0.1:8000"),
    ("serve", "run the production web server (gunicorn workers)"),
    ("worker", "run background tasks (e-mail, invitations, reports)"),
    ("migrate", "create or upgrade the database tables"),
    ("createadmin", "create an organisation administrator"),
    ("import", "import historical responses from CSV/XLSX"),
    ("invitations", "send due survey invitations (also done by the worker)"),
    ("cases", "follow-up reminders and contact-detail purge"),
    ("rollups", "rebuild or verify the rollup tables"),
    ("partitions", "monthly partitions of responses (PostgreSQL): ensure, list, drop"),
    ("reports", "send due scheduled reports (also done by the worker)"),
    ("comments", "re-analyse comments after theme changes"),
    ("text", "comment analytics for a CSV file: `kokemus text analyse FILE.csv --column COL`"),
    ("backup", "consistent online snapshot of the database"),
    ("restore", "replace the database with a backup"),
    ("privacy", "retention purge; export or erase one respondent's data"),
    ("generate", "bulk-generate realistic responses (benchmarks)"),
    ("check", "check the configuration (add --deploy for production)"),
]


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokemus.settings")
    if not argv or argv[0] in {"-h", "--help", "help"} and len(argv) == 1:
        print("usage: kokemus COMMAND [options]\n")
        print("Commands:")
        for name, text in PRODUCT_COMMANDS:
            print(f"  {name:<12} {text}")
        print("\n`kokemus COMMAND --help` describes a command's options;")
        print("`kokemus help --all` lists every Django management command too.")
        return
    if argv[:2] == ["help", "--all"]:
        argv = ["help"]
    if argv[0] == "text":
        # Comment analytics is pure Python (no Django, no database): analysts run it on
        # CSV files anywhere.
        from kokemus.text.cli import main as text_main

        raise SystemExit(text_main(argv))
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kokemus", *argv])


if __name__ == "__main__":
    main()
