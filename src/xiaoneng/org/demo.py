"""The demo city: 青江市, a believable fictional city (a city, 6 districts/counties, 60 townships, 120 villages,
120 units, ~600 people, one login per role). Province code 99 does not exist in GB/T 2260, so no code here
collides with a real place.

Deterministic (fixed seed), fast (bulk inserts, one password hash for all demo accounts). Every capability
adds its share of demo data through `DEMO_STEPS`.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction

from xiaoneng.core import audit, crypto
from xiaoneng.core.audit import AuditEventType

from .models import Person, Region, RegionLevel, Unit, UnitType, User
from .roles import Role

DEMO_PASSWORD = "Xiaoneng@2026"
CITY = ("990100", "青江市")
COUNTIES = [
    ("990102", "东湖区"),
    ("990103", "西山区"),
    ("990104", "南江区"),
    ("990121", "青溪县"),
    ("990122", "云台县"),
    ("990123", "石门县"),
]
TOWN_STEMS = [
    "城关",
    "东关",
    "西门",
    "南湖",
    "北岭",
    "桥头",
    "河口",
    "柳塘",
    "白沙",
    "金坑",
    "龙泉",
    "凤岗",
    "梅林",
    "竹溪",
    "石桥",
    "清水",
    "松山",
    "兰溪",
    "杏坛",
    "桃源",
    "枫林",
    "荷塘",
    "双溪",
    "黄土",
    "青山",
    "马鞍",
    "古城",
    "新塘",
    "碧湖",
    "雁门",
    "玉泉",
    "长乐",
    "永安",
    "太平",
    "和平",
    "安仁",
    "福田",
    "高坪",
    "大洋",
    "横山",
    "樟树",
    "茶园",
    "鹤鸣",
    "云雾",
    "黎明",
    "红旗",
    "光明",
    "仁和",
    "上河",
    "下坝",
    "中和",
    "平湖",
    "荔浦",
    "观音",
    "莲花",
    "鹿鸣",
    "三江",
    "五里",
    "七星",
    "九龙",
]
VILLAGE_SUFFIX = ["村", "社区"]
CITY_DEPARTMENTS = [
    # (code suffix, name, short name, type)
    ("XNB", "青江市机关效能建设领导小组办公室", "市效能办", UnitType.GOVERNMENT),
    ("ZF", "青江市人民政府", "市政府", UnitType.GOVERNMENT),
    ("JW", "青江市纪委监委", "市纪委监委", UnitType.PARTY),
    ("RD", "青江市人大常委会", "市人大常委会", UnitType.NPC),
    ("ZX", "政协青江市委员会", "市政协", UnitType.CPPCC),
    ("FY", "青江市中级人民法院", "市中院", UnitType.COURT),
    ("JCY", "青江市人民检察院", "市检察院", UnitType.PROCURATORATE),
    ("ZWFW", "青江市政务服务中心", "市政务服务中心", UnitType.INSTITUTION),
    ("RX", "青江市12345政务服务便民热线中心", "市12345热线", UnitType.INSTITUTION),
    ("DSJ", "青江市大数据中心", "市大数据中心", UnitType.INSTITUTION),
    ("FGW", "青江市发展和改革委员会", "市发改委", UnitType.GOVERNMENT),
    ("KJJ", "青江市科学技术局", "市科技局", UnitType.GOVERNMENT),
    ("GXJ", "青江市工业和信息化局", "市工信局", UnitType.GOVERNMENT),
    ("JYJ", "青江市教育局", "市教育局", UnitType.GOVERNMENT),
    ("GAJ", "青江市公安局", "市公安局", UnitType.GOVERNMENT),
    ("MZJ", "青江市民政局", "市民政局", UnitType.GOVERNMENT),
    ("SFJ", "青江市司法局", "市司法局", UnitType.GOVERNMENT),
    ("CZJ", "青江市财政局", "市财政局", UnitType.GOVERNMENT),
    ("RSJ", "青江市人力资源和社会保障局", "市人社局", UnitType.GOVERNMENT),
    ("ZRZY", "青江市自然资源和规划局", "市自然资源局", UnitType.GOVERNMENT),
    ("STHJ", "青江市生态环境局", "市生态环境局", UnitType.GOVERNMENT),
    ("ZJJ", "青江市住房和城乡建设局", "市住建局", UnitType.GOVERNMENT),
    ("JTJ", "青江市交通运输局", "市交通运输局", UnitType.GOVERNMENT),
    ("SLJ", "青江市水利局", "市水利局", UnitType.GOVERNMENT),
    ("NYJ", "青江市农业农村局", "市农业农村局", UnitType.GOVERNMENT),
    ("SWJ", "青江市商务局", "市商务局", UnitType.GOVERNMENT),
    ("WLJ", "青江市文化广电旅游局", "市文旅局", UnitType.GOVERNMENT),
    ("WJW", "青江市卫生健康委员会", "市卫健委", UnitType.GOVERNMENT),
    ("SCJ", "青江市市场监督管理局", "市市场监管局", UnitType.GOVERNMENT),
    ("XSP", "青江市行政审批服务局", "市行政审批局", UnitType.GOVERNMENT),
]
COUNTY_DEPARTMENTS = [
    ("XNB", "机关效能建设领导小组办公室", "效能办", UnitType.GOVERNMENT),
    ("ZWFW", "政务服务中心", "政务服务中心", UnitType.INSTITUTION),
    ("ZJJ", "住房和城乡建设局", "住建局", UnitType.GOVERNMENT),
    ("SCJ", "市场监督管理局", "市场监管局", UnitType.GOVERNMENT),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彬鹏辉宇浩凯健俊帆帅旭宁龙林欣晨阳琳雪婷倩颖佳慧思文博志诚建国海波"
POSITIONS = ["主任", "副主任", "科长", "副科长", "科员", "办事员", "联络员", "局长", "副局长", "股长"]

# (username, display role, unit key, position) — one login per role; the printed table of `make run`.
DEMO_ACCOUNTS = [
    ("supervisor", Role.SUPERVISOR, "XNB", "督查科科长", "市效能办督查员（全市）"),
    ("supervisor_dh", Role.SUPERVISOR, "990102-XNB", "督查员", "东湖区效能办督查员（本区）"),
    ("discipline", Role.DISCIPLINE, "JW", "审查调查室主任", "市纪委监委"),
    ("liaison", Role.LIAISON, "KJJ", "办公室副主任", "市科技局联络员"),
    ("unit_leader", Role.UNIT_LEADER, "KJJ", "局长", "市科技局局长"),
    ("leader", Role.LEADER, "ZF", "副市长", "市领导"),
    ("npc", Role.NPC, "RD", "人事代表工委干部", "市人大常委会"),
    ("evaluator", Role.EVALUATOR, "RD", "市人大代表", "评议代表"),
    ("sysadmin", Role.SYSADMIN, "DSJ", "系统管理员", "系统管理员"),
    ("secadmin", Role.SECADMIN, "DSJ", "安全管理员", "安全管理员"),
    ("auditor", Role.AUDITOR, "DSJ", "安全审计员", "安全审计员"),
]


@dataclass
class DemoSummary:
    regions: int
    units: int
    people: int
    accounts: list[tuple[str, str, str]]


DEMO_STEPS: list[Callable[[random.Random, int], None]] = []  # capabilities append their own demo data


def is_empty() -> bool:
    return not Region.objects.exists()


def _phone(rng: random.Random) -> str:
    return (
        rng.choice(["138", "139", "135", "136", "150", "151", "158", "186", "187", "177"])
        + f"{rng.randrange(10**8):08d}"
    )


def _id_number(rng: random.Random, county: str) -> str:
    body = f"{county}{rng.randrange(1965, 2000)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}"
    return body + crypto.id_number_check_digit(body)


@transaction.atomic
def seed(scale: int = 1, seed_value: int = 20261123) -> DemoSummary:
    """Build the demo city into an empty database. `scale` multiplies people and villages (for benchmarks)."""
    if not is_empty():
        raise RuntimeError("数据库不是空的，未载入演示数据 (the database is not empty; demo data not loaded)")
    rng = random.Random(seed_value)
    city = Region.objects.create(code=CITY[0], name=CITY[1], level=RegionLevel.CITY)
    counties = [
        Region.objects.create(code=c, name=n, level=RegionLevel.COUNTY, parent=city) for c, n in COUNTIES
    ]
    towns: list[Region] = []
    stems = iter(TOWN_STEMS)
    for county in counties:
        for i in range(10):
            stem = next(stems)
            suffix = "街道" if county.code[4] == "0" and i < 6 else ("镇" if i % 3 else "乡")
            code = f"{county.code}{i + 1:03d}000"
            towns.append(
                Region(
                    code=code,
                    name=stem + suffix,
                    level=RegionLevel.TOWNSHIP,
                    parent=county,
                    path=f"{county.path}{code}/",
                )
            )
    Region.objects.bulk_create(towns)
    towns = list(Region.objects.filter(level=RegionLevel.TOWNSHIP).select_related("parent"))
    villages = []
    for town in towns:
        for j in range(2 * scale):
            code = f"{town.code[:9]}{j + 1:03d}"
            name = f"{town.name[:2]}{rng.choice('东西南北上下前后新')}{rng.choice(VILLAGE_SUFFIX)}"
            villages.append(
                Region(
                    code=code, name=name, level=RegionLevel.VILLAGE, parent=town, path=f"{town.path}{code}/"
                )
            )
    Region.objects.bulk_create(villages, batch_size=2000)

    units: dict[str, Unit] = {}
    for key, name, short, utype in CITY_DEPARTMENTS:
        units[key] = Unit(
            code=f"{city.code}-{key}",
            name=name,
            short_name=short,
            type=utype,
            region=city,
            handles_complaints=key == "XNB",
        )
    for county in counties:
        gov = Unit(
            code=f"{county.code}-ZF",
            name=f"{county.name}人民政府",
            short_name=county.name,
            type=UnitType.COUNTY,
            region=county,
        )
        units[f"{county.code}-ZF"] = gov
        for key, name, short, utype in COUNTY_DEPARTMENTS:
            units[f"{county.code}-{key}"] = Unit(
                code=f"{county.code}-{key}",
                name=f"{county.name}{name}",
                short_name=f"{county.name[:2]}{short}",
                type=utype,
                region=county,
                handles_complaints=key == "XNB",
            )
    for town in towns:
        units[town.code] = Unit(
            code=town.code,
            name=f"{town.parent.name}{town.name}",
            short_name=town.name,
            type=UnitType.TOWNSHIP,
            region=town,
        )
    Unit.objects.bulk_create(units.values())
    units = {
        u.code.split("-", 1)[1] if u.code.startswith(city.code + "-") else u.code: u
        for u in Unit.objects.all()
    }
    # County departments and townships sit under their county government.
    county_gov = {u.region_id: u for u in units.values() if u.type == UnitType.COUNTY}
    region_parent = dict(Region.objects.values_list("id", "parent_id"))
    for u in units.values():
        if u.type == UnitType.TOWNSHIP:
            u.parent = county_gov[region_parent[u.region_id]]
        elif u.type != UnitType.COUNTY and u.region_id in county_gov:
            u.parent = county_gov[u.region_id]
    Unit.objects.bulk_update(list(units.values()), ["parent"])

    people: list[Person] = []
    for unit in units.values():
        for k in range(5 * scale):
            p = Person(
                name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                unit=unit,
                position=POSITIONS[0] if k == 0 else rng.choice(POSITIONS[1:]),
                phone=_phone(rng),
                id_number=_id_number(rng, unit.region.code[:6]),
            )
            p.phone_index = crypto.blind_index(p.phone)
            p.id_number_index = crypto.blind_index(p.id_number)
            people.append(p)
    Person.objects.bulk_create(people, batch_size=1000)
    heads = {}
    for p in Person.objects.filter(position=POSITIONS[0]).order_by("id"):
        heads.setdefault(p.unit_id, p)
    for u in units.values():
        u.head = heads.get(u.pk)
    Unit.objects.bulk_update(list(units.values()), ["head"])

    password_hash = make_password(DEMO_PASSWORD)
    must_change = not settings.DEMO_MODE
    accounts = []
    for username, role, unit_key, position, description in DEMO_ACCOUNTS:
        unit = units[unit_key]
        person = Person(
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2)),
            unit=unit,
            position=position,
            phone=_phone(rng),
            id_number=_id_number(rng, unit.region.code[:6]),
        )
        person.save()
        User.objects.create(
            username=username,
            password=password_hash,
            role=role,
            unit=unit,
            person=person,
            first_name=person.name,
            must_change_password=must_change,
        )
        accounts.append((username, str(role.label), description))
    for step in DEMO_STEPS:
        step(rng, scale)
    summary = DemoSummary(Region.objects.count(), Unit.objects.count(), Person.objects.count(), accounts)
    audit.record(
        AuditEventType.DEMO_SEEDED,
        actor_name="seed_demo",
        data={"regions": summary.regions, "units": summary.units, "people": summary.people, "scale": scale},
    )
    return summary


def unit_account(
    unit: Unit, role: str, password_hash: str, *, prefix: str, title: str, position: str, create: bool = True
) -> User | None:
    """The unit's active account with `role`; else (when `create`) a demo one for a person named after the unit
    and `title` (e.g. 市科技局联络员), username `<prefix>_<unit code>`, who must change the password. The
    capabilities' demo data give units without one the liaison or head their stories need."""
    user = User.objects.filter(unit=unit, role=role, is_active=True).first()
    if user is not None or not create:
        return user
    person = Person.objects.create(
        name=f"{unit.short_name or unit.name}{title}", unit=unit, position=position
    )
    return User.objects.create(
        username=f"{prefix}_{unit.code.lower().replace('-', '_')}",
        password=password_hash,
        role=role,
        unit=unit,
        person=person,
        first_name=person.name,
        must_change_password=True,
    )
