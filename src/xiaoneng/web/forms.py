from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """One answer for an unknown user and a wrong password, so account names cannot be probed."""

    error_messages = {
        "invalid_login": _("用户名或密码错误 (wrong username or password)"),
        "inactive": _("用户名或密码错误 (wrong username or password)"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "username"}
        )
        self.fields["password"].widget.attrs.update(
            {"class": "form-control form-control-lg", "autocomplete": "current-password"}
        )
