"""Build a pretalx database for the real-project suite (run inside the pretalx venv).

    PRETALX_DATA_DIR=... python tests/real/pretalx_data.py [--empty]

Migrates, runs ``init --noinput`` and ``create_test_event`` for two events (seeded, so the
same on every run), then adds through the ORM what ``create_test_event`` does not make:
questions (one inactive, hidden by ``Question.objects``) with options and answers, tags,
resources, and one draft submission per event (hidden by ``Submission.objects``).
``--empty`` only migrates (the target of an import).
"""

from __future__ import annotations

import os
import random
import sys

SEED = 4711
EVENTS = [("democon", "DemoCon"), ("opsfest", "OpsFest Summit")]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pretalx.settings")
    os.environ.setdefault("DJANGO_SUPERUSER_EMAIL", "admin@example.org")
    os.environ.setdefault("DJANGO_SUPERUSER_PASSWORD", "tc-real-admin")
    os.environ.setdefault("PRETALX_INIT_ORGANISER_NAME", "Real Org")
    os.environ.setdefault("PRETALX_INIT_ORGANISER_SLUG", "realorg")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if "--empty" in sys.argv:
        return
    call_command("init", interactive=False, verbosity=0)
    for i, (slug, name) in enumerate(EVENTS):
        random.seed(SEED + i)
        call_command("create_test_event", slug=slug, seed=str(SEED + i), verbosity=0)
        enrich(slug, name, random.Random(SEED + 100 + i))
    print("pretalx data ready")


def enrich(slug: str, name: str, rnd: random.Random) -> None:
    from django_scopes import scopes_disabled
    from pretalx.event.models import Event
    from pretalx.submission.models import (
        Answer,
        AnswerOption,
        Question,
        Resource,
        Submission,
        Tag,
    )

    with scopes_disabled():
        event = Event.objects.get(slug=slug)
        event.name = name
        event.save()
        submissions = list(Submission.all_objects.filter(event=event).order_by("pk"))
        tags = [
            Tag.objects.create(event=event, tag=f"{slug}-{label}", color=color)
            for label, color in (("keynote", "#aa0000"), ("beginner", "#00aa00"), ("deep-dive", "#0000aa"))
        ]
        for sub in submissions:
            sub.tags.set(rnd.sample(tags, rnd.randint(0, 2)))

        text_q = Question.all_objects.create(event=event, question="What is your pitch?", variant="text",
                                             target="submission", position=1)
        choice_q = Question.all_objects.create(event=event, question="Which level?", variant="choices",
                                               target="submission", position=2)
        Question.all_objects.create(event=event, question="Retired question", variant="string",
                                    target="submission", active=False, position=3)
        options = [AnswerOption.objects.create(question=choice_q, answer=level, position=i)
                   for i, level in enumerate(("beginner", "intermediate", "expert"))]
        for sub in submissions[: max(5, len(submissions) // 2)]:
            Answer.objects.create(question=text_q, submission=sub, answer=f"Pitch for {sub.code}")
            answer = Answer.objects.create(question=choice_q, submission=sub, answer="")
            answer.options.set([rnd.choice(options)])
        for sub in submissions[:6]:
            Resource.objects.create(submission=sub, link=f"https://example.org/{slug}/{sub.code}",
                                    description=f"Slides for {sub.code}")
        first = submissions[0]
        draft = Submission.all_objects.create(event=event, title=f"Unfinished idea ({slug})", state="draft",
                                              submission_type=first.submission_type, track=first.track,
                                              abstract="Draft", content_locale="en")
        draft.speakers.set(first.speakers.all()[:1])


if __name__ == "__main__":
    main()
