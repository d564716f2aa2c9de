"""The three groups renamed to their Spanish names (issue 12): Editors → Editores,
Analysts → Analistas, Partners → Socios. Members and permissions stay with the group; where
both names exist (a database where the Spanish group was made by hand) the English group's
members and permissions move to the Spanish one."""
from django.db import migrations

# Frozen here: healthplanner/roles.py holds only the current names.
RENAMES = (("Editors", "Editores"), ("Analysts", "Analistas"), ("Partners", "Socios"))


def _rename(apps, pairs):
    Group = apps.get_model("auth", "Group")
    for old, new in pairs:
        group = Group.objects.filter(name=old).first()
        if group is None:
            continue
        target = Group.objects.filter(name=new).first()
        if target is None:
            group.name = new
            group.save(update_fields=["name"])
            continue
        target.permissions.add(*group.permissions.all())
        target.user_set.add(*group.user_set.all())
        group.delete()


def to_spanish(apps, schema_editor):
    _rename(apps, RENAMES)


def to_english(apps, schema_editor):
    _rename(apps, [(new, old) for old, new in RENAMES])


class Migration(migrations.Migration):
    dependencies = [
        ("interventions", "0008_translated_catalogue"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(to_spanish, to_english)]
