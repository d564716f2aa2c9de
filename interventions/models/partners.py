"""Partner organisations, the users who act for them, and their interventions in
communities."""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import InterventionStatus, PartnerKind
from .catalogue import InterventionType
from .places import Community

__all__ = ["MSG_END_BEFORE_START", "MSG_NEGATIVE_BUDGET", "Partner", "PartnerMember", "Intervention"]

# Messages users see; tests assert these exact texts.
MSG_END_BEFORE_START = _("The end date cannot be before the start date.")
MSG_NEGATIVE_BUDGET = _("The budget cannot be negative.")


class Partner(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    acronym = models.CharField(_("acronym"), max_length=32, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    website = models.URLField(_("website"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]

    def __str__(self):
        return self.acronym or self.name


class PartnerMember(models.Model):
    """Links a user to the one partner organisation it acts for."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="partner_membership",
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="members"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")

    def __str__(self):
        return f"{self.user} → {self.partner}"


class Intervention(models.Model):
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    intervention_type = models.ForeignKey(
        InterventionType,
        verbose_name=_("intervention type"),
        on_delete=models.PROTECT,
        related_name="interventions",
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="interventions"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=InterventionStatus.choices, default=InterventionStatus.PLANNED
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget_pen = models.DecimalField(
        _("budget (PEN)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"), message=MSG_NEGATIVE_BUDGET)],
    )
    beneficiaries = models.PositiveIntegerField(_("beneficiaries"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="intervention_end_after_start",
                violation_error_message=MSG_END_BEFORE_START,
            ),
            models.CheckConstraint(
                condition=Q(budget_pen__gte=0),
                name="intervention_budget_nonnegative",
                violation_error_message=MSG_NEGATIVE_BUDGET,
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="intervention_status"),
            models.Index(fields=["community", "intervention_type"], name="intervention_comm_type"),
        ]

    def __str__(self):
        return f"{self.intervention_type} · {self.community}"

    def clean(self):
        super().clean()
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = MSG_END_BEFORE_START
        if self.budget_pen is not None and self.budget_pen < 0:
            errors["budget_pen"] = MSG_NEGATIVE_BUDGET
        if errors:
            raise ValidationError(errors)
