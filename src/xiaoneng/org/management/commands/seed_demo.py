import time

from django.core.management.base import BaseCommand, CommandError

from xiaoneng.org import demo


class Command(BaseCommand):
    help = "Load the demo city (青江市) into an empty database and print one login per role."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, default=1, help="multiply people and villages (benchmarks)")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when the database has data")

    def handle(self, *args, scale=1, if_empty=False, **options):
        if not demo.is_empty():
            if if_empty:
                self.stdout.write("数据库已有数据，跳过演示数据 (database not empty; demo data skipped)")
                return
            raise CommandError("数据库不是空的 (the database is not empty)")
        if scale < 1:
            raise CommandError("--scale 必须 ≥ 1 (--scale must be at least 1)")
        started = time.monotonic()
        summary = demo.seed(scale=scale)
        self.stdout.write(
            f"演示城市已载入 (demo city loaded) in {time.monotonic() - started:.1f}s: "
            f"{summary.regions} regions, {summary.units} units, {summary.people} people."
        )
        from django.conf import settings

        if settings.DEMO_ROUTINE_ITEMS:
            n = settings.DEMO_ROUTINE_ITEMS * scale
            self.stdout.write(
                f"后台任务正在载入一年的日常督办事项（{n} 项，约 {max(1, n * 40 // 60000)} 分钟） "
                f"(the worker is loading a year of routine supervised work: {n} items, about "
                f"{max(1, n * 40 // 60000)} min)"
            )
