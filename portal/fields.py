"""Model fields shared by the apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def actor_field(verbose_name, *, blank: bool = True) -> models.ForeignKey:
    """Who did something to a row (created, decided, ended it): history, so deleting the user keeps the row
    with the actor emptied; users get no reverse accessor for it."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=blank,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=verbose_name,
    )
