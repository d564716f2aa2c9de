"""List endpoints run a bounded number of queries whatever the page size (no N+1)."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interventions.models import Intervention
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for

LISTS = [
    ("communities", {}),
    ("indicators", {}),
    ("indicator-values", {}),
    ("indicator-values", {"layout": "wide"}),
    ("indicator-values", {"format": "csv", "department": "01"}),
    ("intervention-types", {}),
    ("partners", {}),
    ("interventions", {}),
    ("interventions", {"format": "csv"}),
]
# Token and permission look-ups, the partner scope, count and page (wide: + columns, cells).
MAX_QUERIES = 7


@pytest.fixture
def more_interventions(api_data):
    for i, code in enumerate(["010101", "010102", "010103", "020101"] * 3):
        Intervention(community=api_data.communities[code], intervention_type=api_data.itype,
                     partner=api_data.partner_a if i % 2 else api_data.partner_b,
                     start_date=date(2022, 1 + i, 1), budget_pen=Decimal(100 + i)).save()


def count_queries(client, url, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("endpoint, params", LISTS)
@pytest.mark.parametrize("role", ["editor", "partner_a"])
def test_list_queries_do_not_grow_with_page_size(role, endpoint, params, editor, partner_a_user,
                                                 more_interventions, django_assert_max_num_queries):
    client = client_for({"editor": editor, "partner_a": partner_a_user}[role])
    url = f"/api/v1/{endpoint}/"
    client.get(url, {"page_size": 1})  # the token row exists from here on
    small, _ = count_queries(client, url, {**params, "page_size": 1})
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url, {**params, "page_size": 100})
    large, response = count_queries(client, url, {**params, "page_size": 100})
    assert large == small, (small, large)
    if "format" not in params:
        assert len(response.json()["results"]) > 1


@pytest.fixture
def batches(api_data):
    from interventions.importers import Context, GenericAdapter, InputFile, run_import

    for i, text in enumerate(["010101,poverty_pct,2019,3", "010102,poverty_pct,2019,300", "010103,poverty_pct,2018,4"]):
        run_import(adapter=GenericAdapter(source=f"queries-{i}"), context=Context(),
                   file=InputFile(name=f"{i}.csv", data=f"ubigeo,indicator,year,value\n{text}\n".encode()))


@pytest.mark.parametrize("params", [{}, {"format": "csv"}])
def test_import_list_queries_do_not_grow_with_page_size(params, editor, batches, django_assert_max_num_queries):
    client = client_for(editor)
    client.get("/api/v1/imports/", {"page_size": 1})
    small, _ = count_queries(client, "/api/v1/imports/", {**params, "page_size": 1})
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get("/api/v1/imports/", {**params, "page_size": 100})
    large, response = count_queries(client, "/api/v1/imports/", {**params, "page_size": 100})
    assert large == small, (small, large)
    if "format" not in params:
        assert len(response.json()["results"]) == 3
