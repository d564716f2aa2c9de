"""In Debian's Chromium: an editor uploads a file with an error and cancels (nothing is
written), then uploads a good file, confirms, and finds the batch and its values in the admin."""
import os
import shutil

import pytest

from interventions.choices import ImportStatus
from interventions.importers import PERU_ADAPTERS, InputFile, run_import
from interventions.importers import messages as M
from interventions.importers.reading import CellError
from interventions.models import ImportBatch, IndicatorValue
from interventions.roles import EDITORS, sync_roles
from interventions.seed.catalogue import ensure_indicators

from .conftest import make_user
from .test_importers import LONG, PLACES_CSV

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BAD = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,136.5,,,\n"
GOOD = LONG + "010101,poverty_pct,2018,9.0,,,\n010102,poverty_pct,2018,36.5,,,\n"


@pytest.fixture
def browser_page(monkeypatch):
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test
    # itself are synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()
        # ORM calls made while Playwright runs may open their connection in its context;
        # close it here so that the test database can be dropped at the end.
        from django.db import connections

        connections.close_all()


def _upload(page, url, name, text):
    page.goto(url)
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}])
    page.fill("input[name=source]", "diresa-test")
    page.click("input[name=preview]")
    page.wait_for_selector("#import-preview")


def test_editor_previews_cancels_then_imports(transactional_db, live_server, django_user_model, browser_page):
    sync_roles()  # groups survive a flush by another transactional test through post_migrate; be sure
    ensure_indicators()
    assert run_import(adapter=PERU_ADAPTERS["ubigeo"],
                      file=InputFile(name="geodir.csv", data=PLACES_CSV.encode())).status == ImportStatus.SUCCEEDED
    make_user(django_user_model, "editor", groups=[EDITORS])
    page = browser_page
    import_url = f"{live_server.url}/admin/interventions/importbatch/import/"
    page.goto(f"{live_server.url}/admin/login/?next=/admin/interventions/importbatch/import/")
    page.fill("input[name=username]", "editor")
    page.fill("input[name=password]", "pw-editor")
    page.click("input[type=submit]")
    page.wait_for_selector("#import-form")

    # A file with an error: the preview shows it, there is no confirm button; cancel.
    _upload(page, import_url, "valores.csv", BAD)
    expected = CellError("valores.csv", 3, "value", str(M.MSG_PERCENT_RANGE % {"value": "136.5"})).message
    assert page.inner_text("#import-errors").strip() == expected
    assert page.locator("input[name=confirm]").count() == 0
    page.click("input[name=cancel]")
    page.wait_for_selector("#result_list, .paginator")
    assert "nothing was written" in page.inner_text(".messagelist")
    assert not IndicatorValue.objects.exists()

    # A good file: preview, confirm, then the batch and its values in the admin.
    _upload(page, import_url, "valores.csv", GOOD)
    assert page.inner_text("#count-created") == "2"
    assert not IndicatorValue.objects.exists()
    page.click("input[name=confirm]")
    page.wait_for_selector(".messagelist")
    batch = ImportBatch.objects.get(status=ImportStatus.SUCCEEDED, source="diresa-test")
    assert page.url.endswith(f"/admin/interventions/importbatch/{batch.pk}/change/")
    assert batch.user.username == "editor" and batch.rows_written == 2
    page.goto(f"{live_server.url}/admin/interventions/importbatch/")
    assert "valores.csv" in page.inner_text("#result_list")
    page.goto(f"{live_server.url}/admin/interventions/indicatorvalue/?source=diresa-test")
    rows = page.inner_text("#result_list")
    assert "010101 Chachapoyas\t2018\t9.0" in rows and "010102 Asuncion\t2018\t36.5" in rows
    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"
