def test_both_databases_are_seeded(session, event_pks):
    from conference.models import Submission

    assert "democon" in event_pks
    session.activate({"event": event_pks["democon"]})
    count = session.run(lambda: Submission.objects.count())
    assert count == 40
