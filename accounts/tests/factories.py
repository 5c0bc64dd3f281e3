import factory
from factory.django import DjangoModelFactory

from accounts.models import Department, User


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Iterator(["Иван", "Мария", "Петър", "Елена", "Георги"])
    last_name = factory.Iterator(["Петров", "Иванова", "Георгиев", "Николова", "Димитров"])
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.bg")
    password = factory.django.Password("parola123")
    is_active = True


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Отдел {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)
