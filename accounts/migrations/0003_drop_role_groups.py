"""Partner role groups carried django-guardian group permissions; the access authority now reads rights from
the memberships themselves (issue 8), so the groups and their link table go."""

from django.db import migrations


def delete_role_groups(apps, schema_editor):
    RoleGroup = apps.get_model("accounts", "RoleGroup")
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(pk__in=RoleGroup.objects.values("group_id")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_verbose_names"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(delete_role_groups, migrations.RunPython.noop),
        migrations.DeleteModel(name="RoleGroup"),
    ]
