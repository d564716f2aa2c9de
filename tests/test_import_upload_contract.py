"""The API's upload serializer documents the admin's upload form: the same fields, the same
bounds and choices, and examples that the form accepts."""
import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.drainage import get_override
from rest_framework import serializers as drf

from interventions.api.serializers import ImportUploadSerializer
from interventions.importers.forms import ImportForm

API_ONLY = {"dry_run"}  # the admin previews every upload; the API asks


def test_same_field_names():
    assert set(ImportUploadSerializer().fields) - API_ONLY == set(ImportForm.base_fields)


@pytest.mark.parametrize("name", list(ImportForm.base_fields))
def test_same_kind_bounds_and_requiredness(name):
    documented = ImportUploadSerializer().fields[name]
    field = ImportForm.base_fields[name]
    if field.required and not documented.required:
        # The API fills a missing value with the documented default: the form's initial.
        assert documented.default == field.initial, name
    else:
        assert documented.required == field.required, name
    kinds = {forms.FileField: drf.FileField, forms.ChoiceField: drf.ChoiceField,
             forms.IntegerField: drf.IntegerField, forms.CharField: drf.CharField}
    assert isinstance(documented, kinds[type(field)]), (name, type(documented))
    if isinstance(field, forms.CharField):
        assert documented.max_length == field.max_length, name
    if isinstance(field, forms.IntegerField):
        assert (documented.min_value, documented.max_value) == (field.min_value, field.max_value), name
    if isinstance(field, forms.ChoiceField):
        assert list(documented.choices) == [value for value, _label in field.choices]
        assert documented.default == field.initial


def test_every_example_is_accepted_by_the_form():
    examples = get_override(ImportUploadSerializer, "examples")
    assert len(examples) >= 3
    for example in examples:
        value = dict(example.value)
        assert set(value) <= set(ImportForm.base_fields) | API_ONLY, example.summary
        value.pop("dry_run", None)
        file = SimpleUploadedFile("upload.csv", value.pop("file").encode())
        form = ImportForm(value, {"file": file})
        assert form.is_valid(), (example.summary, form.errors)
