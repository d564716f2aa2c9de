"""Domain models: communities, indicators and their values, the intervention catalogue,
partners and their interventions, and the record of every import."""
import re
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    NATIONAL_CODE,
    Direction,
    ImportStatus,
    IndicatorCategory,
    InterventionCategory,
    InterventionStatus,
    Level,
    PartnerKind,
    TargetGroup,
)

__all__ = [
    "Community",
    "Indicator",
    "IndicatorValue",
    "InterventionType",
    "Partner",
    "PartnerMember",
    "Intervention",
    "ImportBatch",
    "level_for_code",
    "parent_code_for",
]

UBIGEO_REGEX = r"^(PE|[0-9]{2}|[0-9]{4}|[0-9]{6})$"
SLUG_REGEX = r"^[a-z][a-z0-9_]*$"

# Messages users see; tests assert these exact texts.
MSG_BAD_UBIGEO = _(
    "“%(code)s” is not a UBIGEO code: use 2 digits for a department, 4 for a province, "
    "6 for a district (INEI codes, e.g. 01, 0101, 010101), or PE for the whole country."
)
MSG_DEPARTMENT_ZERO = _("“%(code)s” is not a UBIGEO code: department 00 does not exist.")
MSG_PARENT_MISSING = _(
    "The %(parent_level)s %(parent_code)s that contains %(code)s does not exist yet: "
    "create it first."
)
MSG_WRONG_PARENT = _(
    "The parent of %(code)s must be %(expected)s (the first digits of its code), not %(actual)s."
)
MSG_VALUE_OUT_OF_RANGE = _(
    "%(value)s is outside the valid range of %(indicator)s (%(min)s to %(max)s %(unit)s)."
)
MSG_INTERVAL_ORDER = _("The interval must satisfy lower ≤ value ≤ upper.")
MSG_END_BEFORE_START = _("The end date cannot be before the start date.")
MSG_NEGATIVE_BUDGET = _("The budget cannot be negative.")
MSG_RANGE_ORDER = _("The minimum of the valid range must not exceed its maximum.")

# A lazy message without placeholders: formatting it here would freeze one language
# at import time (and make the migrations depend on it).
MSG_BAD_UBIGEO_FIELD = _(
    "Not a UBIGEO code: use 2 digits for a department, 4 for a province, 6 for a district "
    "(INEI codes, e.g. 01, 0101, 010101), or PE for the whole country."
)
ubigeo_validator = RegexValidator(UBIGEO_REGEX, message=MSG_BAD_UBIGEO_FIELD)
source_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]*$",
    message=_("Use lower-case letters, digits, dots, dashes and underscores."),
)
slug_validator = RegexValidator(
    SLUG_REGEX,
    message=_("Use lower-case letters, digits and underscores, starting with a letter."),
)


def level_for_code(code: str) -> str:
    """The administrative level that a UBIGEO code's length means."""
    if code == NATIONAL_CODE:
        return Level.COUNTRY
    return {2: Level.DEPARTMENT, 4: Level.PROVINCE, 6: Level.DISTRICT}[len(code)]


def parent_code_for(code: str) -> str | None:
    """A province's parent is its department (first 2 digits), a district's its
    province (first 4). Departments and the country have none."""
    if code == NATIONAL_CODE or len(code) == 2:
        return None
    return code[:-2]


class Community(models.Model):
    code = models.CharField(
        _("UBIGEO code"),
        max_length=6,
        unique=True,
        validators=[ubigeo_validator],
        help_text=_("INEI UBIGEO: 2 digits department, 4 province, 6 district; PE for Peru."),
    )
    level = models.CharField(_("level"), max_length=12, choices=Level.choices, editable=False)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=120)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    altitude_m = models.IntegerField(_("altitude (m)"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    area_km2 = models.FloatField(_("area (km²)"), null=True, blank=True)
    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)
    geometry_inherited = models.BooleanField(
        _("geometry inherited"),
        default=False,
        help_text=_("The shape is that of the 2007 district that contained this one."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["geometry", "updated_at"])

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=UBIGEO_REGEX) & ~Q(code__startswith="00"),
                name="community_code_ubigeo",
                violation_error_message=MSG_BAD_UBIGEO,
            ),
            models.CheckConstraint(
                condition=(
                    Q(level=Level.COUNTRY, code=NATIONAL_CODE)
                    | Q(level=Level.DEPARTMENT, code__regex=r"^[0-9]{2}$")
                    | Q(level=Level.PROVINCE, code__regex=r"^[0-9]{4}$")
                    | Q(level=Level.DISTRICT, code__regex=r"^[0-9]{6}$")
                ),
                name="community_level_matches_code",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(level__in=[Level.PROVINCE, Level.DISTRICT]),
                name="community_parent_only_below_department",
            ),
            models.CheckConstraint(
                condition=Q(altitude_m__isnull=True) | Q(altitude_m__gte=-50, altitude_m__lte=7000),
                name="community_altitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-20, latitude__lte=1),
                name="community_latitude_peru",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-82, longitude__lte=-68),
                name="community_longitude_peru",
            ),
            models.CheckConstraint(
                condition=Q(area_km2__isnull=True) | Q(area_km2__gt=0),
                name="community_area_positive",
            ),
        ]
        indexes = [models.Index(fields=["level", "code"], name="community_level_code")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @property
    def department_code(self) -> str | None:
        return None if self.code == NATIONAL_CODE else self.code[:2]

    def _derive(self):
        """Level and parent follow from the code; returns an error message or None."""
        code = (self.code or "").strip()
        self.code = code
        if not re.match(UBIGEO_REGEX, code):
            return MSG_BAD_UBIGEO % {"code": code}
        if code.startswith("00"):
            return MSG_DEPARTMENT_ZERO % {"code": code}
        self.level = level_for_code(code)
        parent_code = parent_code_for(code)
        if parent_code is None:
            self.parent = None
            return None
        if self.parent_id is not None and self.parent.code != parent_code:
            return MSG_WRONG_PARENT % {
                "code": code,
                "expected": parent_code,
                "actual": self.parent.code,
            }
        parent = Community.objects.filter(code=parent_code).first()
        if parent is None:
            return MSG_PARENT_MISSING % {
                "parent_level": Level(level_for_code(parent_code)).label,
                "parent_code": parent_code,
                "code": code,
            }
        self.parent = parent
        return None

    def clean(self):
        super().clean()
        error = self._derive()
        if error:
            raise ValidationError({"code": error})

    def save(self, *args, **kwargs):
        error = self._derive()
        if error:
            raise ValidationError({"code": error})
        super().save(*args, **kwargs)


class Indicator(models.Model):
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

    history = HistoricalRecords()

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


class ImportBatch(models.Model):
    """One run of an importer over one file: what it read, wrote and refused."""

    source = models.CharField(_("source"), max_length=64, validators=[source_validator])
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_batches",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.RUNNING
    )
    dry_run = models.BooleanField(_("dry run"), default=False)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    rows_rejected = models.PositiveIntegerField(_("rows rejected"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "-started_at"], name="importbatch_source_started")]

    def __str__(self):
        return f"{self.source} · {self.file_name or '—'} · {self.get_status_display()}"


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


class InterventionType(models.Model):
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
    evidence = models.TextField(_("evidence"), help_text=_("Citation of the evidence for the effect."))
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

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
        ]

    def __str__(self):
        return self.name


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
