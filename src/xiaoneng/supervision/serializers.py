from rest_framework import serializers

from xiaoneng.core.serializers import WorkItemSerializer
from xiaoneng.org.models import Person, Unit

from .models import Cadence, ProgressReport, Quality, Source, SupervisedItem, Urgency


class ProgressReportSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = ProgressReport
        fields = ["id", "unit", "unit_name", "text", "is_completion", "created_at"]
        read_only_fields = fields


class SupervisedItemSerializer(serializers.ModelSerializer):
    """督办事项. State, deadline, stage and version live in `work_item` and change only through actions."""

    id = serializers.IntegerField(source="pk", read_only=True)
    work_item = WorkItemSerializer(read_only=True)
    co_units = serializers.SerializerMethodField()
    responsible_person = serializers.SerializerMethodField()  # the work item's person (its 责任人)

    class Meta:
        model = SupervisedItem
        fields = [
            "id",
            "work_item",
            "source",
            "reference_no",
            "category",
            "urgency",
            "description",
            "cadence",
            "quality",
            "co_units",
            "responsible_leader",
            "responsible_person",
        ]
        read_only_fields = fields

    def get_co_units(self, obj) -> list[int]:
        return [u.pk for u in obj.work_item.units.all()]

    def get_responsible_person(self, obj) -> int | None:
        return obj.work_item.owner_person_id


class IssueSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    source = serializers.ChoiceField(choices=Source.choices)
    lead_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    co_units = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), many=True, required=False)
    limit = serializers.CharField(required=False, allow_blank=True, default="", help_text="e.g. 20wd, 30d")
    due = serializers.DateField(required=False, allow_null=True, default=None)
    reference_no = serializers.CharField(required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    cadence = serializers.ChoiceField(choices=Cadence.choices, default=Cadence.NONE)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    responsible_leader = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="a person's id",
    )
    responsible_person = serializers.PrimaryKeyRelatedField(
        queryset=Person.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="a person of the lead unit",
    )

    def validate(self, data):
        if data.get("due") and data.get("limit"):
            raise serializers.ValidationError(
                "完成时限和办理时限只填一个 (give a due date or a limit, not both)"
            )
        return data


class SupervisionActionSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    until = serializers.DateField(required=False, help_text="request-extension: the new last day")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="request-extension"
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
    quality = serializers.ChoiceField(choices=Quality.choices, required=False)
    version = serializers.IntegerField(required=False)
