"""问责 and 明查暗访's share of the demo city.

At once (inside the demo city's transaction, a second or so): an undercover visit under way, an open inspection
done with one finding sent for rectification and one opened as a case, and a case whose proposals wait for the
demo `supervisor` (office level) and `discipline` (the heavier one) to approve.

Then, like supervision's routine year, the background worker loads a year of inspections and cases through the
real services (`load_year`): 32 cases over twelve months whose determinations reproduce the seeds' table — 39
people: 9 removed from post, 3 transferred, 2 contracts ended, 5 warnings and 2 major demerits (政务处分), 14
efficiency warnings, 4 criticised in a bulletin — some published on the 曝光台 and some typical for the 通报.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from xiaoneng.core.models import TimelineEvent, WorkItem
from xiaoneng.org.models import Person, Unit, UnitType, User
from xiaoneng.org.roles import Role

from . import services
from .models import Behaviour, Case, Determination, InspectionPlan

DIRECTOR = "xnb_director"  # 效能办主任: the office's second pair of eyes on what `supervisor` proposes

# The seeds' month ("39 people handled: 9 dismissed, 3 transferred, 2 contracts ended, 5 warnings, 2 major
# demerits, 14 admonished, 4 criticised"), as cases: [(sanction, responsibility, behaviour), …] per case.
SEED_CASES: list[tuple[int, list[tuple[str, str, str]]]] = [
    # (how many such cases, the determinations of each)
    (
        4,
        [
            ("efficiency_warning", "direct", "buck_passing"),
            ("criticism", "important_leader", "negligent_oversight"),
        ],
    ),
    (
        3,
        [("efficiency_warning", "direct", "games_cards"), ("removal", "principal_leader", "weak_leadership")],
    ),
    (6, [("removal", "direct", "deliberate_obstruction")]),
    (3, [("transfer", "direct", "absent")]),
    (2, [("contract_ended", "direct", "drinking")]),
    (5, [("gov_warning", "direct", "gifts")]),
    (2, [("gov_major_demerit", "direct", "extortion")]),
    (7, [("efficiency_warning", "direct", "over_limit")]),
]
SEED_TABLE = {
    "removal": 9,
    "transfer": 3,
    "contract_ended": 2,
    "gov_warning": 5,
    "gov_major_demerit": 2,
    "efficiency_warning": 14,
    "criticism": 4,
}
# What the inspection team sees when a behaviour is caught on the spot.
SEEN = {
    "games_cards": "工作人员上班时间在办公室打扑克（斗地主），群众在窗口等候无人办理。",
    "absent": "服务窗口上班时间空岗，桌面摆放“暂停服务”牌，半小时内无人返回。",
    "drinking": "工作日午间在单位附近饭店饮酒，下午酒后上岗。",
    "buck_passing": "群众反映办理营业执照变更被要求到多个科室往返，工作人员互相推诿。",
    "over_limit": "抽查办件档案，多件行政许可无正当理由超过承诺时限办结。",
}
INSPECTED = ["ZWFW", "XSP", "SCJ", "ZJJ", "RSJ", "GAJ"]


def seed(rng: random.Random, scale: int) -> None:
    """The curated part; the year follows in the background (settings.DEMO_ROUTINE_ITEMS > 0, as for 督查督办)."""
    ensure_starter_catalog()
    supervisor = User.objects.get(username="supervisor")
    discipline = User.objects.get(username="discipline")
    director = _director(supervisor)
    units = {u.code.split("-", 1)[1]: u for u in Unit.objects.filter(code__startswith="990100-")}
    now = timezone.now()
    today = timezone.localdate()
    town = Unit.objects.filter(type=UnitType.TOWNSHIP, region__parent__code="990123").order_by("code").first()

    hidden = services.create_plan(
        actor=supervisor,
        title="政务服务窗口作风暗访（第四轮）",
        mode="undercover",
        starts_on=today,
        ends_on=today + timedelta(days=2),
        targets=[units["ZWFW"], town],
        team=[discipline],
        windows="市政务服务中心一楼综合窗口",
        focus="上班纪律、脱岗空岗、服务态度、一次性告知",
    )
    services.record_finding(
        actor=discipline,
        plan=hidden,
        observed_at=now - timedelta(hours=2),
        place="市政务服务中心一楼",
        unit=units["ZWFW"],
        window="综合窗口7号",
        people_present="窗口工作人员1名、群众3名",
        behaviour=Behaviour.objects.get(code="cold"),
        description="工作人员低头玩手机，群众询问两次未予理睬。",
    )
    done = services.create_plan(
        actor=supervisor,
        title="重点窗口单位明查",
        mode="open",
        starts_on=today - timedelta(days=9),
        ends_on=today - timedelta(days=9),
        targets=[units["XSP"], units["SCJ"]],
        team=[discipline],
    )
    at = datetime.combine(today - timedelta(days=9), time(9, 20), tzinfo=timezone.get_current_timezone())
    late = services.record_finding(
        actor=supervisor,
        plan=done,
        observed_at=at,
        place="市行政审批局三楼",
        unit=units["XSP"],
        window="投资项目审批窗口",
        people_present="窗口负责人",
        behaviour=Behaviour.objects.get(code="late_early"),
        description="9:20 窗口尚未开始受理，两名工作人员迟到。",
    )
    cards = services.record_finding(
        actor=discipline,
        plan=done,
        observed_at=at + timedelta(minutes=40),
        place="市市场监管局登记注册科",
        unit=units["SCJ"],
        people_present=_people(units["SCJ"], 2),
        person=_person(units["SCJ"], rng),
        behaviour=Behaviour.objects.get(code="games_cards"),
        description=SEEN["games_cards"],
    )
    services.finish_plan(done, supervisor, summary="检查2家单位，发现问题2个，已分别交办整改和立案问责。")
    services.rectify(late, supervisor, limit_text="10wd")
    services.open_case(
        actor=supervisor,
        source="inspection",
        finding=cards,
        summary=cards.description,
        subjects=[services.SubjectInput(unit=cards.unit, person=cards.person, behaviour=cards.behaviour)],
    )
    # A case whose proposals wait: 效能告诫 for the demo `supervisor` to approve, 调离岗位 for `discipline`; the
    # person is in 市科技局, so its head (`unit_leader`) reads his part once decided.
    kjj = units["KJJ"]
    waiting = services.open_case(
        actor=director,
        source="evaluation",
        source_note="市人大常委会工作评议",
        summary="评议中企业反映科技项目申报材料被多次退回补正，经办人未一次性告知，负责人知情不纠。",
        started_at=now - timedelta(days=12),
        subjects=[
            services.SubjectInput(
                unit=kjj, person=_person(kjj, rng), behaviour=Behaviour.objects.get(code="no_one_time_notice")
            ),
            services.SubjectInput(
                unit=kjj, person=kjj.head, behaviour=Behaviour.objects.get(code="negligent_oversight")
            ),
        ],
    )
    services.act(
        waiting,
        "record",
        director,
        data={"method": "interview", "text": "约谈经办人和分管负责人，调阅申报材料退补记录6份。"},
    )
    first, second = waiting.subjects.order_by("id")
    services.act(
        waiting,
        "propose",
        director,
        data={
            "subject": first.pk,
            "sanction": "efficiency_warning",
            "responsibility": "direct",
            "reasoning": "未履行一次性告知义务，致企业三次往返。",
        },
    )
    services.act(
        waiting,
        "propose",
        director,
        data={
            "subject": second.pk,
            "sanction": "transfer",
            "responsibility": "principal_leader",
            "reasoning": "知情不纠，造成不良影响。",
        },
    )
    count = settings.DEMO_ROUTINE_ITEMS * scale
    if count > 0:
        from .tasks import seed_accountability_year

        seed_value = rng.randrange(1 << 30)
        transaction.on_commit(lambda: seed_accountability_year.enqueue(seed_value=seed_value))


def ensure_starter_catalog() -> None:
    """The starter catalog, as its data migration loads it (idempotent): a database flushed since migrating (the
    browser tests flush between tests) has lost it."""
    import importlib

    from django.apps import apps

    importlib.import_module("xiaoneng.accountability.migrations.0002_starter_catalog").load(apps, None)


def _director(supervisor: User) -> User:
    user = User.objects.filter(username=DIRECTOR).first()
    if user is not None:
        return user
    person = Person.objects.create(name="钱效能", unit=supervisor.unit, position="效能办主任")
    return User.objects.create(
        username=DIRECTOR,
        password=make_password(None),  # approves in the demo's background; no login until a password is set
        role=Role.SUPERVISOR,
        unit=supervisor.unit,
        person=person,
        first_name=person.name,
        must_change_password=True,
    )


def _person(unit: Unit, rng: random.Random) -> Person:
    """Someone of the unit who holds no login (the demo logins stay out of cases about themselves)."""
    people = list(
        Person.objects.filter(unit=unit, accounts__isnull=True).exclude(pk=unit.head_id).order_by("id")
    )
    return people[rng.randrange(len(people))]


def _people(unit: Unit, n: int) -> str:
    return "、".join(Person.objects.filter(unit=unit).order_by("id").values_list("name", flat=True)[:n])


# --- the year -------------------------------------------------------------------------------------------------


def load_year(seed_value: int) -> int:
    """A year of inspections and cases, month by month: the month's inspection records what it saw and ends, then
    its cases go from opening to decision (and, once the appeal limit has run, to closing), one transaction each so
    other writers wait at most a moment. Returns how many cases were opened."""
    rng = random.Random(seed_value)
    supervisor = User.objects.get(username="supervisor")
    discipline = User.objects.get(username="discipline")
    director = _director(supervisor)
    units = list(
        Unit.objects.filter(
            is_active=True, type__in=[UnitType.GOVERNMENT, UnitType.INSTITUTION, UnitType.TOWNSHIP]
        )
        .exclude(code__endswith="-XNB")
        .order_by("code")
    )
    city = {u.code.split("-", 1)[1]: u for u in Unit.objects.filter(code__startswith="990100-")}
    cases: list[list[tuple[str, str, str]]] = []
    for n, dets in SEED_CASES:
        cases += [dets] * n
    rng.shuffle(cases)
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    opened = 0
    used: set[int] = set()
    for month in range(12, 0, -1):
        mine = [c for i, c in enumerate(cases) if 12 - (i * 12) // len(cases) == month]
        day = today - timedelta(days=30 * month + 3)
        stories = []
        with transaction.atomic():
            plan = services.create_plan(
                actor=supervisor,
                title=f"{day.year}年{day.month}月机关作风明查暗访",
                mode="undercover" if month % 2 else "open",
                starts_on=day,
                ends_on=day + timedelta(days=1),
                targets=[city[k] for k in INSPECTED[month % 3 :: 2]],
                team=[discipline],
            )
            for dets in mine:
                # Everyone held accountable once in the year, as in the seeds' count of people.
                while True:
                    unit = units[rng.randrange(len(units))]
                    person = _person(unit, rng)
                    if person.pk not in used and (len(dets) == 1 or unit.head_id not in used):
                        break
                used |= {person.pk, unit.head_id}
                behaviour = Behaviour.objects.get(code=dets[0][2])
                finding = None
                if behaviour.code in SEEN:
                    plan.targets.add(unit)
                    finding = services.record_finding(
                        actor=supervisor,
                        plan=plan,
                        observed_at=datetime.combine(
                            day, time(9 + rng.randrange(7), rng.randrange(60)), tzinfo=tz
                        ),
                        place=f"{unit.short_name or unit.name}办公区",
                        unit=unit,
                        people_present=person.name,
                        person=person,
                        behaviour=behaviour,
                        description=SEEN[behaviour.code],
                    )
                stories.append((dets, unit, person, finding))
            services.finish_plan(plan, supervisor, summary=f"检查发现问题{len(stories)}个，已分别立案问责。")
            InspectionPlan.objects.filter(pk=plan.pk).update(
                finished_at=datetime.combine(day + timedelta(days=1), time(17, 30), tzinfo=tz)
            )
        for dets, unit, person, finding in stories:
            with transaction.atomic():
                _one_case(rng, opened, day, dets, unit, person, finding, supervisor, director, discipline)
            opened += 1
    return opened


def _one_case(rng, i, day, dets, unit, person, finding, supervisor, director, discipline) -> Case:
    tz = timezone.get_current_timezone()
    opened = datetime.combine(day + timedelta(days=rng.randrange(2, 5)), time(9, 30), tzinfo=tz)
    decided_on = (opened + timedelta(days=rng.randrange(8, 20))).date()
    subjects = [
        services.SubjectInput(
            unit=unit,
            person=unit.head if responsibility != "direct" and unit.head_id else person,
            behaviour=Behaviour.objects.get(code=behaviour),
        )
        for _sanction, responsibility, behaviour in dets
    ]
    first = subjects[0].behaviour
    case = services.open_case(
        actor=supervisor,
        source="inspection" if finding else rng.choice(["manual", "evaluation"]),
        source_note="" if finding else "年度工作评议",
        finding=finding,
        summary=SEEN.get(first.code) or f"经核查，{unit.name}{person.name}等存在“{first.name}”问题。",
        subjects=subjects,
        started_at=opened,
    )
    services.act(
        case,
        "record",
        discipline,
        data={
            "method": "interview",
            "text": "与当事人及知情人谈话，调取考勤和监控记录，事实清楚。",
            "at": opened + timedelta(days=2),
        },
    )
    for subject, (sanction, responsibility, _b) in zip(case.subjects.order_by("id"), dets, strict=True):
        services.act(
            case,
            "propose",
            supervisor,
            data={
                "subject": subject.pk,
                "sanction": sanction,
                "responsibility": responsibility,
                "reasoning": f"{subject.behaviour.name}，情节属实，造成不良影响。",
                "publish_name": i % 5 == 0,
            },
        )
    for d in Determination.objects.filter(case=case).select_related("sanction"):
        approver = director if d.sanction.approval_level == "office" else discipline
        services.act(case, "approve", approver, data={"determination": d.pk})
    delivered = datetime.combine(decided_on, time(10, 0), tzinfo=tz)
    case = services.act(
        case, "decide", supervisor, data={"effective_on": decided_on, "delivered_at": delivered}
    )
    if i % 4 == 0:
        case = services.act(
            case,
            "publish",
            supervisor,
            data={"public_summary": f"{unit.name}工作人员“{first.name}”，经查属实，已依规处理。"},
        )
    if i % 6 == 0:
        case = services.act(case, "mark_typical", supervisor, data={})
    if (timezone.localdate() - decided_on).days > 40:
        case = services.act(case, "close", supervisor, data={})
    _backdate(case, opened, delivered)
    return case


def _backdate(case: Case, opened: datetime, delivered: datetime) -> None:
    """Demo only: the steps of a case loaded today are spread between its opening and its decision, so its history
    reads like the year it stands for (the audit trail keeps the real times)."""
    events = list(TimelineEvent.objects.filter(item_id=case.pk).order_by("at", "id"))
    span = (delivered - opened) / max(len(events), 1)
    for n, e in enumerate(events):
        e.at = opened + span * n
    TimelineEvent.objects.bulk_update(events, ["at"])
    Determination.objects.filter(case=case).update(
        proposed_at=opened + span, approved_at=delivered - span / 2
    )
    if case.work_item.closed_at is not None:
        WorkItem.objects.filter(pk=case.pk).update(closed_at=delivered + timedelta(days=31))
