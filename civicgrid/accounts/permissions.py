"""The permission codes the code checks, and the default role → permission matrix.

The matrix is *data*: it is loaded into ``Role``/``RolePermission`` by a migration and by
data migrations when it changes, and the security admin (安全管理员) edits it afterwards. Code only
ever asks ``can(user, permission)`` / ``scope_for(user, permission)``.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "areas.view": "查看辖区内的区划与网格",
    "areas.manage": "维护区划、网格、联户组等基础数据",
    "orgs.manage": "维护综治中心与职能部门",
    "integrations.manage": "管理外部系统接入（Open311 api_key、Webhook 订阅）",
    "users.manage": "管理用户账号（建号、停用、解锁、重置密码）",
    "roles.manage": "角色授权与权限矩阵",
    "audit.view": "查阅与校验审计日志",
    # the case closed loop: one code per action (DESIGN.md §3)
    "cases.view": "查看辖区内（部门：派给本部门）的事件",
    "cases.view_own": "查看本人反映的事件",
    "cases.report": "上报事件",
    "cases.resolve_on_spot": "即报即办",
    "cases.register": "受理立案",
    "cases.reject": "不予立案",
    "cases.merge": "合并重复事件",
    "cases.dispatch": "派遣",
    "cases.escalate": "上报上级中心",
    "cases.sign": "签收",
    "cases.return": "退回（派错部门）",
    "cases.handle": "处置反馈",
    "cases.request_extension": "申请延期",
    "cases.decide_extension": "审批延期",
    "cases.supervise": "督办",
    "cases.verify": "核查（通过结案或返工）",
    "cases.callback": "回访评价",
    "cases.callback_own": "评价本人反映的事件",
    "cases.import": "批量导入事件（12345 等外部系统的工单）",
    "dashboard.view": "查看指挥中心与考核数据",
    "assessment.publish": "发布考核结果（排名一经发布即冻结）",
    "mediation.manage": "矛盾纠纷排查与调解",
    "mediation.view": "查看辖区内的矛盾纠纷与排查情况",
    "mediation.report": "登记矛盾纠纷、报告排查情况（含零报告）",
    "custody.manage": "涉案财物保管与流转",
    "participation.use": "民事直说、村务公开、满意度评价",
}

_CENTER_CASES = ("cases.view", "cases.report", "cases.register", "cases.reject", "cases.merge",
                 "cases.dispatch", "cases.escalate", "cases.decide_extension", "cases.supervise",
                 "cases.verify", "cases.callback", "cases.import")

# code, 中文名, is one of the three admin roles (三员), default permissions
ROLES: list[tuple[str, str, bool, tuple[str, ...]]] = [
    ("sysadmin", "系统管理员", True, ("users.manage", "areas.manage", "orgs.manage", "areas.view",
      "integrations.manage")),
    ("secadmin", "安全管理员", True, ("roles.manage",)),
    ("auditor", "审计管理员", True, ("audit.view",)),
    ("leader", "领导", False, ("areas.view", "dashboard.view", "cases.view", "cases.supervise",
                              "mediation.view", "assessment.publish")),
    ("center_operator", "综治中心受理员", False, ("areas.view", "dashboard.view", *_CENTER_CASES,
                                             "mediation.view", "mediation.report")),
    ("hotline_agent", "12345坐席", False,
     ("areas.view", "cases.view", "cases.report", "cases.callback", "cases.import")),
    ("grid_member", "网格员", False,
     ("areas.view", "cases.view", "cases.report", "cases.resolve_on_spot", "cases.verify",
      "mediation.view", "mediation.report")),
    ("household_head", "联户长", False, ("areas.view", "cases.view", "cases.report")),
    ("dept_handler", "职能部门处置人员", False,
     ("areas.view", "cases.view", "cases.sign", "cases.return", "cases.handle",
      "cases.request_extension")),
    ("mediator", "调解员", False, ("areas.view", "cases.view", "mediation.manage", "mediation.view",
                                  "mediation.report")),
    ("custodian", "涉案财物保管员", False, ("custody.manage",)),
    ("resident", "群众", False,
     ("cases.view_own", "cases.report", "cases.callback_own", "participation.use")),
]

ADMIN_ROLE_CODES = frozenset(code for code, _name, is_admin, _perms in ROLES if is_admin)
