"""The admin import page: upload a file, choose an adapter or a column mapping, see a
preview with every error (a dry run), then confirm or cancel. A thin caller of
``interventions.importers``."""
from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import ImportStatus
from .importers import PERU_ADAPTERS, run_import
from .importers.base import Context
from .importers.reading import FileProblem, read_grid
from .importers.uploads import GENERIC, adapter_from_options, discard_upload, load_upload, save_upload
from .models import source_validator

IMPORT_PERMISSION = "interventions.add_importbatch"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
PREVIEW_ROWS = 15

MSG_UPLOAD_GONE = _("The uploaded file is no longer available: upload it again.")
MSG_CANCELLED = _("Import cancelled: nothing was written.")
MSG_IMPORTED = _("Import batch %(id)s: %(created)s new values, %(updated)s changed, %(unchanged)s unchanged.")
MSG_IMPORT_FAILED = _("Import batch %(id)s was refused: nothing was written.")
MSG_TOO_LARGE = _("The file is larger than %(mb)s MB.")
MSG_MAPPING_LINE = _("“%(line)s” is not of the form COLUMN=indicator_code.")
MSG_SCALE_LINE = _("“%(line)s” is not of the form indicator_code=number.")
MSG_WIDE_NEEDS = _("A column mapping needs the year and the UBIGEO column.")
MSG_SOURCE_NEEDED = _("Give the data source a short name.")


def _pairs(text, message, cast=str):
    out = {}
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if "=" not in line:
            raise forms.ValidationError(message % {"line": line})
        key, value = (part.strip() for part in line.split("=", 1))
        try:
            out[key] = cast(value)
        except ValueError:
            raise forms.ValidationError(message % {"line": line}) from None
    return out


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (CSV, XLSX, XLS or GeoJSON)"))
    adapter = forms.ChoiceField(
        label=_("Kind of file"),
        choices=[(GENERIC, _("Indicator table (long format, or wide with a column mapping)"))]
        + [(name, f"{name}: {adapter.description}") for name, adapter in PERU_ADAPTERS.items()],
        initial=GENERIC,
    )
    source = forms.CharField(label=_("Data source"), required=False, max_length=64, validators=[source_validator],
                             help_text=_("Short name, e.g. diresa-cusco-2024 (indicator tables only)."))
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2100)
    ubigeo_column = forms.CharField(label=_("UBIGEO column"), required=False, max_length=200)
    columns = forms.CharField(label=_("Column mapping"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One per line: COLUMN=indicator_code (wide tables only)."))
    scale = forms.CharField(label=_("Scale"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("One per line: indicator_code=100 to turn 0–1 shares into percentages."))
    sheet = forms.CharField(label=_("Sheet"), required=False, max_length=100)
    skip_rows = forms.IntegerField(label=_("Rows to skip above the header"), required=False, min_value=0, initial=0)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(MSG_TOO_LARGE % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
        return upload

    def clean_columns(self):
        return _pairs(self.cleaned_data.get("columns"), MSG_MAPPING_LINE)

    def clean_scale(self):
        return _pairs(self.cleaned_data.get("scale"), MSG_SCALE_LINE, float)

    def clean(self):
        data = super().clean()
        if data.get("adapter") == GENERIC:
            if not data.get("source"):
                self.add_error("source", MSG_SOURCE_NEEDED)
            if data.get("columns") and (data.get("year") is None or not data.get("ubigeo_column")):
                raise forms.ValidationError(MSG_WIDE_NEEDS)
        return data

    def options(self) -> dict:
        data = self.cleaned_data
        return {key: data.get(key) for key in ("adapter", "source", "year", "ubigeo_column", "columns", "scale",
                                               "sheet", "skip_rows")}


def _preview_rows(file, options):
    try:
        grid, _decimal = read_grid(file, sheet=options.get("sheet") or None, skip_rows=options.get("skip_rows") or 0)
    except FileProblem:
        return None
    except Exception:  # noqa: BLE001 - GeoJSON and other non-tables have no grid preview
        return None
    head = grid.head(PREVIEW_ROWS).astype(object).where(grid.head(PREVIEW_ROWS).notna(), "")
    rows = zip(head.index, head.to_numpy().tolist(), strict=True)
    return [(int(index), [str(v) for v in row]) for index, row in rows]


def import_view(model_admin, request):
    """GET: the form. POST with a file: dry run and preview. POST confirm/cancel: act on
    the stored upload."""
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
               "title": _("Import a file")}
    changelist = reverse("admin:interventions_importbatch_changelist")
    if request.method == "POST" and ("confirm" in request.POST or "cancel" in request.POST):
        token = request.POST.get("token", "")
        stored = load_upload(token)
        if "cancel" in request.POST:
            discard_upload(token)
            messages.info(request, MSG_CANCELLED)
            return redirect(changelist)
        if stored is None:
            messages.error(request, MSG_UPLOAD_GONE)
            return redirect(request.path)
        file, options = stored
        batch = run_import(adapter=adapter_from_options(options), file=file, user=request.user, context=Context())
        discard_upload(token)
        if batch.status == ImportStatus.SUCCEEDED:
            messages.success(request, MSG_IMPORTED % {
                "id": batch.pk, "created": batch.summary.get("values_created", 0),
                "updated": batch.summary.get("values_updated", 0),
                "unchanged": batch.summary.get("values_unchanged", 0)})
        else:
            messages.error(request, MSG_IMPORT_FAILED % {"id": batch.pk})
        return redirect(reverse("admin:interventions_importbatch_change", args=[batch.pk]))

    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        options = form.options()
        name = re.sub(r"[\\/]", "_", upload.name)[:200]
        token = save_upload(data=data, name=name, options=options)
        file, _options = load_upload(token)
        batch = run_import(adapter=adapter_from_options(options), file=file, user=request.user, dry_run=True,
                           context=Context())
        context.update({"form": form, "batch": batch, "token": token, "preview": _preview_rows(file, options),
                        "file_name": name, "can_confirm": batch.status == ImportStatus.DRY_RUN,
                        "title": _("Preview of %(file)s") % {"file": name}})
        return TemplateResponse(request, "admin/interventions/importbatch/import_preview.html", context)
    context["form"] = form
    return TemplateResponse(request, "admin/interventions/importbatch/import_form.html", context)
