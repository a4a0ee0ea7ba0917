# Answers are partitioned on PostgreSQL (responses 0003): their unique key is
# (id, submitted_at), so the references to them keep no database foreign key; Django still
# applies on_delete.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('comments', '0001_initial'),
        ('responses', '0002_idempotency_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='commentanalysis',
            name='answer',
            field=models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='analysis', to='responses.answer'),
        ),
        migrations.AlterField(
            model_name='staffmention',
            name='answer',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='staff_mentions', to='responses.answer'),
        ),
    ]
