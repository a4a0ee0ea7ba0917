"""Monthly partitioning of responses and answers on PostgreSQL (docs/scaling.md, Part 1).

Both databases: idempotency keys move to their own table ``responses_idempotencykey``
(UNIQUE (organisation, key)); answers get ``submitted_at`` (a copy of their response's);
``responses_rawdatadrop`` logs retention drops.

PostgreSQL only: the tables are rebuilt as ``PARTITION BY RANGE (submitted_at)`` with one
partition per UTC month that has data (at most 20 years back) and for the current month to
3 months ahead, plus a DEFAULT partition; the rows are copied, the indexes and foreign keys recreated
under their old names, the identity sequences moved past the copied ids, and the primary
keys become ``(id, submitted_at)``; answers reference ``(response_id, submitted_at)``.
Foreign keys from other tables to responses/answers were removed before (improvement 0003,
comments 0002, invitations 0002: ``db_constraint=False``); any left are dropped here.
"""

from datetime import UTC, date, datetime

from django.db import migrations, models
from django.utils import timezone

RESPONSE, ANSWER = "responses_response", "responses_answer"
AHEAD = 3
MAX_MONTHS_BACK = 240


def _add_months(month, n):
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _bound(month):
    return f"'{datetime(month.year, month.month, 1, tzinfo=UTC).isoformat()}'"


def copy_idempotency_keys(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO responses_idempotencykey "
        "(organisation_id, key, response_id, submitted_at, created_at) "
        "SELECT organisation_id, idempotency_key, id, submitted_at, received_at "
        "FROM responses_response WHERE idempotency_key <> ''")


def partition_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.execute(
            "UPDATE responses_answer SET submitted_at = (SELECT r.submitted_at FROM "
            "responses_response r WHERE r.id = responses_answer.response_id)")
        return
    with schema_editor.connection.cursor() as cursor:
        _partition_postgres(cursor)


