"""Indicators' and intervention types' names and descriptions (and indicators' units) in Spanish
and English (django-modeltranslation, interventions/translation.py).

Existing rows get both languages: a starter entry whose text is still the one the catalogue
seeded (in English) gets the catalogue's Spanish and English; any other text (staff's own) is
kept as it is in both languages. The original column holds the Spanish text afterwards, as it
does for every save (healthplanner.i18n.SavedInDefaultLanguage).
"""
from django.db import migrations, models


def _starter():
    from interventions.seed.catalogue import (
        STANDARD_INDICATORS,
        STARTER_INTERVENTION_TYPES,
        indicator_fields,
        intervention_type_fields,
    )

    indicators = {s.code: (s, indicator_fields(s)) for s in STANDARD_INDICATORS}
    types = {s.code: (s, intervention_type_fields(s)) for s in STARTER_INTERVENTION_TYPES}
    return indicators, types


def _fill(row, field, seeded_en, fields):
    """Both languages of ``field``: the catalogue's when the row still has its seeded text."""
    current = getattr(row, field) or ""
    if fields is not None and current == (seeded_en or ""):
        es, en = fields[f"{field}_es"], fields[f"{field}_en"]
    else:
        es = en = current
    setattr(row, f"{field}_es", es)
    setattr(row, f"{field}_en", en)
    setattr(row, field, es)


def fill_languages(apps, schema_editor):
    from interventions.seed.catalogue import _COST_NOTE

    indicators, types = _starter()
    Indicator = apps.get_model("interventions", "Indicator")
    InterventionType = apps.get_model("interventions", "InterventionType")
    for row in Indicator.objects.all():
        spec, fields = indicators.get(row.code, (None, None))
        _fill(row, "name", spec and spec.name, fields)
        _fill(row, "description", spec and spec.description, fields)
        _fill(row, "unit", spec and spec.unit, fields)
        row.save(update_fields=["name", "name_es", "name_en", "description", "description_es", "description_en",
                                "unit", "unit_es", "unit_en"])
    for row in InterventionType.objects.all():
        spec, fields = types.get(row.code, (None, None))
        _fill(row, "name", spec and spec.name, fields)
        _fill(row, "description", spec and (spec.description or _COST_NOTE), fields)
        row.save(update_fields=["name", "name_es", "name_en", "description", "description_es", "description_en"])


def back_to_english(apps, schema_editor):
    for model, fields in (("Indicator", ("name", "description", "unit")), ("InterventionType", ("name", "description"))):
        for row in apps.get_model("interventions", model).objects.all():
            for field in fields:
                setattr(row, field, getattr(row, f"{field}_en") or getattr(row, field))
            row.save(update_fields=list(fields))


class Migration(migrations.Migration):

    dependencies = [
        ('interventions', '0007_import_progress'),
    ]

    operations = [
        migrations.AddField(
            model_name='indicator',
            name='description_en',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='description_es',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='name_en',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='name_es',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='unit_en',
            field=models.CharField(help_text='e.g. %, persons, m, PEN', max_length=32, null=True, verbose_name='unit'),
        ),
        migrations.AddField(
            model_name='indicator',
            name='unit_es',
            field=models.CharField(help_text='e.g. %, persons, m, PEN', max_length=32, null=True, verbose_name='unit'),
        ),
        migrations.AddField(
            model_name='interventiontype',
            name='description_en',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='interventiontype',
            name='description_es',
            field=models.TextField(blank=True, null=True, verbose_name='description'),
        ),
        migrations.AddField(
            model_name='interventiontype',
            name='name_en',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.AddField(
            model_name='interventiontype',
            name='name_es',
            field=models.CharField(max_length=200, null=True, verbose_name='name'),
        ),
        migrations.RunPython(fill_languages, back_to_english),
    ]
