"""In Debian's Chromium at 1366 px, in Spanish: every changelist of every registered model,
the import form, a district's page, a plan's page and its printable report fit the screen
(no horizontal scrolling, no table cut off inside its box).

Set HP_SCREENSHOT_DIR to a folder to keep a screenshot of every page (not committed)."""
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib import admin
from django.urls import reverse

from .conftest import make_user
from .modeling_helpers import TINY_CONFIG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
WIDTH, HEIGHT = 1366, 768
OVERFLOW = "[document.documentElement.scrollWidth, window.innerWidth]"
# The admin's result lists (and the district page's tables) scroll inside their box rather
# than widen the page: a column hidden there is cut off just the same.
HIDDEN = """Array.from(document.querySelectorAll('#changelist .results, #district-profile .scroll'))
  .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => (e.id || e.className) + ' ' + e.scrollWidth)"""
# The printable report is one column of A4 width: no table, map or chart sticks out of it.
STICKS_OUT = """Array.from(document.querySelectorAll('body > *, table, svg, img'))
  .filter(e => e.getBoundingClientRect().right > document.body.getBoundingClientRect().right + 1)
  .map(e => e.tagName + '#' + e.id + ' ' + Math.round(e.getBoundingClientRect().right))"""


def _data():
    """Something in every list: the small demo, a model, its scores, a plan and its runs, an
    import batch with an error, a partner member (the services users trigger)."""
    from django.contrib.auth import get_user_model

    from interventions.models import ImportBatch, Partner, PartnerMember
    from interventions.roles import sync_roles
    from interventions.seed.demo import seed_demo
    from modeling.models import TaskKind
    from modeling.services.planning import plan_create
    from modeling.services.runs import run_now

    sync_roles()
    seed_demo(seed=7, departments=2)
    user = get_user_model().objects.create_user("member", password="x")
    PartnerMember.objects.create(user=user, partner=Partner.objects.first())
    ImportBatch.objects.create(source="diresa-cusco-2024", file_name="valores_distritales_2024_corregido.xlsx",
                               errors=[{"row": 3, "column": "value", "message": "no es un número"}])
    train = run_now(kind=TaskKind.TRAIN, params={"target": "stunting_u5_pct", "level": "district", "year": 2022,
                                                 "n_splits": 2, "designs": ["department"], "config": TINY_CONFIG})
    assert train.status == "succeeded", train.error
    assert run_now(kind=TaskKind.SCORE, model_version=train.model_version).status == "succeeded"
    plan = plan_create(budget_pen=Decimal("2000000"), draws=20, name="")
    run_now(kind=TaskKind.PLAN, plan=plan)
    return plan


@pytest.fixture
def browser_page(monkeypatch):
    if not shutil.which(CHROMIUM):
        pytest.skip("Chromium is not installed: apt-get install -y chromium chromium-driver")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale="es-PE")
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()
        from django.db import connections

        connections.close_all()


def test_every_list_fits_1366_px_in_spanish(transactional_db, live_server, django_user_model, browser_page):
    plan = _data()
    make_user(django_user_model, "root", superuser=True)
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "pw-root")
    page.click("input[type=submit]")
    page.wait_for_selector("#content")
    assert page.evaluate("document.documentElement.lang") == "es"

    district = plan.items.order_by("rank").first().community
    pages = [(f"{m._meta.app_label}.{m._meta.model_name}",
              reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"))
             for m in sorted(admin.site._registry, key=lambda m: m._meta.label)]
    pages += [("import-form", reverse("admin:interventions_importbatch_import")),
              ("district-page", reverse("admin:interventions_community_change", args=[district.pk])),
              ("plan-page", reverse("admin:modeling_plan_change", args=[plan.pk])),
              ("plan-report", reverse("plan_report", args=[plan.pk]))]
    shots = Path(os.environ["HP_SCREENSHOT_DIR"]) if os.environ.get("HP_SCREENSHOT_DIR") else None
    too_wide = {}
    for name, url in pages:
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, (name, response.status)
        scroll_width, inner_width = page.evaluate(OVERFLOW)
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        if scroll_width > inner_width:
            too_wide[name] = scroll_width
        hidden = page.evaluate(HIDDEN) + (page.evaluate(STICKS_OUT) if name == "plan-report" else [])
        if hidden:
            too_wide[name] = hidden
    assert len(pages) > 20
    assert not too_wide, f"wider than {WIDTH} px: {too_wide}"
