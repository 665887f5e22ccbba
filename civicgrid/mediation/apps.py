from django.apps import AppConfig, apps


class MediationConfig(AppConfig):
    name = "civicgrid.mediation"
    label = "mediation"
    verbose_name = "矛盾纠纷排查化解"

    def ready(self) -> None:
        from civicgrid.cases.tick import tick_done
        from civicgrid.mediation import reminders

        tick_done.connect(reminders.on_tick, dispatch_uid="mediation.reminders")
        if apps.is_installed("civicgrid.stats"):  # the command centre shows our KPIs
            from civicgrid.mediation.stats_kpis import register_kpis

            register_kpis()
