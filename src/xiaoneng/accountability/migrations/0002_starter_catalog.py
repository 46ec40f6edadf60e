"""The starter catalog (SPEC §4; editable afterwards): the sanction ladder with who approves each rung, the
behaviours most local 效能问责办法 list, grouped by category, each with the sanctions it usually draws, and the
escalation rules the seeds speak of (a second 效能告诫 within a year; two valid complaints in a year against a unit
head)."""

from django.db import migrations

# (code, name, rank, kind, approval level, effect months, notice, applies to units, description)
LADDER = [
    ("written_review", "责令书面检查", 10, "measure", "office", None, "问责决定书", True, "责令作出书面检查"),
    ("admonition", "诫勉", 20, "measure", "office", None, "诫勉决定书", False, "诫勉谈话，记入个人档案"),
    ("criticism", "通报批评", 30, "measure", "office", None, "通报批评决定书", True, "在一定范围内通报批评"),
    ("bonus_withheld", "扣发考核奖", 40, "measure", "office", None, "问责决定书", True, "扣发当年效能考核奖"),
    (
        "no_awards",
        "取消当年评优评先资格",
        50,
        "measure",
        "office",
        None,
        "问责决定书",
        True,
        "取消当年评先评优资格",
    ),
    ("efficiency_warning", "效能告诫", 60, "measure", "office", 12, "效能告诫书", False, "当年考核不得评为优秀"),
    ("suspension", "停职检查/离岗培训", 70, "organisational", "discipline", None, "问责决定书", False, ""),
    ("transfer", "调离岗位", 80, "organisational", "discipline", None, "问责决定书", False, ""),
    ("contract_ended", "解除聘用", 90, "organisational", "discipline", None, "问责决定书", False, ""),
    ("removal", "免职/撤职", 100, "organisational", "discipline", None, "问责决定书", False, ""),
    (
        "referral",
        "移送纪检监察机关",
        110,
        "referral",
        "office",
        None,
        "问责决定书",
        False,
        "涉嫌违纪违法的，移送纪检监察机关处理",
    ),
    # 政务处分 by the discipline inspection and supervision organ (公职人员政务处分法 §7–8: effect periods).
    ("gov_warning", "警告", 120, "governmental", "discipline", 6, "政务处分决定书", False, "政务处分"),
    ("gov_demerit", "记过", 130, "governmental", "discipline", 12, "政务处分决定书", False, "政务处分"),
    ("gov_major_demerit", "记大过", 140, "governmental", "discipline", 18, "政务处分决定书", False, "政务处分"),
    ("gov_demotion", "降级", 150, "governmental", "discipline", 24, "政务处分决定书", False, "政务处分"),
    ("gov_dismissal", "撤职", 160, "governmental", "discipline", 24, "政务处分决定书", False, "政务处分"),
    ("gov_expulsion", "开除", 170, "governmental", "discipline", None, "政务处分决定书", False, "政务处分"),
]

CATEGORIES = [
    ("inaction", "不作为"),
    ("slowness", "慢作为"),
    ("misconduct", "乱作为"),
    ("attitude", "服务态度"),
    ("discipline", "工作纪律"),
    ("integrity", "廉洁"),
    ("leadership", "领导责任"),
]

