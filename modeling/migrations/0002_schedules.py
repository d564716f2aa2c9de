"""django-q2 schedules: retrain weekly (Sunday 03:00), rescore nightly (02:00), Lima time."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations

SCHEDULES = (
    ("modeling: weekly training", "modeling.tasks.weekly_train", "W", 6, 3),
    ("modeling: nightly scoring", "modeling.tasks.nightly_score", "D", None, 2),
)


def _next_run(weekday, hour):
    now = datetime.now(ZoneInfo("America/Lima"))
    run = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if weekday is not None:
        run += timedelta(days=(weekday - run.weekday()) % 7)
    if run <= now:
        run += timedelta(days=7 if weekday is not None else 1)
    return run


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, kind, weekday, hour in SCHEDULES:
        Schedule.objects.get_or_create(
            name=name, defaults={"func": func, "schedule_type": kind, "repeats": -1,
                                 "next_run": _next_run(weekday, hour)},
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[s[0] for s in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("modeling", "0001_initial"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
