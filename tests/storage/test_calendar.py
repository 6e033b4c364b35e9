"""Calendar subscriptions on SQLite and PostgreSQL: one per rep, a new address replaces exactly the one it
names, a feed is found only by its token's hash and shows only its rep's records, and the time its
content last changed moves only when the content does."""

from __future__ import annotations

from datetime import date, timedelta

from bot.calendar import new_token, token_hash
from bot.qualification import NextStepChoice, QualificationAnswers
from tests.factories import Storage, make_rep, save


def test_one_subscription_per_rep_and_a_new_address_replaces_the_one_it_names(repo: Storage) -> None:
    rep = make_rep(repo)
    first, second, third = (token_hash(new_token()) for _ in range(3))
    feed = repo.calendar.turn_on(rep_id=rep.id, token_hash=first)
    assert feed is not None and feed.version == 1
    assert repo.calendar.turn_on(rep_id=rep.id, token_hash=second) is None, "a double tap"
    renewed = repo.calendar.new_address(rep_id=rep.id, version=1, token_hash=second)
    assert renewed is not None and renewed.version == 2
    # The same confirmation again (a double tap, another replica): it names an address already replaced.
    assert repo.calendar.new_address(rep_id=rep.id, version=1, token_hash=third) is None
    assert repo.calendar.feed(token_hash=first) is None
    assert repo.calendar.feed(token_hash=third) is None
    found = repo.calendar.feed(token_hash=second)
    assert found is not None and found.rep_id == rep.id
    assert repo.calendar.turn_off(rep_id=rep.id)
    assert not repo.calendar.turn_off(rep_id=rep.id)
    assert repo.calendar.feed(token_hash=second) is None
    assert repo.calendar.new_address(rep_id=rep.id, version=2, token_hash=third) is None


def test_a_feed_shows_its_rep_s_open_follow_ups_with_the_latest_note_and_their_birthdays(
    repo: Storage,
) -> None:
    rep, other = make_rep(repo, 1), make_rep(repo, 2)
    now = repo.clock()
    due = now + timedelta(days=1)
    anna = save(
        repo,
        rep,
        QualificationAnswers(
            name="Anna", company="Acme", note="First note", next_step=NextStepChoice.DATE, next_due=due
        ),
        now,
    )
    repo.clock.now = now + timedelta(minutes=5)
    assert repo.contacts.add_note(owner_id=rep.id, contact_id=anna, note="Latest note")
    quiet = save(repo, rep, QualificationAnswers(name="Bo"), now)
    assert repo.contacts.set_birthday(owner_id=rep.id, contact_id=quiet, birthday=date(1980, 6, 1))
    save(
        repo,
        other,
        QualificationAnswers(name="Other", note="Not yours", next_step=NextStepChoice.DATE, next_due=due),
        now,
    )
    hashed = token_hash(new_token())
    repo.calendar.turn_on(rep_id=rep.id, token_hash=hashed)
    found = repo.calendar.feed(token_hash=hashed)
    assert found is not None
    assert (found.content.language, found.content.timezone) == ("en", "Europe/Helsinki")
    [followup] = found.content.followups
    assert (followup.name, followup.company, followup.note, followup.due_at) == (
        "Anna",
        "Acme",
        "Latest note",
        due,
    )
    assert [(b.name, b.birthday) for b in found.content.birthdays] == [("Bo", date(1980, 6, 1))]


def test_the_content_s_time_moves_only_when_the_content_changes(repo: Storage) -> None:
    rep = make_rep(repo)
    hashed = token_hash(new_token())
    repo.calendar.turn_on(rep_id=rep.id, token_hash=hashed)
    start = repo.clock()
    assert repo.calendar.record_content(rep_id=rep.id, token_hash=hashed, content_hash="a" * 64) == start
    repo.clock.now = start + timedelta(hours=1)
    assert repo.calendar.record_content(rep_id=rep.id, token_hash=hashed, content_hash="a" * 64) == start
    later = repo.clock()
    assert repo.calendar.record_content(rep_id=rep.id, token_hash=hashed, content_hash="b" * 64) == later
    # A request that read the feed before its address was replaced records nothing.
    assert repo.calendar.new_address(rep_id=rep.id, version=1, token_hash=token_hash(new_token()))
    assert repo.calendar.record_content(rep_id=rep.id, token_hash=hashed, content_hash="c" * 64) is None
