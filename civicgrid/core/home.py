"""What each role's home page lists: the person's work, in the order they do it.

Panels whose source does not exist yet (cases, disputes…) show an empty list; later
modules fill them through their own selectors.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    empty: str


HOME_PANELS: dict[str, tuple[str, list[Panel]]] = {
    "sysadmin": ("系统管理", [Panel("users", "账号管理", "暂无账号"), Panel("reference", "基础数据", "")]),
    "secadmin": ("安全管理", [Panel("roles", "角色与权限矩阵", "暂无角色")]),
    "auditor": ("审计管理", [Panel("audit", "审计日志", "暂无审计记录")]),
    "leader": ("领导驾驶舱", [
        Panel("overdue", "超期事件", "暂无超期事件"),
        Panel("supervised", "督办事件", "暂无督办事件"),
    ]),
    "center_operator": ("综治中心工作台", [
        Panel("to_review", "待受理", "暂无待受理事件"),
        Panel("to_dispatch", "待派遣", "暂无待派遣事件"),
        Panel("to_close", "待核查结案", "暂无待结案事件"),
    ]),
    "hotline_agent": ("12345 坐席", [
        Panel("calls", "今日来电登记", "今日暂无来电登记"),
        Panel("callbacks", "待回访", "暂无待回访事件"),
    ]),
    "grid_member": ("网格员工作台", [
        Panel("my_reports", "我的上报", "暂无上报"),
        Panel("to_verify", "待核查", "暂无待核查事件"),
        Panel("visits", "走访任务", "暂无走访任务"),
    ]),
    "household_head": ("联户长", [
        Panel("my_reports", "我的上报", "暂无上报"),
        Panel("notices", "通知", "暂无通知"),
    ]),
    "dept_handler": ("部门处置", [
        Panel("to_sign", "待签收", "暂无待签收事件"),
        Panel("in_progress", "处置中", "暂无处置中事件"),
        Panel("overdue", "已超期", "暂无超期事件"),
    ]),
    "mediator": ("矛盾纠纷调解", [
        Panel("disputes", "调解中的纠纷", "暂无纠纷"),
        Panel("followups", "待回访", "暂无回访任务"),
    ]),
    "custodian": ("涉案财物", [Panel("items", "在管财物", "暂无在管财物")]),
    "resident": ("群众服务", [
        Panel("my_reports", "我反映的问题", "暂无反映"),
        Panel("to_rate", "待评价", "暂无待评价事项"),
    ]),
}
