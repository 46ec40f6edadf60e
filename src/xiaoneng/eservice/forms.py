from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import RegionLevel, Unit

from .models import MatterType, Step


def _style(form: forms.Form) -> None:
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(field.widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        field.widget.attrs.setdefault("class", css)
        field.widget.attrs.setdefault("id", f"id_{name}")


class MatterForm(forms.Form):
    code = forms.CharField(label=_("事项编码"), max_length=64)
    name = forms.CharField(label=_("事项名称"), max_length=200)
    type = forms.ChoiceField(label=_("事项类型"), choices=MatterType.choices)
    department = forms.ModelChoiceField(label=_("实施部门"), queryset=Unit.objects.none())
    level = forms.ChoiceField(label=_("服务层级"), choices=RegionLevel.choices)
    statutory_limit = forms.CharField(
        label=_("法定时限"), max_length=20, help_text=_("如 20个工作日、30日 或 20wd")
    )
    promised_limit = forms.CharField(
        label=_("承诺时限"), max_length=20, help_text=_("不得长于法定时限；即办件填“即办”")
    )
    fee_standard = forms.DecimalField(
        label=_("收费标准（元）"), min_value=0, max_digits=12, decimal_places=2, initial=0
    )
    required_steps = forms.MultipleChoiceField(
        label=_("必经环节"),
        choices=Step.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("办结前必须经过的环节；缺少的办件记为数据异常"),
    )
    is_active = forms.BooleanField(label=_("有效"), required=False, initial=True)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = units
        _style(self)
        self.fields["required_steps"].widget.attrs["class"] = "form-check-input"
