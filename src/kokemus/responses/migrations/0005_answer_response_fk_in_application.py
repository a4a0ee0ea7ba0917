"""PostgreSQL: answers → responses is no longer a database foreign key.

The composite key (response_id, submitted_at) → the partitioned responses table was checked
at every commit by a query that, as a generic plan over a partitioned table, locked every
month partition and its indexes: 1.5–4 ms per answer, the largest single cost of a
submission under load (`pgbench`, the submission's statement: 300–660 → 1,650–1,700
transactions/s without it). Integrity is kept by the application, as for the other tables
that point at responses: a submission inserts its answers in the same statement as the
response (``responses.actions``), Django deletes answers with their response, and the
retention drops a month's answers with (before) its responses. SQLite keeps its per-row
foreign key (cheap there)."""

from django.db import migrations

FK = "responses_answer_response_submitted_fk"


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE responses_answer DROP CONSTRAINT IF EXISTS {FK}")


def restore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE responses_answer ADD CONSTRAINT {FK} FOREIGN KEY "
            f"(response_id, submitted_at) REFERENCES responses_response (id, submitted_at) "
            f"DEFERRABLE INITIALLY DEFERRED")


class Migration(migrations.Migration):

    dependencies = [
        ("responses", "0004_fewer_indexes"),
    ]

    operations = [migrations.RunPython(drop, restore)]
