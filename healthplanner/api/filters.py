"""Filters every app's filtersets share: comma-separated lists (``?community=080101,150101``,
``?community_id=3,4``) as ``BaseInFilter`` subclasses, and the numeric bounds that keep a
wild value a 400 instead of a database error."""
import re

import django_filters as filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

__all__ = ["CommaListFilter", "FilterBackend", "IdListFilter", "IntegerFilter", "StrictBooleanFilter", "ID_BOUNDS",
           "YEAR_BOUNDS", "MSG_BOOLEAN", "MSG_ID_LIST", "MSG_INTEGER", "MSG_ONCE"]

# Bounds keep every number inside the database column's range, so a wild value is a 400.
YEAR_BOUNDS = {"min_value": 1900, "max_value": 2100}
ID_BOUNDS = {"min_value": 1, "max_value": 2**63 - 1}
MSG_ID_LIST = _("Give one id or several, comma-separated.")
MSG_BOOLEAN = _("Give true or false.")
MSG_ONCE = _("Give this parameter once (several values go in one, comma-separated).")
MSG_INTEGER = _("Give a whole number.")
_INTEGER = re.compile(r"^-?[0-9]{1,19}$")
_ID = re.compile(r"^[0-9]{1,18}$")


class CommaListFilter(filters.BaseInFilter, filters.CharFilter):
    """Values separated by commas, each stripped of spaces, matched with ``__in`` (or handed
    to ``method`` as a list). A blank item matches nothing."""


class IdItemField(forms.CharField):
    """One id of a comma-separated list: 1 to 18 digits; a blank item is an error."""

    def clean(self, value):
        value = (value or "").strip(" ")  # spaces around an id, as documented; nothing else
        if not _ID.match(value):
            raise forms.ValidationError(MSG_ID_LIST, code="invalid")
        return int(value)


class IdListFilter(filters.BaseInFilter, filters.CharFilter):
    """Ids separated by commas (``?community_id=3,4``), as integers."""

    field_class = IdItemField


class StrictBooleanField(forms.Field):
    """``true`` / ``false`` (in any case); empty is no filter; anything else is an error
    (django-filter's own field ignores what it cannot read)."""

    VALUES = {"true": True, "false": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).lower()]
        except KeyError:
            raise forms.ValidationError(MSG_BOOLEAN, code="invalid") from None


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class StrictIntegerField(forms.IntegerField):
    """Digits only (``2020``, not ``2020.0`` or ``2e3``, which Django's own field reads)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip(" ")
        if not _INTEGER.match(text):
            raise forms.ValidationError(MSG_INTEGER, code="invalid")
        return int(text)


class IntegerFilter(filters.NumberFilter):
    """A whole-number filter (ids, years) within the bounds it is given."""

    field_class = StrictIntegerField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend; a single-valued filter given twice is a 400 (django-filter
    would read the last one and ignore the others). Multiple-choice filters
    (``?level=district&level=province``) take repeats, as documented."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            repeated = [name for name, declared in filterset_class.base_filters.items()
                        if not isinstance(declared, filters.MultipleChoiceFilter)
                        and len(request.query_params.getlist(name)) > 1]
            if repeated:
                raise ValidationError({name: [str(MSG_ONCE)] for name in repeated})
        return super().filter_queryset(request, queryset, view)
