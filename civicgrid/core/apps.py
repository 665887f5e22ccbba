from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "civicgrid.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from civicgrid.core import refcache

        refcache.connect()  # watched reference data: any write moves the stored token
