# Responses and answers are partitioned on PostgreSQL (responses 0003): their unique key is
# (id, submitted_at), so the references to them keep no database foreign key; Django still
# applies on_delete.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('improvement', '0002_action_goal'),
        ('responses', '0002_idempotency_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='followupcase',
            name='response',
            field=models.OneToOneField(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='followup_case', to='responses.response'),
        ),
        migrations.AlterField(
            model_name='praise',
            name='answer',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='responses.answer'),
        ),
    ]
