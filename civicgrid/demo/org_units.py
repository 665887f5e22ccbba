"""The district's departments (职能部门) and what they answer for."""

from __future__ import annotations

# (code suffix, DepartmentType value, name, responsibilities)
DEPARTMENTS: list[tuple[str, str, str, str]] = [
    ("chengguan", "chengguan", "城市管理局", "市容环境、街面秩序、违法建设、园林绿化、环卫保洁"),
    ("zhujian", "zhujian", "住房和城乡建设局", "房屋安全、物业管理、建筑工地、老旧小区改造"),
    ("shengtai", "shengtai", "生态环境分局", "大气、水、噪声、固废污染"),
    ("shichang", "shichang", "市场监督管理局", "食品安全、价格、消费维权、特种设备"),
    ("gongan", "gongan", "公安分局", "治安、交通秩序、户籍、消防协查"),
    ("yingji", "yingji", "应急管理局", "安全生产、自然灾害、应急救援"),
    ("jiaotong", "jiaotong", "交通运输局", "道路设施、公交、出租车、客运"),
    ("weijian", "weijian", "卫生健康局", "医疗服务、公共卫生、疫情防控"),
    ("minzheng", "minzheng", "民政局", "社会救助、养老服务、殡葬、社会组织"),
    ("renshe", "renshe", "人力资源和社会保障局", "劳动关系、欠薪、社保、就业"),
    ("jiaoyu", "jiaoyu", "教育局", "学校、入学、校外培训、校园周边"),
    ("shuiwu", "shuiwu", "水务局", "供排水设施、防汛、河湖管理"),
    ("ziran", "ziran", "自然资源局", "土地、规划、矿产、林草"),
    ("sifa", "sifa", "司法局", "人民调解、法律援助、社区矫正、安置帮教"),
    ("xinfang", "xinfang", "信访局", "信访事项登记、转送、督办"),
    ("gongdian", "gongdian", "供电公司", "停电、线路、电表"),
    ("gongshui", "gongshui", "供水公司", "停水、水压、水质、管网漏损"),
    ("ranqi", "ranqi", "燃气公司", "燃气泄漏、入户安检、管网"),
]
