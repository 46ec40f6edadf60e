"""督查督办's share of the demo city: a year's decisions split across departments and districts, in every
state and stage a supervisor meets (on time, warned, overdue, closed with a rating)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from xiaoneng.org import demo as org_demo
from xiaoneng.org.models import Unit, User
from xiaoneng.org.roles import Role

from . import services
from .models import Quality

TASKS = [
    # (title, source, lead key, co keys, limit, reference)
    (
        "推进企业开办“一网通办”，全流程压缩至1个工作日",
        "meeting",
        "SCJ",
        ["XSP", "ZWFW"],
        "20wd",
        "青政办〔2026〕12号",
    ),
    (
        "清理规范涉企收费，年底前完成自查整改",
        "instruction",
        "FGW",
        ["CZJ", "SCJ"],
        "40wd",
        "领导批示〔2026〕31号",
    ),
    ("落实研发费用加计扣除政策宣讲，覆盖规上企业", "meeting", "KJJ", ["GXJ"], "30wd", "青政办〔2026〕12号"),
    ("新增国家高新技术企业4家", "meeting", "KJJ", [], "60wd", "青政办〔2026〕12号"),
    (
        "工程建设项目审批时限压缩至80个工作日以内",
        "assignment",
        "ZJJ",
        ["ZRZY", "XSP"],
        "30wd",
        "省办交〔2026〕7号",
    ),
    ("12345热线工单按时办结率提升至98%", "instruction", "RX", [], "20wd", "领导批示〔2026〕45号"),
    ("关于加快老旧小区加装电梯的建议办理", "npc_suggestion", "ZJJ", ["SCJ"], "60d", "人大建议第0086号"),
    ("关于优化城区停车管理的提案办理", "cppcc_proposal", "GAJ", ["JTJ"], "60d", "政协提案第0123号"),
    ("政务服务中心窗口“好差评”差评整改", "evaluation", "ZWFW", [], "5wd", ""),
    ("明查暗访发现窗口人员脱岗问题整改", "inspection", "ZWFW", [], "10wd", "效能办〔2026〕9号"),
    ("农村人居环境整治百日攻坚", "meeting", "NYJ", ["STHJ", "SLJ"], "40wd", "青政办〔2026〕20号"),
    ("跨境电商综试区年度任务推进", "assignment", "SWJ", ["GXJ"], "40wd", "省办交〔2026〕11号"),
]
# A year of routine supervised work: (task, source) templates assigned across departments, districts, townships.
ROUTINE = [
    ("落实“好差评”差评整改回访", "evaluation"),
    ("窗口服务作风专项整治", "inspection"),
    ("12345热线转办工单按期办结", "assignment"),
    ("重点项目审批提速", "meeting"),
    ("涉企检查“综合查一次”落实", "instruction"),
    ("政务服务事项“最多跑一次”梳理", "meeting"),
    ("人大代表建议办理答复", "npc_suggestion"),
    ("政协提案办理答复", "cppcc_proposal"),
    ("安全生产隐患排查整改", "instruction"),
    ("营商环境评价短板整改", "evaluation"),
    ("民生实事项目进度督查", "meeting"),
    ("信访积案化解", "assignment"),
]
LIMITS = ["10wd", "15wd", "20wd", "30wd", "40wd", "60d"]


def load_routine_year(count: int, seed_value: int, chunk: int = 25) -> int:
    """The routine year in transactions of `chunk` items (other writers wait at most about a second)."""
    from django.db import transaction

    supervisor = User.objects.get(username="supervisor")
    units = list(Unit.objects.filter(is_active=True))
    password_hash = make_password(None)
    done = 0
    while done < count:
        n = min(chunk, count - done)
        with transaction.atomic():
            routine_year(random.Random(seed_value + done), supervisor, units, password_hash, n, offset=done)
        done += n
    return done


def routine_year(
    rng: random.Random, supervisor, units: list[Unit], password_hash: str, count: int, offset: int = 0
) -> None:
    """`count` items started over the past year; those past their deadline mostly closed, some still overdue."""
    now = timezone.now()
    for i in range(offset, offset + count):
        title, source = ROUTINE[i % len(ROUTINE)]
        unit = units[rng.randrange(len(units))]
        started = now - timedelta(days=rng.randrange(1, 365), hours=rng.randrange(9))
        sup = services.issue(
            actor=supervisor,
            title=f"{unit.short_name or unit.name}：{title}",
            source=source,
            lead_unit=unit,
            limit=rng.choice(LIMITS),
            started_at=started,
            cadence=rng.choice(["none", "weekly", "monthly"]),
            urgency=rng.choice(["normal"] * 6 + ["urgent", "extra"]),
        )
        liaison = _liaison(unit, password_hash)
        overdue = sup.work_item.deadline is not None and sup.work_item.deadline < now
        fate = rng.random()
        if overdue and fate < 0.03:
            continue  # never even signed for: a red card waiting to happen
        sup = services.act(sup, "sign", liaison, data={})
        if not overdue and fate < 0.4:
            continue
        sup = services.act(sup, "report", liaison, data={"text": "已按方案推进，完成阶段性任务。"})
        if overdue and fate < 0.08:
            continue  # signed, reported once, still overdue
        if not overdue and fate < 0.7:
            continue
        head = _head(unit, password_hash)  # the unit's head approves what leaves the unit
        sup = services.act(sup, "request_completion", liaison, data={"text": "已完成，附佐证材料。"})
        if not overdue and fate < 0.73:
            continue  # waiting for the unit head's approval
        sup = services.act(sup, "approve_completion", head, data={})
        if not overdue or fate >= 0.12:  # a few overdue ones wait for verification
            services.act(
                sup, "verify", supervisor, data={"quality": rng.choice(["excellent", "good", "good", "fair"])}
            )


DISTRICT_TASK = ("辖区企业开办时间压缩至1个工作日", "meeting", "20wd", "青政办〔2026〕12号")


def _liaison(unit: Unit, password_hash: str) -> User:
    return org_demo.unit_account(
        unit, Role.LIAISON, password_hash, prefix="ll", title="联络员", position="联络员"
    )


def _head(unit: Unit, password_hash: str) -> User:
    """The unit's head (单位负责人) who approves what leaves the unit: the existing account, else a demo one."""
    return org_demo.unit_account(
        unit, Role.UNIT_LEADER, password_hash, prefix="lh", title="负责人", position="主要负责人"
    )


