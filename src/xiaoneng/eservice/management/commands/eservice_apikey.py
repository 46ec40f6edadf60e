"""Issue or revoke the API key of an approval system that pushes case events (see docs/eservice.md).

    manage.py eservice_apikey NAME --region 990102   # a new key for NAME, printed once (replaces the old one)
    manage.py eservice_apikey --revoke NAME          # the key stops working at once (401)
    manage.py eservice_apikey --list                 # systems, their regions and whether their key is live

Only the key's SHA-256 is stored; the key itself is shown once and cannot be read back.
"""

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.eservice import sources
from xiaoneng.eservice.models import SourceSystem
from xiaoneng.org.models import Region


class Command(BaseCommand):
    help = "Issue (prints it once) or revoke the API key of an approval system (政务服务电子监察 intake)."

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="the approval system, e.g. 东湖区政务服务审批系统")
        parser.add_argument("--region", help="division code of the region it reports for (new systems)")
        parser.add_argument("--revoke", action="store_true", help="revoke NAME's key")
        parser.add_argument("--list", action="store_true", dest="list_systems", help="list the systems")

    def handle(self, *args, name=None, region=None, revoke=False, list_systems=False, **options):
        if list_systems:
            for s in SourceSystem.objects.select_related("region").order_by("name"):
                state = f"revoked {s.revoked_at:%Y-%m-%d %H:%M}" if s.revoked_at else "active"
                self.stdout.write(f"{s.name}\t{s.region.code} {s.region.name}\t{state}")
            return
        if not name:
            raise CommandError("give the approval system's NAME")
        existing = SourceSystem.objects.filter(name=name).select_related("region").first()
        if revoke:
            if existing is None:
                raise CommandError(f"no approval system named {name!r}")
            sources.revoke_key(existing)
            self.stdout.write(f"revoked: {name}")
            return
        if region:
            place = Region.objects.filter(code=region).first()
            if place is None:
                raise CommandError(f"no region with code {region!r}")
        elif existing is not None:
            place = existing.region
        else:
            raise CommandError("a new system needs --region CODE")
        _system, key = sources.issue_key(name, place)
        self.stdout.write(key)
