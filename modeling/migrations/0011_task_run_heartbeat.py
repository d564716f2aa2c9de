"""TaskRun.heartbeat_at, and a django-q2 schedule that reclaims stale running runs every
two minutes (modeling.tasks.reclaim_stale_runs; docs/operations.md)."""
from django.db import migrations, models
from django.utils import timezone

SCHEDULE = "modeling: reclaim stale runs"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.get_or_create(
        name=SCHEDULE, defaults={"func": "modeling.tasks.reclaim_stale_runs", "schedule_type": "I", "minutes": 2,
                                 "repeats": -1, "next_run": timezone.now()},
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('modeling', '0010_reporting_model_evaluation'),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.AddField(
            model_name='taskrun',
            name='heartbeat_at',
            field=models.DateTimeField(blank=True, help_text='Written while the run works; a running run whose heartbeat stops is queued again or marked failed.', null=True, verbose_name='last heartbeat'),
        ),
        migrations.RunPython(create, remove),
    ]
