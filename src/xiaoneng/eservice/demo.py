"""政务服务电子监察's share of the demo city: the catalog of the city's and the districts' service matters, the
windows of the service centres, the city's approval platform as a source system, and cases fed through the real
intake — a few hundred from the last weeks at once (so the pages have something in every state), and a year of
them (XIAONENG_DEMO_ESERVICE_CASES, default 200,000) loaded by the background worker afterwards, like
supervision's routine year, so `make run` starts at once."""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from xiaoneng.org import demo as org_demo
from xiaoneng.org.models import Region, Unit, User
from xiaoneng.org.roles import Role

from . import alerts, catalog, ingest, simulate, sources, sweep
from .models import CaseAlert, SourceSystem, Window

log = logging.getLogger(__name__)

# (department key, name, type, statutory, promised, fee, required steps)
CITY_MATTERS = [
    ("XSP", "企业设立登记", "licence", "15个工作日", "即办", 0, ""),
    ("XSP", "建设工程规划许可证核发", "licence", "20个工作日", "10个工作日", 0, "handling,review,decision"),
    ("XSP", "投资项目备案", "confirmation", "10个工作日", "3个工作日", 0, "handling,decision"),
    ("SCJ", "食品经营许可证核发", "licence", "20个工作日", "5个工作日", 0, "handling,review,decision"),
    ("SCJ", "个体工商户设立登记", "licence", "15个工作日", "即办", 0, ""),
    ("GAJ", "居民户口迁移审批", "licence", "20个工作日", "5个工作日", 0, "handling,decision"),
    ("GAJ", "居民身份证补领", "public_service", "60日", "即办", 20, ""),
    ("RSJ", "社会保障卡补换", "public_service", "10个工作日", "即办", 0, ""),
    ("RSJ", "就业创业证申领", "public_service", "10个工作日", "即办", 0, ""),
    ("ZJJ", "建筑工程施工许可证核发", "licence", "15个工作日", "5个工作日", 0, "handling,review,decision"),
    ("ZJJ", "商品房预售许可", "licence", "10个工作日", "7个工作日", 0, "handling,review,decision"),
    ("ZRZY", "建设用地规划许可证核发", "licence", "20个工作日", "10个工作日", 0, "handling,review,decision"),
    ("ZRZY", "不动产登记", "confirmation", "30个工作日", "5个工作日", 80, "handling,decision"),
    ("MZJ", "婚姻登记", "confirmation", "即办", "即办", 9, ""),
    ("WJW", "医疗机构执业登记", "licence", "45日", "10个工作日", 0, "handling,review,decision"),
    ("JTJ", "道路运输经营许可", "licence", "20个工作日", "10个工作日", 0, "handling,review,decision"),
    ("SWJ", "对外贸易经营者备案登记", "confirmation", "5个工作日", "即办", 0, ""),
    ("KJJ", "科技型中小企业评价入库", "public_service", "10个工作日", "5个工作日", 0, "review,decision"),
    ("KJJ", "高新技术企业认定推荐", "other_power", "20个工作日", "15个工作日", 0, "handling,review,decision"),
]
COUNTY_MATTERS = [
    ("SCJ", "个体工商户设立登记", "licence", "15个工作日", "即办", 0, ""),
    ("SCJ", "食品经营许可证核发", "licence", "20个工作日", "5个工作日", 0, "handling,review,decision"),
    ("ZJJ", "建筑工程施工许可证核发", "licence", "15个工作日", "7个工作日", 0, "handling,review,decision"),
    ("ZWFW", "居住证办理", "public_service", "15日", "即办", 0, ""),
]
SOURCE = "青江市一体化政务服务平台"
RECENT_CASES = 160
RECENT_DAYS = 30


def _windows(centre: Unit, n: int) -> list[str]:
    codes = []
    for k in range(1, n + 1):
        code = f"{centre.code}-W{k:02d}"
        Window.objects.get_or_create(
            code=code,
            defaults={
                "name": f"{centre.short_name or centre.name}综合受理{k}号窗口",
                "unit": centre,
                "region_path": centre.region.path,
            },
        )
        codes.append(code)
    return codes


def build_catalog() -> list[simulate.MatterSpec]:
    """The demo city's catalog and windows (idempotent); returns what the simulator needs."""
    specs = []
    units = {u.code: u for u in Unit.objects.select_related("region")}
    city = Region.objects.get(code="990100")
    places = [(city, "990100", CITY_MATTERS)] + [
        (r, r.code, COUNTY_MATTERS) for r in Region.objects.filter(parent=city).order_by("code")
    ]
    for region, prefix, templates in places:
        centre = units.get(f"{prefix}-ZWFW")
        windows = tuple(_windows(centre, 6 if prefix == "990100" else 3)) if centre else ()
        for n, (key, name, mtype, statutory, promised, fee, steps) in enumerate(templates, start=1):
            department = units.get(f"{prefix}-{key}")
            if department is None:
                continue
            code = f"{prefix}-{key}-{n:03d}"
            matter, _created = catalog.save(
                None,
                catalog.MatterInput(
                    code=code,
                    name=name,
                    type=mtype,
                    department=department,
                    level=region.level,
                    statutory_limit=statutory,
                    promised_limit=promised,
                    fee_standard=Decimal(fee),
                    required_steps=steps,
                ),
                audit_row=False,
            )
            days = int(matter.promised_limit[:-2]) if matter.promised_limit.endswith("wd") else 5
            specs.append(
                simulate.MatterSpec(code, matter.instant, days, float(fee), tuple(matter.steps), windows)
            )
    return specs


