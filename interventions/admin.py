"""The Django admin that staff work in: thin classes, logic lives in services."""
from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportActionMixin
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from healthplanner.jsonlimits import LimitedJSONFormField

from .choices import Level
from .models import (
    Community,
    ImportBatch,
    Indicator,
    IndicatorValue,
    Intervention,
    InterventionType,
    Partner,
    PartnerMember,
)
from .partner_scope import is_partner_scoped
from .selectors import intervention_list, intervention_overlaps
from .services.users import partner_admin_access_check


class DepartmentFilter(admin.SimpleListFilter):
    """Filter by department: communities whose UBIGEO starts with its two digits."""

    title = _("department")
    parameter_name = "department"
    code_field = "code"

    def lookups(self, request, model_admin):
        return list(
            Community.objects.filter(level=Level.DEPARTMENT).values_list("code", "name")
        )

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{f"{self.code_field}__startswith": self.value()})
        return queryset


class CommunityDepartmentFilter(DepartmentFilter):
    code_field = "community__code"


class BaseAdmin(ExportActionMixin, SimpleHistoryAdmin):
    """Every changelist exports (CSV, XLSX) and every object keeps its history; a JSON field
    refuses deep nesting with a field error (never a 500)."""

    list_per_page = 50
    formfield_overrides = {models.JSONField: {"form_class": LimitedJSONFormField}}


class PartnerScopeMixin:
    """The API's partner scope in the admin, for a model whose API list is scoped.

    A partner's account never has admin access (``services/users.py``); should one be
    saved around that check, it still sees here only what the API shows it: the changelist,
    its filters and actions, the export (which reads the changelist's queryset), the change
    and history pages and the inlines all go through :meth:`scope_queryset`."""

    def scope_queryset(self, request, queryset):
        raise NotImplementedError

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _in_scope_or_404(self, request, object_id):
        # History of a deleted object stays readable for staff; a scoped user sees only
        # the history of an object it can see now.
        if is_partner_scoped(request.user) and self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context=extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context=extra_context)


class InterventionScopeMixin(PartnerScopeMixin):
    def scope_queryset(self, request, queryset):
        return intervention_list(user=request.user, queryset=queryset)


class InterventionInline(InterventionScopeMixin, admin.TabularInline):
    model = Intervention
    extra = 0
    # Five columns fit a 1366 px screen; the end date and beneficiaries are on the intervention's page.
    fields = ("intervention_type", "partner", "status", "start_date", "budget_pen")
    autocomplete_fields = ("intervention_type", "partner")
    show_change_link = True


