from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace.categories.models import Category
from tenants.selectors import merchants_listed


def home(request: HttpRequest) -> HttpResponse:
    """Marketplace home: the neighborhood's shops and the platform categories."""
    context = {
        "merchants": merchants_listed()[:48],
        "categories": Category.objects.filter(parent__isnull=True, is_active=True),
    }
    return render(request, "discovery/home.html", context)
