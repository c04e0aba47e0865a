from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from kernel.errors import DomainError
from shared_apps.accounts.phones import phone_normalize
from shared_apps.platform.admin_actions import reject_with_reason
from tenants import selectors, services
from tenants.errors import TenantsErrorCode
from tenants.models import ApprovalQueueEntry, Domain, Merchant, OnboardingPolicy


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
    readonly_fields = [
        "schema_name",
        "status",
        "owner",
        "category",
        "stats",
        "created_at",
        "review_requested_at",
        "went_live_at",
        "rejected_at",
        "rejection_reason",
        "status_changed_by",
        "suspended_at",
        "archived_at",
    ]
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


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason the merchant will read"),
        max_length=services.REJECTION_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            'Say what to fix, in plain words, e.g. "Add a photo of each product and your shop\'s phone number." '
            "It is shown in the merchant's console and sent by SMS."
        ),
    )


@admin.register(ApprovalQueueEntry)
class ApprovalQueueAdmin(ModelAdmin):
    """The operators' approval queue: merchants who pressed "Go live" while the onboarding policy asks for review.
    Approve makes them live at once; reject sends them back with a reason they read in their console."""

    list_display = ["name", "owner", "area", "category", "review_requested_at", "console"]
    list_display_links = None
    search_fields = ["name", "slug", "owner__phone"]
    actions = ["approve", "reject"]
    ordering = ["review_requested_at", "pk"]

    def get_queryset(self, request):
        return selectors.merchants_awaiting_approval().select_related("owner", "category")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request)  # the list and its actions, no edit form

    @admin.display(description=gettext_lazy("Console"))
    def console(self, obj: Merchant) -> str:
        return services.merchant_domain(obj.slug)

    @admin.action(description=gettext_lazy("Approve: make the selected merchants live"))
    def approve(self, request, queryset):
        done = 0
        for merchant in queryset:
            try:
                services.merchant_approve(merchant=merchant, by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{merchant}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d merchant(s) are live now.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Reject: send back with a reason…"))
    def reject(self, request, queryset):
        return reject_with_reason(
            self,
            request,
            queryset,
            form_class=RejectForm,
            reject=lambda merchant, reason: services.merchant_reject(merchant=merchant, by=request.user, reason=reason),
            done_message=lambda n: _("%(n)d merchant(s) sent back with your reason.") % {"n": n},
            template="admin/tenants/approval_reject.html",
            title=_("Reject: tell the merchant why"),
            rows_name="merchants",
        )


@admin.register(OnboardingPolicy)
class OnboardingPolicyAdmin(ModelAdmin):
    """One switch: whether new merchants wait for approval before customers see them."""

    list_display = ["__str__", "approval_required", "updated_at"]
    fields = ["approval_required"]

    def has_add_permission(self, request) -> bool:
        return not OnboardingPolicy.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        obj.pk = 1  # the one row the platform reads (tenants.selectors.onboarding_approval_required)
        super().save_model(request, obj, form, change)
