# Responses are partitioned on PostgreSQL (responses 0003): their unique key is
# (id, submitted_at), so the reference keeps no database foreign key; Django still applies
# on_delete.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('invitations', '0001_initial'),
        ('responses', '0002_idempotency_index'),
    ]

    operations = [
        migrations.AlterField(
            model_name='surveyinvitation',
            name='response',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='responses.response'),
        ),
    ]
