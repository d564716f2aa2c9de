"""Fixtures shared by the whole suite. Test data are made by the same services users
trigger (the demo seed, the catalogue), not by hand-written rows."""
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from interventions import roles

REAL_DATA_DIR = (Path(settings.BASE_DIR).parent / "shared" / "data" / "peru").resolve()


@pytest.fixture
def real_data_dir():
    """The real INEI/MINSA/ENDES files; skips with a clear message where absent."""
    if not REAL_DATA_DIR.is_dir():
        pytest.skip(f"real data folder {REAL_DATA_DIR} is absent: real-data tests need ../shared/data/peru")
    return REAL_DATA_DIR


@pytest.fixture(scope="module")
def demo_module(django_db_setup, django_db_blocker):
    """The small demo, made once per test module inside a transaction that is rolled
    back after the module; each test still runs in its own savepoint (use ``db``).
    Only for modules whose tests use ``db``, not ``transactional_db``."""
    from django.db import transaction

    from interventions.seed.demo import seed_demo

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield seed_demo(seed=7, departments=3)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def demo_small(db):
    """The demo dataset limited to its first three departments (Amazonas, Áncash, Apurímac)."""
    from interventions.seed.demo import seed_demo

    return seed_demo(seed=7, departments=3)


def make_user(django_user_model, username, *, groups=(), staff=True, superuser=False):
    user = django_user_model.objects.create_user(
        username=username, password="pw-" + username, is_staff=staff, is_superuser=superuser
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


@pytest.fixture
def superuser(django_user_model):
    return make_user(django_user_model, "root", superuser=True)


@pytest.fixture
def editor(django_user_model):
    return make_user(django_user_model, "editor", groups=[roles.EDITORS])


@pytest.fixture
def analyst(django_user_model):
    return make_user(django_user_model, "analyst", groups=[roles.ANALYSTS])


@pytest.fixture
def staff_without_permissions(django_user_model):
    return make_user(django_user_model, "nobody")
