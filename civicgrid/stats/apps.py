from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "civicgrid.stats"
    label = "stats"
    verbose_name = "指挥中心与考核"
