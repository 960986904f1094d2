import pytest

pytestmark = pytest.mark.mariadb


def test_every_database_is_seeded(session, event_pks):
    from conference.models import Submission

    assert "democon" in event_pks
    session.activate({"event": event_pks["democon"]})
    count = session.run(lambda: Submission.objects.count())
    assert count == 40
