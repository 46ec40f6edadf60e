"""Forms of the staff side: registering a complaint taken by phone, letter, visit or e-mail, and the assignment
with its redacted copy."""

import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from xiaoneng.org.models import Person, Unit

from .models import Category, Channel

STAFF_CHANNELS = [(c.value, c.label) for c in (Channel.HOTLINE, Channel.LETTER, Channel.VISIT, Channel.EMAIL)]


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        from .templatetags.complaint_tags import category_label

        return category_label(obj)


def _style(form) -> None:
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
            css = "form-check-input"
        elif isinstance(field.widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        field.widget.attrs.setdefault("class", css)
        field.widget.attrs.setdefault("id", f"id_{name}")


class EntryForm(forms.Form):
    """登记投诉: what staff write down from a call, a letter, a visit or an e-mail."""

    channel = forms.ChoiceField(label=_("渠道"), choices=STAFF_CHANNELS)
    category = CategoryField(label=_("类别"), queryset=Category.objects.filter(active=True))
    subject_unit = forms.ModelChoiceField(label=_("被投诉单位"), queryset=Unit.objects.none())
    subject_person = forms.ModelChoiceField(
        label=_("被投诉人"), queryset=Person.objects.none(), required=False
    )
    subject_person_text = forms.CharField(
        label=_("被投诉人（描述）"),
        max_length=60,
        required=False,
        help_text=_("不知道姓名时描述其岗位或特征，如“3号窗口的男工作人员”"),
    )
    content = forms.CharField(label=_("投诉内容"), widget=forms.Textarea(attrs={"rows": 6}))
    occurred_on = forms.DateField(
        label=_("发生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    anonymous = forms.BooleanField(label=_("匿名"), required=False)
    name = forms.CharField(label=_("投诉人姓名"), max_length=40, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=30, required=False)
    id_number = forms.CharField(label=_("身份证号码"), max_length=18, required=False)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    consent_publish = forms.BooleanField(label=_("同意公开答复"), required=False)
    # One form, one complaint: a double click or a resent form carries the same key.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=80)

    def __init__(self, *args, units=None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_unit"].queryset = units
        self.fields["subject_person"].queryset = people if people is not None else Person.objects.none()
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", "entry-" + secrets.token_urlsafe(18))
        _style(self)

    def clean(self):
        data = super().clean()
        person, unit = data.get("subject_person"), data.get("subject_unit")
        if person and unit and person.unit_id != unit.pk:
            self.add_error(
                "subject_person", _("被投诉人须属于被投诉单位 (the person must work in that unit)")
            )
        return data


class AssignForm(forms.Form):
    """交办: the handling unit, the copy it will read (the complainant's identity removed), the attachments that go
    with it."""

    unit = forms.ModelChoiceField(label=_("承办单位"), queryset=Unit.objects.none())
    redacted_content = forms.CharField(
        label=_("转办内容（已去除投诉人信息）"), widget=forms.Textarea(attrs={"rows": 8})
    )
    attachments = forms.MultipleChoiceField(
        label=_("随转办件发送的附件"), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label=_("交办说明（仅内部可见）"), required=False, max_length=500)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, units=None, attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        self.fields["attachments"].choices = [(str(a.pk), a.name) for a in attachments]
        _style(self)
