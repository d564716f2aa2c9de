"""The admin import page (upload, preview with every error, confirm or cancel), the
ImportBatch changelist and the rollback action."""
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from interventions.choices import ImportStatus
from interventions.importers import messages as M
from interventions.importers.reading import CellError
from interventions.importers.uploads import upload_folder
from interventions.models import ImportBatch, IndicatorValue

from .importing import fingerprint
from .test_importers import LONG, long_import, places, value  # noqa: F401 (fixture)

IMPORT_URL = reverse("admin:interventions_importbatch_import")
CHANGELIST = reverse("admin:interventions_importbatch_changelist")
GOOD = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,36.5,,,\n"
BAD = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,136.5,,,\n"


def upload(client, text, name="valores.csv", **fields):
    data = {"adapter": "generic", "source": "diresa-test", "skip_rows": 0,
            "file": SimpleUploadedFile(name, text.encode()), **fields}
    return client.post(IMPORT_URL, data)


def token_of(response):
    return re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)


@pytest.mark.parametrize("who, status", [("editor", 200), ("analyst", 403), ("staff_without_permissions", 403)])
def test_import_page_needs_the_permission(client, request, places, who, status):  # noqa: F811
    client.force_login(request.getfixturevalue(who))
    assert client.get(IMPORT_URL).status_code == status


def test_changelist_links_to_the_import_page(client, editor, analyst, places):  # noqa: F811
    client.force_login(editor)
    assert IMPORT_URL in client.get(CHANGELIST).content.decode()
    client.force_login(analyst)
    assert IMPORT_URL not in client.get(CHANGELIST).content.decode()


def test_preview_shows_every_error_and_cancel_writes_nothing(client, editor, places):  # noqa: F811
    client.force_login(editor)
    before = fingerprint()
    stored = set(upload_folder().iterdir())
    response = upload(client, BAD)
    assert response.status_code == 200
    page = response.content.decode()
    expected = CellError("valores.csv", 3, "value", str(M.MSG_PERCENT_RANGE % {"value": "136.5"})).message
    assert expected.replace("“", "&ldquo;") in page or expected in page
    assert 'name="confirm"' not in page  # a file with errors cannot be confirmed
    assert "010102" in page  # the first rows of the file are shown
    # A refused preview is not kept for a confirmation that cannot come (audit row 14).
    assert set(upload_folder().iterdir()) == stored
    assert 'name="token" value=""' in page
    response = client.post(IMPORT_URL, {"token": "", "cancel": "1"}, follow=True)
    assert str(M.MSG_FILE % {"file": "x", "problem": "y"})  # constants are plain text
    assert "nothing was written" in response.content.decode()
    assert fingerprint() == before
    assert ImportBatch.objects.get(file_name="valores.csv").status == ImportStatus.FAILED


def test_preview_then_confirm_writes_and_records_the_user(client, editor, places):  # noqa: F811
    client.force_login(editor)
    response = upload(client, GOOD)
    page = response.content.decode()
    assert 'id="count-created">2<' in page and 'name="confirm"' in page
    assert sorted(p.suffix for p in upload_folder().glob(f"{token_of(response)}.*")) == [".bin", ".json"]
    assert not IndicatorValue.objects.exists()  # the preview was a dry run
    response = client.post(IMPORT_URL, {"token": token_of(response), "confirm": "1"})
    batch = ImportBatch.objects.get(status=ImportStatus.SUCCEEDED, source="diresa-test")
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:interventions_importbatch_change", args=[batch.pk])
    assert batch.user == editor and batch.rows_written == 2
    assert value("010102", source="diresa-test").value == 36.5
    page = client.get(CHANGELIST).content.decode()
    assert "valores.csv" in page


def test_wide_mapping_and_builtin_adapter_choices(client, editor, places):  # noqa: F811
    client.force_login(editor)
    response = upload(client, "Código;Pobreza\n010101;0,25\n", name="wide.csv", year=2021, ubigeo_column="Código",
                      columns="Pobreza=poverty_pct", scale="poverty_pct=100")
    client.post(IMPORT_URL, {"token": token_of(response), "confirm": "1"})
    assert value("010101", year=2021, source="diresa-test").value == 25.0
    response = upload(client, "x", name="wide.csv", columns="Pobreza")
    assert str(M.MSG_FILE) and "is not of the form COLUMN=indicator_code" in response.content.decode()


def test_batch_page_lists_its_errors(client, editor, places):  # noqa: F811
    batch = long_import(BAD, name="bad.csv")
    client.force_login(editor)
    page = client.get(reverse("admin:interventions_importbatch_change", args=[batch.pk])).content.decode()
    assert "bad.csv, row 3, column" in page


def test_rollback_action(client, editor, places):  # noqa: F811
    first = long_import(LONG + "010101,poverty_pct,2018,9.0,,,\n")
    second = long_import(LONG + "010101,poverty_pct,2018,10.0,,,\n010102,poverty_pct,2018,36.5,,,\n")
    client.force_login(editor)
    response = client.post(CHANGELIST, {"action": "rollback", "_selected_action": [second.pk]}, follow=True)
    assert "1 values removed, 1 restored, 0 kept" in response.content.decode()
    v = value("010101")
    assert (v.value, v.import_batch_id) == (9.0, first.pk)
    second.refresh_from_db()
    assert second.status == ImportStatus.ROLLED_BACK


def test_builtin_adapter_upload(client, editor, places):  # noqa: F811
    from .test_importers import _xlsx

    client.force_login(editor)
    data = _xlsx([["Ubigeo", "Pobreza Monetaria -Mapa de Pobreza\n2018 (INEI)"], ["010101", 9.03], ["010102", 36.5]])
    response = client.post(IMPORT_URL, {"adapter": "poverty-2018", "skip_rows": 0,
                                        "file": SimpleUploadedFile("Mapa_Pobreza_2018.xlsx", data)})
    assert 'id="count-created">2<' in response.content.decode()
    client.post(IMPORT_URL, {"token": token_of(response), "confirm": "1"})
    assert value("010102", source="inei-poverty-2018").value == 36.5
    assert ImportBatch.objects.get(status=ImportStatus.SUCCEEDED, source="poverty-2018").user == editor
