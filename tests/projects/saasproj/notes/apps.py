from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "saasproj.notes"
    label = "notes"
