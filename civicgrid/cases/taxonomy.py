"""The default 事项分类 tree (大类 → 小类) and deadline policies, editable in admin afterwards.

Drawn from the 数字城管 event/component classes (GB/T 30428), 综治 practice and 12345 hotline
practice. Each 小类 names its default lead department type and urgency.
"""

from __future__ import annotations

# 大类 code, 大类 name, [(小类 code, 小类 name, department type, urgency)]
TAXONOMY: list[tuple[str, str, list[tuple[str, str, str, str]]]] = [
    ("shirong", "市容环境", [
        ("shirong-laji", "垃圾堆放与清运不及时", "chengguan", "normal"),
        ("shirong-baolu", "暴露垃圾、积存垃圾渣土", "chengguan", "normal"),
        ("shirong-guanggao", "违规张贴小广告", "chengguan", "normal"),
        ("shirong-gongce", "公厕不洁或损坏", "chengguan", "normal"),
        ("shirong-lvhua", "绿地脏乱、树木倒伏", "chengguan", "normal"),
    ]),
    ("jiemian", "街面秩序", [
        ("jiemian-zhandao", "店外经营、占道经营", "chengguan", "normal"),
        ("jiemian-tanfan", "无照流动摊贩", "chengguan", "normal"),
        ("jiemian-weijian", "违法建设", "chengguan", "urgent"),
        ("jiemian-tingche", "机动车乱停放", "gongan", "normal"),
    ]),
    ("sheshi", "公共设施", [
        ("sheshi-jinggai", "井盖缺失或破损", "shuiwu", "urgent"),
        ("sheshi-ludeng", "路灯不亮", "gongdian", "normal"),
        ("sheshi-daolu", "道路破损、坑洼", "jiaotong", "normal"),
        ("sheshi-paishui", "排水不畅、污水外溢", "shuiwu", "normal"),
        ("sheshi-jianshen", "健身器材损坏", "minzheng", "normal"),
    ]),
    ("anquan", "安全隐患", [
        ("anquan-ranqi", "燃气泄漏隐患", "ranqi", "critical"),
        ("anquan-xiaofang", "消防通道堵塞、消防设施损坏", "yingji", "urgent"),
        ("anquan-dianxian", "私拉乱接电线、飞线充电", "yingji", "urgent"),
        ("anquan-weifang", "危房、墙体开裂", "zhujian", "urgent"),
        ("anquan-gongdi", "建筑工地安全隐患", "zhujian", "urgent"),
    ]),
    ("jiufen", "矛盾纠纷", [
        ("jiufen-linli", "邻里纠纷", "sifa", "normal"),
        ("jiufen-hunyin", "婚姻家庭纠纷", "sifa", "normal"),
        ("jiufen-tudi", "土地、宅基地纠纷", "ziran", "normal"),
        ("jiufen-wuye", "物业纠纷", "zhujian", "normal"),
        ("jiufen-laozi", "劳资纠纷、欠薪", "renshe", "urgent"),
    ]),
    ("zhian", "治安", [
        ("zhian-zhian", "治安隐患", "gongan", "urgent"),
        ("zhian-zhapian", "涉嫌诈骗", "gongan", "urgent"),
        ("zhian-dubo", "聚众赌博", "gongan", "urgent"),
    ]),
    ("minsheng", "民生服务", [
        ("minsheng-tingshui", "停水、水压不足", "gongshui", "urgent"),
        ("minsheng-tingdian", "停电", "gongdian", "urgent"),
        ("minsheng-gongnuan", "供暖不热", "zhujian", "normal"),
        ("minsheng-jiuzhu", "困难群众救助", "minzheng", "normal"),
        ("minsheng-yanglao", "养老服务", "minzheng", "normal"),
    ]),
    ("shengtai", "生态环境", [
        ("shengtai-daqi", "大气污染、露天焚烧", "shengtai", "normal"),
        ("shengtai-zaosheng", "噪声扰民", "shengtai", "normal"),
        ("shengtai-shui", "水体污染", "shengtai", "urgent"),
        ("shengtai-feiwu", "固体废物倾倒", "shengtai", "normal"),
    ]),
    ("jiaotong", "交通运输", [
        ("jiaotong-gongjiao", "公交线路与站点", "jiaotong", "normal"),
        ("jiaotong-chuzu", "出租车、网约车服务", "jiaotong", "normal"),
        ("jiaotong-xinhao", "交通信号与标志", "gongan", "normal"),
    ]),
    ("laodong", "劳动和社会保障", [
        ("laodong-shebao", "社保缴纳与待遇", "renshe", "normal"),
        ("laodong-jiuye", "就业与技能培训", "renshe", "normal"),
        ("laodong-qianxin", "拖欠工资", "renshe", "urgent"),
    ]),
    ("jiaoyu", "教育文体", [
        ("jiaoyu-ruxue", "入学与招生", "jiaoyu", "normal"),
        ("jiaoyu-peixun", "校外培训", "jiaoyu", "normal"),
        ("jiaoyu-xiaoyuan", "校园周边安全", "jiaoyu", "urgent"),
    ]),
    ("weisheng", "卫生健康", [
        ("weisheng-yiliao", "医疗服务", "weijian", "normal"),
        ("weisheng-shipin", "食品安全", "shichang", "urgent"),
        ("weisheng-yiqing", "传染病与公共卫生", "weijian", "critical"),
    ]),
    ("jianshe", "城乡建设", [
        ("jianshe-wuye", "物业服务", "zhujian", "normal"),
        ("jianshe-laojiu", "老旧小区改造", "zhujian", "normal"),
        ("jianshe-chaiqian", "征地拆迁", "ziran", "normal"),
    ]),
    ("shichang", "市场监管", [
        ("shichang-jiage", "价格违法", "shichang", "normal"),
        ("shichang-xiaofei", "消费维权", "shichang", "normal"),
    ]),
]

DISPUTE_PARENT = "jiufen"

# stage, urgency ("" = any), amount, unit ("hours" / "workdays")
DEFAULT_POLICIES: list[tuple[str, str, int, str]] = [
    ("accept", "", 2, "hours"), ("accept", "urgent", 1, "hours"), ("accept", "critical", 1, "hours"),
    ("dispatch", "", 4, "hours"), ("dispatch", "urgent", 2, "hours"), ("dispatch", "critical", 1, "hours"),
    ("sign", "", 2, "hours"), ("sign", "urgent", 1, "hours"), ("sign", "critical", 1, "hours"),
    ("handle", "", 5, "workdays"), ("handle", "urgent", 2, "workdays"), ("handle", "critical", 24, "hours"),
    ("verify", "", 2, "workdays"), ("verify", "urgent", 1, "workdays"), ("verify", "critical", 1, "workdays"),
]
