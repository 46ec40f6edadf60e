"""Serializers of 问责 and 明查暗访. Fields are listed explicitly; state, versions and everything a transition
changes are read-only (they change through the action endpoints only)."""

from rest_framework import serializers

from xiaoneng.core import scope
from xiaoneng.core.serializers import WorkItemSerializer

from .models import (
    Appeal,
    AppealOutcome,
    Behaviour,
    Case,
    CaseSubject,
    Determination,
    Finding,
    InspectionMode,
    InspectionPlan,
    InvestigationMethod,
    InvestigationRecord,
    Responsibility,
    Sanction,
    Source,
)


class SanctionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Sanction
        fields = [
            "id",
            "code",
            "name",
            "rank",
            "kind",
            "approval_level",
            "effect_months",
            "notice_kind",
            "applies_to_units",
            "active",
        ]
        read_only_fields = fields


class BehaviourSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name", read_only=True)

    class Meta:
        model = Behaviour
        fields = ["id", "code", "category", "name", "min_sanction", "max_sanction", "active"]
        read_only_fields = fields


class SubjectSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    person_name = serializers.CharField(source="person.name", read_only=True, default="")

    class Meta:
        model = CaseSubject
        fields = ["id", "unit", "unit_name", "person", "person_name", "position", "behaviour", "note"]
        read_only_fields = fields


class DeterminationSerializer(serializers.ModelSerializer):
    sanction_name = serializers.CharField(source="sanction.name", read_only=True)
    notice_number = serializers.CharField(source="notice.number", read_only=True, default="")

    class Meta:
        model = Determination
        fields = [
            "id",
            "case",
            "subject",
            "person",
            "unit",
            "behaviour",
            "responsibility",
            "sanction",
            "sanction_name",
            "reasoning",
            "publish_name",
            "status",
            "proposed_at",
            "approved_at",
            "review_note",
            "effective_on",
            "effect_until",
            "appeal_deadline",
            "notice_number",
            "supersedes",
            "suggestions",
        ]
        read_only_fields = fields


class RecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = InvestigationRecord
        fields = ["id", "at", "method", "text", "created_at"]
        read_only_fields = fields


class AppealSerializer(serializers.ModelSerializer):
    class Meta:
        model = Appeal
        fields = [
            "id",
            "determination",
            "filed_on",
            "reason",
            "recorded_at",
            "outcome",
            "decision",
            "decided_at",
            "new_determination",
        ]
        read_only_fields = fields


class CaseSerializer(serializers.ModelSerializer):
    """问责案件 as the caller may read it: a unit head gets only what concerns his own unit and no investigation."""

    id = serializers.IntegerField(source="pk", read_only=True)
    work_item = WorkItemSerializer(read_only=True)
    subjects = serializers.SerializerMethodField()
    determinations = serializers.SerializerMethodField()
    records = serializers.SerializerMethodField()
    appeals = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "work_item",
            "source",
            "complaint",
            "finding",
            "source_item",
            "source_note",
            "summary",
            "typical",
            "published_at",
            "public_summary",
            "subjects",
            "determinations",
            "records",
            "appeals",
        ]
        read_only_fields = fields

    def _user(self):
        return self.context["request"].user

    def get_subjects(self, obj) -> list[dict]:
        qs = scope.restrict(CaseSubject, self._user()).filter(case=obj).select_related("unit", "person")
        return SubjectSerializer(qs, many=True).data

    def get_determinations(self, obj) -> list[dict]:
        qs = scope.restrict(Determination, self._user()).filter(case=obj).select_related("sanction", "notice")
        return DeterminationSerializer(qs, many=True).data

    def get_records(self, obj) -> list[dict]:
        return RecordSerializer(
            scope.restrict(InvestigationRecord, self._user()).filter(case=obj), many=True
        ).data

    def get_appeals(self, obj) -> list[dict]:
        return AppealSerializer(scope.restrict(Appeal, self._user()).filter(case=obj), many=True).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        from .workflow import STAFF

        if self._user().role not in STAFF:  # a unit head reads his unit's part, not the file
            data["summary"] = ""
            data["complaint"] = data["finding"] = data["source_item"] = None
        elif data["complaint"] is not None:
            from .selectors import complaint_made_by_a_subject

            if complaint_made_by_a_subject(instance):
                data["complaint"] = None
        return data


class CaseListSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    work_item = WorkItemSerializer(read_only=True)

    class Meta:
        model = Case
        fields = ["id", "number", "work_item", "source", "typical", "published_at"]
        read_only_fields = fields


class SubjectInputSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    person = serializers.IntegerField(required=False, allow_null=True, default=None)
    behaviour = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class OpenCaseSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=Source.choices)
    summary = serializers.CharField()
    subjects = SubjectInputSerializer(many=True)
    complaint = serializers.IntegerField(required=False, allow_null=True, default=None)
    finding = serializers.IntegerField(required=False, allow_null=True, default=None)
    source_item = serializers.IntegerField(required=False, allow_null=True, default=None)
    source_note = serializers.CharField(required=False, allow_blank=True, default="")


class CaseActionSerializer(serializers.Serializer):
    """What the case actions read (each uses its own fields; see the action's description)."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    method = serializers.ChoiceField(choices=InvestigationMethod.choices, required=False, help_text="record")
    text = serializers.CharField(required=False, allow_blank=True, help_text="record")
    at = serializers.DateTimeField(required=False, help_text="record: when (default now)")
    unit = serializers.IntegerField(required=False, help_text="add-subject")
    person = serializers.IntegerField(
        required=False, allow_null=True, help_text="add-subject (empty: the unit)"
    )
    behaviour = serializers.IntegerField(required=False, help_text="add-subject")
    subject = serializers.IntegerField(required=False, help_text="propose: a subject of the case")
    sanction = serializers.IntegerField(required=False, help_text="propose, decide-appeal (changed)")
    responsibility = serializers.ChoiceField(choices=Responsibility.choices, required=False, allow_blank=True)
    reasoning = serializers.CharField(required=False, allow_blank=True, help_text="propose")
    publish_name = serializers.BooleanField(required=False, default=False, help_text="propose")
    determination = serializers.IntegerField(required=False, help_text="approve, return-proposal, appeal")
    effective_on = serializers.DateField(required=False, help_text="decide (default today)")
    filed_on = serializers.DateField(required=False, help_text="appeal")
    reason = serializers.CharField(required=False, allow_blank=True, help_text="appeal")
    outcome = serializers.ChoiceField(
        choices=AppealOutcome.choices, required=False, help_text="decide-appeal"
    )
    decision = serializers.CharField(required=False, allow_blank=True, help_text="decide-appeal")
    public_summary = serializers.CharField(required=False, allow_blank=True, help_text="publish")
    version = serializers.IntegerField(required=False)


class PlanSerializer(serializers.ModelSerializer):
    issuer_name = serializers.CharField(source="issuer.name", read_only=True)
    targets = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    team = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = InspectionPlan
        fields = [
            "id",
            "title",
            "issuer",
            "issuer_name",
            "mode",
            "starts_on",
            "ends_on",
            "targets",
            "windows",
            "focus",
            "team",
            "state",
            "summary",
            "finished_at",
        ]
        read_only_fields = fields


class PlanInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    mode = serializers.ChoiceField(choices=InspectionMode.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    targets = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    team = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    windows = serializers.CharField(required=False, allow_blank=True, default="")
    focus = serializers.CharField(required=False, allow_blank=True, default="")


class PlanActionSerializer(serializers.Serializer):
    summary = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="finish; cancel: the reason"
    )


class FindingSerializer(serializers.ModelSerializer):
    photos = serializers.SerializerMethodField()
    rectification = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "plan",
            "observed_at",
            "place",
            "unit",
            "window",
            "people_present",
            "person",
            "behaviour",
            "description",
            "photos",
            "rectification",
            "created_at",
        ]
        read_only_fields = fields

    def get_photos(self, obj) -> list[int]:
        return [p.pk for p in obj.photos.all()]


class FindingInputSerializer(serializers.Serializer):
    observed_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200)
    unit = serializers.IntegerField()
    description = serializers.CharField()
    window = serializers.CharField(required=False, allow_blank=True, default="")
    people_present = serializers.CharField(required=False, allow_blank=True, default="")
    person = serializers.IntegerField(required=False, allow_null=True, default=None)
    behaviour = serializers.IntegerField(required=False, allow_null=True, default=None)
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)


class RectifySerializer(serializers.Serializer):
    limit = serializers.CharField(required=False, default="10wd", help_text="e.g. 10wd")


class StatisticsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    people = serializers.IntegerField()
    units = serializers.IntegerField()
    sentence = serializers.CharField()
    by_sanction = serializers.ListField(child=serializers.DictField())
    by_category = serializers.ListField(child=serializers.DictField())
    by_unit = serializers.ListField(child=serializers.DictField())
    by_responsibility = serializers.ListField(child=serializers.DictField())
    by_month = serializers.ListField(child=serializers.DictField())


class PersonRecordSerializer(serializers.Serializer):
    person = serializers.IntegerField()
    name = serializers.CharField()
    determinations = DeterminationSerializer(many=True)
