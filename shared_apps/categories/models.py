"""The platform's category tree (public schema), shared by every merchant and the marketplace."""

from django.core.exceptions import ValidationError
from django.db import models


class Category(models.Model):
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    icon = models.CharField(max_length=40, blank=True, help_text="Emoji or icon name shown on the marketplace.")
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A category cannot sit under itself or under one of its own descendants (the tree would loop)."""
        ancestor = self.parent
        while ancestor is not None:
            if self.pk is not None and ancestor.pk == self.pk:
                raise ValidationError({"parent": "A category cannot be placed under itself or its own subcategory."})
            ancestor = ancestor.parent
