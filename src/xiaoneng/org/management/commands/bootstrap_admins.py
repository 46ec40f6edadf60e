"""First start of a production system: create the three administrator accounts (三员), each for a different
person, with one-time passwords printed once. There is no superuser."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from xiaoneng.org import services
from xiaoneng.org.models import Person, Unit, User
from xiaoneng.org.roles import THREE_ADMINS, Role


class Command(BaseCommand):
    help = "Create the sysadmin, secadmin and auditor accounts (三员分立) in UNIT; print their one-time passwords."

    def add_arguments(self, parser):
        parser.add_argument("--unit", required=True, help="unit code the administrators belong to")
        parser.add_argument("--sysadmin-name", default="系统管理员")
        parser.add_argument("--secadmin-name", default="安全管理员")
        parser.add_argument("--auditor-name", default="安全审计员")

    @transaction.atomic
    def handle(self, *args, unit, **options):
        try:
            home = Unit.objects.get(code=unit)
        except Unit.DoesNotExist:
            raise CommandError(f"单位 {unit} 不存在 (no such unit)") from None
        if User.objects.filter(role__in=THREE_ADMINS, is_active=True).exists():
            raise CommandError(
                "已有三员账号，未做任何更改 (administrator accounts exist already; nothing changed)"
            )
        rows = []
        for role in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITOR):
            name = options[f"{role.value}_name"]
            person = Person.objects.create(name=name, unit=home, position=str(role.label))
            password = services.temporary_password()
            services.create_account(
                actor=None,
                username=role.value,
                role=role,
                unit=home,
                person=person,
                password=password,
                must_change_password=True,
            )
            rows.append((role.value, password))
        self.stdout.write("三员账号已创建，首次登录须修改密码 (change at first login):")
        for username, password in rows:
            self.stdout.write(f"  {username:<10} {password}")
