import pytest
import time_machine

from tests.conftest import at, make_user
from xiaoneng.complaints import services
from xiaoneng.complaints.models import Category
from xiaoneng.org.models import Unit, UnitType
from xiaoneng.org.roles import Role

from .handling import CONTENT, DEVICE, EMAIL, ID_NUMBER, IP, NAME, PHONE


@pytest.fixture
def office(world):
    """东湖区效能办, which receives complaints about units of 东湖区; the city office takes the rest."""
    world.uc.handles_complaints = True
    world.uc.save()
    return Unit.objects.create(
        code="990102-XNB",
        name="东湖区效能办",
        type=UnitType.GOVERNMENT,
        region=world.a,
        handles_complaints=True,
    )


@pytest.fixture
def category(db):
    return Category.objects.get(code="delay")


# --- the staff side (test_handling, test_unit_view, test_pages_api, test_redaction_release; see handling.py) ---


@pytest.fixture
def media(settings, tmp_path):
    """Attachments written by a test land in its own directory."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def staff(world):
    """The city supervisor: accepting staff for a complaint about a county-A unit."""
    return world.city_supervisor


@pytest.fixture
def office_supervisor(world, office):
    return make_user("xnb_supervisor", Role.SUPERVISOR, office)


@pytest.fixture
def complaint(world, office, category):
    """Received on Monday 2 March 2026, 10:00."""
    with time_machine.travel(at("2026-03-02 10:00"), tick=False):
        c, _code, _created = services.submit(
            channel="web",
            category=category,
            subject_unit=world.ua,
            content=CONTENT,
            name=NAME,
            phone=PHONE,
            id_number=ID_NUMBER,
            email=EMAIL,
            ip=IP,
            device=DEVICE,
        )
    return c
