import factory

from alliance.villages.models import Producer, Town, Village


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town

    code = factory.Sequence(lambda n: f"610627{n:03d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village

    town = factory.SubFactory(TownFactory)
    code = factory.Sequence(lambda n: f"6106279{n:05d}")  # 12 digits up to 99,999
    name = factory.Sequence(lambda n: f"测试村{n}")


class ProducerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Producer

    village = factory.SubFactory(VillageFactory)
    name = factory.Sequence(lambda n: f"测试合作社{n}")
    kind = Producer.Kind.COOPERATIVE
