"""A project's check constraints (choices it enforces, ranges, rules between fields) are checked in the
plan, on SQLite, PostgreSQL and MariaDB: a row that violates one is an ``invalid_value`` naming the
constraint; a condition Python cannot decide is asked of the target database (no table read), inside
the plan's read-only block."""

from __future__ import annotations

import pytest
from django.db import connections, models
from django.db.models import F, Q, Value
from django.test.utils import isolate_apps

from tenant_console.core.importer.constraints import q_holds
from tenant_console.core.importer.meta import model_info
from tenant_console.core.importer.reader import Row
from tenant_console.core.importer.validate import Validator
from tenant_console.core.readonly import read_only

pytestmark = pytest.mark.mariadb


@pytest.fixture(scope="module")
def badge():
    with isolate_apps("conference"):
        class Badge(models.Model):
            level = models.CharField(max_length=10, choices=[("gold", "Gold"), ("silver", "Silver")])
            points = models.IntegerField(default=0)
            bonus = models.IntegerField(null=True)

            class Meta:
                app_label = "conference"
                managed = False
                constraints = [
                    # choices the project enforces: decided in Python
                    models.CheckConstraint(condition=Q(level__in=["gold", "silver"]), name="badge_level_is_a_choice"),
                    # an expression: decided by the database
                    models.CheckConstraint(condition=Q(points__lte=Value(90) + Value(10)), name="badge_points_max"),
                    # a rule between two fields (F): decided by the database; NULL passes, as in SQL
                    models.CheckConstraint(condition=Q(bonus__lte=F("points")), name="badge_bonus_le_points"),
                ]

        yield Badge


def _row(**fields):
    base = {"level": "gold", "points": 10, "bonus": None}
    return Row("conference.badge", 1, {**base, **fields}, line=7)


@pytest.mark.parametrize(("fields", "why"), [
    ({}, None),
    ({"level": "silver", "points": 100, "bonus": 100}, None),
    ({"level": "bronze"}, "constraint badge_level_is_a_choice: violated by level='bronze'"),
    ({"points": 101}, "constraint badge_points_max: violated by points=101"),
    ({"points": 5, "bonus": 6}, "constraint badge_bonus_le_points: violated by bonus=6"),
])
def test_check_constraints_in_the_plan(db_alias, badge, fields, why):
    validator = Validator(connections[db_alias])
    info = model_info(badge)
    with read_only(db_alias):  # where the plan runs: the database-side check needs no savepoint
        got = validator.check(info, _row(**fields))
    assert got == why


def test_python_decides_plain_lookups_and_leaves_the_rest_to_the_database():
    values = {"level": "gold", "points": 3, "bonus": None}
    assert q_holds(Q(level__in=["gold"]) & ~Q(points__gt=5), values) is True
    assert q_holds(Q(level="x") | Q(points__gte=3), values) is True
    assert q_holds(Q(level__in=["x"]), values) is False
    assert q_holds(Q(bonus__lte=1), values) is None  # NULL: unknown, the database decides
    assert q_holds(Q(points__lte=F("bonus")), values) is None
    assert q_holds(Q(level__startswith="g"), values) is None
