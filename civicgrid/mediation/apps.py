from django.apps import AppConfig


class MediationConfig(AppConfig):
    name = "civicgrid.mediation"
    label = "mediation"
    verbose_name = "矛盾纠纷排查化解"
