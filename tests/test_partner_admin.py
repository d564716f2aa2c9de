"""Audit row 3: the partner scope everywhere. A partner's account never gets admin access
(the admin's forms refuse it, a system check reports accounts saved around them), and should
one have it anyway, every admin list, export, history page and inline shows it what the API
shows it: its own organisation's rows only."""
import csv
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import checks
from django.urls import reverse

from interventions import roles
from interventions.models import Intervention, PartnerMember
from interventions.services.users import MSG_PARTNER_STAFF
from modeling.models import Plan
from tests.api_support import *  # noqa: F401,F403
from tests.api_support import client_for

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def partner_staff(partner_a_user):
    """A Partners user of partner A marked staff straight in the database, around the check."""
    User.objects.filter(pk=partner_a_user.pk).update(is_staff=True)
    partner_a_user.refresh_from_db()
    return partner_a_user


def _changelist_pks(client, model, **params):
    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"), params)
    assert response.status_code == 200
    return {obj.pk for obj in response.context["cl"].result_list}


def _export_rows(client, data=None):
    url = reverse("admin:interventions_intervention_export")
    form = client.get(url).context["form"]
    payload = {"format": "0", "resource": "0", **(data or {})}
    payload.update({name: "on" for name, field in form.fields.items() if field.__class__.__name__ == "BooleanField"})
    response = client.post(url, payload)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_partner_with_staff_status_sees_only_its_own_rows_in_the_admin(client, partner_staff, api_data):
    client.force_login(partner_staff)
    mine, theirs = api_data.intervention_a, api_data.intervention_b
    # The API's scope, for comparison.
    api_ids = {row["id"] for row in client_for(partner_staff).get("/api/v1/interventions/").json()["results"]}
    assert api_ids == {mine.pk}

    # The changelist, also when filtered by the other partner.
    assert _changelist_pks(client, Intervention) == {mine.pk}
    assert _changelist_pks(client, Intervention, partner__id__exact=api_data.partner_b.pk) == set()

    # The export, from the export page and from the action with the other partner's id posted.
    rows = _export_rows(client)
    assert [row["notes"] for row in rows] == ["A's"]
    rows = _export_rows(client, {"export_items": [str(mine.pk), str(theirs.pk)]})
    assert [row["notes"] for row in rows] == ["A's"]

    # The history pages.
    history = reverse("admin:interventions_intervention_history", args=[theirs.pk])
    assert client.get(history).status_code == 404
    version = theirs.history.first().history_id
    assert client.get(reverse("admin:interventions_intervention_simple_history",
                              args=[theirs.pk, version])).status_code == 404
    assert client.get(reverse("admin:interventions_intervention_history", args=[mine.pk])).status_code == 200

    # The change page of the other partner's intervention is not there either.
    change = client.get(reverse("admin:interventions_intervention_change", args=[theirs.pk]))
    assert change.status_code == 302

    # The community page's inline of interventions.
    page = client.get(reverse("admin:interventions_community_change", args=[theirs.community.pk]))
    assert page.status_code == 200
    inline_rows = [f.instance.pk for fs in page.context["inline_admin_formsets"] for f in fs.formset.forms
                   if isinstance(f.instance, Intervention)]
    assert inline_rows == []


def test_a_partner_with_staff_status_sees_only_the_plans_the_api_shows_it(client, partner_staff, api_data):
    own = Plan.objects.create(name="A's scenario", budget_pen=Decimal("1000"), partner=api_data.partner_a)
    directorate = Plan.objects.create(name="Directorate", budget_pen=Decimal("1000"))
    other = Plan.objects.create(name="B's scenario", budget_pen=Decimal("1000"), partner=api_data.partner_b)
    client.force_login(partner_staff)
    assert _changelist_pks(client, Plan) == {own.pk, directorate.pk}
    assert client.get(reverse("admin:modeling_plan_history", args=[other.pk])).status_code == 404
    compare = client.get(reverse("admin:modeling_plan_compare"), {"a": own.pk, "b": other.pk})
    assert compare.status_code == 404