def feed(source, events: list[dict], *, batch: int = 2000, daily: bool = True) -> None:
    """Events in time order through the intake, as the platform sends them: a day at a time (`daily`), or in
    batches of `batch` (the background year: fewer, larger transactions), the case sweep run after each."""
    if daily:
        chunks: dict = {}
        for e in events:
            chunks.setdefault(e["at"][:10], []).append(e)
        groups = [
            chunks[day][k : k + batch] for day in sorted(chunks) for k in range(0, len(chunks[day]), batch)
        ]
    else:
        groups = [events[k : k + batch] for k in range(0, len(events), batch)]
    for evs in groups:
        last = max(ingest.parse_time(e["at"]) for e in evs)
        ingest.ingest(source, evs, now=last)
        sweep.sweep(now=last)


def decide_old_alerts(rng: random.Random, before: datetime, *, new_accounts: bool = True) -> None:
    """Departments explain most alerts raised before `before` and supervisors decide; 差评 are rectified,
    revisited and closed. Recent ones are left waiting (what a supervisor finds on a Monday). Without
    `new_accounts` only departments that have a liaison already answer."""
    supervisor = User.objects.get(username="supervisor")
    password = make_password(None)
    for alert in CaseAlert.objects.filter(raised_at__lt=before).select_related("work_item", "department"):
        item = alert.work_item
        if item.closed_at is not None or rng.random() < 0.08:
            continue  # a few are left for the deadline sweep: their cards stand
        liaison = _liaison(alert.department, password, create=new_accounts)
        if liaison is None:
            continue
        with transaction.atomic():
            if alert.type == "bad_rating":
                finding = "valid" if rng.random() < 0.8 else "invalid"
                item = alerts.act_on_item(
                    item,
                    "rectify",
                    liaison,
                    data={"finding": finding, "text": "已核实，约谈窗口人员并整改。"},
                )
                item = alerts.act_on_item(
                    item,
                    "revisit",
                    liaison,
                    data={"result": str(rng.choice([3, 4, 4, 5])), "text": "电话回访，群众认可整改。"},
                )
                alerts.act_on_item(item, "close", supervisor)
            else:
                item = alerts.act_on_item(item, "explain", liaison, data={"text": rng.choice(EXPLANATIONS)})
                if rng.random() < 0.6:
                    alerts.act_on_item(item, "accept", supervisor)
                else:
                    alerts.act_on_item(item, "confirm", supervisor, data={"colour": alert.colour or "yellow"})


EXPLANATIONS = [
    "因系统升级，办结信息延迟录入，实际已按时办结。",
    "申请人补充材料期间未及时登记补正，已规范流程。",
    "经办人员休假未及时交接，已批评教育并落实AB岗。",
    "收费系统重复计收，已退还申请人。",
]


def _liaison(unit: Unit, password_hash: str, *, create: bool = True) -> User | None:
    return org_demo.unit_account(
        unit, Role.LIAISON, password_hash, prefix="es", title="联络员", position="联络员", create=create
    )


def seed(rng: random.Random, scale: int) -> None:
    specs = build_catalog()
    source, _key = sources.issue_key(SOURCE, Region.objects.get(code="990100"))
    now = timezone.now()
    start = now - timedelta(days=RECENT_DAYS)
    events = simulate.stream(
        simulate.cases(
            random.Random(rng.randrange(1 << 30)),
            specs,
            start=start,
            days=RECENT_DAYS,
            count=RECENT_CASES * scale,
            prefix="QJ",
            until=now,
            mistakes=0.03,
        )
    )
    feed(source, events)
    ratable_case(source, specs, now)
    parallel_projects(source, now)
    decide_old_alerts(random.Random(rng.randrange(1 << 30)), now - timedelta(days=7), new_accounts=False)
    count = year_size()
    if count > 0:
        from .tasks import seed_service_year

        seed_value = rng.randrange(1 << 30)
        transaction.on_commit(lambda: seed_service_year.enqueue(cases=count, seed_value=seed_value))


# A completed case the demo's visitor can rate on the portal (/portal/service/): number, query code, phone.
RATABLE_CASE = ("QJ-DEMO-0001", "QJ2026", "13800138000")


