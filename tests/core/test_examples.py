"""The examples hints are made of come from the project at hand (the demo here; saasproj in
tests/cli/test_second_project_hints.py), and the REPL's help names its model and dimensions."""

from __future__ import annotations


def test_examples_of_the_demo_project(project):
    from tenant_console.core import examples
    from tenant_console.ui.repl.help import help_text

    assert examples.model_label() == "conference.Submission"  # the demo's app with most models, most relations
    assert examples.object_spec() == "conference.Submission.PK"
    assert examples.relation_label().startswith("conference.Submission.")
    assert examples.tenant_option(project.registry) == "--event__slug=SLUG"
    assert examples.tenant_option(None) == "--DIMENSION__slug=VALUE"
    text = help_text("Order", ["organizer"])
    assert "Order.objects.count() just works" in text and "dimension's name (organizer)" in text
    assert "{" not in text.split("Keys:")[0]