def test_staff_still_see_everything_and_deleted_objects_history(client, superuser, api_data):
    client.force_login(superuser)
    assert _changelist_pks(client, Intervention) == {api_data.intervention_a.pk, api_data.intervention_b.pk}
    pk = api_data.intervention_b.pk
    api_data.intervention_b.delete()
    assert client.get(reverse("admin:interventions_intervention_history", args=[pk])).status_code == 200


# --- Saving a partner's account as staff is refused -------------------------------------

def _user_form_data(client, user):
    response = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or name == "password":
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        widget = form.fields[name].widget
        if hasattr(widget, "widgets"):  # the split date and time of last_login, date_joined
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = part.isoformat() if part is not None else ""
            continue
        data[name] = value
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update({f"{fs.prefix}-{k}": v for k, v in fs.management_form.initial.items()})
        for i, f in enumerate(fs.forms):
            for name in f.fields:
                v = f[name].value()
                if v is not None:
                    data[f"{fs.prefix}-{i}-{name}"] = v
    return data


def test_the_user_form_refuses_staff_status_for_a_partners_account(client, superuser, partner_a_user):
    client.force_login(superuser)
    url = reverse("admin:auth_user_change", args=[partner_a_user.pk])
    data = _user_form_data(client, partner_a_user)
    data["is_staff"] = "on"
    response = client.post(url, data)
    assert response.status_code == 200
    assert str(MSG_PARTNER_STAFF) in response.context["adminform"].form.errors["is_staff"]
    partner_a_user.refresh_from_db()
    assert not partner_a_user.is_staff


def test_the_user_form_refuses_the_partners_group_for_a_staff_account(client, superuser, editor):
    client.force_login(superuser)
    data = _user_form_data(client, editor)
    data["groups"] = [*data.get("groups", []), Group.objects.get(name=roles.PARTNERS).pk]
    response = client.post(reverse("admin:auth_user_change", args=[editor.pk]), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_staff"] == [str(MSG_PARTNER_STAFF)]
    assert not editor.groups.filter(name=roles.PARTNERS).exists()


def test_a_staff_account_cannot_be_made_a_partners_member(client, superuser, editor, api_data):
    client.force_login(superuser)
    response = client.post(reverse("admin:interventions_partnermember_add"),
                           {"user": editor.pk, "partner": api_data.partner_a.pk})
    assert response.status_code == 200
    assert str(MSG_PARTNER_STAFF) in response.context["adminform"].form.non_field_errors()
    # Nor through the user page's inline.
    data = _user_form_data(client, editor)
    data.update({"partner_membership-TOTAL_FORMS": "1", "partner_membership-0-partner": api_data.partner_a.pk})
    response = client.post(reverse("admin:auth_user_change", args=[editor.pk]), data)
    assert response.status_code == 200
    assert not PartnerMember.objects.filter(user=editor).exists()


def test_a_partners_account_without_staff_status_still_saves(client, superuser, partner_a_user):
    client.force_login(superuser)
    data = _user_form_data(client, partner_a_user)
    data["first_name"] = "Ana"
    response = client.post(reverse("admin:auth_user_change", args=[partner_a_user.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    partner_a_user.refresh_from_db()
    assert partner_a_user.first_name == "Ana"


def test_the_system_check_warns_about_partners_with_staff_status(partner_a_user, editor):
    def w001():
        return [m for m in checks.run_checks(databases=["default"]) if m.id == "interventions.W001"]

    assert w001() == []
    User.objects.filter(pk=partner_a_user.pk).update(is_staff=True)
    warnings = w001()
    assert len(warnings) == 1 and warnings[0].level == checks.WARNING
    assert "partner_a" in warnings[0].msg and "editor" not in warnings[0].msg
    # Staff who act for a partner organisation without the group are partners too.
    PartnerMember.objects.create(user=editor, partner=partner_a_user.partner_membership.partner)
    assert "editor" in w001()[0].msg
