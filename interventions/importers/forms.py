"""The upload form: one set of fields and checks for the admin's import page and the API's
``POST /api/v1/imports/`` (whose serializer documents these same fields; a test holds the
two equal)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import source_validator
from .peru import PERU_ADAPTERS
from .uploads import GENERIC, MAX_SKIP_ROWS, UploadTooLarge, upload_check_size

__all__ = [
    "ImportForm",
    "MSG_MAPPING_LINE",
    "MSG_SCALE_LINE",
    "MSG_SOURCE_NEEDED",
    "MSG_WIDE_NEEDS",
    "parse_pairs",
]

MSG_MAPPING_LINE = _("“%(line)s” is not of the form COLUMN=indicator_code.")
MSG_SCALE_LINE = _("“%(line)s” is not of the form indicator_code=number.")
MSG_WIDE_NEEDS = _("A column mapping needs the year and the UBIGEO column.")
MSG_SOURCE_NEEDED = _("Give the data source a short name.")


def parse_pairs(text, message, cast=str) -> dict:
    """``KEY=value`` lines as a dict; a line of another form is a ValidationError."""
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
    skip_rows = forms.IntegerField(label=_("Rows to skip above the header"), required=False, min_value=0,
                                   max_value=MAX_SKIP_ROWS, initial=0)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            upload_check_size(upload)
        except UploadTooLarge as exc:
            raise forms.ValidationError(exc.message) from None
        return upload

    def clean_columns(self):
        return parse_pairs(self.cleaned_data.get("columns"), MSG_MAPPING_LINE)

    def clean_scale(self):
        return parse_pairs(self.cleaned_data.get("scale"), MSG_SCALE_LINE, float)

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
