# The supervision ledger's order (deadline, id): keyset pages walk this index (core/paging.py).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_recusal"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="workitem",
            index=models.Index(fields=["deadline", "id"], name="workitem_deadline_id"),
        ),
    ]
