"""Case pages (DESIGN.md §3–§5): thin views over ``cases.selectors``, ``cases.services`` and
``cases.intake``. One module per audience: report, queues, detail, actions, hotline, resident,
sheet; shared helpers in ``common``.
"""
