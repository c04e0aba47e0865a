from django import forms
from django.contrib import admin, messages
from unfold.admin import ModelAdmin, TabularInline

from kernel.errors import DomainError
from shared_apps.accounts.phones import phone_normalize
from tenants import services
from tenants.errors import TenantsErrorCode
from tenants.models import Domain, Merchant


class MerchantCreateForm(forms.ModelForm):
    owner_phone = forms.CharField(help_text="The owner signs in with this phone, e.g. +923001234567.")

    class Meta:
        model = Merchant
        fields = ["name", "slug", "area"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        try:
            services.slug_validate(slug)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        if Merchant.objects.filter(slug=slug).exists():
            raise forms.ValidationError(TenantsErrorCode.SLUG_TAKEN.default_message)
        return slug

    def clean_owner_phone(self) -> str:
        try:
            return phone_normalize(self.cleaned_data["owner_phone"])
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


class DomainInline(TabularInline):
    model = Domain
    extra = 0
    fields = ["domain", "is_primary"]
    readonly_fields = ["domain", "is_primary"]
    can_delete = False


@admin.register(Merchant)
class MerchantAdmin(ModelAdmin):
    list_display = ["name", "slug", "area", "status", "owner", "created_at"]
    list_filter = ["status", "area"]
    search_fields = ["name", "slug", "owner__phone"]
    readonly_fields = ["schema_name", "status", "owner", "stats", "created_at", "suspended_at", "archived_at"]
    inlines = [DomainInline]
    actions = ["suspend", "reactivate", "archive"]

    def get_queryset(self, request):
        return super().get_queryset(request).exclude(schema_name="public").select_related("owner")

    def get_inlines(self, request, obj=None):
        return self.inlines if obj else []  # the host is made by provisioning, shown afterwards

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = MerchantCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "slug", "area", "owner_phone"]
        return ["name", "area", "slug", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "slug"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # Provisioning goes through the one service, never a bare save (schema, domain, owner membership).
        created = services.merchant_provision(
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            owner_phone=form.cleaned_data["owner_phone"],
            area=form.cleaned_data.get("area", ""),
        )
        obj.pk, obj.schema_name = created.pk, created.schema_name

    def _apply(self, request, queryset, service, verb):
        done = 0
        for merchant in queryset:
            try:
                service(merchant=merchant)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{merchant}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{verb} {done} merchant(s).", messages.SUCCESS)

    @admin.action(description="Suspend selected merchants")
    def suspend(self, request, queryset):
        self._apply(request, queryset, services.merchant_suspend, "Suspended")

    @admin.action(description="Reactivate selected merchants")
    def reactivate(self, request, queryset):
        self._apply(request, queryset, services.merchant_reactivate, "Reactivated")

    @admin.action(description="Archive selected merchants (schema kept until purge)")
    def archive(self, request, queryset):
        self._apply(request, queryset, services.merchant_archive, "Archived")
