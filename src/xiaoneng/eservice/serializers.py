from rest_framework import serializers

from .models import (
    AnomalyCode,
    Case,
    CaseEvent,
    DataAnomaly,
    EventType,
    Matter,
    MatterType,
    Procedure,
)


class EServiceMatterSerializer(serializers.ModelSerializer):
    """政务服务事项. Limits in the clock's notation ("5wd"); 即办件 have a promised limit of 0."""

    type = serializers.CharField(read_only=True, help_text="one of: " + ", ".join(MatterType.values))
    level = serializers.CharField(read_only=True)

    department_name = serializers.CharField(source="department.name", read_only=True)
    required_steps = serializers.ListField(source="steps", child=serializers.CharField(), read_only=True)

    class Meta:
        model = Matter
        fields = [
            "id",
            "code",
            "name",
            "type",
            "department",
            "department_name",
            "level",
            "statutory_limit",
            "promised_limit",
            "instant",
            "fee_standard",
            "required_steps",
            "is_active",
        ]
        read_only_fields = fields


class EServiceEventInSerializer(serializers.Serializer):
    """One case event as an approval system reports it (documentation of the intake's input; the intake reads
    the events itself, fast, and answers each problem individually rather than failing the batch)."""

    event_id = serializers.CharField(max_length=64, help_text="the source system's unique id of this event")
    case_no = serializers.CharField(max_length=64, help_text="办件编号 in the source system")
    type = serializers.CharField(help_text="one of: " + ", ".join(EventType.values))
    at = serializers.DateTimeField(help_text="ISO 8601; without a zone, Beijing time")
    matter = serializers.CharField(required=False, help_text="事项编码 (application)")
    window = serializers.CharField(required=False, help_text="窗口编码 (application, optional)")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, help_text="收费 (fee)")
    rating = serializers.IntegerField(
        min_value=1, max_value=5, required=False, help_text="好差评 5…1 (rating)"
    )
    procedure = serializers.CharField(
        required=False, help_text="特别程序 (special_start / special_end): " + ", ".join(Procedure.values)
    )


class EServiceProblemSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    code = serializers.CharField(help_text="数据异常类型: " + ", ".join(AnomalyCode.values))
    disposition = serializers.CharField(help_text="rejected (not taken) or flagged (taken, breaking a rule)")
    detail = serializers.CharField()


class EServiceIngestResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    received = serializers.IntegerField()
    accepted = serializers.IntegerField()
    replayed = serializers.IntegerField(help_text="already stored with the same content: nothing changed")
    rejected = serializers.IntegerField()
    flagged = serializers.IntegerField(help_text="taken, but breaking a rule of the matter")
    problems = EServiceProblemSerializer(many=True)


class EServiceCaseSerializer(serializers.ModelSerializer):
    matter_code = serializers.CharField(source="matter.code", read_only=True)
    matter_name = serializers.CharField(source="matter.name", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)
    window_code = serializers.CharField(source="window.code", read_only=True, default=None)
    # Plain values (the choices are documented in docs/eservice.md): enum names shared with other apps' fields
    # ("status", "rating", "level") would collide in the schema.
    level = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    stage = serializers.CharField(read_only=True)
    rating = serializers.IntegerField(read_only=True, allow_null=True, help_text="5 非常满意 … 1 非常不满意")

    class Meta:
        model = Case
        fields = [
            "id",
            "case_no",
            "matter",
            "matter_code",
            "matter_name",
            "department",
            "department_name",
            "window_code",
            "level",
            "status",
            "applied_at",
            "accepted_at",
            "completed_at",
            "delivered_at",
            "limit",
            "paused",
            "deadline",
            "provisional",
            "stage",
            "on_time",
            "early",
            "onsite",
            "used_share",
            "fee_total",
            "rating",
            "rated_at",
        ]
        read_only_fields = fields


class EServiceCaseEventSerializer(serializers.ModelSerializer):
    type = serializers.CharField(read_only=True, help_text="one of: " + ", ".join(EventType.values))

    class Meta:
        model = CaseEvent
        fields = ["id", "event_id", "type", "at", "received_at", "data"]
        read_only_fields = fields


class EServiceDataAnomalySerializer(serializers.ModelSerializer):
    source_name = serializers.CharField(source="source.name", read_only=True)
    code = serializers.CharField(read_only=True)
    disposition = serializers.CharField(read_only=True)

    class Meta:
        model = DataAnomaly
        fields = [
            "id",
            "source_name",
            "event_id",
            "case",
            "case_no",
            "matter",
            "department",
            "code",
            "disposition",
            "detail",
            "payload",
            "detected_at",
        ]
        read_only_fields = fields


class EServiceMetricRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text="the group's value: a department, matter or window id, a level, a month"
    )
    label = serializers.CharField()
    counts = serializers.DictField(child=serializers.FloatField(), help_text="the rollup counters summed")
    rates = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="on_time_rate, onsite_rate, early_rate, used_share, satisfaction, rectification_rate (0–1)",
    )


class EServiceMetricsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    group = serializers.CharField()
    targets = serializers.DictField(child=serializers.FloatField())
    rows = EServiceMetricRowSerializer(many=True)
    total = EServiceMetricRowSerializer()
