"""Background jobs of 督查督办."""

from django_tasks import task


@task()
def check_signing_and_reports() -> dict:
    """Flag items not signed for in time and progress reports missed on cadence (each once), tell the liaisons."""
    from .services import flag_missed

    return flag_missed()


@task()
def seed_routine_year(count: int, seed_value: int) -> int:
    """Demo: a year of routine supervised work, loaded by the worker after the demo city (see demo.py)."""
    from .demo import load_routine_year

    return load_routine_year(count, seed_value)
