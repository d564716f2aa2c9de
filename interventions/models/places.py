"""Communities: the country, its departments, provinces and districts, keyed by their
INEI UBIGEO code (2, 4 and 6 digits; PE for Peru). A community's level and parent follow
from its code."""
import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ..choices import NATIONAL_CODE, Level
from .geometry import geometry_error

__all__ = [
    "UBIGEO_REGEX",
    "MSG_BAD_UBIGEO",
    "MSG_DEPARTMENT_ZERO",
    "MSG_NO_DEPARTMENT",
    "MSG_ZERO_PART",
    "MSG_NO_SUCH_CODE",
    "MSG_PARENT_MISSING",
    "MSG_WRONG_PARENT",
    "MSG_BAD_UBIGEO_FIELD",
    "ubigeo_validator",
    "level_for_code",
    "parent_code_for",
    "Community",
]

UBIGEO_REGEX = r"^(PE|[0-9]{2}|[0-9]{4}|[0-9]{6})$"

# Messages users see; tests assert these exact texts.
MSG_BAD_UBIGEO = _(
    "“%(code)s” is not a UBIGEO code: use 2 digits for a department, 4 for a province, "
    "6 for a district (INEI codes, e.g. 01, 0101, 010101), or PE for the whole country."
)
MSG_DEPARTMENT_ZERO = _("“%(code)s” is not a UBIGEO code: department 00 does not exist.")
MAX_DEPARTMENT = 25  # Peru's departments are numbered 01 (Amazonas) to 25 (Ucayali)
MSG_NO_DEPARTMENT = _("“%(code)s” is not a UBIGEO code: department %(department)s does not exist (they are 01 to 25).")
MSG_ZERO_PART = _("“%(code)s” is not a UBIGEO code: a province or district number is never 00.")
MSG_NO_SUCH_CODE = _("“%(code)s” cannot be a UBIGEO code: departments are 01 to 25 and no province or district "
                     "number is 00.")
MSG_PARENT_MISSING = _(
    "The %(parent_level)s %(parent_code)s that contains %(code)s does not exist yet: "
    "create it first."
)
MSG_WRONG_PARENT = _(
    "The parent of %(code)s must be %(expected)s (the first digits of its code), not %(actual)s."
)

# A lazy message without placeholders: formatting it here would freeze one language
# at import time (and make the migrations depend on it).
MSG_BAD_UBIGEO_FIELD = _(
    "Not a UBIGEO code: use 2 digits for a department, 4 for a province, 6 for a district "
    "(INEI codes, e.g. 01, 0101, 010101), or PE for the whole country."
)
ubigeo_validator = RegexValidator(UBIGEO_REGEX, message=MSG_BAD_UBIGEO_FIELD)


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
        if code != NATIONAL_CODE and int(code[:2]) > MAX_DEPARTMENT:
            return MSG_NO_DEPARTMENT % {"code": code, "department": code[:2]}
        if len(code) > 2 and code.endswith("00"):
            return MSG_ZERO_PART % {"code": code}
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
        errors = {}
        error = self._derive()
        if error:
            errors["code"] = error
        error = geometry_error(self.geometry)
        if error:
            errors["geometry"] = error
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        error = self._derive()
        if error:
            raise ValidationError({"code": error})
        super().save(*args, **kwargs)
