"""Catalogue text in both languages (django-modeltranslation): ``name_es``/``name_en``,
``description_es``/``description_en`` and an indicator's ``unit_es``/``unit_en``. ``name``,
``description`` and ``unit`` read the active language's value and fall back to Spanish,
then English (settings.MODELTRANSLATION_*)."""
from modeltranslation.translator import TranslationOptions, register

from .models import Indicator, InterventionType


@register(Indicator)
class IndicatorTranslation(TranslationOptions):
    fields = ("name", "description", "unit")


@register(InterventionType)
class InterventionTypeTranslation(TranslationOptions):
    fields = ("name", "description")
