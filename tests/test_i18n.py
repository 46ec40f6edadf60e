"""English interface: the catalogue is complete, well-formed and compiled, every marked string has a translation,
and with English chosen the pages carry no Chinese chrome (only data such as unit and person names stays Chinese).

The UI is Chinese first: the msgids are the Chinese strings (`_("签收")`, `{% translate "首页" %}`), so a string
missing from locale/en would show up in Chinese on an English page — which is exactly what these tests look for.
"""

from __future__ import annotations

import ast
import gettext
import html as htmllib
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

from tests.conftest import PASSWORD, at
from xiaoneng.core import workitem
from xiaoneng.core.models import AuditEvent, Notification, TimelineEvent, WorkItem
from xiaoneng.org.models import Person, Region, Unit, User
from xiaoneng.org.roles import Role
from xiaoneng.web.context import MENU

SRC = Path(__file__).resolve().parents[1] / "src" / "xiaoneng"
LOCALE = SRC / "locale" / "en" / "LC_MESSAGES"
PO, MO = LOCALE / "django.po", LOCALE / "django.mo"

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
# %(name)s, %s, %d … (python-format) and {name} / {} (brace format).
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifrxXeEgGc%]|%[sdifr]|\{[A-Za-z_]\w*\}|\{\}")


# --- the catalogue -------------------------------------------------------------------------------------------


def _unquote(s: str) -> str:
    return ast.literal_eval(s)  # a PO string literal is a valid Python string literal for our content


def parse_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr (list), flags, references, obsolete. Simple on purpose."""
    entries: list[dict] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        e: dict = {
            "msgctxt": None,
            "msgid": None,
            "msgid_plural": None,
            "msgstr": [],
            "flags": set(),
            "refs": [],
            "obsolete": False,
        }
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):
                e["obsolete"] = True
                continue
            if line.startswith("#,"):
                e["flags"] |= {f.strip() for f in line[2:].split(",")}
                continue
            if line.startswith("#:"):
                e["refs"] += line[2:].split()
                continue
            if line.startswith("#"):
                continue
            m = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")$", line)
            if m:
                field = m[1]
                if field.startswith("msgstr"):
                    e["msgstr"].append(_unquote(m[2]))
                else:
                    e[field] = _unquote(m[2])
            elif line.startswith('"'):
                if field.startswith("msgstr"):
                    e["msgstr"][-1] += _unquote(line)
                else:
                    e[field] += _unquote(line)
        if e["msgid"] is not None or e["obsolete"]:
            entries.append(e)
    return entries


@pytest.fixture(scope="module")
def po() -> list[dict]:
    return parse_po(PO)


@pytest.fixture(scope="module")
def messages(po) -> list[dict]:
    """The real messages (no header)."""
    return [e for e in po if e["msgid"]]


def test_the_catalogue_is_complete_and_not_fuzzy(po, messages):
    assert len(messages) > 150
    header = next(e for e in po if e["msgid"] == "")
    assert "fuzzy" not in header["flags"], "the header is still marked fuzzy"
    assert "Language: en\n" in header["msgstr"][0]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in messages if not all(s.strip() for s in e["msgstr"])]
    obsolete = [e for e in po if e["obsolete"]]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    assert not empty, f"untranslated entries: {empty}"
    assert not obsolete, "obsolete (#~) entries: re-run makemessages and review"


def test_translations_are_english(messages):
    still_chinese = [(e["msgid"], s) for e in messages for s in e["msgstr"] if HAN.search(s)]
    assert not still_chinese


def _names(placeholders):
    return [re.sub(r"^%\((\w+)\).*$", r"\1", p) for p in placeholders]


def test_placeholders_survive_translation(messages):
    bad = []
    for e in messages:
        # The same names; the conversion may differ (a Chinese month reads 2, an English date 02).
        wanted = sorted(_names(PLACEHOLDER.findall(e["msgid"])))
        for s in e["msgstr"]:
            if sorted(_names(PLACEHOLDER.findall(s))) != wanted:
                bad.append((e["msgid"], s))
        if "python-format" in e["flags"] and not wanted:
            bad.append((e["msgid"], "python-format without a placeholder?"))
    assert not bad, bad


def test_only_the_products_strings_are_extracted(messages):
    """makemessages must not pick up .venv, tests, bench or scripts: every reference is a product file."""
    for e in messages:
        assert e["refs"], f"{e['msgid']!r} has no source reference"
        for ref in e["refs"]:
            path = ref.rsplit(":", 1)[0]
            assert not re.search(r"(^|/)(\.venv|site-packages|tests|bench|scripts)/", path), ref
            assert (SRC / path).is_file(), f"{ref} is not a file under src/xiaoneng"


def test_the_compiled_catalogue_matches_the_po(messages):
    """The .mo is in sync with the .po: every message translates, through the .mo, to the .po's msgstr."""
    with MO.open("rb") as f:
        mo = gettext.GNUTranslations(f)
    assert mo.info().get("language") == "en"
    singular = [e for e in messages if e["msgid_plural"] is None]

    def through_mo(e):
        return mo.pgettext(e["msgctxt"], e["msgid"]) if e["msgctxt"] else mo.gettext(e["msgid"])

    out_of_sync = [
        (e["msgid"], through_mo(e), e["msgstr"][0]) for e in singular if through_mo(e) != e["msgstr"][0]
    ]
    assert not out_of_sync, f"django.mo is stale — run `manage.py compilemessages -l en`: {out_of_sync[:5]}"
    # …and holds nothing the .po no longer has.
    # minus the header; a plural message holds one catalogue entry per form
    assert len(mo._catalog) - 1 == sum(len(e["msgstr"]) if e["msgid_plural"] else 1 for e in messages)


