from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "civicgrid.webhooks"
    label = "webhooks"
    verbose_name = "对外推送 (Webhook)"

    def ready(self) -> None:
        from civicgrid.webhooks import receivers

        receivers.connect()
