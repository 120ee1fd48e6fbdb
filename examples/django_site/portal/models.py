"""The project's own table, in the same database as symprogram's."""

from __future__ import annotations

from django.db import models


class Signup(models.Model):
    """A registration started on this site (the project's own record of it)."""

    email = models.EmailField()
    reference = models.CharField(max_length=32, unique=True)
    candidate_id = models.CharField(max_length=32, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.email} ({self.reference})"