# --- every marked string in the product has a translation ----------------------------------------------------

GETTEXT_FUNCS = {"gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}
CONTEXT_FUNCS = {"pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"}  # (context, message, …)


def _python_msgids(source: str) -> set[str]:
    """Literal strings passed to gettext and friends — including local aliases such as
    `from django.utils.translation import gettext as _gettext`, which xgettext does NOT know by default."""
    tree = ast.parse(source)
    names = {n: n for n in GETTEXT_FUNCS | CONTEXT_FUNCS} | {"_": "gettext"}  # name in this file -> function
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            names |= {
                a.asname: a.name for a in node.names if a.asname and a.name in GETTEXT_FUNCS | CONTEXT_FUNCS
            }
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            i = 1 if names[node.func.id] in CONTEXT_FUNCS else 0
            arg = node.args[i] if len(node.args) > i else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


_TEMPLATE_CALL = re.compile(r"""\b(?:gettext|_)\(\s*(u?'(?:[^'\\]|\\.)*'|u?"(?:[^"\\]|\\.)*")\s*\)""")


def _template_msgids(path: Path) -> set[str]:
    """What makemessages extracts from a template ({% translate %}, {% blocktranslate %}, _("…") in filters)."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    return {ast.literal_eval(m[1]) for m in _TEMPLATE_CALL.finditer(code)}


def _product_msgids() -> dict[str, set[str]]:
    per_file = {}
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            per_file[str(path.relative_to(SRC))] = _python_msgids(path.read_text(encoding="utf-8"))
    for path in sorted(SRC.glob("*/templates/**/*.html")):
        per_file[str(path.relative_to(SRC))] = _template_msgids(path)
    return per_file


def test_every_marked_string_in_the_product_is_translated(messages):
    translated = {e["msgid"] for e in messages if all(e["msgstr"])}
    missing = sorted(
        f"{f}: {m!r}" for f, ids in _product_msgids().items() for m in ids if m not in translated
    )
    assert not missing, "not in locale/en (re-run makemessages, translate, compilemessages):\n" + "\n".join(
        missing
    )


def test_the_scanner_sees_templates_and_aliases():
    """Guard the guard: the extraction above finds strings in each form they take."""
    found = _python_msgids(
        "from django.utils.translation import gettext as _gettext, gettext_lazy as _, pgettext\n"
        "a = _gettext('甲')\nb = _('乙')\nc = pgettext('ctx', '丙')\nd = print('丁')\n"
    )
    assert found == {"甲", "乙", "丙"}
    ids = _product_msgids()
    assert "首页" in ids["web/context.py"]
    assert "%(role)s工作台" in ids["web/templates/web/home.html"]
    assert "全国" in ids["web/templates/web/calendar_index.html"]  # _("…") as a filter argument


# --- the pages in English -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _back_to_chinese():
    """The locale middleware leaves the last request's language active on the thread; don't leak English."""
    yield
    translation.deactivate()


def page(response) -> str:
    """The response as text, entities decoded (so "People&#x27;s Congress" reads "People's Congress")."""
    return htmllib.unescape(response.content.decode())


def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chrome(html: str, data: list[str]) -> str:
    """The page minus data values (names of units, people, regions…), longest first."""
    for value in sorted(data, key=len, reverse=True):
        html = html.replace(value, "")
    return html


def data_values() -> list[str]:
    """Every value the pages may show that comes from the database or the test kind rather than the catalogue."""
    # The language switcher names each language in itself ("简体中文").
    values: set[str] = {name for _code, name in settings.LANGUAGES}
    values |= set(Region.objects.values_list("name", flat=True))
    for unit in Unit.objects.all():
        values |= {unit.name, unit.short_name}
    for p in Person.objects.all():
        values |= {p.name, p.position}
    for u in User.objects.all():
        values |= {u.first_name, u.last_name, u.get_full_name()}
    values |= set(WorkItem.objects.values_list("title", flat=True))
    values |= set(AuditEvent.objects.values_list("actor_name", flat=True))
    values |= set(TimelineEvent.objects.values_list("actor_name", flat=True))
    for n in Notification.objects.all():
        values |= {n.title, n.body}
    # Kinds registered by tests; the capabilities bring (and translate) the real ones.
    for kind in workitem.kinds().values():
        values |= {str(kind.label)} | {str(v) for v in kind.workflow.states.values()}
        values |= {str(t.label) for t in kind.workflow.transitions.values()}
    return [v for v in values if v]


def assert_no_chinese_chrome(html: str, where: str) -> None:
    rest = chrome(html, data_values())
    hits = sorted({m.group(0) for m in re.finditer(r"[^\s<>\"']*" + HAN.pattern + r"[^\s<>\"']*", rest)})
    assert not hits, f"{where}: Chinese left in the English page: {hits}"


def nav_urls(role: str) -> list[str]:
    from django.urls import reverse

    return [reverse(name) for name, _label, roles in MENU if role in roles]


@pytest.fixture
def an_item(world, task_kind):
    """One open work item owned by county A's unit, so the item pages have rows, a stage badge and a timeline."""
    with time_machine.travel(at("2026-02-13 10:00"), tick=False):
        return workitem.create(
            kind=task_kind.code,
            actor=world.users["supervisor"],
            title="整改东湖区窗口排队问题",
            owner_unit=world.ua,
            started_at=at("2026-02-13 10:00"),
            limit="5wd",
        )


@pytest.mark.django_db
def test_login_page_in_english(world, client):
    html = page(english(client).get("/login/"))
    assert 'lang="en"' in html
    for text in ("Log in to Xiaoneng", "Username", "Password", "Log in", "Government Efficiency Platform"):
        assert text in html
    assert "登录" not in html
    assert_no_chinese_chrome(html, "/login/")


@pytest.mark.django_db
def test_accept_language_also_selects_english(world, client):
    html = page(client.get("/login/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Username" in html and "用户名" not in html


@pytest.mark.django_db
def test_a_wrong_password_is_told_in_english(world, client):
    resp = english(client).post(
        "/login/", {"username": "a_liaison", "password": "wrong"}, REMOTE_ADDR="10.9.9.9"
    )
    html = page(resp)
    assert "Wrong username or password" in html and "用户名或密码错误" not in html
    assert_no_chinese_chrome(html, "/login/ (failed)")


@pytest.mark.django_db
def test_the_lockout_page_in_english(world, client):
    english(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "a_liaison", "password": "wrong"}, REMOTE_ADDR="10.9.9.8")
    html = page(
        client.post("/login/", {"username": "a_liaison", "password": PASSWORD}, REMOTE_ADDR="10.9.9.8")
    )
    assert "locked for 30 minutes" in html and "Back to login" in html
    assert_no_chinese_chrome(html, "lockout page")


ENGLISH_NAV = {
    "home": "Home",
    "supervision": "Supervision",
    "items": "All items",
    "units": "Units",
    "people": "People",
    "calendar": "Work calendar",
    "accounts": "Accounts and roles",
    "audit": "Audit trail",
    "inbox": "Messages",
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_each_roles_home_and_menu_pages_in_english(world, an_item, role):
    from xiaoneng.web.selectors import home_figures

    client = english(world.client(role))
    user = world.users[role]
    home = client.get("/")
    assert home.status_code == 200
    html = page(home)

    with translation.override("en"):
        role_label = str(Role(role).label)
        cards = [str(c["label"]) for c in home_figures(user)]
    with translation.override("zh-hans"):
        chinese_cards = [str(c["label"]) for c in home_figures(user)]
    assert not HAN.search(role_label)
    assert f"{role_label} dashboard" in html
    for label in cards:
        assert not HAN.search(label) and label in html, label
    for label in chinese_cards:
        assert label not in html, label
    with translation.override("en"):
        nav = {name: str(label) for name, label, roles in MENU if role in roles}
    for name, label in nav.items():
        assert not HAN.search(label), (name, label)
        assert ENGLISH_NAV.get(name, label) == label, (name, label)
        assert re.search(rf">{re.escape(label)}\s*<", html), (name, label)
    assert_no_chinese_chrome(html, f"{role} /")

    for url in nav_urls(role):
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert_no_chinese_chrome(page(resp), f"{role} {url}")


@pytest.mark.django_db
def test_item_pages_in_english(world, an_item):
    client = english(world.client("supervisor"))
    html = page(client.get("/items/"))
    assert "Work items" in html and "Responsible unit" in html and "Warning status" in html
    assert "整改东湖区窗口排队问题" in html  # data stays as entered
    assert_no_chinese_chrome(html, "/items/")

    html = page(client.get(f"/items/{an_item.pk}/"))
    for text in ("Category", "Deadline", "Processing history", "Created"):
        assert text in html
    assert "年" not in chrome(html, data_values())  # the deadline's date format is translated too
    assert_no_chinese_chrome(html, "item page")

    # A refusal comes back in English, through the `_gettext` alias in core/workflow.py.
    resp = client.post(f"/items/{an_item.pk}/", {"action": "sign", "version": "1"}, follow=True)
    assert "Your role may not perform" in page(resp)


@pytest.mark.django_db
def test_audit_and_people_pages_in_english(world):
    auditor = english(world.client("auditor"))
    html = page(auditor.post("/audit/"))
    assert "Audit trail intact" in html and "entries verified" in html
    assert_no_chinese_chrome(html, "/audit/ (verified)")

    supervisor = english(world.client("supervisor"))
    html = page(supervisor.get("/org/people/"))
    assert "Mobile number" in html and "Reason for viewing" in html
    resp = supervisor.post(f"/org/people/{world.pa.pk}/reveal/", {"reason": ""})
    assert "A reason for viewing is required" in page(resp)
    html = page(supervisor.get(f"/org/units/{world.ua.pk}/"))
    assert "Unit code" in html and "Unit type" in html and "Government department" in html
    assert_no_chinese_chrome(html, "unit page")


@pytest.mark.django_db
def test_the_chinese_default_is_untouched(world):
    """Without a choice the interface stays Chinese (LANGUAGE_CODE zh-hans)."""
    html = page(world.client("liaison").get("/"))
    assert "单位联络员工作台" in html and "dashboard" not in html
