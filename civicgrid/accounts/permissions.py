"""The permission codes the code checks, and the default role → permission matrix.

The matrix is *data*: it is loaded into ``Role``/``RolePermission`` by a migration and by
``civicgrid seed-roles``, and the security admin (安全管理员) edits it afterwards. Code only
ever asks ``can(user, permission)`` / ``scope_for(user, permission)``.
"""

from __future__ import annotations

PERMISSIONS: dict[str, str] = {
    "areas.view": "查看辖区内的区划与网格",
    "areas.manage": "维护区划、网格、联户组等基础数据",
    "orgs.manage": "维护综治中心与职能部门",
    "users.manage": "管理用户账号（建号、停用、解锁、重置密码）",
    "roles.manage": "角色授权与权限矩阵",
    "audit.view": "查阅与校验审计日志",
    "cases.report": "上报事件",
    "cases.hotline": "12345 热线受理与回访",
    "cases.review": "受理、立案、派遣、结案",
    "cases.handle": "签收与处置派遣的事件",
    "cases.verify": "核查处置结果",
    "cases.supervise": "督办",
    "dashboard.view": "查看指挥中心与考核数据",
    "mediation.manage": "矛盾纠纷排查与调解",
    "custody.manage": "涉案财物保管与流转",
    "participation.use": "民事直说、村务公开、满意度评价",
}

# code, 中文名, is one of the three admin roles (三员), default permissions
ROLES: list[tuple[str, str, bool, tuple[str, ...]]] = [
    ("sysadmin", "系统管理员", True, ("users.manage", "areas.manage", "orgs.manage", "areas.view")),
    ("secadmin", "安全管理员", True, ("roles.manage",)),
    ("auditor", "审计管理员", True, ("audit.view",)),
    ("leader", "领导", False, ("areas.view", "dashboard.view", "cases.supervise")),
    ("center_operator", "综治中心受理员", False, ("areas.view", "cases.review", "dashboard.view")),
    ("hotline_agent", "12345坐席", False, ("areas.view", "cases.report", "cases.hotline")),
    ("grid_member", "网格员", False, ("areas.view", "cases.report", "cases.verify")),
    ("household_head", "联户长", False, ("areas.view", "cases.report")),
    ("dept_handler", "职能部门处置人员", False, ("areas.view", "cases.handle")),
    ("mediator", "调解员", False, ("areas.view", "mediation.manage")),
    ("custodian", "涉案财物保管员", False, ("custody.manage",)),
    ("resident", "群众", False, ("cases.report", "participation.use")),
]

ADMIN_ROLE_CODES = frozenset(code for code, _name, is_admin, _perms in ROLES if is_admin)
