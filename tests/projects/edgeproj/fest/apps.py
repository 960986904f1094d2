from django.apps import AppConfig


class FestConfig(AppConfig):
    name = "edgeproj.fest"
    label = "fest"
    default_auto_field = "django.db.models.AutoField"
