"""Background jobs of 问责 and 明查暗访."""

from django_tasks import task


@task()
def seed_accountability_year(seed_value: int) -> int:
    """Demo: a year of inspections and cases, loaded by the worker after the demo city (see demo.py)."""
    from .demo import load_year

    return load_year(seed_value)
