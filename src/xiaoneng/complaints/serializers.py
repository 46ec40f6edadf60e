"""Complaint serializers, one per way of reading a complaint.

- `ComplaintStaffSerializer`: accepting staff and 纪检监察 — the complaint as received, identity masked (the clear
  value only through the audited reveal endpoint).
- `ComplaintUnitSerializer`: everyone else in scope (the handling unit, leaders). It has no field for the
  complainant's identity, the original text, the tracking number, the channel, related complaints or the reply
  sent to the complainant — so there is nothing to leak by mistake.

Every field is read-only: a complaint changes only through its action endpoints.
"""

from rest_framework import serializers

from xiaoneng.core.serializers import WorkItemSerializer
from xiaoneng.org.models import Unit

from .models import Category, Channel, Complaint, Finding, Rating


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "code", "name", "reply_limit"]
        read_only_fields = fields


class IdentityMaskedSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()
    email = serializers.CharField()


class ComplaintStaffSerializer(serializers.ModelSerializer):
    """效能投诉 as accepting staff read it. State, deadline, stage and version live in `work_item`."""

    id = serializers.IntegerField(source="pk", read_only=True)
    work_item = WorkItemSerializer(read_only=True)
    category = CategorySerializer(read_only=True)
    subject_unit_name = serializers.CharField(source="subject_unit.name", read_only=True)
    handling_unit_name = serializers.CharField(source="handling_unit.name", read_only=True, default="")
    identity_masked = IdentityMaskedSerializer(read_only=True)
    content = serializers.SerializerMethodField(help_text="identity masked; the clear text via reveal")
    related_to_tracking_no = serializers.CharField(
        source="related_to.tracking_no", read_only=True, default=""
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "tracking_no",
            "work_item",
            "channel",
            "category",
            "subject_unit",
            "subject_unit_name",
            "subject_person",
            "subject_person_text",
            "content",
            "occurred_on",
            "location",
            "anonymous",
            "identity_masked",
            "consent_publish",
            "submitted_at",
            "not_accepted_reason",
            "handling",
            "handling_unit",
            "handling_unit_name",
            "redacted_content",
            "released_at",
            "unit_reply",
            "public_reply",
            "replied_at",
            "finding",
            "rating",
            "rating_note",
            "rated_at",
            "reopen_count",
            "related_to",
            "related_to_tracking_no",
            "accountability_requested_at",
        ]
        read_only_fields = fields

    def get_content(self, obj) -> str:
        from .services import masked_content

        return masked_content(obj)


class ComplaintUnitSerializer(serializers.ModelSerializer):
    """效能投诉 as the handling unit reads it: the redacted copy, category, dates, deadline, its own reply and the
    review's outcome (the finding once the office passed the reply)."""

    id = serializers.IntegerField(source="pk", read_only=True)
    work_item = WorkItemSerializer(read_only=True)
    category = CategorySerializer(read_only=True)
    handling_unit_name = serializers.CharField(source="handling_unit.name", read_only=True, default="")
    submitted_on = serializers.SerializerMethodField()
    finding = serializers.SerializerMethodField()

    class Meta:
        model = Complaint
        fields = [
            "id",
            "work_item",
            "category",
            "submitted_on",
            "handling_unit",
            "handling_unit_name",
            "redacted_content",
            "released_at",
            "unit_reply",
            "finding",
        ]
        read_only_fields = fields

    def get_submitted_on(self, obj) -> str:
        from django.utils import timezone

        return timezone.localtime(obj.submitted_at).date().isoformat()

    def get_finding(self, obj) -> str:
        return obj.finding if obj.work_item.state in ("answered", "closed") else ""


class EntrySerializer(serializers.Serializer):
    """登记投诉 (supervisor): a complaint taken by phone, letter, visit or e-mail."""

    channel = serializers.ChoiceField(
        choices=[c for c in Channel.choices if c[0] in ("hotline", "letter", "visit", "email")]
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(active=True))
    subject_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    subject_person = serializers.IntegerField(required=False, allow_null=True, default=None)
    subject_person_text = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    content = serializers.CharField()
    occurred_on = serializers.DateField(required=False, allow_null=True, default=None)
    location = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    anonymous = serializers.BooleanField(default=False)
    name = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    id_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=18)
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    consent_publish = serializers.BooleanField(default=False)
    idempotency_key = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=60,
        help_text="a retry with the same key returns the first complaint",
    )


class ComplaintActionSerializer(serializers.Serializer):
    """The fields an action may need; each action reads its own (see docs/api.md)."""

    note = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="reject, request-extension"
    )
    text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="submit-reply, reply, record-result"
    )
    unit = serializers.IntegerField(required=False, help_text="assign: the handling unit's id")
    redacted_content = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="assign: the copy the unit reads"
    )
    attachments = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, help_text="assign: attachment ids"
    )
    public_reply = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="review-pass: the reply to the complainant"
    )
    finding = serializers.ChoiceField(choices=Finding.choices, required=False, help_text="review-pass")
    rating = serializers.ChoiceField(choices=Rating.choices, required=False, help_text="rate")
    rating_note = serializers.CharField(required=False, allow_blank=True, default="", help_text="rate")
    limit = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="request-extension, e.g. 3wd"
    )
    related = serializers.IntegerField(
        required=False, allow_null=True, help_text="link-related: a complaint's id; null unlinks"
    )
    version = serializers.IntegerField(
        required=False, help_text="the version you saw; a stale one answers 412"
    )


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class IdentitySerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    id_number = serializers.CharField()
    email = serializers.CharField()
    ip = serializers.CharField()
    device = serializers.CharField()
    content = serializers.CharField(help_text="the complainant's text as written")


class SuggestionSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="complaint.pk")
    tracking_no = serializers.CharField(source="complaint.tracking_no")
    reason = serializers.CharField()
    ratio = serializers.FloatField()
