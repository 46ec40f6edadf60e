"""The copy that goes to the unit complained about must not identify the complainant (SPEC §2).

`identity_leaks(complaint, text)` names what of the complainant's identity is still in `text`: the name, the
phone number, the ID number or the e-mail address, also when written with spaces, hyphens, dots or full-width
characters (１３８ ００１３ ８０００), or a phone number with +86 in front. Release is refused while anything is
found; `suggest_redacted(complaint)` gives staff a first draft with every occurrence replaced by a mask.
"""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―_.·•,，、()（）\[\]【】/\\|:：;；'\"“”‘’]+")


def _fold(text: str) -> str:
    """NFKC (full-width → ASCII), lower case, separators and spaces removed."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def _phone_forms(phone: str) -> list[str]:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", phone or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    forms = [digits] if len(digits) >= 7 else []
    if digits.startswith("0") and len(digits) > 9:  # a landline: also without its area code
        forms.append(digits[-8:])
    return forms


def identity_leaks(complaint, text: str) -> list:
    """What of `complaint`'s identity `text` still contains (labels, empty when clean)."""
    folded = _fold(text)
    found = []
    name = _fold(complaint.identity_name)
    if len(name) >= 2 and name in folded:
        found.append(_("姓名"))
    if any(form in folded for form in _phone_forms(complaint.identity_phone)):
        found.append(_("电话"))
    id_number = _fold(complaint.identity_id_number)
    if len(id_number) >= 8 and id_number in folded:
        found.append(_("身份证号码"))
    email = _fold(complaint.identity_email)
    if email:
        local = email.partition("@")[0]
        if email in folded or (len(local) >= 4 and local in folded):
            found.append(_("电子邮箱"))
    return found


def suggest_redacted(complaint) -> str:
    """The complaint's text with the complainant's identity masked wherever it is written plainly."""
    text = complaint.content
    for value, mask in (
        (complaint.identity_name, "某某"),
        (complaint.identity_phone, "***********"),
        (complaint.identity_id_number, "******************"),
        (complaint.identity_email, "***@***"),
    ):
        value = (value or "").strip()
        if len(value) >= 2:
            text = text.replace(value, mask)
    # Spaced / full-width phone numbers the plain replacement missed: mask every long run of digits.
    text = re.sub(r"(?:[0-9０-９][\s\-－.．]?){7,}", lambda m: "*" * len(m.group(0)), text)
    return text
