from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "civicgrid.areas"
    label = "areas"
    verbose_name = "行政区划与网格"

    def ready(self) -> None:
        from civicgrid.areas import signals  # noqa: F401  (rebuilds the point → grid index)
