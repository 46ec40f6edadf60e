from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Person, Unit

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
    responsible_leader = forms.ModelChoiceField(
        label=_("责任领导"),
        queryset=Person.objects.none(),
        required=False,
        empty_label=_("（不指定）"),
        help_text=_("可选牵头单位的人员，或其他领导（通过接口、导入指定）"),
    )
    responsible_person = forms.ModelChoiceField(
        label=_("责任人"), queryset=Person.objects.none(), required=False, empty_label=_("（不指定）")
    )
    cadence = forms.ChoiceField(label=_("报送频次"), choices=Cadence.choices, initial=Cadence.NONE)
    description = forms.CharField(
        label=_("事项内容"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )

    def __init__(self, *args, units=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units
        self.fields["co_units"].queryset = units
        # Any active person in the user's scope validates; the page lists the lead unit's (people_options).
        people = people if people is not None else Person.objects.none()
        self.fields["responsible_leader"].queryset = people
        self.fields["responsible_person"].queryset = people
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
        person = data.get("responsible_person")
        if lead and person and person.unit_id != lead.pk:
            self.add_error(
                "responsible_person",
                _("责任人须是牵头单位的人员 (the responsible person must work in the lead unit)"),
            )
        return data

    def lead_people(self):
        """The people of the chosen lead unit, for the two pickers when the form is shown again."""
        lead = self.data.get("lead_unit") if self.is_bound else None
        qs = self.fields["responsible_person"].queryset
        return qs.filter(unit_id=int(lead)) if lead and str(lead).isdigit() else qs.none()


class SubItemForm(forms.Form):
    """One row of the decomposition form: a task for one lead unit (co-units optional)."""

    title = forms.CharField(label=_("子事项"), max_length=300, required=False)
    lead_unit = forms.ModelChoiceField(label=_("牵头单位"), queryset=Unit.objects.none(), required=False)
    co_units = forms.ModelMultipleChoiceField(
        label=_("协办单位"), queryset=Unit.objects.none(), required=False
    )
    due = forms.DateField(label=_("完成时限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    limit = forms.CharField(label=_("办理时限"), required=False, max_length=16)

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("lead_unit", "co_units"):
            self.fields[name].queryset = units
        for field in self.fields.values():
            css = (
                "form-select"
                if isinstance(field.widget, forms.Select | forms.SelectMultiple)
                else "form-control"
            )
            field.widget.attrs.setdefault("class", css + " form-control-sm")

    def clean(self):
        data = super().clean()
        if not data.get("title") and not data.get("lead_unit"):
            return data  # an empty row
        if not data.get("title"):
            self.add_error("title", _("请填写子事项 (a title is required)"))
        if not data.get("lead_unit"):
            self.add_error("lead_unit", _("请选择牵头单位 (choose the lead unit)"))
        if data.get("due") and data.get("limit"):
            self.add_error("limit", _("完成时限和办理时限只填一个 (give a due date or a limit, not both)"))
        if data.get("lead_unit") and data.get("lead_unit") in (data.get("co_units") or []):
            self.add_error("co_units", _("牵头单位不能同时是协办单位 (the lead unit cannot be a co-unit)"))
        return data

    @property
    def is_blank(self) -> bool:
        return not self.cleaned_data.get("title") and not self.cleaned_data.get("lead_unit")


SubItemFormSet = forms.formset_factory(SubItemForm, extra=8, max_num=200, validate_max=True)
