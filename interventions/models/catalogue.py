"""The intervention catalogue: the kinds of intervention partners carry out, the indicator
each acts on, its cost per beneficiary and its expected effect."""
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from healthplanner.i18n import SavedInDefaultLanguage, translation_fields

from ..choices import InterventionCategory, TargetGroup
from .indicators import SLUG_REGEX, Indicator, slug_validator

__all__ = ["InterventionType"]


class InterventionType(SavedInDefaultLanguage, models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=20, choices=InterventionCategory.choices)
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator acted on"),
        on_delete=models.PROTECT,
        related_name="intervention_types",
    )
    target_group = models.CharField(_("target group"), max_length=20, choices=TargetGroup.choices)
    cost_per_beneficiary_pen = models.DecimalField(
        _("cost per beneficiary (PEN)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    effect_relative = models.FloatField(
        _("expected relative effect"),
        help_text=_(
            "Expected relative reduction of the indicator among those reached, 0–1 "
            "(0.2 = 20 percent fewer cases)."
        ),
    )
    coverage_indicator = models.ForeignKey(
        Indicator, verbose_name=_("coverage indicator"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Indicator that measures today's coverage of this intervention (a percentage of its target "
                    "group), where one exists; its latest value per community is used."),
    )
    default_coverage = models.FloatField(
        _("default current coverage"), null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Today's coverage (0–1) where the coverage indicator has no value; empty when unknown (plans "
                    "then count it as 0 and say so)."),
    )
    evidence = models.TextField(_("evidence"), help_text=_("Citation of the evidence for the effect."))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    # The history records ``name`` and ``description`` as read in the active language
    # (interventions/translation.py adds their name_es, name_en, … columns).
    history = HistoricalRecords(excluded_fields=translation_fields("name", "description"))

    class Meta:
        verbose_name = _("intervention type")
        verbose_name_plural = _("intervention types")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=SLUG_REGEX), name="interventiontype_code_slug"
            ),
            models.CheckConstraint(
                condition=Q(cost_per_beneficiary_pen__gte=0),
                name="interventiontype_cost_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(effect_relative__gte=0, effect_relative__lte=1),
                name="interventiontype_effect_0_1",
            ),
            models.CheckConstraint(
                condition=Q(default_coverage__isnull=True) | Q(default_coverage__gte=0, default_coverage__lte=1),
                name="interventiontype_default_coverage_0_1",
            ),
        ]

    def __str__(self):
        return self.name
