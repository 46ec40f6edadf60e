"""The accountability story, on the shared world (tests/conftest.py): 东湖区 (county A) runs its own efficiency office
out of `ua`, where `a_supervisor` opens cases and `a_supervisor2` approves what the office approves; `a_discipline`
is county A's discipline officer. 张东湖 (`world.pa`, in `ua`) played cards at work; 王市监 works in `ua2`."""

from __future__ import annotations

import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.accountability import services
from xiaoneng.accountability.models import Behaviour, Sanction
from xiaoneng.org.models import Person
from xiaoneng.org.roles import Role


def S(code: str) -> Sanction:
    return Sanction.objects.get(code=code)


def B(code: str) -> Behaviour:
    return Behaviour.objects.get(code=code)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def complaint_office(world):
    """County A's office (`ua` in this story) also receives the public's complaints."""
    world.ua.handles_complaints = True
    world.ua.save()
    return world.ua


@pytest.fixture
def staff(world):
    return world.users["supervisor"]


@pytest.fixture
def approver(world):
    """A second supervisor of county A: the office's approval is never the proposer's own."""
    return make_user("a_supervisor2", Role.SUPERVISOR, world.ua)


@pytest.fixture
def discipline(world):
    return world.users["discipline"]


@pytest.fixture
def other(world):
    return Person.objects.create(name="王市监", unit=world.ua2, position="窗口负责人")


@pytest.fixture
def case(world, staff, media):
    """Opened on Monday 2 March 2026, 09:00, about 张东湖 (cards at work)."""
    with time_machine.travel(at("2026-03-02 09:00"), tick=False):
        return services.open_case(
            actor=staff,
            source="manual",
            summary="明查暗访发现东湖区住建局窗口工作人员上班时间斗地主。",
            subjects=[services.SubjectInput(unit=world.ua, person=world.pa, behaviour=B("games_cards"))],
        )


def investigate(case, actor, text="与当事人谈话，本人承认上班时间打牌。"):
    return services.act(case, "record", actor, data={"method": "interview", "text": text})


def propose(case, actor, subject=None, sanction="efficiency_warning", responsibility="direct", **extra):
    subject = subject or case.subjects.first()
    data = {
        "subject": subject.pk,
        "sanction": S(sanction).pk,
        "responsibility": responsibility,
        "reasoning": "上班时间打牌，违反工作纪律。",
        **extra,
    }
    return services.act(case, "propose", actor, data=data)


def pending(case):
    return case.determinations.get(status="proposed")


def decided_case(case, staff, approver, sanction="efficiency_warning", **decide):
    """Investigated, proposed, approved and decided."""
    investigate(case, staff)
    propose(case, staff, sanction=sanction)
    d = pending(case)
    who = approver if d.sanction.approval_level == "office" else None
    if who is None:
        from xiaoneng.org.models import User

        who = User.objects.get(username="a_discipline")
    services.act(case, "approve", who, data={"determination": d.pk})
    return services.act(case, "decide", staff, data=decide)
