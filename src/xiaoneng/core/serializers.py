from rest_framework import serializers

from . import audit, workitem
from .models import AuditEvent, Notification, TimelineEvent, WorkItem


class TimelineEventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEvent
        fields = ["id", "at", "actor_name", "action", "label", "before", "after", "note"]

    def get_label(self, obj) -> str:
        return str(workitem.timeline_label(obj.item, obj.action))


class WorkItemSerializer(serializers.ModelSerializer):
    """State, owner, deadline, stage and version are read-only: they change only through action endpoints."""

    state_label = serializers.SerializerMethodField()
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "kind",
            "title",
            "state",
            "state_label",
            "owner_unit",
            "owner_unit_name",
            "owner_person",
            "started_at",
            "limit",
            "deadline",
            "provisional",
            "stage",
            "closed_at",
            "version",
        ]
        read_only_fields = fields

    def get_state_label(self, obj) -> str:
        k = workitem.kinds().get(obj.kind)
        return str(k.workflow.state_label(obj.state)) if k else obj.state


class ActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False, help_text="the version you saw; a stale one answers 409"
    )


class AuditEventSerializer(serializers.ModelSerializer):
    label = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "event_type",
            "label",
            "actor_id",
            "actor_name",
            "ip",
            "object_type",
            "object_id",
            "data",
            "hash",
        ]

    def get_label(self, obj) -> str:
        return str(audit.label(obj.event_type))


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "created_at", "read_at"]
        read_only_fields = fields
