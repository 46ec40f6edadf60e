"""The demo city: believable volume, one login per role, every login lands on its own home."""

import io

import pytest
from django.core.management import call_command

from xiaoneng.org import demo
from xiaoneng.org.models import Person, Region, Unit, User
from xiaoneng.org.roles import Role


@pytest.mark.django_db
def test_seed_demo_builds_the_city(settings):
    settings.DEMO_MODE = True
    call_command("seed_demo")
    assert Region.objects.filter(level="county").count() == 6
    assert Region.objects.filter(level="township").count() == 60
    assert Unit.objects.count() == 120
    assert 580 <= Person.objects.count() <= 640
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert Region.objects.get(code="990102001000").path == "/990100/990102/990102001000/"
    assert all(u.head_id for u in Unit.objects.all())


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_with_data_and_if_empty_skips(settings):
    call_command("seed_demo")
    call_command("seed_demo", "--if-empty")  # no error, nothing added
    assert Unit.objects.count() == 120
    with pytest.raises(Exception, match="不是空的"):
        call_command("seed_demo")


@pytest.mark.django_db
@pytest.mark.parametrize("username,role", [(a[0], a[1]) for a in demo.DEMO_ACCOUNTS])
def test_every_demo_login_sees_its_home(client, settings, username, role):
    settings.DEMO_MODE = True
    demo.seed()
    resp = client.post("/login/", {"username": username, "password": demo.DEMO_PASSWORD})
    assert resp.status_code == 302
    home = client.get("/").content.decode()
    assert str(Role(role).label) in home and 'data-testid="cards"' in home


@pytest.mark.django_db
def test_outside_demo_mode_seeded_accounts_must_change_password(settings):
    settings.DEMO_MODE = False
    demo.seed()
    assert all(User.objects.values_list("must_change_password", flat=True))


@pytest.mark.django_db
def test_county_supervisor_counts_only_their_county(client, settings):
    settings.DEMO_MODE = True
    demo.seed()
    city = User.objects.get(username="supervisor")
    county = User.objects.get(username="supervisor_dh")
    from xiaoneng.core import scope

    assert scope.restrict(Unit, city).count() == 120
    assert scope.restrict(Unit, county).count() == 15  # the district government, 4 departments, 10 townships


@pytest.mark.django_db(transaction=True)
def test_the_routine_year_is_loaded_by_the_worker_after_the_city(settings):
    """`seed_demo` queues the year of routine work (the test task backend runs it at once, on commit): items
    across states, some overdue, every one with its timeline, through the real services."""
    from xiaoneng.core.models import TimelineEvent, WorkItem
    from xiaoneng.supervision.models import SupervisedItem

    settings.DEMO_ROUTINE_ITEMS = 60
    call_command("seed_demo", stdout=io.StringIO())
    routine = SupervisedItem.objects.filter(work_item__title__contains="：")
    assert routine.count() >= 60
    states = set(routine.values_list("work_item__state", flat=True))
    assert {"closed", "signed"} <= states
    assert WorkItem.objects.filter(
        kind="supervision", closed_at__isnull=True, stage__in=["yellow", "red"]
    ).exists()
    assert (
        not WorkItem.objects.filter(kind="supervision")
        .exclude(pk__in=TimelineEvent.objects.values("item_id"))
        .exists()
    )
