"""Rollup increments as HOT updates on PostgreSQL.

``count`` was the last column of ``dailycount_dash_cover``, so every ``count = count + n``
of a live submission wrote a new entry into all three of DailyCount's indexes (and left a
dead one). The dashboards' unfiltered sums read ``UnitDayCount`` now, and the detail views
(touchpoint, question, choice) read the heap anyway, so the index becomes
(organisation, question_type, day), and both rollup tables keep 15 % of each page free:
an increment then stays on its page, with no index work (a heap-only tuple update)."""

from django.db import migrations, models

TABLES = ("analytics_dailycount", "analytics_unitdaycount")


def fillfactor(value):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in TABLES:
                schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {value})")
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_organisation_keep_raw_comments"),
        ("analytics", "0004_dailycount_unit_no_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="dailycount",
            name="dailycount_dash_cover",
        ),
        migrations.AddIndex(
            model_name="dailycount",
            index=models.Index(fields=["organisation", "question_type", "day"],
                               name="dailycount_type_day"),
        ),
        migrations.RunPython(fillfactor(85), fillfactor(100)),
    ]
