"""Admin actions the operators' queues share: a rejection asks for the reason the merchant will read on a page of its
own (the queue's template), then applies it to each selected row, saying which ones could not be rejected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from kernel.errors import DomainError


def reject_with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    reject: Callable[[Any, str], object],
    done_message: Callable[[int], str],
    template: str,
    title: str,
    rows_name: str,
) -> TemplateResponse | None:
    """The reason form (rendered with the rows under `rows_name`) until it is valid, then `reject(row, reason)` for
    each row: a DomainError is told per row, the count of rows rejected once."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if form.is_bound and form.is_valid():
        done = 0
        for row in queryset:
            try:
                reject(row, form.cleaned_data["reason"])
                done += 1
            except DomainError as exc:
                model_admin.message_user(request, f"{row}: {exc.message}", messages.ERROR)
        if done:
            model_admin.message_user(request, done_message(done), messages.SUCCESS)
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        rows_name: queryset,
        "form": form,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, template, context)
