"""The admin import page: upload a file, choose an adapter or a column mapping, see a
preview with every error (a dry run), then confirm or cancel. A thin caller of
``interventions.services.imports`` (which the API's upload calls too)."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from .choices import ImportStatus
from .importers.forms import ImportForm
from .importers.reading import FileProblem, read_grid
from .models import ImportBatch
from .services.imports import (
    import_batch_from_stored_upload,
    import_batch_from_upload,
    import_upload_discard,
    import_upload_for_batch,
)

IMPORT_PERMISSION = "interventions.add_importbatch"
PREVIEW_ROWS = 15

MSG_UPLOAD_GONE = _("The uploaded file is no longer available: upload it again.")
MSG_CANCELLED = _("Import cancelled: nothing was written.")
MSG_IMPORTED = _("Import batch %(id)s: %(created)s new values, %(updated)s changed, %(unchanged)s unchanged.")
MSG_IMPORT_FAILED = _("Import batch %(id)s was refused: nothing was written.")
MSG_QUEUED = _("Import batch %(id)s is large: the worker reads and writes it; this page shows how far it is.")
RELOAD_SECONDS = 3


def _preview_rows(file, options):
    try:
        grid, _decimal = read_grid(file, sheet=options.get("sheet") or None, skip_rows=options.get("skip_rows") or 0,
                                   head=PREVIEW_ROWS + (options.get("skip_rows") or 0))
    except FileProblem:
        return None
    except Exception:  # noqa: BLE001 - GeoJSON and other non-tables have no grid preview
        return None
    head = grid.head(PREVIEW_ROWS).astype(object).where(grid.head(PREVIEW_ROWS).notna(), "")
    rows = zip(head.index, head.to_numpy().tolist(), strict=True)
    return [(int(index), [str(v) for v in row]) for index, row in rows]


def import_view(model_admin, request):
    """GET: the form. POST with a file: dry run and preview. POST confirm/cancel: act on
    the stored upload."""
    if not request.user.has_perm(IMPORT_PERMISSION):
        raise PermissionDenied
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
               "title": _("Import a file")}
    changelist = reverse("admin:interventions_importbatch_changelist")
    if request.method == "POST" and ("confirm" in request.POST or "cancel" in request.POST):
        token = request.POST.get("token", "")
        if "cancel" in request.POST:
            import_upload_discard(token=token)
            messages.info(request, MSG_CANCELLED)
            return redirect(changelist)
        batch = import_batch_from_stored_upload(user=request.user, token=token)
        if batch is None:
            messages.error(request, MSG_UPLOAD_GONE)
            return redirect(request.path)
        if batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            messages.info(request, MSG_QUEUED % {"id": batch.pk})
        elif batch.status == ImportStatus.SUCCEEDED:
            messages.success(request, MSG_IMPORTED % {
                "id": batch.pk, "created": batch.summary.get("values_created", 0),
                "updated": batch.summary.get("values_updated", 0),
                "unchanged": batch.summary.get("values_unchanged", 0)})
        else:
            messages.error(request, MSG_IMPORT_FAILED % {"id": batch.pk})
        return redirect(reverse("admin:interventions_importbatch_change", args=[batch.pk]))

    if request.method == "GET" and "batch" in request.GET:
        # The preview of a check the worker runs, reloaded until it is done.
        batch = ImportBatch.objects.filter(pk=request.GET["batch"] if request.GET["batch"].isdigit() else None,
                                           dry_run=True).first()
        token = request.GET.get("token", "")
        stored = None if batch is None else import_upload_for_batch(token=token, batch=batch)
        if stored is None:
            messages.error(request, MSG_UPLOAD_GONE)
            return redirect(request.path)
        return _preview(request, context, form=None, batch=batch, token=token, file=stored[0], options=stored[1])

    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        options = form.options()
        uploaded = import_batch_from_upload(user=request.user, upload=form.cleaned_data["file"], options=options,
                                            dry_run=True, keep_for_confirmation=True)
        uploaded.batch.refresh_from_db()
        return _preview(request, context, form=form, batch=uploaded.batch, token=uploaded.token, file=uploaded.file,
                        options=options)
    context["form"] = form
    return TemplateResponse(request, "admin/interventions/importbatch/import_form.html", context)


def _preview(request, context, *, form, batch, token, file, options):
    waiting = batch.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
    context.update({
        "form": form, "batch": batch, "token": token, "file_name": file.name,
        "preview": _preview_rows(file, options), "can_confirm": batch.status == ImportStatus.DRY_RUN,
        "waiting": waiting, "reload_seconds": RELOAD_SECONDS,
        "reload_url": f"{request.path}?{urlencode({'batch': batch.pk, 'token': token or ''})}",
        "title": _("Preview of %(file)s") % {"file": file.name},
    })
    return TemplateResponse(request, "admin/interventions/importbatch/import_preview.html", context)