# (category, code, name, lightest, heaviest)
BEHAVIOURS = [
    ("inaction", "no_handling", "对职责范围内的事项不受理、不办理、不答复", "criticism", "transfer"),
    ("inaction", "buck_passing", "对群众合理诉求推诿扯皮、敷衍塞责", "written_review", "efficiency_warning"),
    ("inaction", "no_implementation", "对上级决策部署不落实、不执行或执行不力", "criticism", "removal"),
    ("inaction", "no_one_time_notice", "不履行一次性告知义务，致使群众多次往返", "written_review", "efficiency_warning"),
    ("inaction", "no_report", "对发现的问题隐瞒不报、不及时处置", "admonition", "removal"),
    ("slowness", "over_limit", "无正当理由超过承诺时限办理", "written_review", "efficiency_warning"),
    ("slowness", "supervised_overdue", "督办事项逾期未办结，被亮红牌", "criticism", "efficiency_warning"),
    ("slowness", "complaint_late", "不按时答复转办的效能投诉", "written_review", "criticism"),
    ("slowness", "not_immediate", "应当即办的事项不即办、拖延办理", "written_review", "efficiency_warning"),
    ("misconduct", "extra_conditions", "违反规定增设办事条件、环节或要件", "criticism", "transfer"),
    ("misconduct", "illegal_approval", "越权审批、违规审批", "efficiency_warning", "referral"),
    ("misconduct", "illegal_fees", "违规收费、罚款或收费不开具票据", "efficiency_warning", "referral"),
    ("misconduct", "deliberate_obstruction", "故意刁难服务对象、拖延办理", "efficiency_warning", "removal"),
    ("attitude", "rude", "态度生硬、言行粗暴，门难进、脸难看、话难听", "written_review", "efficiency_warning"),
    ("attitude", "cold", "对服务对象冷漠，不听取诉求", "written_review", "criticism"),
    ("attitude", "no_badge", "不按规定挂牌上岗、亮证服务", "written_review", "criticism"),
    ("discipline", "late_early", "上班迟到、早退", "written_review", "criticism"),
    ("discipline", "absent", "擅离职守、脱岗离岗，窗口空岗", "criticism", "transfer"),
    ("discipline", "games_cards", "上班时间玩游戏、打牌、炒股、网购", "criticism", "removal"),
    ("discipline", "drinking", "工作日午间饮酒或酒后上岗", "efficiency_warning", "removal"),
    ("discipline", "unrelated", "上班时间从事与工作无关的活动", "written_review", "efficiency_warning"),
    ("discipline", "skip_meetings", "无故不参加会议、培训等集体活动", "written_review", "criticism"),
    ("integrity", "extortion", "吃拿卡要，索取服务对象财物", "efficiency_warning", "referral"),
    ("integrity", "gifts", "收受服务对象礼品、礼金、消费卡", "efficiency_warning", "referral"),
    ("integrity", "favours", "利用职务之便为亲友谋取利益", "efficiency_warning", "referral"),
    ("leadership", "weak_leadership", "对本单位效能建设抓得不力、问题严重", "admonition", "removal"),
    ("leadership", "negligent_oversight", "对下属违规行为失察、不制止、不纠正", "written_review", "transfer"),
    ("leadership", "repeat_complaints", "本单位年内多次被有效投诉", "admonition", "removal"),
]

# (name, kind, trigger, count, window days, suggest)
RULES = [
    ("一年内第二次效能告诫", "repeat", "efficiency_warning", 2, 365, "transfer"),
    ("一年内第二次通报批评", "repeat", "criticism", 2, 365, "efficiency_warning"),
    ("单位负责人年内两次有效投诉", "unit_head_complaints", None, 2, 365, "admonition"),
]


def load(apps, schema_editor):
    Sanction = apps.get_model("accountability", "Sanction")
    Category = apps.get_model("accountability", "BehaviourCategory")
    Behaviour = apps.get_model("accountability", "Behaviour")
    Rule = apps.get_model("accountability", "EscalationRule")
    sanctions = {}
    for code, name, rank, kind, level, months, notice, units, description in LADDER:
        sanctions[code], _created = Sanction.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "rank": rank,
                "kind": kind,
                "approval_level": level,
                "effect_months": months,
                "notice_kind": notice,
                "applies_to_units": units,
                "description": description,
            },
        )
    categories = {}
    for order, (code, name) in enumerate(CATEGORIES, start=1):
        categories[code], _created = Category.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    for order, (category, code, name, lightest, heaviest) in enumerate(BEHAVIOURS, start=1):
        Behaviour.objects.get_or_create(
            code=code,
            defaults={
                "category": categories[category],
                "name": name,
                "min_sanction": sanctions[lightest],
                "max_sanction": sanctions[heaviest],
                "order": order,
            },
        )
    for name, kind, trigger, count, days, suggest in RULES:
        Rule.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "trigger": sanctions[trigger] if trigger else None,
                "count": count,
                "window_days": days,
                "suggest": sanctions[suggest],
            },
        )


class Migration(migrations.Migration):
    dependencies = [("accountability", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
