"""Django app config for Loa's domain."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class LoaConfig(AppConfig):
    name = "bot"
    label = "bot"
    verbose_name = _("Loa: reform communication")

    def ready(self):
        from bot.roles import ensure_groups  # noqa: PLC0415 - models are loaded only now

        # The role groups need the permissions, which Django creates after migrating: hence post_migrate.
        post_migrate.connect(ensure_groups, sender=self, dispatch_uid="loa-role-groups")
