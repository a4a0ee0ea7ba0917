"""The rate-limit counter row of a device is updated by every submission from it.

On PostgreSQL the table keeps 30 % of each page free, so an update whose window does not
move (only ``count`` changes; ``count`` is in no index) stays on its page as a heap-only
tuple, with no index work; and the ``varchar_pattern_ops`` copy of the primary key that
Django adds for ``LIKE`` goes (keys are hashes, never searched by prefix)."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE surveys_respondratecounter SET (fillfactor = 70)")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = "
                       "'surveys_respondratecounter' AND indexname LIKE '%%_like'")
        names = [name for (name,) in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE surveys_respondratecounter SET (fillfactor = 100)")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS surveys_respondratecounter_key_like "
        "ON surveys_respondratecounter (key varchar_pattern_ops)")


class Migration(migrations.Migration):

    dependencies = [("surveys", "0002_respond_rate_counter")]

    operations = [migrations.RunPython(forwards, backwards)]
