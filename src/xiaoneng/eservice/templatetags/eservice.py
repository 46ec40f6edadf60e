from django import template

register = template.Library()


@register.filter
def pct(value) -> str:
    """0.9876 → "98.8%"; none → "—"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def below(value, target) -> bool:
    """Whether a rate misses its target (a missing rate misses nothing)."""
    return value is not None and target is not None and float(value) < float(target)


@register.filter
def count(value) -> int:
    return int(value or 0)
