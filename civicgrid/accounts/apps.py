from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "civicgrid.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from civicgrid.accounts import signals  # noqa: F401  (audit of logins and lockouts)
