from rest_framework import serializers

from .models import Person, Region, Unit, User


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name", "level", "parent"]


class UnitSerializer(serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.name", read_only=True)

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name",
            "short_name",
            "type",
            "region",
            "region_name",
            "parent",
            "head",
            "is_active",
        ]


class PersonSerializer(serializers.ModelSerializer):
    """Personal data leaves only masked; the clear value needs the audited reveal action."""

    phone = serializers.CharField(source="phone_masked", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "unit", "position", "phone", "id_number", "is_active"]


class UserSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "role", "unit", "person", "is_active", "last_login"]
        read_only_fields = fields


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.CharField()
