"""The admin of API tokens: issue one (its key shown once, on the page that answers the
form, never stored nor put in a message cookie), list them without their keys, revoke;
and the task queue's schedules list with the columns that fit a 1366 px screen."""
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from django_q.admin import ScheduleAdmin
from django_q.models import Schedule
from knox.models import AuthToken

from .models import ApiToken
from .tokens import MAX_TTL_DAYS, MSG_INACTIVE_USER, api_token_create, api_tokens_revoke

# knox registers its own admin, which lists each token's digest: ours replaces it.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


ACTIVE = pgettext_lazy("API token", "active")
EXPIRED = pgettext_lazy("API token", "expired")


class ApiTokenAddForm(forms.ModelForm):
    ttl_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=MAX_TTL_DAYS,
        help_text=_("After this many days the token stops working: issue a new one before then."),
    )

    class Meta:
        model = ApiToken
        fields = ["user"]
        labels = {"user": _("User")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ttl_days"].initial = settings.API_TOKEN_TTL_DAYS

    def clean_user(self):
        user = self.cleaned_data["user"]
        if not user.is_active:
            raise forms.ValidationError(MSG_INACTIVE_USER % {"user": user.get_username()})
        return user


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", ACTIVE), ("expired", EXPIRED)]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(expiry__gt=timezone.now())
        if self.value() == "expired":
            return queryset.filter(expiry__lte=timezone.now())
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    add_form = ApiTokenAddForm
    list_display = ("owner", "issued", "expires", "status")
    list_display_links = None
    list_filter = (StatusFilter,)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    actions = ["revoke"]
    issued_template = "admin/healthplanner/apitoken/issued.html"

    @admin.display(description=_("User"), ordering="user__username")
    def owner(self, obj):
        return obj.user

    @admin.display(description=_("Issued"), ordering="created")
    def issued(self, obj):
        return obj.created

    @admin.display(description=_("Expires"), ordering="expiry")
    def expires(self, obj):
        return obj.expiry

    @admin.display(description=_("Status"))
    def status(self, obj):
        return EXPIRED if obj.is_expired else ACTIVE

    def get_fields(self, request, obj=None):
        return ("user", "ttl_days") if obj is None else ("owner", "issued", "expires", "status")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else ("owner", "issued", "expires", "status")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never edited

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "revoke" says what deleting means here
        return actions

    # Adding goes through the service; the key lives only in this request's response.
    def save_form(self, request, form, change):
        issued = api_token_create(user=form.cleaned_data["user"], ttl_days=form.cleaned_data["ttl_days"])
        request._issued_api_key = issued.key
        return issued.token

    def save_model(self, request, obj, form, change):
        pass  # api_token_create saved it

    def save_related(self, request, form, formsets, change):
        pass  # no relations to save

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("API token issued"),
            "token": obj,
            "key": request._issued_api_key,
            "changelist_url": reverse("admin:healthplanner_apitoken_changelist"),
        }
        response = TemplateResponse(request, self.issued_template, context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke the selected tokens"), permissions=["delete"])
    def revoke(self, request, queryset):
        tokens = list(queryset)
        self.log_deletions(request, tokens)
        count = api_tokens_revoke(tokens=queryset)
        message = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)


class FittingScheduleAdmin(ScheduleAdmin):
    list_display = ("name", "func", "schedule_type", "next_run", "get_last_run", "get_success")
    list_display_links = ("name",)


admin.site.unregister(Schedule)
admin.site.register(Schedule, FittingScheduleAdmin)
