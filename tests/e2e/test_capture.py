"""Capturing a contact, as a rep does it right after a meeting, and every bad input on the way."""

from __future__ import annotations

from typing import Any

from storage.contacts import ContactOrder
from tests.factories import RepChat, Statements, Storage, storage_of


def repo_of(app: Any) -> Storage:
    repository: Storage = storage_of(app)
    return repository


def owner_id(app: Any, rep: RepChat) -> int:
    stored = repo_of(app).reps.get_rep(telegram_id=rep.user_id)
    assert stored is not None
    return stored.id


def contacts(app: Any, rep: RepChat, status: str = "lead") -> list[Any]:
    page = repo_of(app).contacts.list_contacts(
        owner_id=owner_id(app, rep), status=status, order=ContactOrder.NEWEST, offset=0, limit=50
    )
    contacts = repo_of(app).contacts
    return [contacts.get_contact(owner_id=owner_id(app, rep), contact_id=item.id) for item in page.items]


class Counter:
    """Counts the rep's interactions: each message sent and each button tapped is one."""

    def __init__(self, rep: RepChat) -> None:
        self.rep, self.count = rep, 0

    async def send(self, text: str) -> None:
        self.count += 1
        await self.rep.send(text)

    async def press(self, label: str) -> None:
        self.count += 1
        await self.rep.press(label)


async def test_quick_capture_of_a_prospect_takes_eight_interactions(rep: RepChat, app: Any) -> None:
    me = Counter(rep)
    await me.send("Anna Virtanen, Acme Oy")
    assert "Anna Virtanen</b>, Acme Oy" in rep.last.raw_text  # type: ignore[operator]
    assert "Need?" in rep.last_text
    await me.press("Yes")
    assert "Budget?" in rep.last_text
    await me.press("Yes")
    await me.press("Decision-maker")
    await me.press("< 1 month")
    await me.press("⏩ Finish")
    await me.press("Tomorrow")
    summary = rep.last_text
    assert "Prospect: need, budget, decision-maker, timeline under 1 month" in summary
    # Every part of the score is listed, so that they add up to it.
    assert (
        "Score 87/100: need +25, budget +20, decision-maker +20, timeline under 1 month +20, meetings +2\n"
        in summary
    )
    assert "Next step: Thu 26 Nov, 09:00" in summary
    await me.press("✅ Save")
    assert me.count <= 8
    assert "Saved Anna Virtanen: Prospect, score 87" in rep.last_text
    [anna] = contacts(app, rep, "prospect")
    assert (anna.name, anna.company, anna.status, anna.score) == ("Anna Virtanen", "Acme Oy", "prospect", 87)
    assert anna.next_due is not None and anna.next_due.isoformat() == "2026-11-26T09:00:00+00:00"
    # The questions were one message, edited in place.
    assert len([m for m in rep.messages if m.reply_markup or "Saved" in (m.text or "")]) == 1


async def test_full_questionnaire_with_typed_answers_takes_at_most_twelve(rep: RepChat, app: Any) -> None:
    me = Counter(rep)
    await me.send("/new")
    assert "Name?" in rep.last_text
    await me.send("Ola Nordmann")
    assert "Company?" in rep.last_text
    await me.send("Fjord AS")
    await me.press("Partly")
    await me.press("Don't know")
    await me.press("Influencer")
    await me.press("3–12 months")
    await me.press("Yes")
    assert "Source?" in rep.last_text
    await me.press("Event")
    await me.send("Worried about the migration. Wants references.")
    assert "Next step?" in rep.last_text
    await me.press("In 3 days")
    await me.press("✅ Save")
    assert me.count <= 12
    [ola] = contacts(app, rep, "lead")
    assert ola.status_reasons == ("budget.unknown", "authority.influencer")
    assert ola.latest_note == "Worried about the migration. Wants references."
    assert ola.answers.source == "event"
    # Only the newest question carries live buttons; the earlier ones were retired.
    assert sum(1 for m in rep.messages if m.reply_markup and m.reply_markup.get("inline_keyboard")) == 1


async def test_a_one_tap_next_step_lands_on_a_working_day(rep: RepChat) -> None:
    # Wednesday: in three days is a Saturday, outside the default Monday to Friday.
    await rep.send("Pekka Salo, Nokia")
    await rep.press("⏩ Finish")
    await rep.press("In 3 days")
    assert "Next step: Mon 30 Nov, 09:00" in rep.last_text


