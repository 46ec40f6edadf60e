from django.core.management.base import BaseCommand

from xiaoneng.org import demo
from xiaoneng.org.models import User


class Command(BaseCommand):
    help = "Print the demo city's logins, one per role."

    def handle(self, *args, **options):
        names = [a[0] for a in demo.DEMO_ACCOUNTS]
        present = set(
            User.objects.filter(username__in=names, is_active=True).values_list("username", flat=True)
        )
        self.stdout.write(
            "\n  登录 (log in) at http://127.0.0.1:8000/  —  密码 (password) for every demo account: "
            f"{demo.DEMO_PASSWORD}\n"
        )
        self.stdout.write(f"  {'用户名 username':<18} {'角色 role':<12} 说明")
        for username, role, _unit, _pos, description in demo.DEMO_ACCOUNTS:
            if username in present:
                self.stdout.write(f"  {username:<18} {role.value:<12} {description}")
        self.stdout.write("")
