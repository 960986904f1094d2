"""saasproj: a second, test-only Django project shaped unlike the demo (see ``settings.py``).

Try it by hand from the repository root::

    export SAASPROJ_DB=/tmp/saasproj.sqlite3
    .venv/bin/python -m django seed_saas --settings saasproj.settings --pythonpath tests/projects
    .venv/bin/tenant-console --settings saasproj.settings --pythonpath tests/projects models
    .venv/bin/tenant-console --settings saasproj.settings --pythonpath tests/projects \\
        shell --event__slug=winter-expo -c "print(organizer, Ticket.objects.count())"

The tests drive it the same way, in subprocesses (``tests/core/second_project.py``).
"""
