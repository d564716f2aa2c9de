"""A daily django-q2 schedule that deletes the API tokens expired past the grace period
(healthplanner.tasks.purge_expired_api_tokens; docs/security.md)."""
from django.db import migrations
from django.utils import timezone

SCHEDULE = "healthplanner: purge expired API tokens"


def create(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.get_or_create(
        name=SCHEDULE, defaults={"func": "healthplanner.tasks.purge_expired_api_tokens", "schedule_type": "D",
                                 "repeats": -1, "next_run": timezone.now()},
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("healthplanner", "0002_hash_drf_tokens"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
