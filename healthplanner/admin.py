"""The task queue's schedules list with the columns that fit a 1366 px screen."""
from django.contrib import admin
from django_q.admin import ScheduleAdmin
from django_q.models import Schedule

__all__ = ["FittingScheduleAdmin"]


class FittingScheduleAdmin(ScheduleAdmin):
    list_display = ("name", "func", "schedule_type", "next_run", "get_last_run", "get_success")
    list_display_links = ("name",)


admin.site.unregister(Schedule)
admin.site.register(Schedule, FittingScheduleAdmin)
