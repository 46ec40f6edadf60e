"""The cast of the staff-side complaint tests (imported by test_handling*, test_unit_view, test_pages_api,
test_import_12345).

The fixtures `media`, `staff`, `office_supervisor` and `complaint` live in conftest.py.

A citizen, 王举报, complains about 东湖区住建局 (`world.ua`, where every county-A account of the shared world
works — so county A's supervisor is recused). 东湖区效能办 (`office`) receives it; the city supervisor handles
it; the liaison and head of 东湖区住建局 answer once it is assigned to their unit.
"""

import time_machine

from tests.conftest import at
from xiaoneng.complaints import services

NAME = "王举报"
PHONE = "13700001111"
ID_NUMBER = "11010119900101123x"
EMAIL = "wangjubao@example.cn"
IP = "203.0.113.77"
DEVICE = "MarkerPhone-UA/9.9"
ORIGINAL_ONLY = "原文独有标记"  # text staff remove from the copy: the unit must never read it
CONTENT = (
    f"我叫{NAME}，电话{PHONE}，邮箱{EMAIL}。3月2日在东湖区住建局窗口办理备案，"
    f"工作人员玩手机，让我等了两个小时还不办。{ORIGINAL_ONLY}"
)
COPY = "3月2日在东湖区住建局窗口办理备案，工作人员玩手机，群众等候两个小时未予办理。"
MARKERS = (NAME, PHONE, ID_NUMBER, ID_NUMBER.upper(), EMAIL, IP, DEVICE, ORIGINAL_ONLY, "王**", "137****1111")


def assigned(complaint, staff, unit, when="2026-03-02 11:00"):
    with time_machine.travel(at(when), tick=False):
        services.accept(staff, complaint)
        return services.assign(
            staff, complaint, unit=unit, redacted_content=COPY, note="内部：请重点核查窗口纪律"
        )


def answered(complaint, world, staff, finding="true"):
    c = assigned(complaint, staff, world.ua)
    c = services.submit_reply(world.users["liaison"], c, text="经查属实，已对当事人批评教育。")
    c = services.approve_reply(world.users["unit_leader"], c)
    return services.review_pass(
        staff, c, public_reply=f"{NAME}您好：经核查，您反映的问题属实，已整改。", finding=finding
    )
