"""Background jobs of 政务服务电子监察."""

from django_tasks import task


@task()
def sweep_cases() -> dict:
    """The case sweep (every minute): stages of open cases, and the alerts their conditions call for."""
    from .sweep import sweep

    return sweep()


@task()
def seed_service_year(cases: int, seed_value: int) -> int:
    """Demo: a year of service cases through the real intake, loaded by the worker after the demo city."""
    from .demo import load_service_year

    return load_service_year(cases, seed_value)


@task()
def recompute_after_calendar_change(version_id: int) -> int:
    """A calendar version was saved: the open cases touching its year get their boundaries again."""
    from xiaoneng.core import clock_service
    from xiaoneng.core.models import CalendarVersion

    from .clocking import recompute_open_cases

    clock_service.invalidate()  # the version is committed: read the calendar afresh
    v = CalendarVersion.objects.select_related("region").get(pk=version_id)
    return recompute_open_cases(v.year, v.region.path if v.region_id else "")