def seed(rng: random.Random, scale: int) -> None:
    supervisor = User.objects.get(username="supervisor")
    units = {u.code.split("-", 1)[1]: u for u in Unit.objects.filter(code__startswith="990100-")}
    password_hash = make_password(None)  # demo liaisons of other units cannot log in until a password is set
    now = timezone.now()
    parent = services.issue(
        actor=supervisor,
        title="青江市2026年优化营商环境工作要点（分解落实）",
        source="meeting",
        lead_unit=units["XNB"],
        reference_no="青政办〔2026〕12号",
        limit="120wd",
        started_at=now - timedelta(days=60),
        description="市政府常务会议研究通过，分解为各责任单位的具体任务，逐项督办、按月通报。",
    )
    for i, (title, source, lead, co, limit, ref) in enumerate(TASKS * scale):
        # Spread the starts over the past three months so every stage appears.
        started = now - timedelta(days=rng.choice([3, 8, 15, 25, 35, 50, 70, 90]), hours=rng.randrange(8))
        sup = services.issue(
            actor=supervisor,
            title=title,
            source=source,
            lead_unit=units[lead],
            co_units=[units[c] for c in co],
            limit=limit,
            reference_no=ref,
            urgency=rng.choice(["normal", "normal", "urgent", "extra"]),
            started_at=started,
            parent=parent if ref == "青政办〔2026〕12号" else None,
            cadence=rng.choice(["weekly", "monthly", "none"]),
            description=f"{title}。请牵头单位会同协办单位制定工作方案，按报送频次报送进展。",
        )
        liaison = _liaison(units[lead], password_hash)
        step = i % 5
        if step >= 1:
            sup = services.act(sup, "sign", liaison, data={})
        if step >= 2:
            sup = services.act(
                sup, "report", liaison, data={"text": "已制定工作方案，明确时间表和责任人，正在推进。"}
            )
            for c in co:
                services.act(
                    sup,
                    "report",
                    _liaison(units[c], password_hash),
                    data={"text": "协办部分已落实专人对接。"},
                )
        if step >= 3:
            head = _head(units[lead], password_hash)  # the unit's head approves what leaves the unit
            sup = services.act(
                sup, "request_completion", liaison, data={"text": "各项任务已完成，附佐证材料。"}
            )
            if step == 3 and lead == "KJJ":
                continue  # the head has not approved it yet (待单位负责人审核): the demo head finds it waiting
            sup = services.act(sup, "approve_completion", head, data={})
        if step >= 4:
            services.act(sup, "verify", supervisor, data={"quality": rng.choice(Quality.values[:3])})
    # The exhibition seed: a campaign run by daily dispatch (周安排、日调度), some groups reported today.
    expo = services.issue(
        actor=supervisor,
        title="2026青江科技成果展筹备（日调度）",
        source="meeting",
        lead_unit=units["XNB"],
        limit="15wd",
        cadence="daily",
        started_at=now - timedelta(days=5),
    )
    groups = [
        ("展馆布展组", "KJJ"),
        ("安全保卫组", "GAJ"),
        ("交通保障组", "JTJ"),
        ("宣传报道组", "WLJ"),
        ("后勤接待组", "SWJ"),
    ]
    for n, (name, key) in enumerate(groups):
        task = services.issue(
            actor=supervisor,
            title=name,
            source="meeting",
            lead_unit=units[key],
            limit="15wd",
            cadence="daily",
            parent=expo,
            started_at=now - timedelta(days=5),
        )
        liaison = _liaison(units[key], password_hash)
        task = services.act(task, "sign", liaison, data={})
        if n < 3:
            services.act(task, "report", liaison, data={"text": f"{name}今日工作按计划推进，无异常。"})
    # A year of routine work (a few thousand items through the real services, ~40 ms each): the background
    # worker loads it in small transactions once the demo city is committed, so `make run` starts at once.
    count = settings.DEMO_ROUTINE_ITEMS * scale
    if count > 0:
        from django.db import transaction

        from .tasks import seed_routine_year

        seed = rng.randrange(1 << 30)
        transaction.on_commit(lambda: seed_routine_year.enqueue(count=count, seed_value=seed))
    # A district-level item issued by the 东湖区 supervisor to one of its townships.
    dh = User.objects.get(username="supervisor_dh")
    town = Unit.objects.filter(region__code="990102001000").first()
    title, source, limit, ref = DISTRICT_TASK
    services.issue(
        actor=dh,
        title=title,
        source=source,
        lead_unit=town,
        limit=limit,
        reference_no=ref,
        started_at=now - timedelta(days=10),
    )
