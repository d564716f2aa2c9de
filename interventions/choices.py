from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Level",
    "Direction",
    "IndicatorCategory",
    "TargetGroup",
    "InterventionCategory",
    "InterventionStatus",
    "PartnerKind",
    "ImportStage",
    "ImportStatus",
    "DEPARTMENT_NAMES",
]

# INEI's official names of Peru's 25 departments, with their accents (as the census 2017
# and ENDES tables write them; the UBIGEO tables drop the accents).
DEPARTMENT_NAMES = {
    "01": "Amazonas", "02": "Áncash", "03": "Apurímac", "04": "Arequipa", "05": "Ayacucho", "06": "Cajamarca",
    "07": "Callao", "08": "Cusco", "09": "Huancavelica", "10": "Huánuco", "11": "Ica", "12": "Junín",
    "13": "La Libertad", "14": "Lambayeque", "15": "Lima", "16": "Loreto", "17": "Madre de Dios", "18": "Moquegua",
    "19": "Pasco", "20": "Piura", "21": "Puno", "22": "San Martín", "23": "Tacna", "24": "Tumbes", "25": "Ucayali",
}

NATIONAL_CODE = "PE"


class Level(models.TextChoices):
    COUNTRY = "country", _("country")
    DEPARTMENT = "department", _("department")
    PROVINCE = "province", _("province")
    DISTRICT = "district", _("district")


class Direction(models.TextChoices):
    HIGHER_IS_WORSE = "higher_is_worse", _("higher is worse")
    HIGHER_IS_BETTER = "higher_is_better", _("higher is better")
    NEUTRAL = "neutral", _("neutral")


class IndicatorCategory(models.TextChoices):
    HEALTH = "health", _("health")
    NUTRITION = "nutrition", _("nutrition")
    POVERTY = "poverty", _("poverty")
    WATER_SANITATION = "water_sanitation", _("water and sanitation")
    HOUSING = "housing", _("housing and energy")
    DEMOGRAPHY = "demography", _("demography")
    HEALTH_SYSTEM = "health_system", _("health system")


class TargetGroup(models.TextChoices):
    CHILDREN_U5 = "children_u5", _("children under 5")
    CHILDREN_6_35M = "children_6_35m", _("children 6–35 months")
    PREGNANT_WOMEN = "pregnant_women", _("pregnant women")
    HOUSEHOLDS = "households", _("households")
    POPULATION = "population", _("whole population")


class InterventionCategory(models.TextChoices):
    NUTRITION = "nutrition", _("nutrition")
    WASH = "wash", _("water, sanitation and hygiene")
    IMMUNIZATION = "immunization", _("immunization")
    HEALTH_SYSTEM = "health_system", _("health system")
    DISEASE_CONTROL = "disease_control", _("disease control")


class InterventionStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    ACTIVE = "active", _("active")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


class PartnerKind(models.TextChoices):
    NGO = "ngo", _("NGO")
    GOVERNMENT = "government", _("government (DIRESA, municipality, ministry)")
    RESEARCH = "research", _("research institution")
    MULTILATERAL = "multilateral", _("multilateral agency")
    OTHER = "other", _("other")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")
    DRY_RUN = "dry_run", _("dry run")
    ROLLED_BACK = "rolled_back", _("rolled back")


class ImportStage(models.TextChoices):
    """Where a running import is (its batch's ``progress`` says how far, in percent)."""

    QUEUED = "queued", _("waiting for the worker")
    READING = "reading", _("reading the file")
    CHECKING = "checking", _("checking the values")
    WRITING = "writing", _("writing")
    DONE = "done", _("done")
