"""DailyCount.unit loses its single-column index (every reader filters the organisation
first; the unique key continues with the unit). Dropped by name: on SQLite an AlterField
would copy the whole table."""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "analytics_dailycount_unit_id_efb155bf"


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_organisation_keep_raw_comments"),
        ("analytics", "0003_rollup_slots_unit_counts"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AlterField(
                model_name="dailycount",
                name="unit",
                field=models.ForeignKey(db_index=False,
                                        on_delete=django.db.models.deletion.CASCADE,
                                        related_name="+", to="accounts.unit"),
            )],
            database_operations=[migrations.RunSQL(
                f"DROP INDEX IF EXISTS {INDEX}",
                f"CREATE INDEX {INDEX} ON analytics_dailycount (unit_id)",
            )],
        ),
    ]
