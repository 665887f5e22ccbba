from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "civicgrid.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from civicgrid.notifications import receivers

        receivers.connect()
