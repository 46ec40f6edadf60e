import pytest

from xiaoneng.complaints.models import Category
from xiaoneng.org.models import Unit, UnitType


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
