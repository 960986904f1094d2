"""The test settings plus a tenant router, as a sharded deployment has: ``djangocon-lab`` lives in ``target``."""

from tests.settings import *  # noqa: F403

DATABASE_ROUTERS = ["tests.move.router_settings.ShardRouter"]
SHARDS = {"djangocon-lab": "target"}


class ShardRouter:
    """Sends an event (given as the ``instance`` hint) to its shard; says nothing about anything else."""

    def db_for_read(self, model, **hints):
        instance = hints.get("instance")
        return SHARDS.get(getattr(instance, "slug", None)) if model._meta.label == "conference.Event" else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, **hints):
        return None
