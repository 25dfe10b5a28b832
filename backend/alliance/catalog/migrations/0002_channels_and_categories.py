"""Reference data every installation needs: the two channels and the category tree."""

from django.db import migrations

CHANNELS = [("online", "线上商城"), ("base", "联盟基地门店")]

CATEGORIES = [
    ("vegetables", "蔬菜", "Vegetables", [
        ("leafy-greens", "叶菜", "Leafy greens"),
        ("root-vegetables", "根茎类", "Root vegetables"),
        ("fruiting-vegetables", "茄果瓜类", "Fruiting vegetables"),
    ]),
    ("fruit", "水果", "Fruit", [
        ("apples", "苹果", "Apples"),
        ("pears", "梨", "Pears"),
        ("stone-fruit", "桃杏李", "Stone fruit"),
        ("jujubes", "红枣", "Jujubes"),
    ]),
    ("grains", "杂粮", "Grains", [
        ("millet", "小米", "Millet"),
        ("buckwheat", "荞麦", "Buckwheat"),
        ("beans", "豆类", "Beans"),
        ("corn", "玉米", "Corn"),
    ]),
    ("fungi", "菌类", "Fungi", [
        ("shiitake", "香菇", "Shiitake"),
        ("wood-ear", "木耳", "Wood ear"),
        ("oyster-mushrooms", "平菇杏鲍菇", "Oyster mushrooms"),
    ]),
    ("honey", "蜂蜜", "Honey", [
        ("wild-honey", "土蜂蜜", "Wild honey"),
        ("acacia-honey", "槐花蜜", "Acacia honey"),
        ("multiflower-honey", "百花蜜", "Multiflower honey"),
    ]),
]


def forwards(apps, schema_editor):
    Channel = apps.get_model("catalog", "Channel")
    Category = apps.get_model("catalog", "Category")
    for slug, name in CHANNELS:
        Channel.objects.update_or_create(slug=slug, defaults={"name": name, "currency": "CNY"})
    for order, (slug, name, name_en, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "sort_order": order, "parent": None}
        )
        for child_order, (child_slug, child_name, child_en) in enumerate(children):
            Category.objects.update_or_create(
                slug=child_slug,
                defaults={"name": child_name, "name_en": child_en, "sort_order": child_order,
                          "parent": parent},
            )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