def _partition_postgres(cursor):
    def q(sql, params=None):
        cursor.execute(sql, params)

    def rows(sql, params=None):
        cursor.execute(sql, params)
        return cursor.fetchall()

    q("SELECT 1 FROM pg_partitioned_table WHERE partrelid = %s::regclass", [RESPONSE])
    if cursor.fetchone():
        return  # already partitioned
    tables = (RESPONSE, ANSWER)
    # 1. No foreign key may point at the old tables (they are dropped).
    for name, table in rows("SELECT conname, conrelid::regclass::text FROM pg_constraint "
                            "WHERE contype = 'f' AND confrelid = ANY(%s::regclass[])",
                            [list(tables)]):
        q(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    # 2. Remember the indexes and the remaining (outgoing) foreign keys / checks.
    indexes, constraints = [], []
    for table in tables:
        for name, unique, definition in rows(
                "SELECT c.relname, i.indisunique, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary", [table]):
            if unique:
                raise RuntimeError(f"unique index {name} cannot be kept on partitioned "
                                   f"{table} (it would need submitted_at)")
            indexes.append(definition)
        for name, definition in rows(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('f', 'c')", [table]):
            constraints.append((table, name, definition))
    # 3. The months to create: each month with data (up to 20 years back) and the current
    # one to 3 ahead. Rows outside them (and later ones of months in gaps) go to DEFAULT.
    current = timezone.now().astimezone(UTC).date().replace(day=1)
    months = {_add_months(current, i) for i in range(AHEAD + 1)}
    for (moment,) in rows(f"SELECT DISTINCT date_trunc('month', submitted_at AT TIME ZONE "
                          f"'UTC') FROM {RESPONSE}"):
        month = moment.date().replace(day=1)
        if _add_months(current, -MAX_MONTHS_BACK) <= month < current:
            months.add(month)
    months = sorted(months)
    # 4. The partitioned copies, their partitions, the rows.
    for table in tables:
        q(f"CREATE TABLE {table}_new (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY "
          f"INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (submitted_at)")
        for month in months:
            q(f"CREATE TABLE {table}_p{month:%Y_%m} PARTITION OF {table}_new "
              f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(_add_months(month, 1))})")
        q(f"CREATE TABLE {table}_default PARTITION OF {table}_new DEFAULT")
    q(f"ALTER TABLE {ANSWER}_new ALTER COLUMN submitted_at SET NOT NULL")
    columns = {table: [r[0] for r in rows(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum", [table])] for table in tables}
    cols = ", ".join(f'"{c}"' for c in columns[RESPONSE])
    q(f"INSERT INTO {RESPONSE}_new ({cols}) SELECT {cols} FROM {RESPONSE}")
    answer_cols = [c for c in columns[ANSWER] if c != "submitted_at"]
    q(f"INSERT INTO {ANSWER}_new ({', '.join(answer_cols)}, submitted_at) "
      f"SELECT {', '.join('a.' + c for c in answer_cols)}, r.submitted_at "
      f"FROM {ANSWER} a JOIN {RESPONSE} r ON r.id = a.response_id")
    # 5. Swap: the old tables go, the new ones take their names (and sequence names).
    q(f"DROP TABLE {ANSWER}")
    q(f"DROP TABLE {RESPONSE}")
    for table in tables:
        q(f"ALTER TABLE {table}_new RENAME TO {table}")
        (seq,) = rows("SELECT pg_get_serial_sequence(%s, 'id')", [table])[0]
        q(f"ALTER SEQUENCE {seq} RENAME TO {table}_id_seq")
        q(f"SELECT setval('{table}_id_seq', COALESCE((SELECT max(id) FROM {table}), 0) + 1, "
          f"false)")
        q(f"ALTER TABLE {table} ADD CONSTRAINT {table}_pkey PRIMARY KEY (id, submitted_at)")
    # 6. Indexes and constraints under their old names; answers → responses by month.
    for definition in indexes:
        q(definition)
    for table, name, definition in constraints:
        q(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    q(f"ALTER TABLE {ANSWER} ADD CONSTRAINT responses_answer_response_submitted_fk "
      f"FOREIGN KEY (response_id, submitted_at) REFERENCES {RESPONSE} (id, submitted_at) "
      f"DEFERRABLE INITIALLY DEFERRED")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_organisation_keep_raw_comments'),
        ('responses', '0002_idempotency_index'),
        # These drop the database foreign keys that point at responses/answers first.
        ('improvement', '0003_response_fk_no_db_constraint'),
        ('comments', '0002_answer_fk_no_db_constraint'),
        ('invitations', '0002_response_fk_no_db_constraint'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='response',
            name='response_idempotency_per_org',
        ),
        migrations.RemoveIndex(
            model_name='response',
            name='response_org_idem_idx',
        ),
        migrations.CreateModel(
            name='IdempotencyKey',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=100)),
                ('submitted_at', models.DateTimeField()),
                ('created_at', models.DateTimeField(default=timezone.now)),
                ('organisation', models.ForeignKey(on_delete=models.deletion.CASCADE, related_name='+', to='accounts.organisation')),
                ('response', models.ForeignKey(db_constraint=False, on_delete=models.deletion.CASCADE, related_name='+', to='responses.response')),
            ],
            options={
                'indexes': [models.Index(fields=['submitted_at'], name='response_idem_submitted_idx')],
                'constraints': [models.UniqueConstraint(fields=('organisation', 'key'), name='response_idempotency_key_per_org')],
            },
        ),
        migrations.CreateModel(
            name='RawDataDrop',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('before', models.DateTimeField()),
                ('dropped_at', models.DateTimeField(default=timezone.now)),
                ('months', models.JSONField(default=list)),
                ('responses', models.BigIntegerField(default=0)),
                ('answers', models.BigIntegerField(default=0)),
            ],
            options={
                'ordering': ['-before'],
            },
        ),
        migrations.RunPython(copy_idempotency_keys, migrations.RunPython.noop),
        migrations.AddField(
            model_name='answer',
            name='submitted_at',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(partition_tables),
        migrations.AlterField(
            model_name='answer',
            name='submitted_at',
            field=models.DateTimeField(),
        ),
    ]
