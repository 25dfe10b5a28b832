import factory

from alliance.accounts.models import Role, User

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    role = Role.CONSUMER
    password = factory.django.Password(PASSWORD)


def consumer() -> User:
    return UserFactory(role=Role.CONSUMER)


def staff() -> User:
    return UserFactory(role=Role.STAFF)


def operator_of(*producers) -> User:  # type: ignore[no-untyped-def]
    user = UserFactory(role=Role.OPERATOR)
    user.producers.set(producers)
    return user


def secretary_of(village) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(role=Role.SECRETARY, village=village)
