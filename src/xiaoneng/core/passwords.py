from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """口令复杂度 (MLPS 2.0 L3 8.1.4.1 a): at least three of upper case, lower case, digits and symbols."""

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c.isupper() for c in password),
            any(c.islower() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _(
                    "密码须包含大写字母、小写字母、数字、符号中的至少三类 (use at least three of: upper case, lower case, digits, symbols)"
                ),
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return _("至少包含大写字母、小写字母、数字、符号中的三类。")
