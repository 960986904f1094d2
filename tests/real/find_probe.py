"""Run in a project's venv: the console's jump by the project's own code (``:Submission CEPRNX``), printed as JSON.

    python find_probe.py MODEL DIMENSION LOOKUP=VALUE OTHER_LOOKUP=VALUE

Which code fields core/browse/access.code_fields finds on MODEL (from the model alone), the object of
the tenant found by its code typed in lower case, and the refusal of the other tenant's code, through
the same session and scope rule the console uses.
"""

from __future__ import annotations

import json
import os
import sys


def main(model_label: str, dimension: str, lookup: str, other_lookup: str) -> dict[str, object]:
    from tenant_console.core.project import load_project

    project = load_project(os.environ["DJANGO_SETTINGS_MODULE"])
    from django.apps import apps

    from tenant_console.core.browse.access import NotVisible, code_fields, find_object

    model = apps.get_model(model_label)
    tenant_model = project.registry.dimensions[dimension].model
    path = dict(project.registry.owner_paths(model))[dimension]
    fields = code_fields(model)
    with project.session("find-probe") as session:
        def tenant_pk(text: str) -> object:
            name, value = text.split("=", 1)
            return tenant_model._base_manager.get(**{name: value}).pk

        ours, theirs = session.run(tenant_pk, lookup, scoped=False), session.run(tenant_pk, other_lookup, scoped=False)

        def first(tenant: object) -> tuple[object, str]:
            return model._base_manager.filter(**{path: tenant}).order_by("pk").values_list("pk", fields[0]).first()

        own_pk, own_code = session.run(first, ours, scoped=False)
        _other_pk, other_code = session.run(first, theirs, scoped=False)
        state = session.activate({dimension: ours})
        found = session.run(find_object, project.registry, model_label, own_code.lower(), state)
        try:
            session.run(find_object, project.registry, model_label, other_code, state)
            refused = ""
        except NotVisible as exc:
            refused = exc.message
    return {"code_fields": fields, "expected_pk": str(own_pk), "found_pk": str(found.pk), "field": found.field,
            "other_code": other_code, "refused": refused}


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])))
