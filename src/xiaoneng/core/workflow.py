"""One workflow mechanism for every kind of work item.

A kind declares its states and transitions once (name, from-states, to-state, who may, guard). The same
declaration drives the service check (`require`), the buttons a page shows (`available`), the API's 409 message
and the timeline label. Denied by default: a transition with no roles can be performed by nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext

Guard = Callable[[Any, Any, dict[str, Any]], "str | None"]  # (item, actor, data) -> unmet reason or None


class TransitionRefused(Exception):
    """A transition that may not happen now. `status` is 409 for a wrong state or an unmet guard, 403 for a
    role that may not act (the actor can see the item but not do this)."""

    def __init__(self, message: str, *, status: int = 409, code: str = "transition_refused") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Transition:
    name: str
    label: Any
    sources: frozenset[str]
    target: str | None  # None: the state stays (e.g. a progress report)
    roles: frozenset[str]
    guard: Guard | None = None
    # Who among the roles may act relative to the item: "any" in scope, or "owner" (the item's own unit only).
    relation: str = "any"
    style: str = "primary"  # the button's look on the page
    # Where the transition leads when that depends on the item: (item) -> another declared state, or None for
    # `target` (申请办结 goes to the unit's head, or straight to the supervisor when the unit has none). One
    # transition, one check, one timeline entry either way.
    route: Callable[[Any], str | None] | None = None


@dataclass
class Workflow:
    states: dict[str, Any]
    initial: str
    terminal: frozenset[str]
    transitions: dict[str, Transition] = field(default_factory=dict)

    def __init__(
        self,
        *,
        states: dict[str, Any],
        initial: str,
        terminal: Iterable[str],
        transitions: Iterable[Transition],
    ) -> None:
        self.states = states
        self.initial = initial
        self.terminal = frozenset(terminal)
        self.transitions = {}
        for t in transitions:
            unknown = (set(t.sources) | ({t.target} if t.target else set())) - set(states)
            if unknown:
                raise ValueError(f"transition {t.name} names unknown states {sorted(unknown)}")
            if t.name in self.transitions:
                raise ValueError(f"transition {t.name} declared twice")
            self.transitions[t.name] = t
        if initial not in states:
            raise ValueError(f"initial state {initial} is not declared")

    def target_of(self, t: Transition, item: Any) -> str | None:
        """The state `t` leads `item` to now: its route's choice, else its declared target."""
        chosen = t.route(item) if t.route is not None else None
        if chosen is not None and chosen not in self.states:
            raise ValueError(f"transition {t.name} routed to the unknown state {chosen}")
        return chosen or t.target

    def state_label(self, state: str) -> Any:
        return self.states.get(state, state)

    def transition(self, name: str) -> Transition:
        try:
            return self.transitions[name]
        except KeyError:
            raise TransitionRefused(
                gettext("没有这个操作：%(name)s (no such action)") % {"name": name},
                status=404,
                code="no_such_action",
            ) from None

    def refusal(
        self, item: Any, name: str, actor: Any, data: dict[str, Any] | None = None
    ) -> TransitionRefused | None:
        """Why `actor` may not perform `name` on `item` now, or None when they may."""
        t = self.transition(name)
        role = getattr(actor, "role", None)
        if role not in t.roles:
            return TransitionRefused(
                gettext("您的角色不能执行“%(action)s” (your role may not perform this action)")
                % {"action": t.label},
                status=403,
                code="role_not_allowed",
            )
        if t.relation == "owner" and getattr(actor, "unit_id", None) != item.owner_unit_id:
            return TransitionRefused(
                gettext("只有责任单位可以执行“%(action)s” (only the owning unit may do this)")
                % {"action": t.label},
                status=403,
                code="not_owner",
            )
        if item.state not in t.sources:
            return TransitionRefused(
                gettext("当前状态“%(state)s”下不能执行“%(action)s” (not allowed in the current state)")
                % {"state": self.state_label(item.state), "action": t.label},
                code="wrong_state",
            )
        if t.guard is not None:
            reason = t.guard(item, actor, data or {})
            if reason:
                return TransitionRefused(str(reason), code="guard_unmet")
        return None

    def require(self, item: Any, name: str, actor: Any, data: dict[str, Any] | None = None) -> Transition:
        refused = self.refusal(item, name, actor, data)
        if refused is not None:
            raise refused
        return self.transitions[name]

    def available(self, item: Any, actor: Any) -> list[Transition]:
        """The transitions `actor` may perform now by role, relation and state; guards that read form data
        are checked when the form is submitted."""
        return [t for t in self.transitions.values() if self._may_try(item, t, actor)]

    @staticmethod
    def _may_try(item: Any, t: Transition, actor: Any) -> bool:
        return (
            getattr(actor, "role", None) in t.roles
            and (t.relation != "owner" or getattr(actor, "unit_id", None) == item.owner_unit_id)
            and item.state in t.sources
        )


# --- shared guards -------------------------------------------------------------------------------------------


def text_required(field: str, label: Any) -> Guard:
    """A guard that refuses the transition until `data[field]` holds some text (a reason, a reply …), naming
    the field in the reader's language."""

    def guard(item: Any, actor: Any, data: dict[str, Any]) -> str | None:
        if not str(data.get(field, "") or "").strip():
            return gettext("请填写%(label)s (%(field)s is required)") % {"label": label, "field": field}
        return None

    return guard


# --- extension guards (延期), shared by every kind with a request/decide pair -------------------------------------


def pending_extension(item: Any) -> Any:
    """The item's extension request waiting for a decision, or None."""
    return item.extensions.filter(status="requested").first()


def extension_pending(item: Any, actor: Any, data: dict[str, Any]) -> str | None:
    """Guard of an extension decision: there must be a request to decide."""
    if pending_extension(item) is None:
        return gettext("没有待审批的延期申请 (no pending extension request)")
    return None


def extension_request_refusal(item: Any, data: dict[str, Any], *, once_per_phase: bool = False) -> str | None:
    """What every extension request must meet: none pending, a reason; with `once_per_phase`, no extension
    approved since the item's clock last started (a phase: acceptance, re-handling). None when it is met."""
    if pending_extension(item) is not None:
        return gettext("已有待审批的延期申请 (an extension request is pending)")
    if once_per_phase and item.extensions.filter(status="approved", decided_at__gte=item.started_at).exists():
        return gettext("本阶段已延期一次，不能再申请 (one extension per phase)")
    if not str(data.get("reason", "")).strip():
        return gettext("请填写延期理由 (a reason is required)")
    return None
