"""The platform admin's "Recommendations" page: click-through of every shelf and model over the last 7 and 30 days,
read from the drain's daily counts (`ShelfDaily`), never from the events. Platform admins only (the admin site's
own rule: staff who passed TOTP in this session); nothing on it can be changed."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from unfold.admin import ModelAdmin

from shared_apps.behaviour.models import ShelfDaily, Surface
from shared_apps.behaviour.selectors import shelf_click_through

PERIODS = (7, 30)


@admin.register(ShelfDaily)
class ShelfClickThroughAdmin(ModelAdmin):
    change_list_template = "admin/recommendations/click_through.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ShelfDaily | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ShelfDaily | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        labels = dict(Surface.choices)
        periods = [
            {
                "days": days,
                "title": _("Last %(days)d days") % {"days": days},
                "rows": [
                    {"shelf": labels.get(r.surface, r.surface), "row": r, "rate": f"{100 * r.rate:.2f}%"}
                    for r in shelf_click_through(days=days)
                ],
            }
            for days in PERIODS
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Recommendations"),
            "subtitle": _("Click-through per shelf and model"),
            "opts": self.model._meta,
            "periods": periods,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)
