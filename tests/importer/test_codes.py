"""A rename of a code the project draws at random (pretix's ``OrderPosition.pseudonymization_id``, pretalx's
``Submission.code``) makes a fresh code of the same alphabet and length, not ``CODE-2`` (finding F13)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.db import models
from django.test import override_settings
from django.test.utils import isolate_apps
from django.utils.crypto import get_random_string

from tenant_console.core.importer import Decisions, Retarget
from tenant_console.core.importer.codes import generated_code

pytestmark = pytest.mark.mariadb
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ3789"


def test_where_the_alphabet_comes_from():
    with isolate_apps("conference"):
        class OrderPosition(models.Model):  # pretix: the alphabet is a local variable of its generator
            pseudonymization_id = models.CharField(max_length=16, unique=True)
            secret = models.CharField(max_length=255)

            class Meta:
                app_label = "pretixbase"

        class Submission(models.Model):  # pretalx's GenerateCode mixin: class attributes
            _code_property = "code"
            _code_charset = list(ALPHABET)
            _code_length = 6
            code = models.CharField(max_length=16, unique=True)
            slug = models.CharField(max_length=16, unique=True)

            class Meta:
                app_label = "conference"

        rule = generated_code(OrderPosition, OrderPosition._meta.get_field("pseudonymization_id"))
        assert rule is not None and (rule.alphabet, rule.length) == (ALPHABET, 10)
        assert re.fullmatch(f"[{ALPHABET}]{{10}}", rule.make())
        assert generated_code(OrderPosition, OrderPosition._meta.get_field("secret")) is None
        rule = generated_code(Submission, Submission._meta.get_field("code"))
        assert rule is not None and (rule.alphabet, rule.length) == (ALPHABET, 6)
        assert generated_code(Submission, Submission._meta.get_field("slug")) is None
        declared = {**settings.TENANT_CONSOLE, "GENERATED_CODES": {"conference.Submission.slug": {
            "alphabet": "xyz", "length": 4}}}
        with override_settings(TENANT_CONSOLE=declared):
            rule = generated_code(Submission, Submission._meta.get_field("slug"))
            assert rule is not None and (rule.alphabet, rule.length) == ("xyz", 4)
        with override_settings(TENANT_CONSOLE={**declared, "GENERATED_CODES": {"conference.Submission.slug": {
                "alphabet": "xyz", "length": 17}}}):
            assert generated_code(Submission, Submission._meta.get_field("slug")) is None  # longer than the field


def _invite_code() -> str:  # pretalx's generate_invite_code: a secret URL token
    return get_random_string(length=32, allowed_chars=ALPHABET)


def test_pretalx_spelling_and_a_generating_default():
    """pretalx 2024-2026 spells GenerateCode's attributes without the underscore (found on the real
    pretalx: every copied code became CODE-2); a unique text field whose default draws a value (pretalx's
    ``Submission.review_code``) gets a new one from that default, never a suffix on the original's secret."""
    with isolate_apps("conference"):
        class Submission(models.Model):
            code_property = "code"
            code_charset = list(ALPHABET)
            code_length = 6
            code = models.CharField(max_length=16, unique=True)
            review_code = models.CharField(max_length=32, unique=True, null=True, default=_invite_code)
            short = models.CharField(max_length=8, unique=True, default=_invite_code)  # would not fit
            fixed = models.CharField(max_length=8, unique=True, default=lambda: "same")  # not a generator

            class Meta:
                app_label = "conference"

        rule = generated_code(Submission, Submission._meta.get_field("code"))
        assert rule is not None and (rule.alphabet, rule.length) == (ALPHABET, 6)
        rule = generated_code(Submission, Submission._meta.get_field("review_code"))
        assert rule is not None
        made = {rule.make() for _ in range(5)}
        assert len(made) == 5 and all(re.fullmatch(f"[{ALPHABET}]{{32}}", c) for c in made)
        assert generated_code(Submission, Submission._meta.get_field("short")) is None
        assert generated_code(Submission, Submission._meta.get_field("fixed")) is None


def test_a_copy_of_the_tenant_gets_fresh_codes(importer, loaded):
    """``--new-tenant`` in the same database: every submission's code (unique across the database) is taken
    by the original; declared as generated, each copy gets a new random code of the same alphabet and length."""
    declared = {**settings.TENANT_CONSOLE, "GENERATED_CODES": {"conference.Submission.code": {
        "alphabet": ALPHABET, "length": 8}}}
    with override_settings(TENANT_CONSOLE=declared):
        plan = importer.plan(loaded, Retarget.new_tenant({"event": {"slug": "democon-copy"}}))
        d = Decisions()
        d.set_default("skip", "missing_ref")
        report = importer.apply(plan, importer.resolve(plan, d))
    codes = {ref: v["code"] for ref, v in report.renamed.items() if ref.startswith("conference.submission:")}
    assert len(codes) == len(plan.items["conference.submission"])
    assert all(re.fullmatch(f"[{ALPHABET}]{{8}}", c) for c in codes.values()), codes
    assert len(set(codes.values())) == len(codes)

    def stored():
        from conference.models import Submission

        return set(Submission._base_manager.filter(event__slug="democon-copy").values_list("code", flat=True))

    assert importer.run(stored) == set(codes.values())
