from django.apps import AppConfig


class TicketingConfig(AppConfig):
    name = "saasproj.ticketing"
    label = "ticketing"
