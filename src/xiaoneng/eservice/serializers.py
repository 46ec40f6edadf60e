from rest_framework import serializers

from .models import Matter


class MatterSerializer(serializers.ModelSerializer):
    """政务服务事项. Limits in the clock's notation ("5wd"); 即办件 have a promised limit of 0."""

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
