from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_calendarday"),
    ]

    operations = [
        migrations.CreateModel(
            name="CacheVersion",
            fields=[
                ("name", models.CharField(max_length=32, primary_key=True, serialize=False)),
                ("token", models.CharField(max_length=32)),
            ],
            options={"verbose_name": "缓存版本"},
        ),
    ]
