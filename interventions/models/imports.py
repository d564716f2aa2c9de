"""The record of every import: one batch per run of an importer over one file, and the
rule for the short source names (``inei-poverty-2018``) that values and batches carry."""
from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import ImportStage, ImportStatus

__all__ = ["source_validator", "ImportBatch"]

source_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_.-]*$",
    message=_("Use lower-case letters, digits, dots, dashes and underscores."),
)


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
    stage = models.CharField(_("stage"), max_length=12, choices=ImportStage.choices, default=ImportStage.READING)
    progress = models.PositiveSmallIntegerField(
        _("progress"), default=0, help_text=_("How far the import is, in percent (100 once it has finished).")
    )
    task_id = models.CharField(_("worker task"), max_length=64, blank=True,
                               help_text=_("The django-q2 task that reads a large upload (empty when read at once)."))
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