async def test_cancel_stops_a_capture_halfway_and_saves_nothing(rep: RepChat, app: Any) -> None:
    await rep.send("Pekka Salo, Nokia")
    await rep.press("Yes")
    question = rep.last
    await rep.send("/cancel")
    assert rep.last_text == "Capture cancelled. Nothing was saved."
    assert contacts(app, rep) == []
    # The question's buttons are gone, and pressing one from before says it expired.
    assert not rep.fake.buttons(question)
    await rep.send("/cancel")
    assert rep.last_text == "Nothing to cancel."
    await rep.send("Liisa Koski")
    assert "Company?" in rep.last_text


async def test_a_lead_card_says_what_is_missing(rep: RepChat) -> None:
    await rep.send("Pekka Salo")
    await rep.press("Skip")  # company
    await rep.press("Yes")
    await rep.press("No")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "Lead: no budget, decision-maker unknown, timeline unknown" in rep.last_text
    assert "Next step: none" in rep.last_text


async def test_back_skip_and_edit(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("No")  # need
    await rep.press("◀ Back")
    assert "Need?" in rep.last_text and "✓ No" in rep.button_labels
    await rep.press("Yes")
    await rep.press("Skip")  # budget
    await rep.press("⏩ Finish")
    await rep.press("Next week")
    assert "Budget: –" in rep.last_text
    await rep.press("✏️ Edit")
    await rep.press("Budget")
    assert "Budget?" in rep.last_text
    await rep.press("Yes")
    assert "Check and save" in rep.last_text and "Budget: Yes" in rep.last_text
    await rep.press("✏️ Edit")
    await rep.press("Company")
    await rep.send("Acme Group Oy")
    assert "Check and save" in rep.last_text and "Acme Group Oy" in rep.last_text
    await rep.press("✅ Save")
    [anna] = contacts(app, rep, "lead")
    assert (anna.company, anna.answers.budget, anna.answers.need) == ("Acme Group Oy", "yes", "yes")


async def test_a_typed_date_is_echoed_and_a_bad_one_asks_again(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("⏩ Finish")
    await rep.press("📅 Type a date")
    assert "tomorrow 10" in rep.last_text
    await rep.send("the day after never")
    assert "couldn't read “the day after never” as a date" in rep.last_text
    assert "next friday 14:00" in rep.last_text
    await rep.send("yesterday 10:00")
    assert "in the past" in rep.last_text
    await rep.send("next friday 14:00")
    assert "Understood: Fri 27 Nov, 14:00" in rep.last_text
    await rep.press("✅ Save")
    [anna] = contacts(app, rep)
    assert anna.next_due.isoformat() == "2026-11-27T14:00:00+00:00"


async def test_a_date_typed_at_the_next_step_question_is_taken_as_the_next_step(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("⏩ Finish")
    assert "Next step?" in rep.last_text
    await rep.send("yesterday 10:00")  # a date, but not one to follow up on: the question again, with why
    assert "in the past" in rep.last_text and "Next step?" in rep.last_text
    await rep.send("next friday 14:00")  # typed without tapping "📅 Type a date" first
    assert "Understood: Fri 27 Nov, 14:00" in rep.last_text and "Check and save" in rep.last_text
    assert "Start next friday" not in " ".join(rep.button_labels)
    await rep.press("✅ Save")
    [anna] = contacts(app, rep)
    assert anna.next_due.isoformat() == "2026-11-27T14:00:00+00:00"


async def test_a_name_typed_at_the_next_step_question_offers_to_start_that_contact(rep: RepChat) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("⏩ Finish")
    await rep.send("Kari Nordmann")
    assert "Start Kari Nordmann" in " ".join(rep.button_labels)


async def test_one_word_that_names_a_day_at_the_next_step_question_is_the_next_step(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("⏩ Finish")
    await rep.send("Tomorrow")  # as a phone capitalises it
    assert "Understood: Thu 26 Nov, 09:00" in rep.last_text and "Check and save" in rep.last_text


async def test_a_date_typed_when_editing_the_next_step_from_the_summary_is_taken(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✏️ Edit")
    await rep.press("Next step")
    await rep.send("next friday 14:00")
    assert "Understood: Fri 27 Nov, 14:00" in rep.last_text and "Check and save" in rep.last_text
    await rep.press("✅ Save")
    [anna] = contacts(app, rep)
    assert anna.next_due.isoformat() == "2026-11-27T14:00:00+00:00"


async def test_a_phone_number_or_email_typed_alone_is_kept_as_that_and_the_name_asked(
    rep: RepChat, app: Any
) -> None:
    await rep.send("+358 40 123 4567")
    assert "📞 +358 40 123 4567" in rep.last_text and "Name?" in rep.last_text
    await rep.send("Aino Hämäläinen, Kone")
    assert "Aino Hämäläinen, Kone" in rep.last_text and "Need?" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "📞 +358 40 123 4567" in rep.last_text
    await rep.press("✅ Save")
    await rep.send("anna@acme.fi")
    assert "✉️ anna@acme.fi" in rep.last_text and "Name?" in rep.last_text
    await rep.send("Anna Virtanen")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    aino, anna = sorted(contacts(app, rep), key=lambda contact: contact.name)
    assert (aino.name, aino.company, aino.phone) == ("Aino Hämäläinen", "Kone", "+358401234567")
    assert (anna.name, anna.email) == ("Anna Virtanen", "anna@acme.fi")


async def test_a_number_typed_while_a_capture_waits_for_a_tap_is_offered_by_that_number(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.send("+358 40 123 4567")  # the capture asks "Need?" and waits for a tap
    assert rep.button_labels == ["▶ Continue Anna Virtanen", "➕ Start +358 40 123 4567"]
    await rep.press("➕ Start +358 40 123 4567")
    assert "📞 +358 40 123 4567" in rep.last_text and "Name?" in rep.last_text


async def test_a_name_with_digits_or_an_at_sign_is_still_a_name(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen 17, Acme Oy")
    assert "Anna Virtanen 17, Acme Oy" in rep.last_text and "Need?" in rep.last_text
    await rep.send("/cancel")
    await rep.send("@anna_v")  # a Telegram username: no address
    assert rep.last_text.startswith("📝 @anna_v\n") and "Company?" in rep.last_text
    await rep.send("/cancel")
    await rep.send("12345")  # not a valid number anywhere: a name, as typed
    assert "12345" in rep.last_text and "Company?" in rep.last_text


async def test_a_number_typed_alone_is_kept_with_its_spaces_made_plain(rep: RepChat) -> None:
    await rep.send("+358  40 123\n4567")
    assert "📞 +358 40 123 4567\n" in rep.last_text and "Name?" in rep.last_text


async def test_capture_from_a_shared_contact(rep: RepChat, app: Any) -> None:
    await rep.send_contact("+358 40 123 4567", "Aino", "Hämäläinen")
    assert "Aino Hämäläinen" in rep.last_text and "Company?" in rep.last_text
    await rep.send("Kone")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "+358 40 123 4567" in rep.last_text
    await rep.press("✅ Save")
    [aino] = contacts(app, rep)
    # Kept in one form however it was written (E.164), shown grouped for the reader.
    assert (aino.name, aino.phone, aino.company) == ("Aino Hämäläinen", "+358401234567", "Kone")
    await rep.press("Open card")
    assert "📞 +358 40 1234567" in rep.last_text


async def test_capture_from_a_forwarded_message(rep: RepChat, app: Any) -> None:
    await rep.forward("Could you send the price list?", sender="Jean Dupont")
    assert "Jean Dupont" in rep.last_text
    await rep.press("Skip")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "Could you send the price list?" in rep.last_text
    await rep.press("✅ Save")
    [jean] = contacts(app, rep)
    assert jean.latest_note == "Could you send the price list?"


async def test_a_forward_from_a_hidden_user_uses_the_name_telegram_shows(rep: RepChat) -> None:
    await rep.forward("Hello", hidden_sender="Zsófia K.")
    assert "Zsófia K." in rep.last_text and "Company?" in rep.last_text


async def capture_named(rep: RepChat, name: str) -> None:
    await rep.send(name)
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")


async def test_a_matching_name_offers_to_log_the_meeting_on_the_existing_contact(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    await rep.send("anna VIRTANEN")
    assert "You already have" in rep.last_text and "Anna Virtanen, Acme Oy" in rep.last_text
    await rep.press("📎 Add to Anna Virtanen")
    assert "Need?" in rep.last_text  # the company is known from the contact
    await rep.press("Skip")
    await rep.press("Yes")  # budget
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "existing contact" in rep.last_text
    await rep.press("✅ Save")
    [anna] = contacts(app, rep)
    assert anna.touches == 2
    # The skipped need kept the earlier answer; the budget is the new one.
    assert (anna.answers.need, anna.answers.budget) == ("yes", "yes")


async def test_a_matching_phone_can_still_become_a_new_contact(rep: RepChat, app: Any) -> None:
    await rep.send("/help")  # registered, then in Helsinki: "040 …" is read as a Finnish number
    repo = storage_of(app)
    repo.reps.update_rep(rep_id=repo.reps.get_rep(telegram_id=rep.user_id).id, timezone="Europe/Helsinki")
    await rep.send_contact("+358401234567", "Aino", "Hämäläinen")
    await rep.send("Kone")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    await rep.send_contact("040 123 4567", "Aino", "H")
    assert "You already have" in rep.last_text
    await rep.press("➕ New contact")
    assert "Company?" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    assert len(contacts(app, rep)) == 2


async def test_the_duplicate_offer_can_be_cancelled_and_saves_nothing(rep: RepChat, app: Any) -> None:
    await capture_named(rep, "Anna Virtanen, Acme Oy")
    await rep.send("Anna Virtanen")
    assert "You already have" in rep.last_text
    assert rep.button_labels[-1] == "✖ Cancel"
    await rep.press("✖ Cancel")
    assert rep.last_text == "Capture cancelled. Nothing was saved." and rep.button_labels == []
    assert len(contacts(app, rep)) == 1
    await rep.send("Pekka Salo")  # nothing left open: a new name starts a new capture
    assert "Company?" in rep.last_text


async def test_cancel_saves_nothing_and_old_buttons_expire(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen")
    finish = rep.button_data("⏩ Finish")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✖ Cancel")
    assert "Nothing was saved" in rep.last_text
    answer = await rep.press_data(finish, message=rep.last)
    assert answer == "This button has expired. Nothing was changed."
    assert contacts(app, rep) == []


async def test_a_second_save_tap_stores_one_contact(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    save = rep.button_data("✅ Save")
    summary = rep.last_with_buttons
    await rep.press("✅ Save")
    assert await rep.press_data(save, message=summary) == "This button has expired. Nothing was changed."
    assert len(contacts(app, rep)) == 1


async def test_a_very_long_name_is_cut_and_the_rep_is_told(rep: RepChat, app: Any) -> None:
    await rep.send("A" * 5000)
    assert "Name was too long: I kept the first 200 characters" in rep.last_text
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    [contact] = contacts(app, rep)
    assert contact.name == "A" * 200


async def test_emoji_rtl_and_html_characters_are_shown_exactly(rep: RepChat, app: Any) -> None:
    name = "<b>Zoë & Co</b> 🚀 שלום"
    await rep.send(name)
    assert name in rep.last_text
    await rep.press("Skip")
    await rep.press("⏩ Finish")
    await rep.press("📅 Type a date")
    await rep.press("◀ Back")
    await rep.press("No next step")
    await rep.press("✏️ Edit")
    await rep.press("Note")
    await rep.send("Price < 5k & <i>soon</i> 😀")
    assert "Price < 5k & <i>soon</i> 😀" in rep.last_text
    await rep.press("✅ Save")
    [contact] = contacts(app, rep)
    assert contact.name == name and contact.latest_note == "Price < 5k & <i>soon</i> 😀"


async def test_a_photo_sticker_or_voice_mid_question_points_to_the_question(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("Yes")
    question = rep.last_with_buttons
    for send in (rep.send_sticker, rep.send_voice):
        await send()
        assert "I can't use that here" in rep.last_text and "question above is still open" in rep.last_text
    # A photo is read as a business card; one of no card says so, and points at the question too.
    await rep.send_photo()
    assert "couldn't find a business card's text" in rep.last_text
    assert "question above is still open" in rep.last_text
    # One short line each time, never a copy of the question: the one question keeps its buttons.
    assert [m.message_id for m in rep.messages if m.text and "Budget?" in m.text] == [question.message_id]
    await rep.press("Yes", message=question)
    assert "Decision-maker?" in next(
        m.text or "" for m in rep.messages if m.message_id == question.message_id
    )
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None and draft.answers.need == "yes" and draft.answers.budget == "yes"


async def test_a_photo_of_no_card_outside_a_capture_says_how_to_start(rep: RepChat) -> None:
    await rep.send_photo()
    assert "Type the person's name instead" in rep.last_text


async def test_new_while_a_capture_is_open_offers_to_continue_or_start_over(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("Yes")
    await rep.send("/new")
    assert "haven't finished capturing Anna Virtanen" in rep.last_text
    await rep.press("▶ Continue")
    assert "Budget?" in rep.last_text
    await rep.send("/new")
    await rep.press("➕ Start a new one")
    assert "Name?" in rep.last_text
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None and draft.answers.name is None


async def test_a_name_typed_while_a_tap_is_awaited_is_kept_until_the_rep_chooses(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.send("Bob Smith, Initech")
    assert "haven't finished capturing Anna Virtanen" in rep.last_text
    await rep.press("➕ Start Bob Smith")
    assert "Bob Smith" in rep.last_text and "Need?" in rep.last_text


async def test_unknown_commands_point_to_help(rep: RepChat) -> None:
    await rep.send("/frobnicate")
    assert "I don't know that command" in rep.last_text


async def test_tampered_or_foreign_buttons_are_refused_and_change_nothing(
    rep: RepChat, other_rep: RepChat, app: Any
) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None
    await other_rep.send("Someone, Else")
    expired = "This button has expired. Nothing was changed."
    for data in (
        f"q:{draft.id}:need:yes",
        f"s:{draft.id}:save",
        f"s:{draft.id}:cancel",
        f"e:{draft.id}:name",
        f"n:{draft.id}:restart",
        f"d:{draft.id}:new",
        f"qd:{draft.id}:30000000",
    ):
        assert await other_rep.press_data(data) == expired
    assert await rep.press_data(f"q:{draft.id}:need:maybe") == expired
    assert await rep.press_data("q:notanumber:need:yes") == expired
    assert await rep.press_data("zz:1:2") == expired
    after = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert after is not None and after.version == draft.version and after.answers.need is None


async def test_an_older_offer_never_cancels_the_capture_in_progress(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.send("Bob Smith, Initech")
    older = rep.last_with_buttons
    await rep.send("Carl Berg, Nordic AB")
    await rep.press("▶ Continue")
    await rep.press("Yes")  # Need, for Anna
    answer = await rep.press("➕ Start Bob Smith", message=older)
    assert answer == "This button has expired. Nothing was changed."
    assert rep.fake.buttons(older) == [], "the stale offer keeps no live buttons"
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None and draft.answers.name == "Anna Virtanen" and draft.answers.need == "yes"


async def test_a_tap_on_a_question_is_one_read_and_one_write(rep: RepChat, app: Any) -> None:
    # The rep and the draft the button names are read in one statement: the tap a capture is made of.
    await rep.send("Anna Virtanen, Acme Oy")
    statements = Statements(app)
    try:
        with statements.recording() as seen:
            await rep.press("Yes")
    finally:
        statements.close()
    assert "Budget?" in rep.last_text
    ran = [statement for statement in seen if not statement.upper().startswith("BEGIN")]
    assert [statement.split()[0].upper() for statement in ran] == ["SELECT", "UPDATE"], seen
    assert "FROM rep LEFT OUTER JOIN capturedraft" in ran[0]


async def test_a_typed_name_reads_the_rep_with_their_open_capture(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.send("/cancel")
    statements = Statements(app)
    try:
        with statements.recording() as seen:
            await rep.send("Bob Smith, Initech")
        assert "Need?" in rep.last_text
        reads = [statement for statement in seen if statement.upper().startswith("SELECT")]
        # The rep with their open capture (none), then the look for a contact of that name.
        assert len(reads) == 2 and "FROM rep LEFT OUTER JOIN capturedraft" in reads[0], seen
        with statements.recording() as seen:
            await rep.send("Carl Berg, Nordic AB")  # the capture waits for a tap: this one is queued
        assert "You haven't finished capturing Bob Smith" in rep.last_text
        assert len([statement for statement in seen if statement.upper().startswith("SELECT")]) == 1
    finally:
        statements.close()
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None and draft.answers.name == "Bob Smith"
    assert draft.queued is not None and draft.queued.name == "Carl Berg"


async def test_a_forged_resume_button_is_refused(rep: RepChat, app: Any) -> None:
    await rep.send("Anna Virtanen, Acme Oy")
    await rep.press("Yes")
    await rep.send("Bob Smith, Initech")
    draft = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert draft is not None
    for forged in (f"n:{draft.id}:restart", f"n:{draft.id}:restart:{draft.version + 5}", "n:999:restart:1"):
        answer = await rep.press_data(forged)
        assert answer == "This button has expired. Nothing was changed."
    kept = repo_of(app).drafts.get_open_draft(owner_id=owner_id(app, rep))
    assert kept is not None and kept.id == draft.id and kept.answers.need == "yes"


async def test_save_shows_the_saved_card_before_its_toast(rep: RepChat) -> None:
    # As for every tap, the query is answered last: a process that dies before the answer has still shown
    # the rep what was saved.
    await rep.send("Anna Virtanen, Acme Oy")
    for answer in ("Yes", "Yes", "Decision-maker", "< 1 month", "⏩ Finish", "Tomorrow"):
        await rep.press(answer)
    before = len(rep.fake.requests)
    answer = await rep.press("✅ Save")
    assert answer == "Saved"
    methods = [call.method for call in rep.fake.requests[before:]]
    assert methods == ["editMessageText", "answerCallbackQuery"], methods
    assert "Saved Anna Virtanen: Prospect, score 87" in rep.last_text
