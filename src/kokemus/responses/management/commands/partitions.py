"""kokemus partitions ensure | list | drop | retention — monthly partitions of responses and
answers on PostgreSQL (see kokemus.responses.partitions)."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from kokemus.responses import partitions

SQLITE_NOTE = "Partitioning is PostgreSQL-only; SQLite keeps plain tables. Nothing to do."


class Command(BaseCommand):
    help = "Create, list or drop the monthly partitions of responses and answers (PostgreSQL)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="op", required=True)
        p = sub.add_parser("ensure", help="create the partitions of the coming months")
        p.add_argument("--ahead", type=int, default=partitions.DEFAULT_AHEAD,
                       help="months after the current one (default %(default)s)")
        p = sub.add_parser("list", help="the partitions and the raw-data horizon")
        p.add_argument("--rows", action="store_true", help="count the rows (scans)")
        p = sub.add_parser("drop", help="drop the raw responses/answers of old months")
        p.add_argument("--before", required=True, metavar="YYYY-MM",
                       help="drop every month before this one (rollups are kept)")
        sub.add_parser("retention",
                       help="drop the months older than KOKEMUS_RAW_RETENTION_MONTHS")
        sub.add_parser("schedule", help="queue the daily maintenance task for the worker")

    def handle(self, *args, op, **opts):
        if not partitions.is_partitioned():
            if connection.vendor == "postgresql":
                raise CommandError("responses_response is not partitioned: run "
                                   "`kokemus migrate` first")
            self.stdout.write(SQLITE_NOTE)
            return
        try:
            if op == "ensure":
                created = partitions.ensure(opts["ahead"])
                for c in created:
                    self.stdout.write(f"created {c['month']} (moved from DEFAULT: "
                                      f"{c['moved_responses']} responses, "
                                      f"{c['moved_answers']} answers)")
                self.stdout.write(f"partitions ensure: {len(created)} months created")
            elif op == "list":
                self._list(opts["rows"])
            elif op == "schedule":
                from kokemus.responses.tasks import next_run, schedule_maintenance

                queued = schedule_maintenance()
                self.stdout.write(f"maintenance queued for {next_run().isoformat()}" if queued
                                  else "maintenance already queued (or tasks cannot defer)")
            elif op == "drop":
                result = partitions.drop_before(partitions.parse_month(opts["before"]))
                self.stdout.write(json.dumps(result))
            else:
                self.stdout.write(json.dumps(partitions.apply_retention()))
        except partitions.PartitionError as exc:
            raise CommandError(str(exc)) from exc

    def _list(self, rows: bool) -> None:
        for p in partitions.list_partitions(count_rows=rows):
            label = "DEFAULT" if p.default else (f"{p.month:%Y-%m}" if p.month else "?")
            count = f"  {p.rows} rows" if p.rows is not None else ""
            self.stdout.write(f"{p.table:<20} {label:<8} {p.name}{count}")
        horizon = partitions.raw_horizon()
        self.stdout.write("raw data horizon: "
                          + (horizon.isoformat() if horizon else "none (nothing dropped)"))
