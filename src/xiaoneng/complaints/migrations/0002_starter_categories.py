"""The starter taxonomy of efficiency problems (SPEC §2; editable afterwards)."""

from django.db import migrations

STARTER = [
    ("delay", "办事拖拉", "该办的事久拖不办、超时限办理", "5wd"),
    ("buck_passing", "推诿扯皮", "部门之间、人员之间相互推诿，让群众来回跑", "5wd"),
    ("attitude", "态度生硬", "门难进、脸难看、话难听", "5wd"),
    ("extortion", "吃拿卡要", "索拿卡要、收受财物、乱收费", "5wd"),
    ("inaction", "不作为", "应当履行的职责不履行、不担当", "5wd"),
    ("misconduct", "乱作为", "超越职权、违规办理、滥用职权", "5wd"),
    ("discipline", "违反工作纪律", "上班迟到早退、脱岗离岗、上班玩游戏打牌、酒后上岗", "5wd"),
    ("window", "窗口服务问题", "窗口空岗、一次性告知不到位、不按承诺时限办结", "5wd"),
    ("procedure", "办事程序不公开", "办事依据、程序、时限、收费标准不公开不透明", "5wd"),
    ("other", "其他效能问题", "以上类别以外的机关效能问题", "5wd"),
]


def load(apps, schema_editor):
    Category = apps.get_model("complaints", "Category")
    for order, (code, name, description, limit) in enumerate(STARTER, start=1):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "reply_limit": limit, "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
