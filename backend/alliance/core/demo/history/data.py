"""Fixed data of the demo sales history: targets, number prefixes, the calendar, who buys.

Everything here is a constant; alliance.core.demo.history.plan and .supply read it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from alliance.core.demo.products import DRIED, JAR, TEA
from alliance.orders.models import PaymentStatus

SEED = 610627
TARGET_TONNES = Decimal("1408")
TARGET_YUAN = Decimal("6800000")
FEN = Decimal("0.01")
MIN_COUNTER_LINE_G = 20_000  # no counter line under 20 kg
SPEND_LIMIT_PER_KG = 6.0  # goods dearer than this (yuan a kg) are bought in smaller lots
FULL_SIZE_SCALE = 0.25  # below this scale counter lots shrink with sqrt(scale)
SETTLE_LOCK_KEY = 610627_0002  # pg_advisory_lock key: one demo settlement at a time
HISTORY_DAYS = 364  # sales from 52 weeks ago up to today
LEAD_DAYS = 35  # the first harvests reach the villages this long before the first sale
ONLINE_ORDERS = 12_000  # a year, at scale 1
ORDER_PREFIX = "AMD"
RECEIPT_PREFIX = "RD"
TRANSFER_PREFIX = "DEMO-H"
LONG_LIFE_RECEIPT_EVERY = 13  # ship days between deliveries of goods that keep (~a quarter)
NEW_PRODUCT_DAYS = 60  # products published more recently sell only since their publication
DEMO_STAFF_EMAIL = "staff@example.com"
DEMO_CONSUMER_EMAIL = "consumer@example.com"
CONSUMER_ORDERS = 8
PAID_STATUSES = (
    PaymentStatus.FULLY_CHARGED,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.FULLY_REFUNDED,
)

DRIED_LABELS = frozenset(p.label for p in DRIED)
JAR_LABELS = frozenset(p.label for p in JAR)
TEA_LABELS = frozenset(p.label for p in TEA)

# Spring Festival and Mid-Autumn days: the base closes around the first, companies buy gift
# boxes for their staff in the weeks before both.
SPRING_FESTIVAL = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
MID_AUTUMN = {
    2024: date(2024, 9, 17),
    2025: date(2025, 10, 6),
    2026: date(2026, 9, 25),
    2027: date(2027, 9, 15),
    2028: date(2028, 10, 3),
    2029: date(2029, 9, 22),
    2030: date(2030, 9, 12),
}
# Harvest season of goods that keep: (month, first day, days the harvest spreads over).
SEASONS = {"honey": (7, 10, 40), "grains": (9, 25, 30), "dried": (9, 1, 60), "jar": (11, 1, 45)}
COUNTER_MONTH = {1: 0.9, 2: 0.6, 3: 0.7, 4: 0.8, 5: 0.9, 6: 1.0}
COUNTER_MONTH |= {7: 1.1, 8: 1.2, 9: 1.4, 10: 1.5, 11: 1.3, 12: 1.0}
ONLINE_MONTH = {1: 1.2, 2: 0.8, 3: 0.8, 4: 0.8, 5: 0.9, 6: 1.0}
ONLINE_MONTH |= {7: 0.9, 8: 0.9, 9: 1.2, 10: 1.1, 11: 1.4, 12: 1.3}
COUNTER_WEEKDAY = (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.15)
ONLINE_WEEKDAY = (0.9, 0.9, 0.9, 0.95, 1.0, 1.25, 1.2)
ONLINE_HOURS = {7: 1, 8: 2, 9: 3, 10: 4, 11: 4, 12: 5, 13: 4, 14: 3, 15: 3, 16: 3}
ONLINE_HOURS |= {17: 3, 18: 4, 19: 6, 20: 8, 21: 8, 22: 6, 23: 3}
ONLINE_TOP_WEIGHT = {"honey": 3.0, "fruit": 2.2, "grains": 2.0, "fungi": 1.3, "vegetables": 0.5}

# Who buys at the counter: (share, lines (low, high), kg a line (low, high), top categories).
BUYERS: dict[str, tuple[float, tuple[int, int], tuple[int, int], dict[str, float]]] = {
    "canteen": (0.55, (3, 7), (30, 250), {"vegetables": 0.7, "grains": 0.2, "fruit": 0.1}),
    "wholesaler": (0.25, (1, 3), (300, 1500), {"vegetables": 0.5, "fruit": 0.5}),
    "enterprise": (0.20, (1, 2), (100, 800), {"grains": 0.5, "fruit": 0.3, "vegetables": 0.2}),
}
BUYER_NAMES = {
    "canteen": (
        "甘泉县高级中学食堂",
        "甘泉县第二中学食堂",
        "甘泉县城关小学食堂",
        "甘泉县人民医院职工食堂",
        "甘泉县中医医院食堂",
        "甘泉县机关事务服务中心食堂",
        "甘泉工业园区职工食堂",
        "延安职业技术学院第三食堂",
        "延安市宝塔区第四中学食堂",
    ),
    "wholesaler": (
        "延安市南泥湾农产品批发市场 王记蔬菜",
        "西安朱雀农产品批发市场 李氏果蔬",
        "榆林市农产品批发中心 张氏商行",
        "延安市宝塔区果蔬批发部",
        "铜川新区农贸市场 赵记菜行",
    ),
    "enterprise": (
        "延安丰收食品有限公司",
        "甘泉县豆制品加工厂",
        "延安好客来连锁超市",
        "陕西秦味餐饮管理有限公司",
        "延安宾馆餐饮部",
    ),
    "gift": (
        "国网甘泉县供电公司工会",
        "甘泉县农村商业银行工会",
        "延安石油化工厂工会",
        "中国移动延安分公司工会",
        "陕西建工延安项目部工会",
    ),
}
BANKS = ("ICBC", "CCB", "ABC", "BOC", "PSBC", "BCM")
ADDRESSES = (
    ("陕西省", "延安市", "宝塔区", "枣园路"),
    ("陕西省", "延安市", "宝塔区", "百米大道"),
    ("陕西省", "延安市", "甘泉县", "美水街"),
    ("陕西省", "西安市", "雁塔区", "科技路"),
    ("陕西省", "西安市", "碑林区", "南大街"),
    ("陕西省", "西安市", "未央区", "凤城八路"),
    ("陕西省", "榆林市", "榆阳区", "长城路"),
    ("陕西省", "咸阳市", "秦都区", "人民路"),
    ("北京市", "北京市", "朝阳区", "望京街"),
    ("上海市", "上海市", "浦东新区", "张杨路"),
    ("广东省", "深圳市", "南山区", "科技园路"),
    ("广东省", "广州市", "天河区", "体育西路"),
    ("四川省", "成都市", "武侯区", "天府大道"),
    ("浙江省", "杭州市", "西湖区", "文三路"),
    ("江苏省", "南京市", "鼓楼区", "中山路"),
    ("山西省", "太原市", "小店区", "长风街"),
    ("甘肃省", "兰州市", "城关区", "东岗西路"),
    ("河南省", "郑州市", "金水区", "花园路"),
)
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华玲平刚桂兰霞辉鹏建国红梅文斌志峰"
CONSUMER_ADDRESS = {
    "province": "陕西省",
    "city": "西安市",
    "district": "雁塔区",
    "street": "科技路 48 号 3 栋 1202 室",
    "recipient": "顾客（演示）",
    "phone": "13800138000",
}
RETURN_REASONS = ("收到时部分破损，退货退款", "与描述不符，买家退货", "七天无理由退货")
MONEY_BACK_REASONS = (
    "部分果实磕碰，协商部分退款",
    "配送延误，补偿部分货款",
    "个别包装漏气，部分退款",
)
COUNTER_REFUND_REASONS = ("部分菜品质量问题，协商退款", "到货后复秤短少，退还差价")
RETURN_WRITE_OFF = "退货商品检验不合格，报损"
TRACKING_PREFIXES = ("SF", "YT", "ZTO", "JD")
