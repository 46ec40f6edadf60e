from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Unit

from .models import Cadence, Source, Urgency


class IssueForm(forms.Form):
    title = forms.CharField(label=_("事项名称"), max_length=300)
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices)
    reference_no = forms.CharField(label=_("文号"), max_length=60, required=False)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    lead_unit = forms.ModelChoiceField(label=_("牵头单位"), queryset=Unit.objects.none())
    co_units = forms.ModelMultipleChoiceField(
        label=_("协办单位"), queryset=Unit.objects.none(), required=False
    )
    due = forms.DateField(
        label=_("完成时限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("截止日期；或填写下面的办理时限"),
    )
    limit = forms.CharField(
        label=_("办理时限"),
        required=False,
        max_length=16,
        help_text=_("如 20wd（20个工作日）、30d（30日）；不填则为20个工作日"),
    )
    cadence = forms.ChoiceField(label=_("报送频次"), choices=Cadence.choices, initial=Cadence.NONE)
    description = forms.CharField(
        label=_("事项内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units
        for name, field in self.fields.items():
            css = (
                "form-select"
                if isinstance(field.widget, forms.Select | forms.SelectMultiple)
                else "form-control"
            )
            field.widget.attrs.setdefault("class", css)
            field.widget.attrs.setdefault("id", f"id_{name}")

    def clean(self):
        data = super().clean()
        if data.get("due") and data.get("limit"):
            raise forms.ValidationError(
                _("完成时限和办理时限只填一个 (give a due date or a limit, not both)")
            )
        lead, co = data.get("lead_unit"), data.get("co_units") or []
        if lead and lead in co:
            self.add_error("co_units", _("牵头单位不能同时是协办单位 (the lead unit cannot be a co-unit)"))
        return data
