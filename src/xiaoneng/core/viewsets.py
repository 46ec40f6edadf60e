from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from . import notify, scope, workitem
from .api import ScopedReadOnlyViewSet
from .models import AuditEvent, Notification, WorkItem
from .serializers import (
    ActionSerializer,
    AuditEventSerializer,
    NotificationSerializer,
    TimelineEventSerializer,
    WorkItemSerializer,
)


class WorkItemViewSet(ScopedReadOnlyViewSet):
    """Work items of every kind in the caller's scope, with their timeline and the actions open to the caller."""

    model = WorkItem
    serializer_class = WorkItemSerializer

    def scope_queryset(self, qs):
        qs = qs.select_related("owner_unit")
        for field in ("kind", "state", "stage"):
            value = self.request.query_params.get(field)
            if value:
                qs = qs.filter(**{field: value})
        return qs

    # A kind whose items are a person's record (an accountability case) is told of every read through this
    # generic API — `extra["on_read"](items, user, view)` — as its own pages would record them.
    def get_object(self):
        item = super().get_object()
        _on_read([item], self.request.user, "api_item")
        return item

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        _on_read(page if page is not None else list(queryset), self.request.user, "api_list")
        return page

    @extend_schema(responses=TimelineEventSerializer(many=True))
    @action(detail=True)
    def timeline(self, request, pk=None, format=None):
        item = scope.access(WorkItem, request.user, pk)
        events = list(item.timeline.all())
        visible = workitem.kind_of(item).extra.get("timeline_for")  # a kind may keep internal notes from some
        if visible is not None:
            events = visible(item, request.user, events)
        return Response(TimelineEventSerializer(events, many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True)
    def actions(self, request, pk=None, format=None):
        item = scope.access(WorkItem, request.user, pk)
        wf = workitem.kind_of(item).workflow
        return Response([{"name": t.name, "label": str(t.label)} for t in wf.available(item, request.user)])

    @extend_schema(request=ActionSerializer, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<transition>[a-z_]+)")
    def perform(self, request, pk=None, transition=None, format=None):
        """Perform one declared transition. 409 with the reason when the state does not allow it, 403 when
        the role may not, 404 when the item is outside the caller's scope."""
        item = scope.access(WorkItem, request.user, pk)
        ser = ActionSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        # A kind with its own action function (effects on its own table) gets every transition through it.
        perform = workitem.kind_of(item).extra.get("perform", workitem.perform)
        item = perform(
            item,
            transition,
            request.user,
            note=ser.validated_data["note"],
            expected_version=ser.validated_data.get("version"),
            data=dict(request.data),
        )
        return Response(WorkItemSerializer(item).data)


class AuditEventViewSet(ScopedReadOnlyViewSet):
    """The audit trail (auditor only)."""

    model = AuditEvent
    serializer_class = AuditEventSerializer

    def scope_queryset(self, qs):
        return qs.order_by("-id")


class NotificationViewSet(ScopedReadOnlyViewSet):
    """The caller's inbox."""

    model = Notification
    serializer_class = NotificationSerializer

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None, format=None):
        n = scope.access(Notification, request.user, pk)
        notify.mark_read(request.user, n.pk)
        n.refresh_from_db()
        return Response(NotificationSerializer(n).data)


def _on_read(items, user, view: str) -> None:
    by_kind: dict[str, list] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    for code, of_kind in by_kind.items():
        hook = workitem.kinds()[code].extra.get("on_read") if code in workitem.kinds() else None
        if hook is not None:
            hook(of_kind, user, view)
