"""Finding contacts again: /leads, /prospects, /find, the card, and one rep never seeing another's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from storage.contacts import FIND_COUNT_CAP
from tests.factories import FakeClock, RepChat, add_contacts, capture, storage_of


async def test_leads_and_prospects_list_what_was_captured(rep: RepChat) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", qualified=True)
    await capture(rep, "Pekka Salo")
    await rep.send("/prospects")
    assert "Prospects (1) · next follow-up first" in rep.last_text
    assert "1. Anna Virtanen, Acme Oy · 87 · ⏰ Thu 26 Nov, 09:00" in rep.last_text
    await rep.send("/leads")
    assert "Leads (1)" in rep.last_text and "Pekka Salo" in rep.last_text
    await rep.press("1. Pekka Salo")
    assert (
        "Pekka Salo" in rep.last_text
        and "Lead:" in rep.last_text
        and "Next step: Thu 26 Nov, 09:00" in rep.last_text
    )


async def test_a_follow_up_past_its_time_is_marked_overdue_in_the_list(rep: RepChat, app: Any) -> None:
    await capture(rep, "Pekka Salo")
    await capture(rep, "Liisa Koski")
    storage_of(app).clock.now = datetime(2026, 11, 26, 10, tzinfo=UTC)  # the next steps were 09:00
    await rep.send("/leads")
    assert "1. Liisa Koski · 2 · ⚠️ Thu 26 Nov, 09:00, overdue" in rep.last_text


async def test_lists_page_with_arrows_and_sort_by_score(rep: RepChat) -> None:
    for index in range(10):
        await capture(rep, f"Lead {index:02d}")
    await rep.send("/leads")
    assert "Leads (10)" in rep.last_text and "Page 1 of 2" in rep.last_text
    assert "Lead 09" in rep.last_text and "Lead 01" not in rep.last_text
    await rep.press("▶")
    assert "Page 2 of 2" in rep.last_text and "Lead 01" in rep.last_text and "Lead 00" in rep.last_text
    assert "▶" not in rep.button_labels
    await rep.press("◀")
    assert "Page 1 of 2" in rep.last_text
    await rep.press("Sort by score")
    assert "best score first" in rep.last_text


async def test_repeat_buyers_are_listed_among_the_customers_and_marked(rep: RepChat) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", qualified=True)
    await capture(rep, "Pekka Salo, Nokia", qualified=True)
    for name, moves in (("anna", ("→ Customer", "→ Repeat buyer")), ("pekka", ("→ Customer",))):
        await rep.send(f"/find {name}")
        await rep.press("1.")
        for move in moves:
            await rep.press("🏷 Status")
            await rep.press(move)
    await rep.send("/customers")
    listed = rep.last_text
    assert "Customers (2)" in listed
    assert "Anna Virtanen, Acme Oy · 🔁 repeat buyer · 87" in listed
    assert "Pekka Salo, Nokia · 87" in listed and "Pekka Salo, Nokia · 🔁" not in listed
    await rep.press("2. Anna Virtanen")
    assert "Repeat buyer" in rep.last_text


async def test_empty_lists_say_how_to_fill_them(rep: RepChat) -> None:
    await rep.send("/prospects")
    assert "No prospects yet" in rep.last_text
    await rep.send("/leads")
    assert "No leads yet" in rep.last_text


async def test_find_ignores_case_and_accents(rep: RepChat) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await rep.send("/find hamalainen")
    assert "Found 1" in rep.last_text and "Aino Hämäläinen" in rep.last_text
    await rep.send("/find kone")
    assert "Aino Hämäläinen" in rep.last_text
    await rep.send("/find nobody")
    assert "Nothing found for “nobody”" in rep.last_text


async def test_find_alone_asks_what_to_look_for_and_the_next_text_is_the_search(
    rep: RepChat, app: Any
) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await rep.send("/find")  # as the menu sends it
    assert "What are you looking for?" in rep.last_text
    await rep.send("hamalainen")
    assert "Found 1" in rep.last_text and "Aino Hämäläinen" in rep.last_text
    await rep.send("Kari Nordmann")  # answered: the next text is a contact again
    assert "Kari Nordmann" in rep.last_text and "Company?" in rep.last_text
    owner = storage_of(app).reps.get_rep(telegram_id=rep.user_id)
    assert owner is not None and owner.awaiting is None


async def test_a_search_typed_long_after_find_alone_asks_what_it_was_for(
    rep: RepChat, app: Any, clock: FakeClock
) -> None:
    await capture(rep, "Aino Hämäläinen, Kone")
    await rep.send("/find")
    clock.advance(timedelta(minutes=5))
    await rep.send("kone")
    assert rep.button_labels == ["🔎 The search", "➕ A new contact"]
    await rep.press("🔎 The search")
    assert "Found 1" in rep.last_text and "Aino Hämäläinen" in rep.last_text


async def test_find_in_a_big_book_counts_to_a_thousand_and_pages_on(rep: RepChat, app: Any) -> None:
    await rep.send("/help")
    owner = storage_of(app).reps.get_rep(telegram_id=rep.user_id)
    add_contacts(storage_of(app).engine, owner.id, storage_of(app).clock(), FIND_COUNT_CAP + 200)
    await rep.send("/find virtanen")
    assert "Found 1,000+ for “virtanen”" in rep.last_text and "Page 1 of 125" in rep.last_text
    assert "Only the best 1,000 are listed: add a word to narrow the search." in rep.last_text
    await rep.press("▶")
    assert "Page 2 of 125" in rep.last_text and "9. Virtanen" in rep.last_text
    await rep.send("/find virtanen 000")  # 0000 to 0009 and 1000
    assert "Found 11 for “virtanen 000”" in rep.last_text and "Page 1 of 2" in rep.last_text


async def test_find_with_html_characters_is_shown_safely(rep: RepChat) -> None:
    await capture(rep, "<Zoë> & Co")
    await rep.send("/find <zoe> &")
    assert "Found 1 for “<zoe> &”" in rep.last_text


async def test_another_rep_cannot_find_list_or_open_my_contacts(
    rep: RepChat, other_rep: RepChat, app: Any
) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy", qualified=True)
    await other_rep.send("/find virtanen")
    assert "Nothing found" in other_rep.last_text
    await other_rep.send("/prospects")
    assert "No prospects yet" in other_rep.last_text
    repo = storage_of(app)
    owner = repo.reps.get_rep(telegram_id=rep.user_id)
    [anna] = repo.contacts.find_contacts(owner_id=owner.id, text="anna", offset=0, limit=5).items
    await other_rep.send("/new")
    assert await other_rep.press_data(f"c:{anna.id}") == "That contact isn't in your list."
    assert all("Anna" not in (message.text or "") for message in other_rep.messages)


async def test_list_buttons_with_tampered_data_are_refused(rep: RepChat) -> None:
    await capture(rep, "Pekka Salo")
    await rep.send("/leads")
    tampered = ("l:lead:new:abc", "l:vip:new:0", "l:lead:rank:0", "l:lead:new:0:s=nope", "l:lead:new:0:x=1")
    for data in (*tampered, "c:99999", "c:x", "f:x:anna"):
        answer = await rep.press_data(data)
        assert answer in ("This button has expired. Nothing was changed.", "That contact isn't in your list.")


async def test_a_tag_with_a_colon_and_a_space_filters_the_list(rep: RepChat) -> None:
    await capture(rep, "Anna Virtanen, Acme Oy")
    await capture(rep, "Pekka Salo, Nokia")
    await rep.send("/find anna")
    await rep.press("1.")
    await rep.press("🔖 Tags")
    await rep.send("Messe: Köln")
    await rep.send("/leads")
    await rep.press("🔎 Filter")
    assert rep.button_data("🏷 messe: koln") == "l:lead:next:0:t=messe: koln"
    await rep.press("🏷 messe: koln")
    assert "Only: messe: koln" in rep.last_text
    assert "Anna Virtanen" in rep.last_text and "Pekka" not in rep.last_text


async def test_a_list_that_fits_on_one_page_has_no_page_line(rep: RepChat, app: Any) -> None:
    await rep.send("/help")
    owner = storage_of(app).reps.get_rep(telegram_id=rep.user_id)
    add_contacts(storage_of(app).engine, owner.id, storage_of(app).clock(), 3)
    await rep.send("/prospects")
    assert "Prospects (3)" in rep.last_text and "Page" not in rep.last_text
    add_contacts(storage_of(app).engine, owner.id, storage_of(app).clock(), 6)
    await rep.send("/prospects")
    assert "Page 1 of 2" in rep.last_text