@admin.register(Community)
class CommunityAdmin(BaseAdmin):
    # Columns that fit a 1366 px screen beside the filters; the rest is on the page.
    list_display = ("code", "name", "level", "parent", "population")
    list_filter = ("level", DepartmentFilter, "geometry_inherited")
    search_fields = ("code", "name", "parent__name")
    list_select_related = ("parent",)
    readonly_fields = ("level", "parent", "created_at", "updated_at")
    inlines = [InterventionInline]
    fieldsets = (
        (None, {"fields": ("code", "name", "level", "parent")}),
        (_("Population and geography"), {"fields": ("population", "altitude_m", "latitude", "longitude", "area_km2")}),
        (_("Shape"), {"classes": ("collapse",), "fields": ("geometry", "geometry_inherited")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )

    def get_readonly_fields(self, request, obj=None):
        # A code is an identity: changing it would orphan the communities below it.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "code") if obj else fields


@admin.register(Indicator)
class IndicatorAdmin(TranslationAdmin, BaseAdmin):
    """Name, unit and description in Spanish and English (interventions/translation.py)."""

    list_display = ("code", "name", "unit", "category", "source")
    list_filter = ("category", "direction")
    search_fields = ("code", "name", "description", "source")


@admin.register(IndicatorValue)
class IndicatorValueAdmin(BaseAdmin):
    list_display = ("indicator", "community", "year", "value", "sample_size", "source")
    list_filter = ("indicator", "year", "source", "community__level", CommunityDepartmentFilter)
    search_fields = ("community__code", "community__name", "indicator__code", "source")
    list_select_related = ("indicator", "community", "import_batch")
    autocomplete_fields = ("community", "indicator")
    readonly_fields = ("import_batch",)
    show_full_result_count = False


@admin.register(InterventionType)
class InterventionTypeAdmin(TranslationAdmin, BaseAdmin):
    """Name and description in Spanish and English (interventions/translation.py)."""

    list_display = ("name", "target_group", "cost_per_beneficiary_pen", "effect_relative", "is_active")
    list_filter = ("category", "indicator", "target_group", "is_active")
    search_fields = ("code", "name", "evidence", "description")
    list_select_related = ("indicator",)
    autocomplete_fields = ("indicator", "coverage_indicator")


class PartnerMemberForm(forms.ModelForm):
    """A staff account cannot become a partner's member (services/users.py)."""

    class Meta:
        model = PartnerMember
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user") or getattr(self.instance, "user", None)
        if user is not None and (self.instance.pk is None or "user" in self.changed_data):
            try:
                partner_admin_access_check(user=user, has_partner=True)
            except ValidationError as exc:
                raise forms.ValidationError(exc.messages, code="partner_staff") from None
        return cleaned


class PartnerMemberInline(admin.TabularInline):
    model = PartnerMember
    form = PartnerMemberForm
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Partner)
class PartnerAdmin(BaseAdmin):
    list_display = ("name", "acronym", "kind", "contact_email", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "acronym", "contact_email")
    inlines = [PartnerMemberInline]


@admin.register(PartnerMember)
class PartnerMemberAdmin(BaseAdmin):
    form = PartnerMemberForm
    list_display = ("user", "partner")
    list_filter = ("partner",)
    search_fields = ("user__username", "user__email", "partner__name", "partner__acronym")
    autocomplete_fields = ("user", "partner")
    list_select_related = ("user", "partner")


class OverlapFilter(admin.SimpleListFilter):
    """Two partners delivering the same type in one community at overlapping dates."""

    title = _("overlap with another partner")
    parameter_name = "overlap"

    def lookups(self, request, model_admin):
        return [("yes", _("Duplicated by another partner")), ("no", _("No overlap"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return intervention_overlaps(queryset=queryset)
        if self.value() == "no":
            return queryset.exclude(pk__in=intervention_overlaps(queryset=queryset).values("pk"))
        return queryset


@admin.register(Intervention)
class InterventionAdmin(InterventionScopeMixin, BaseAdmin):
    list_display = ("intervention_type", "community", "partner", "status", "start_date", "budget_pen")
    list_filter = ("status", "partner", "intervention_type", CommunityDepartmentFilter, OverlapFilter, "start_date")
    search_fields = ("community__code", "community__name", "intervention_type__name", "partner__name", "notes")
    list_select_related = ("intervention_type", "community", "partner")
    autocomplete_fields = ("community", "intervention_type", "partner")
    readonly_fields = ("created_at",)
    date_hierarchy = "start_date"

    # Partner users write their own organisation's interventions through the API only.
    def has_add_permission(self, request):
        return super().has_add_permission(request) and not is_partner_scoped(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not is_partner_scoped(request.user)


@admin.register(ImportBatch)
class ImportBatchAdmin(ExportActionMixin, admin.ModelAdmin):
    list_display = ("id", "source", "file_name", "status", "started_at", "rows_written", "rows_rejected",
                    "error_count")
    list_filter = ("source", "status", "dry_run")
    search_fields = ("source", "file_name", "sha256")
    list_select_related = ("user",)
    readonly_fields = (
        "source", "file_name", "sha256", "user", "status", "stage", "progress", "task_id", "dry_run", "started_at",
        "finished_at", "rows_read", "rows_written", "rows_rejected", "error_list", "summary",
    )
    exclude = ("errors",)
    import_export_change_list_template = "admin/interventions/importbatch/change_list.html"
    actions = ["rollback"]

    def has_add_permission(self, request):
        # Batches are written by the importers only (the import page, the commands).
        return False

    def get_urls(self):
        from django.urls import path

        from .admin_import import import_view

        return [
            path("import/", self.admin_site.admin_view(lambda request: import_view(self, request)),
                 name="interventions_importbatch_import"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        from .admin_import import IMPORT_PERMISSION

        extra_context = {**(extra_context or {}), "can_import": request.user.has_perm(IMPORT_PERMISSION)}
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("errors"))
    def error_count(self, obj):
        return len(obj.errors or [])

    @admin.display(description=_("errors"))
    def error_list(self, obj):
        from django.utils.html import format_html, format_html_join

        if not obj.errors:
            return "—"
        return format_html('<ul class="errorlist">{}</ul>',
                           format_html_join("", "<li>{}</li>", ((e.get("message", ""),) for e in obj.errors)))

    @admin.action(description=_("Roll back the selected imports (remove their values, restore the previous ones)"),
                  permissions=["change"])
    def rollback(self, request, queryset):
        from django.contrib import messages
        from django.core.exceptions import ValidationError

        from .importers import rollback_batch

        for batch in queryset.order_by("-started_at", "-id"):
            try:
                result = rollback_batch(batch=batch, user=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{batch}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                self.message_user(request, MSG_ROLLED_BACK % {"batch": batch.pk, **result}, messages.SUCCESS)


MSG_ROLLED_BACK = _("Import batch %(batch)s rolled back: %(removed)s values removed, %(restored)s restored, "
                    "%(kept)s kept because a later import changed them.")


# The user page shows the partner organisation a user acts for.
User = get_user_model()


class UserPartnerInline(admin.StackedInline):
    model = PartnerMember
    form = PartnerMemberForm
    can_delete = True
    extra = 0
    max_num = 1
    autocomplete_fields = ("partner",)
    verbose_name = _("partner organisation")


admin.site.unregister(User)


class PartnerAwareUserChangeForm(UserChangeForm):
    """Refuses staff status for a partner's account (services/users.py)."""

    def clean(self):
        cleaned = super().clean()
        try:
            partner_admin_access_check(
                user=self.instance,
                is_staff=cleaned.get("is_staff", self.instance.is_staff),
                groups=cleaned["groups"] if "groups" in cleaned else None,
            )
        except ValidationError as exc:
            self.add_error("is_staff" if "is_staff" in self.fields else None, exc)
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = PartnerAwareUserChangeForm
    inlines = [*BaseUserAdmin.inlines, UserPartnerInline]


admin.site.site_header = _("healthplanner")
admin.site.site_title = _("healthplanner")
admin.site.index_title = _("Health intervention planning")
