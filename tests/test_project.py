"""Project-level checks: system checks, migrations, deployment settings, configuration errors."""
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)


def _manage(*args, env_extra=None, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.django_db
def test_system_check_is_clean():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING",
        env_extra={
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "planner.example.org",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_missing_secret_key_with_debug_off_fails_loudly(tmp_path):
    # No .env may interfere: run from a copy of the environment without the key.
    result = _manage("check", env_extra={"DJANGO_DEBUG": "false", "DJANGO_SECRET_KEY": "",
                                         "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in result.stderr


def test_debug_is_off_by_default():
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)",
                     env_extra={"DJANGO_SECRET_KEY": "x" * 60}, drop=("DJANGO_DEBUG",))
    if (ROOT / ".env").exists():
        pytest.skip("a local .env (written by bin/demo) sets DJANGO_DEBUG for development")
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_importing_django_does_not_import_tensorflow():
    code = (
        "import django, sys; django.setup(); "
        "from django.urls import resolve; resolve('/admin/'); "
        "import interventions.admin; "
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "healthplanner.test_settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False False"


def test_spanish_translations_are_compiled():
    assert (ROOT / "locale" / "es" / "LC_MESSAGES" / "django.mo").is_file()
