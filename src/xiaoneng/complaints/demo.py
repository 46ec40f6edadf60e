"""效能投诉's share of the demo city: a few curated complaints at once (about 市科技局 and a district unit, in the
states a supervisor meets first), then a year of complaints loaded by the worker through the real services —
every channel, every state (received, not accepted, assigned and waiting, replied, answered, closed with each
finding, rated, a few reopened) — submitted over the past year."""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from xiaoneng.org.models import Unit, User
from xiaoneng.org.roles import Role

from . import services
from .models import Category, Channel

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂"
COMPLAINTS = [
    "到{unit}窗口办理业务，工作人员一直玩手机，让群众等了一个多小时。",
    "在{unit}办事，材料齐全却被要求反复补交，跑了三趟还没办成。",
    "{unit}工作人员态度生硬，问两句就不耐烦，让我自己去网上查。",
    "{unit}几个部门之间互相推诿，谁也不愿意办，来回踢皮球。",
    "上班时间{unit}办公室有人打牌，窗口长时间无人。",
    "向{unit}反映的问题一个多月没有任何答复。",
]
UNIT_REPLIES = [
    "经核查，反映问题属实，已对相关工作人员批评教育，并落实窗口首问负责制。",
    "经核查，部分属实：材料要求已一次性告知清单，个别工作人员解释不到位，已整改。",
    "经调取监控和办件记录核查，反映情况不属实，已向投诉人说明办理依据。",
]
FINDINGS = ["true", "partly", "false"]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))


def _phone(rng: random.Random) -> str:
    return "1" + rng.choice("3589") + "".join(str(rng.randrange(10)) for _ in range(9))


def _unit_users(unit: Unit) -> tuple[User | None, User | None]:
    users = User.objects.filter(unit=unit, is_active=True)
    return (
        users.filter(role=Role.LIAISON).first(),
        users.filter(role=Role.UNIT_LEADER).first(),
    )


def one(
    rng: random.Random, supervisor: User, unit: Unit, *, fate: str, submitted_at, category=None, channel=None
):
    """One complaint about `unit` taken as far as `fate`: received, not_accepted, assigned, replied, answered,
    closed, rated, reopened."""
    category = category or rng.choice(list(Category.objects.filter(active=True)))
    channel = channel or rng.choice([c for c in Channel.values if c != Channel.OPEN311])
    name = unit.short_name or unit.name
    anonymous = rng.random() < 0.15
    c, _code, _created = services.submit(
        channel=channel,
        category=category,
        subject_unit=unit,
        content=rng.choice(COMPLAINTS).format(unit=name),
        anonymous=anonymous,
        name="" if anonymous else _person(rng),
        phone=_phone(rng),
        consent_publish=rng.random() < 0.3,
        submitted_at=submitted_at,
        actor=supervisor,
    )
    if fate == "received":
        return c
    if fate == "not_accepted":
        return services.reject(
            supervisor, c, reason="反映事项不属于机关效能投诉受理范围，已告知向有关部门反映。"
        )
    c = services.accept(supervisor, c)
    liaison, leader = _unit_users(unit)
    direct = liaison is None or leader is None
    copy = rng.choice(COMPLAINTS).format(unit=name)
    if direct:
        c = services.handle_directly(supervisor, c)
    else:
        c = services.assign(supervisor, c, unit=unit, redacted_content=copy)
    if fate == "assigned":
        return c
    n = rng.randrange(len(FINDINGS))
    if direct:
        c = services.record_result(supervisor, c, text=UNIT_REPLIES[n])
    else:
        c = services.submit_reply(liaison, c, text=UNIT_REPLIES[n])
        c = services.approve_reply(leader, c)
    if fate == "replied":
        return c
    c = services.review_pass(supervisor, c, public_reply=f"您好：{UNIT_REPLIES[n]}", finding=FINDINGS[n])
    if fate == "answered":
        return c
    if fate == "reopened":
        c = services.rate(supervisor, c, rating="dissatisfied", note="问题没有真正解决")
        return services.reopen(supervisor, c, note="群众不满意，重新办理")
    if fate in ("rated", "closed"):
        rating = rng.choice(["satisfied"] * 5 + ["basic"] * 3 + ["dissatisfied"])
        c = services.rate(supervisor, c, rating=rating)
    if fate == "closed":
        c = services.close(supervisor, c)
    return c


FATES = ["received"] * 3 + ["not_accepted"] * 2 + ["assigned"] * 3 + ["replied"] * 2 + ["answered"] * 2
FATES += ["rated"] * 3 + ["closed"] * 14 + ["reopened"]


def load_year(count: int, seed_value: int, chunk: int = 1) -> int:
    """`count` complaints submitted over the past year, in transactions of `chunk` (one complaint each by
    default: on SQLite a transaction holds the only write lock, and the web, scheduler and worker of `make run`
    must get it within the busy timeout while the year loads): older ones mostly closed, recent ones still
    under way."""
    supervisor = User.objects.get(username="supervisor")
    units = list(Unit.objects.filter(is_active=True, handles_complaints=False))
    done = 0
    now = timezone.now()
    while done < count:
        n = min(chunk, count - done)
        with transaction.atomic():
            for i in range(done, done + n):
                rng = random.Random(seed_value + i)
                age = rng.randrange(1, 365)
                fate = rng.choice(FATES)
                if age > 60 and fate in ("received", "assigned", "replied") and rng.random() < 0.8:
                    fate = "closed"
                submitted = now - timedelta(days=age, hours=rng.randrange(8), minutes=rng.randrange(60))
                one(rng, supervisor, units[rng.randrange(len(units))], fate=fate, submitted_at=submitted)
        done += n
    return done


@task()
def seed_complaint_year(count: int, seed_value: int) -> int:
    """Demo: a year of complaints, loaded by the worker after the demo city."""
    return load_year(count, seed_value)


def seed(rng: random.Random, scale: int) -> None:
    """The curated complaints (at once), then the year in the background (settings.DEMO_COMPLAINTS)."""
    ensure_starter_categories()
    supervisor = User.objects.get(username="supervisor")
    kjj = Unit.objects.get(code="990100-KJJ")
    district = (
        Unit.objects.filter(region__code="990102", is_active=True, handles_complaints=False)
        .exclude(code__endswith="-XNB")
        .first()
    )
    now = timezone.now()
    for fate, days in [("received", 0), ("assigned", 2), ("replied", 4), ("closed", 20)]:
        one(rng, supervisor, kjj, fate=fate, submitted_at=now - timedelta(days=days, hours=2))
    if district is not None:
        one(rng, supervisor, district, fate="answered", submitted_at=now - timedelta(days=6))
    count = settings.DEMO_COMPLAINTS * scale
    if count > 0:
        seed_value = rng.randrange(1 << 30)
        transaction.on_commit(lambda: seed_complaint_year.enqueue(count=count, seed_value=seed_value))


def ensure_starter_categories() -> None:
    """The starter taxonomy, as its data migration loads it (idempotent): a database flushed since migrating (the
    browser tests flush between tests) has lost it."""
    import importlib

    from django.apps import apps

    importlib.import_module("xiaoneng.complaints.migrations.0002_starter_categories").load(apps, None)
