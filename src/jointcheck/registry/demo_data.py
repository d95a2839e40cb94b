"""Word lists of the synthetic demo district. Every person made from them is invented: names
are random surname + given-name draws, ID numbers random dates and sequences with a valid
check digit, phone numbers random. No list holds a real person."""

from __future__ import annotations

DISTRICT = ("370704", "坊子区", "Fangzi District")

# The streets of Fangzi; codes are the demo's own (GB/T 2260 street codes are not used).
STREETS = (
    ("坊安街道", "Fang'an Subdistrict"),
    ("坊城街道", "Fangcheng Subdistrict"),
    ("凤凰街道", "Fenghuang Subdistrict"),
    ("九龙街道", "Jiulong Subdistrict"),
    ("黄旗堡街道", "Huangqibao Subdistrict"),
    ("王家庄街道", "Wangjiazhuang Subdistrict"),
    ("太保庄街道", "Taibaozhuang Subdistrict"),
)

COMMUNITY_WORDS = (
    ("东苑", "Dongyuan"), ("西苑", "Xiyuan"), ("南关", "Nanguan"), ("北关", "Beiguan"),
    ("新华", "Xinhua"), ("和平", "Heping"), ("幸福", "Xingfu"), ("阳光", "Yangguang"),
    ("龙山", "Longshan"), ("凤鸣", "Fengming"), ("文化", "Wenhua"), ("健康", "Jiankang"),
    ("永安", "Yong'an"), ("兴华", "Xinghua"), ("泰和", "Taihe"), ("嘉禾", "Jiahe"),
    ("长乐", "Changle"), ("福寿", "Fushou"), ("康宁", "Kangning"), ("安泰", "Antai"),
    ("丰收", "Fengshou"), ("金岭", "Jinling"), ("青年", "Qingnian"), ("明德", "Mingde"),
    ("宝通", "Baotong"), ("瑞祥", "Ruixiang"), ("润泽", "Runze"), ("双羊", "Shuangyang"),
)  # fmt: skip

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官")
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红玉萍文辉鹏飞斌宇浩凯晨雪梅琳"
    "欣怡子涵梓轩雨桐一诺思远嘉懿佳琪若曦俊熙博文天佑瑞安振宇海峰春燕秋菊冬梅晓东立新"
)

# Venue category id of the fangzi-2021 pack -> (zh label, en label) for the demo's place names.
PLACE_LABELS = {
    "offices": ("办公楼", "Office Building"),
    "medical_institutions": ("医院", "Hospital"),
    "pharmacies": ("大药房", "Pharmacy"),
    "traffic_stations": ("汽车站", "Bus Station"),
    "public_transport_vehicles": ("公交线路", "Bus Line"),
    "hotels": ("宾馆", "Hotel"),
    "malls_and_supermarkets": ("超市", "Supermarket"),
    "markets": ("农贸市场", "Farmers' Market"),
    "financial_institutions": ("银行网点", "Bank Branch"),
    "tourist_attractions": ("景区", "Scenic Area"),
    "amusement_places": ("游乐场", "Amusement Park"),
    "indoor_cultural_entertainment_places": ("影剧院", "Cinema"),
    "residential_quarters": ("小区", "Residential Quarter"),
    "nursing_homes": ("养老院", "Nursing Home"),
    "welfare_homes": ("福利院", "Welfare Home"),
    "primary_schools": ("小学", "Primary School"),
    "kindergartens": ("幼儿园", "Kindergarten"),
    "susceptible_gathering_places": ("托育中心", "Childcare Centre"),
    "catering": ("饭店", "Restaurant"),
    "other_places": ("体育馆", "Gymnasium"),
}

ENTRANCES = ("正门", "东门", "西门", "北门")

# EU value set ids (vaccines-covid-19-names) and their series length.
PRODUCTS = (("BBIBP-CorV", 2, 45), ("CoronaVac", 2, 45), ("Convidecia", 1, 10))

HEALTH_REASONS = {
    "green": "无异常",
    "yellow": "来自中风险地区，需核酸检测",
    "red": "密切接触者，集中隔离中",
}

CONTRAINDICATIONS = (
    ("severe_allergy", "permanent"),
    ("immunodeficiency", "permanent"),
    ("acute_illness", "temporary"),
    ("pregnancy", "temporary"),
    ("uncontrolled_epilepsy", "permanent"),
)
INSTITUTIONS = (("潍坊市人民医院", 3), ("坊子区人民医院", 2), ("潍坊市中医院", 3))
