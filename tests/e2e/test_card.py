"""The contact card and each of its actions, as a rep uses them before and after a call."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.factories import FakeClock, RepChat, capture, storage_of


async def open_card(rep: RepChat, text: str) -> None:
    await rep.send(f"/find {text}")
    await rep.press("1.")


def stored(app: Any, rep: RepChat, text: str) -> Any:
    repo = storage_of(app)
    owner = repo.reps.get_rep(telegram_id=rep.user_id)
    items = repo.contacts.find_contacts(owner_id=owner.id, text=text, offset=0, limit=5).items
    return repo.contacts.get_contact(owner_id=owner.id, contact_id=items[0].id) if items else None


async def test_the_card_shows_everything_and_the_latest_history(rep: RepChat) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", qualified=True, note="Asked about SLA")
    await open_card(rep, "anna")
    card = rep.last_text
    assert "Anna Virtanen, Acme Oy" in card
    assert "Prospect: need, budget, decision-maker, timeline under 1 month" in card
    assert "Need: Yes · Budget: Yes · Authority: Decision-maker · Timeline: < 1 month · Fit: –" in card
    assert "Stage: – · Source: –" in card
    assert "Next step: Thu 26 Nov, 09:00" in card
    assert "History (latest 1 of 1)" in card and "Meeting · Asked about SLA" in card
    assert rep.button_labels[:4] == ["📋 Copy message", "🤝 Meeting", "📞 Call", "📝 Note"]


async def test_meeting_notes_stay_on_the_card_behind_status_moves(rep: RepChat) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", note="Asked about SLA")
    await open_card(rep, "anna")
    await rep.press("📝 Note")
    await rep.send("Wants a demo in January")
    for move in ("→ Prospect", "→ Lead", "→ Prospect", "→ Lead", "→ Prospect", "→ Lead"):
        await rep.press("🏷 Status")
        await rep.press(move)
    card = rep.last_text
    assert "History (latest 2 of 8)" in card
    assert "Note · Wants a demo in January" in card and "Meeting · Asked about SLA" in card
    assert "• and 6 status changes and edits: 🕘 History" in card
    assert "Status: Prospect → Lead" not in card


async def test_log_a_call_keeps_earlier_answers_with_one_tap_and_shows_what_changed(
    rep: RepChat, app: Any
) -> None:
    await rep.send("Pekka Salo, Nokia")
    await rep.press("Yes")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    await open_card(rep, "pekka")
    await rep.press("📞 Call")
    assert "Need?" in rep.last_text and "✓ Yes" in rep.button_labels
    await rep.press("✓ Yes")  # keep
    await rep.press("Yes")  # budget, new
    await rep.press("Decision-maker")
    await rep.press("1–3 months")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    assert "existing contact" in rep.last_text and "Prospect" in rep.last_text
    await rep.press("✅ Save")
    await open_card(rep, "pekka")
    assert "Call · Budget: – → Yes; Authority: – → Decision-maker" in rep.last_text
    assert "Status: Lead → Prospect" in rep.last_text
    assert stored(app, rep, "pekka").touches == 2


async def test_add_a_note_and_find_it(rep: RepChat) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await open_card(rep, "aino")
    await rep.press("📝 Note")
    await rep.send("Prefers calls after 15:00 <not email> & Friday")
    assert "Note added" in rep.last_text and "Prefers calls after 15:00 <not email> & Friday" in rep.last_text
    await rep.send("/find friday")
    assert "Aino Hämäläinen" in rep.last_text


async def test_cancel_drops_a_question_the_card_asked(rep: RepChat) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await open_card(rep, "aino")
    await rep.press("📝 Note")
    await rep.send("/cancel")
    assert rep.last_text == "Cancelled. A name you type now starts a new contact."
    await rep.send("Pekka Salo")
    assert "Company?" in rep.last_text


def prompt_buttons(rep: RepChat, message_id: int) -> list[str]:
    """The labels a message the bot sent still has (after its edits)."""
    message = next(m for m in rep.messages if m.message_id == message_id)
    return [
        text
        for row in (message.reply_markup or {}).get("inline_keyboard", [])
        for text in [b["text"] for b in row]
    ]


@pytest.mark.parametrize(
    ("action", "field", "typed", "notice"),
    [
        ("📝 Note", None, "Wants a demo", "Note added"),
        ("🔖 Tags", None, "vip", "Tags saved"),
        ("🎂 Birthday", None, "12.3.", "Birthday saved"),
        ("✏️ Edit", "Email", "anna@acme.fi", "Email saved"),
    ],
)
async def test_after_typing_into_the_card_its_prompt_is_retired(
    rep: RepChat, action: str, field: str | None, typed: str, notice: str
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    await rep.press(action)
    if field:
        await rep.press(field)
    prompt = rep.last_with_buttons.message_id
    assert "◀ Back" in prompt_buttons(rep, prompt)
    await rep.send(typed)
    assert notice in rep.last_text and "🤝 Meeting" in rep.button_labels
    assert prompt_buttons(rep, prompt) == []  # no live ◀ Back on the stale prompt


async def test_schedule_and_move_the_follow_up_from_the_card(rep: RepChat, app: Any) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await open_card(rep, "aino")
    await rep.press("⏰ Follow-up")
    assert "Now: Thu 26 Nov, 09:00" in rep.last_text
    await rep.press("📅 Type a date")
    prompt = rep.last_with_buttons.message_id
    await rep.send("7.12. 13:15")
    assert "Understood: Mon 7 Dec, 13:15" in rep.last_text
    await rep.press("✓ Confirm")
    assert "Next step: Mon 7 Dec, 13:15" in rep.last_text
    assert prompt_buttons(rep, prompt) == []  # the "When?" prompt above has no ◀ Back left
    assert stored(app, rep, "aino").next_due == datetime(2026, 12, 7, 13, 15, tzinfo=UTC)
    await rep.press("⏰ Follow-up")
    await rep.press("✖ No follow-up")
    assert stored(app, rep, "aino").next_due is None


async def test_status_moves_follow_the_table_and_are_in_the_history(rep: RepChat, app: Any) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", qualified=True)
    await open_card(rep, "anna")
    await rep.press("🏷 Status")
    assert rep.button_labels == ["→ Lead", "→ Customer", "→ Lost", "◀ Back"]
    await rep.press("→ Customer")
    assert "Status: Customer" in rep.last_text and "Customer: bought" in rep.last_text
    await rep.press("🏷 Status")
    assert rep.button_labels == ["→ Repeat buyer", "→ Lost", "◀ Back"]
    # A crafted move the table does not allow is refused with the explanation.
    contact_id = stored(app, rep, "anna").id
    refusal = await rep.press_data(f"ct:{contact_id}:sm:prospect")
    assert refusal == "Customer can't change straight to Prospect. Possible: Repeat buyer, Lost."
    await rep.press("→ Lost")
    await rep.press("Priorities")
    anna = stored(app, rep, "anna")
    assert (anna.status, anna.lost_reason, anna.next_due) == ("lost", "priorities", None)
    await rep.send("/lost")
    assert "Anna Virtanen" in rep.last_text
    await rep.press("1. Anna Virtanen")
    await rep.press("🏷 Status")
    await rep.press("→ Lead")  # reopen
    await rep.press("🕘 History")
    history = rep.last_text
    assert "Status: Lost → Lead" in history and "Status: Customer → Lost" in history
    assert "Status: Prospect → Customer" in history


async def test_a_reopened_lead_says_what_is_missing_not_only_who_set_it(rep: RepChat) -> None:
    await rep.send("Pekka Salo, Nokia")
    await rep.press("Yes")  # need
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    await open_card(rep, "pekka")
    await rep.press("🏷 Status")
    await rep.press("→ Lost")
    await rep.press("Priorities")
    await rep.press("🏷 Status")
    await rep.press("→ Lead")
    card = rep.last_text
    assert "Lead: budget unknown, decision-maker unknown, timeline unknown" in card
    assert "set by you" not in card
    # Made a prospect by hand with answers that fall short: the rep's choice, and what is still open.
    await rep.press("🏷 Status")
    await rep.press("→ Prospect")
    assert "Prospect: set by you, budget unknown, decision-maker unknown, timeline unknown" in rep.last_text


async def test_a_refused_answer_on_the_card_offers_back_and_keeps_the_question_open(
    rep: RepChat, app: Any
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    await rep.press("✏️ Edit")
    await rep.press("Phone")
    prompt = rep.last
    await rep.send("call me")
    assert "does not look like a phone number" in rep.last_text
    assert rep.button_labels == ["◀ Back"]  # a way out from the message under the rep's thumb
    [asked] = [message for message in rep.messages if message.message_id == prompt.message_id]
    assert not rep.fake.buttons(asked)  # the prompt above lost its buttons: one ◀ Back is live
    await rep.send("040 123 4567")  # the question is still open: this answers it
    assert "Phone saved" in rep.last_text
    await rep.press("✏️ Edit")
    await rep.press("Phone")
    await rep.send("call me")
    await rep.press("◀ Back")
    assert "👤 Anna Virtanen, Acme Oy" in rep.last_text
    await rep.send("Kari Nordmann")  # the question was dropped: a new contact's name
    assert "Kari Nordmann" in rep.last_text and "Company?" in rep.last_text


async def test_edit_fields_with_checks(rep: RepChat, app: Any) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    await rep.press("✏️ Edit")
    await rep.press("Email")
    await rep.send("anna at acme")
    assert "does not look like an email address" in rep.last_text
    await rep.send("anna@acme.fi")
    assert "Email saved" in rep.last_text and "anna@acme.fi" in rep.last_text
    await rep.press("✏️ Edit")
    await rep.press("Stage")
    await rep.press("Decision")
    await rep.press("✏️ Edit")
    await rep.press("Frequency")
    await rep.press("Buys regularly")
    await rep.press("✏️ Edit")
    await rep.press("Industry")
    await rep.send("Retail")
    card = rep.last_text
    assert "Stage: Decision" in card and "Type: Buys regularly" in card and "🏭 Retail" in card
    anna = stored(app, rep, "anna")
    assert (anna.email, anna.stage, anna.purchase_frequency, anna.industry) == (
        "anna@acme.fi",
        "decision",
        "regular",
        "Retail",
    )


async def test_tags_are_added_removed_and_filter_the_list(rep: RepChat, app: Any) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await capture(rep, "Pekka Salo, Nokia")
    await open_card(rep, "anna")
    await rep.press("🔖 Tags")
    await rep.send("VIP, #trade fair, vip")
    assert "🏷 trade fair, VIP" in rep.last_text
    await rep.send("/leads")
    await rep.press("🔎 Filter")
    await rep.press("🏷 vip")
    assert "Only: vip" in rep.last_text and "Anna Virtanen" in rep.last_text and "Pekka" not in rep.last_text
    await rep.press("1. Anna Virtanen")
    await rep.press("🔖 Tags")
    await rep.press("✖ VIP")
    assert stored(app, rep, "anna").tags == ("trade fair",)


async def test_birthday_is_set_and_appears_in_the_digest_with_card_sent(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    await rep.press("🎂 Birthday")
    await rep.send("31.2.")
    assert "couldn't read “31.2.” as a birthday" in rep.last_text
    await rep.send("3.12.")
    assert "🎂 3 December" in rep.last_text
    assert stored(app, rep, "anna").birthday == date(1904, 12, 3)
    clock.now = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
    await rep.send("/today")
    assert "Birthdays 🎂 (1)" in rep.last_text
    card_sent = rep.button_data("🎂 2: card sent")
    digest = rep.last_with_buttons
    assert await rep.press("🎂 2: card sent") == "Noted: card sent 🎂"
    assert stored(app, rep, "anna").latest_note == "🎂 Birthday card sent"
    assert "🎂 2: card sent" not in [text for row in rep.fake.buttons(digest) for text, _ in row]
    # A second tap (an old copy of the button) notes nothing more; /today no longer offers it.
    assert await rep.press_data(card_sent, message=digest) == "Already noted today: card sent 🎂"
    await rep.send("/today")
    assert "2. Anna Virtanen, Acme Oy · ✓ card sent" in rep.last_text
    assert not any("card sent" in label for label in rep.button_labels)
    await open_card(rep, "anna")
    await rep.press("🕘 History")
    assert rep.last_text.count("Birthday card sent") == 1


async def test_merge_two_records_of_one_person(rep: RepChat, app: Any) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", note="First meeting")
    await rep.send_contact("+358401234567", "Anna", "V.")
    await rep.press("Skip")
    await rep.press("⏩ Finish")
    await rep.press("No next step")
    await rep.press("✅ Save")
    await open_card(rep, "virtanen")
    await rep.press("🔗 Merge")
    await rep.send("anna v.")
    await rep.press("🔗 Anna V.")
    assert "Merge Anna V. into Anna Virtanen?" in rep.last_text
    await rep.press("🔗 Yes, merge")
    assert "Merged" in rep.last_text
    repo = storage_of(app)
    owner = repo.reps.get_rep(telegram_id=rep.user_id)
    assert repo.contacts.find_contacts(owner_id=owner.id, text="anna", offset=0, limit=5).total == 1
    anna = stored(app, rep, "anna")
    assert (anna.name, anna.phone, anna.touches) == ("Anna Virtanen", "+358401234567", 2)
    assert anna.next_due is not None  # the earlier follow-up was kept


async def test_delete_asks_first_and_then_erases(rep: RepChat, app: Any) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    await rep.press("🗑 Delete")
    assert "cannot be undone" in rep.last_text
    await rep.press("◀ Back")
    assert stored(app, rep, "anna") is not None
    await rep.press("🗑 Delete")
    await rep.press("🗑 Yes, delete")
    assert "Anna Virtanen was deleted" in rep.last_text
    assert stored(app, rep, "anna") is None
    with storage_of(app).engine.connect() as connection:
        for table in ("interaction", "followup", "contacttag"):
            assert connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0


async def test_history_pages_back(rep: RepChat) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await open_card(rep, "anna")
    for number in range(8):
        await rep.press("📝 Note")
        await rep.send(f"Note number {number}")
    await rep.press("🕘 History")
    assert "History of Anna Virtanen (9)" in rep.last_text and "Note number 7" in rep.last_text
    await rep.press("▶")
    assert "Note number 1" in rep.last_text and "Meeting" in rep.last_text


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("Aino Hämäläinen", "hamalainen"),
        ("Kåre Sørensen", "sorensen"),
        ("Szabó Ákos", "szabo"),
        ("Françoise Lefèvre", "francoise lefevre"),
    ],
)
async def test_find_in_finnish_norwegian_hungarian_and_french_spellings(
    rep: RepChat, name: str, typed: str
) -> None:
    await capture(rep, name)
    await rep.send(f"/find {typed}")
    assert f"Found 1 for “{typed}”" in rep.last_text and name in rep.last_text


async def test_another_rep_cannot_touch_my_contact_through_any_card_button(
    rep: RepChat, other_rep: RepChat, app: Any
) -> None:
    await capture(rep, "Zsófia Kertész, Duna Kft", qualified=True)
    anna = stored(app, rep, "zsofia")
    await other_rep.send("/help")
    for action in ("v", "lm", "nt", "fu", "fn:tomorrow", "sm:customer", "sl:budget", "ed", "ec:stage:action",
                   "tg", "tr:vip", "bd", "bc", "mg", "my:1", "h", "del", "dy"):  # fmt: skip
        answer = await other_rep.press_data(f"ct:{anna.id}:{action}", message=other_rep.last)
        assert answer == "That contact isn't in your list.", action
    after = stored(app, rep, "zsofia")
    assert (after.status, after.stage, after.touches, after.next_due) == ("prospect", None, 1, anna.next_due)
    assert all("Zsófia" not in (message.text or "") for message in other_rep.messages)