def ratable_case(source, specs: list[simulate.MatterSpec], now: datetime) -> None:
    """An instant matter applied for at a window this morning (yesterday before 10:00) and completed on the spot,
    not rated yet, whose receipt gave the query code in RATABLE_CASE (docs/eservice.md, Demo)."""
    spec = next(s for s in specs if s.instant and s.windows)
    local = timezone.localtime(now)
    applied = local.replace(hour=9, minute=0, second=0, microsecond=0)
    if local.hour < 10:
        applied -= timedelta(days=1)
    case_no, code, phone = RATABLE_CASE
    ingest.ingest(
        source,
        [
            {
                "event_id": f"{case_no}-1",
                "case_no": case_no,
                "type": "application",
                "at": applied.isoformat(),
                "matter": spec.code,
                "window": spec.windows[0],
                "applicant_phone": phone,
                "query_code": code,
            },
            {
                "event_id": f"{case_no}-2",
                "case_no": case_no,
                "type": "acceptance",
                "at": (applied + timedelta(minutes=6)).isoformat(),
            },
            {
                "event_id": f"{case_no}-3",
                "case_no": case_no,
                "type": "completion",
                "at": (applied + timedelta(minutes=25)).isoformat(),
            },
        ],
        now=now,
    )


# (project, name, [(stage, [(matter code, days ago applied, accepted after h, completed after d or None)])])
PROJECTS = [
    (
        "QJ-2026-XM-0012",
        "青江科创园一期工程",
        [
            ("land_planning", [("990100-XSP-003", 40, 2, 3), ("990100-ZRZY-012", 40, 4, 9)]),
            (
                "construction_permit",
                [
                    ("990100-XSP-002", 25, 1, 6),
                    ("990100-ZRZY-012", 25, 3, None),
                    ("990100-WJW-015", 24, 2, 8),
                ],
            ),
            ("construction", [("990100-ZJJ-010", 6, 1, None)]),
        ],
    ),
    (
        "QJ-2026-XM-0031",
        "东湖区学校改扩建项目",
        [
            ("land_planning", [("990100-XSP-003", 12, 3, 2), ("990100-ZRZY-012", 12, 30, None)]),
        ],
    ),
]


def parallel_projects(source, now: datetime) -> None:
    """A few construction projects through their stages, one branch lagging in each (并联审批)."""
    events: list[dict] = []
    for code, name, stages in PROJECTS:
        for stage, branches in stages:
            for k, (matter, ago, accept_h, done_d) in enumerate(branches):
                case_no = f"{code}-{stage}-{k + 1}"
                applied = (now - timedelta(days=ago)).replace(hour=9, minute=30, second=0, microsecond=0)
                events.append(
                    {
                        "event_id": f"{case_no}-A",
                        "case_no": case_no,
                        "type": "application",
                        "at": applied.isoformat(),
                        "matter": matter,
                        "project": code,
                        "project_name": name,
                        "stage": stage,
                    }
                )
                accepted = applied + timedelta(hours=accept_h)
                if accepted > now:
                    continue
                events.append(
                    {
                        "event_id": f"{case_no}-B",
                        "case_no": case_no,
                        "type": "acceptance",
                        "at": accepted.isoformat(),
                    }
                )
                if done_d is None:
                    continue
                done = accepted + timedelta(days=done_d)
                if done > now:
                    continue
                for n, step in enumerate(("handling", "review", "decision")):
                    at = accepted + timedelta(hours=2 + n)
                    events.append(
                        {
                            "event_id": f"{case_no}-S{n}",
                            "case_no": case_no,
                            "type": step,
                            "at": at.isoformat(),
                        }
                    )
                events.append(
                    {
                        "event_id": f"{case_no}-C",
                        "case_no": case_no,
                        "type": "completion",
                        "at": done.isoformat(),
                    }
                )
    ingest.ingest(source, events, now=now)
    sweep.sweep(now=now)


def year_size() -> int:
    """How many cases the background year loads: XIAONENG_DEMO_ESERVICE_CASES (default 200,000) — only for the
    demo of `make run` (DEMO_MODE with its routine year on); never in the tests, which seed without them."""
    import os

    if not (getattr(settings, "DEMO_MODE", False) and getattr(settings, "DEMO_ROUTINE_ITEMS", 0)):
        return 0
    return int(os.environ.get("XIAONENG_DEMO_ESERVICE_CASES", "200000"))


def load_service_year(cases: int, seed_value: int) -> int:
    """A year of cases before the recent weeks, a month at a time (each day a few transactions), then the old
    alerts decided. Returns the number of cases."""
    rng = random.Random(seed_value)
    specs = build_catalog()
    source = SourceSystem.objects.get(name=SOURCE)
    end = timezone.now() - timedelta(days=RECENT_DAYS)
    first = end - timedelta(days=365)
    per_month = max(cases // 12, 1)
    for month in range(12):
        start = first + timedelta(days=month * 365 / 12)
        events = simulate.stream(
            simulate.cases(
                rng, specs, start=start, days=30, count=per_month, prefix=f"LS{month:02d}", until=end
            )
        )
        feed(source, events, daily=False)
        log.info("demo: e-service year, month %d of 12 loaded", month + 1)
    decide_old_alerts(rng, end)
    return per_month * 12
