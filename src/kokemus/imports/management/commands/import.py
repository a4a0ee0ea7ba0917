"""``kokemus import FILE --organisation SLUG --mapping MAPPING.json [--dry-run]``.

Runs the import inline (no worker) with a progress bar on stderr; prints a JSON summary on
stdout. MAPPING.json: {"survey": id, "columns": {"header": "unit" | "touchpoint" | "time" |
"external_id" | "language" | "q:<question key>"}, "values": {"<key>": {"label": code}},
"preset": "" | "nhs_fft", "default_unit": id, "default_language": "fi",
"time_zone": "Europe/Helsinki"}.
"""

import json
import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kokemus.accounts.audit import SYSTEM
from kokemus.accounts.models import Organisation


class Progress:
    def __init__(self, stream, width=30):
        self.stream = stream
        self.width = width
        self.last = 0.0
        self.started = time.monotonic()

    def __call__(self, job, final=False):
        now = time.monotonic()
        if not final and now - self.last < 0.5:
            return
        self.last = now
        total = max(job.rows_total, job.rows_done, 1)
        share = job.rows_done / total
        filled = int(share * self.width)
        rate = job.rows_done / max(now - self.started, 1e-6)
        self.stream.write(f"\r[{'#' * filled}{'.' * (self.width - filled)}] "
                          f"{job.rows_done}/{total} rows · {job.rows_bad} bad · {rate:.0f}/s")
        if final:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import historical responses from a CSV or XLSX file (runs inline)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--organisation", required=True, help="organisation slug")
        parser.add_argument("--mapping", required=True, help="mapping JSON file")
        parser.add_argument("--dry-run", action="store_true", help="only validate")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, **opts):
        from kokemus.imports.actions import do_create_job, do_set_mapping, run_job

        org = Organisation.objects.filter(slug=opts["organisation"]).first()
        if org is None:
            raise CommandError(f"No organisation {opts['organisation']!r}")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}")
        try:
            mapping = json.loads(Path(opts["mapping"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the mapping: {exc}") from exc
        try:
            job = do_create_job(SYSTEM, org, source=path, copy=False)
            do_set_mapping(SYSTEM, job, mapping)
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in
                                         exc.message_dict.items())) from exc
        progress = Progress(self.stderr._out)
        job = run_job(job, dry_run=opts["dry_run"], actor=SYSTEM, progress=progress,
                      batch_size=opts["batch_size"])
        progress(job, final=True)
        self.stdout.write(json.dumps({
            "job": job.pk, "status": job.status, "rows": job.rows_done, "ok": job.rows_ok,
            "duplicates": job.rows_duplicate, "bad": job.rows_bad,
            "error_file": job.error_file, "message": job.message}))
        if job.status == "failed":
            raise CommandError(job.message)
