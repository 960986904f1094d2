from django.apps import AppConfig


class ShopConfig(AppConfig):
    name = "shoplike.shop"
    label = "shop"
    default_auto_field = "django.db.models.AutoField"
