"""What each role's home page lists: the person's work, in the order they do it.

Panels whose source does not exist yet (cases, disputes…) show an empty list; later
modules fill them through their own selectors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_noop


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    empty: str


HOME_PANELS: dict[str, tuple[str, list[Panel]]] = {
    "sysadmin": (gettext_noop("系统管理"), [Panel("users", gettext_noop("账号管理"), gettext_noop("暂无账号")), Panel("reference", gettext_noop("基础数据"), "")]),
    "secadmin": (gettext_noop("安全管理"), [Panel("roles", gettext_noop("角色与权限矩阵"), gettext_noop("暂无角色"))]),
    "auditor": (gettext_noop("审计管理"), [Panel("audit", gettext_noop("审计日志"), gettext_noop("暂无审计记录"))]),
    "leader": (gettext_noop("领导驾驶舱"), [
        Panel("overdue", gettext_noop("超期事件"), gettext_noop("暂无超期事件")),
        Panel("supervised", gettext_noop("督办事件"), gettext_noop("暂无督办事件")),
        Panel("dispute_watch", gettext_noop("重点关注纠纷"), gettext_noop("暂无高风险纠纷")),
    ]),
    "center_operator": (gettext_noop("综治中心工作台"), [
        Panel("to_review", gettext_noop("待受理"), gettext_noop("暂无待受理事件")),
        Panel("to_dispatch", gettext_noop("待派遣"), gettext_noop("暂无待派遣事件")),
        Panel("to_close", gettext_noop("待核查结案"), gettext_noop("暂无待结案事件")),
        Panel("dispute_watch", gettext_noop("重点关注纠纷"), gettext_noop("暂无高风险纠纷")),
    ]),
    "hotline_agent": (gettext_noop("12345 坐席"), [
        Panel("calls", gettext_noop("今日来电登记"), gettext_noop("今日暂无来电登记")),
        Panel("callbacks", gettext_noop("待回访"), gettext_noop("暂无待回访事件")),
    ]),
    "grid_member": (gettext_noop("网格员工作台"), [
        Panel("my_reports", gettext_noop("我的上报"), gettext_noop("暂无上报")),
        Panel("to_verify", gettext_noop("待核查"), gettext_noop("暂无待核查事件")),
        Panel("visits", gettext_noop("走访任务"), gettext_noop("暂无走访任务")),
    ]),
    "household_head": (gettext_noop("联户长"), [
        Panel("my_reports", gettext_noop("我的上报"), gettext_noop("暂无上报")),
        Panel("notices", gettext_noop("通知"), gettext_noop("暂无通知")),
    ]),
    "dept_handler": (gettext_noop("部门处置"), [
        Panel("to_sign", gettext_noop("待签收"), gettext_noop("暂无待签收事件")),
        Panel("in_progress", gettext_noop("处置中"), gettext_noop("暂无处置中事件")),
        Panel("overdue", gettext_noop("已超期"), gettext_noop("暂无超期事件")),
    ]),
    "mediator": (gettext_noop("矛盾纠纷调解"), [
        Panel("disputes", gettext_noop("调解中的纠纷"), gettext_noop("暂无纠纷")),
        Panel("followups", gettext_noop("待回访"), gettext_noop("暂无回访任务")),
    ]),
    "custodian": (gettext_noop("涉案财物"), [Panel("items", gettext_noop("在管财物"), gettext_noop("暂无在管财物"))]),
    "resident": (gettext_noop("群众服务"), [
        Panel("my_reports", gettext_noop("我反映的问题"), gettext_noop("暂无反映")),
        Panel("to_rate", gettext_noop("待评价"), gettext_noop("暂无待评价事项")),
    ]),
}
