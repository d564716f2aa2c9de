"""Indicators (what is measured, in which unit, within which valid range) and their values
per community and year, each from one source and, when imported, one import batch."""
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthplanner.i18n import SavedInDefaultLanguage, translation_fields

from ..choices import Direction, IndicatorCategory
from .imports import ImportBatch, source_validator
from .places import Community

__all__ = [
    "SLUG_REGEX",
    "MSG_VALUE_OUT_OF_RANGE",
    "MSG_INTERVAL_ORDER",
    "MSG_RANGE_ORDER",
    "slug_validator",
    "Indicator",
    "IndicatorValue",
]

SLUG_REGEX = r"^[a-z][a-z0-9_]*$"

# Messages users see; tests assert these exact texts.
MSG_VALUE_OUT_OF_RANGE = _(
    "%(value)s is outside the valid range of %(indicator)s (%(min)s to %(max)s %(unit)s)."
)
MSG_INTERVAL_ORDER = _("The interval must satisfy lower ≤ value ≤ upper.")
MSG_RANGE_ORDER = _("The minimum of the valid range must not exceed its maximum.")

slug_validator = RegexValidator(
    SLUG_REGEX,
    message=_("Use lower-case letters, digits and underscores, starting with a letter."),
)


class Indicator(SavedInDefaultLanguage, models.Model):
    code = models.CharField(
        _("code"), max_length=64, unique=True, validators=[slug_validator]
    )
    name = models.CharField(_("name"), max_length=200)
    unit = models.CharField(_("unit"), max_length=32, help_text=_("e.g. %, persons, m, PEN"))
    min_value = models.FloatField(_("minimum valid value"), null=True, blank=True)
    max_value = models.FloatField(_("maximum valid value"), null=True, blank=True)
    direction = models.CharField(
        _("direction"), max_length=20, choices=Direction.choices, default=Direction.HIGHER_IS_WORSE
    )
    category = models.CharField(_("category"), max_length=20, choices=IndicatorCategory.choices)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=200, blank=True)

    # The history records ``name`` and ``description`` as read in the active language
    # (interventions/translation.py adds their name_es, name_en, … columns).
    history = HistoricalRecords(excluded_fields=translation_fields("name", "description", "unit"))

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=SLUG_REGEX), name="indicator_code_slug"
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="indicator_range_order",
                violation_error_message=MSG_RANGE_ORDER,
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.unit})"

    def out_of_range(self, value: float) -> bool:
        return (self.min_value is not None and value < self.min_value) or (
            self.max_value is not None and value > self.max_value
        )

    def range_message(self, value) -> str:
        return MSG_VALUE_OUT_OF_RANGE % {
            "value": f"{value:g}" if isinstance(value, (int, float)) else value,
            "indicator": self.code,
            "min": "−∞" if self.min_value is None else f"{self.min_value:g}",
            "max": "∞" if self.max_value is None else f"{self.max_value:g}",
            "unit": self.unit,
        }


class IndicatorValue(models.Model):
    # No single-column indexes on the two keys: the unique (community, indicator, year,
    # source) and the (indicator, year) indexes start with them, and every extra index
    # costs about as much as the row itself on bulk imports.
    community = models.ForeignKey(
        Community, verbose_name=_("community"), on_delete=models.CASCADE, related_name="values",
        db_index=False,
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="values",
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    value = models.FloatField(_("value"))
    lower = models.FloatField(_("interval lower bound"), null=True, blank=True)
    upper = models.FloatField(_("interval upper bound"), null=True, blank=True)
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    source = models.CharField(
        _("source"),
        max_length=64,
        validators=[source_validator],
        help_text=_("Short name of the data source, e.g. inei-poverty-2018, endes, synthetic-demo."),
    )
    import_batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("import batch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="values",
    )

    # History is read per value (its id) or per import batch, not per community/indicator.
    history = HistoricalRecords(no_db_index=["community", "indicator"])

    class Meta:
        verbose_name = _("indicator value")
        verbose_name_plural = _("indicator values")
        ordering = ["indicator", "community", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "indicator", "year", "source"],
                name="indicatorvalue_unique_per_source",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1900, year__lte=2100), name="indicatorvalue_year_range"
            ),
            models.CheckConstraint(
                condition=Q(lower__isnull=True) | Q(lower__lte=F("value")),
                name="indicatorvalue_lower_le_value",
                violation_error_message=MSG_INTERVAL_ORDER,
            ),
            models.CheckConstraint(
                condition=Q(upper__isnull=True) | Q(upper__gte=F("value")),
                name="indicatorvalue_upper_ge_value",
                violation_error_message=MSG_INTERVAL_ORDER,
            ),
        ]
        # The unique constraint's index serves look-ups by community.
        indexes = [
            models.Index(fields=["indicator", "year"], name="indicatorvalue_ind_year"),
            models.Index(fields=["source"], name="indicatorvalue_source"),
        ]

    def __str__(self):
        return f"{self.indicator.code} {self.community.code} {self.year}: {self.value:g}"

    def clean(self):
        super().clean()
        errors = {}
        if self.indicator_id and self.value is not None and self.indicator.out_of_range(self.value):
            errors["value"] = self.indicator.range_message(self.value)
        if (self.lower is not None and self.value is not None and self.lower > self.value) or (
            self.upper is not None and self.value is not None and self.upper < self.value
        ):
            errors["lower"] = MSG_INTERVAL_ORDER
        if errors:
            raise ValidationError(errors)
