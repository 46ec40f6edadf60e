from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Person, Unit

from .models import Behaviour, InspectionMode, Source


def _style(form: forms.Form) -> None:
    for _name, field in form.fields.items():
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(field.widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        field.widget.attrs.setdefault("class", css)


def behaviour_choices():
    """Behaviours grouped by category, for a <select> with <optgroup>s."""
    groups: dict[str, list] = {}
    for b in Behaviour.objects.filter(active=True, category__active=True).select_related("category"):
        groups.setdefault(b.category.name, []).append((b.pk, b.name))
    return [("", "—"), *groups.items()]


class CaseForm(forms.Form):
    """立案: the source and what happened; the people and units come from SubjectFormSet."""

    source = forms.ChoiceField(label=_("案件来源"), choices=Source.choices)
    source_note = forms.CharField(
        label=_("来源说明"), max_length=200, required=False, help_text=_("工作评议等来源请注明出处")
    )
    summary = forms.CharField(label=_("问题线索"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _style(self)


class SubjectForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none(), required=False)
    person = forms.ModelChoiceField(label=_("人员"), queryset=Person.objects.none(), required=False)
    behaviour = forms.TypedChoiceField(label=_("问责行为"), coerce=int, required=False, empty_value=None)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, units=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["person"].queryset = people
        self.fields["behaviour"].choices = behaviour_choices()
        _style(self)

    @property
    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {}) or {}
        return not (d.get("unit") or d.get("person") or d.get("behaviour"))

    def clean(self):
        data = super().clean()
        if not self.is_blank:
            if not data.get("unit"):
                self.add_error("unit", _("请选择单位 (choose the unit)"))
            if not data.get("behaviour"):
                self.add_error("behaviour", _("请选择问责行为 (choose the behaviour)"))
            person, unit = data.get("person"), data.get("unit")
            if person and unit and person.unit_id != unit.pk:
                self.add_error("person", _("该人员不在所选单位 (the person does not work in that unit)"))
        return data


SubjectFormSet = forms.formset_factory(SubjectForm, extra=3, max_num=20)


class PlanForm(forms.Form):
    title = forms.CharField(label=_("检查名称"), max_length=200)
    mode = forms.ChoiceField(label=_("方式"), choices=InspectionMode.choices, widget=forms.RadioSelect)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    targets = forms.ModelMultipleChoiceField(
        label=_("检查对象（单位、乡镇）"),
        queryset=Unit.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    windows = forms.CharField(label=_("检查窗口"), max_length=300, required=False)
    focus = forms.CharField(label=_("检查重点"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    team = forms.ModelMultipleChoiceField(
        label=_("检查组成员"), queryset=None, required=False, widget=forms.SelectMultiple(attrs={"size": 5})
    )

    def __init__(self, *args, units=None, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].queryset = units
        self.fields["team"].queryset = team
        self.fields["team"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username}（{u.unit.name}）"
        )
        _style(self)
        self.fields["mode"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("结束日期不能早于开始日期 (the end is before the start)"))
        return data


class FindingForm(forms.Form):
    """The phone page: what the inspector sees, where and when, who was there, photos."""

    observed_at = forms.DateTimeField(
        label=_("发现时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    place = forms.CharField(label=_("地点"), max_length=200)
    window = forms.CharField(label=_("窗口"), max_length=100, required=False)
    behaviour = forms.TypedChoiceField(label=_("问题类型"), coerce=int, required=False, empty_value=None)
    description = forms.CharField(label=_("发现问题"), widget=forms.Textarea(attrs={"rows": 4}))
    people_present = forms.CharField(label=_("在场人员"), max_length=300, required=False)
    person = forms.ModelChoiceField(label=_("当事人"), queryset=Person.objects.none(), required=False)

    def __init__(self, *args, units=None, people=None, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "observed_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["person"].queryset = people
        self.fields["behaviour"].choices = behaviour_choices()
        _style(self)
