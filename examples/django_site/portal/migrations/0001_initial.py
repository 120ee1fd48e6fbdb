"""The Signup table."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []  # noqa: RUF012 (Django's own style)

    operations = [  # noqa: RUF012
        migrations.CreateModel(
            name="Signup",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email", models.EmailField(max_length=254)),
                ("reference", models.CharField(max_length=32, unique=True)),
                ("candidate_id", models.CharField(blank=True, default="", max_length=32)),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
