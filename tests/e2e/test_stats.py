"""/stats as a rep reads it on the phone: the funnel picture, 1080 px wide for a phone's width, with the
numbers under it as its caption, in the rep's language."""

from __future__ import annotations

import struct
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from bot.schedule import LostReason
from bot.scoring import Status
from tests.factories import FakeClock, RepChat, add_contacts, storage_of
from tests.fake_bot_api import FakeBotAPI, SentMessage

NBSP = "\u00a0"  # what Finnish and French put between a number and its % sign


def picture_size(message: SentMessage) -> tuple[int, int]:
    assert message.photo is not None and message.photo.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", message.photo[16:24])
    return int(width), int(height)


async def registered(app: Any, fake: FakeBotAPI, clock: FakeClock, user_id: int, language: str) -> RepChat:
    rep = RepChat(app, fake, user_id=user_id, first_name="Kim", language_code=language, clock=clock)
    await rep.send("/start")
    for _ in range(2):  # the zone and the digest time, as they are
        await rep.press(rep.button_labels[-1])
    return rep


def contact_ids(app: Any, owner_id: int, status: str) -> list[int]:
    with storage_of(app).engine.connect() as connection:
        query = sa.text("SELECT id FROM contact WHERE owner_id = :owner AND status = :status ORDER BY id")
        return list(connection.execute(query, {"owner": owner_id, "status": status}).scalars())


async def test_a_finnish_rep_reads_the_funnel_with_its_losses(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = await registered(app, fake, clock, 7101, "fi")
    storage = storage_of(app)
    owner = storage.reps.get_rep(telegram_id=7101)
    assert owner is not None
    add_contacts(storage.engine, owner.id, clock.now, 6, status="lead")
    add_contacts(storage.engine, owner.id, clock.now, 3, status="prospect")
    add_contacts(storage.engine, owner.id, clock.now - timedelta(days=40), 2, status="customer")
    prospects, leads = contact_ids(app, owner.id, "prospect"), contact_ids(app, owner.id, "lead")
    storage.contacts.mark_lost(owner_id=owner.id, contact_id=prospects[0], reason=LostReason.BUDGET)
    storage.contacts.mark_lost(owner_id=owner.id, contact_id=leads[0], reason=LostReason.COMPETITOR)
    storage.contacts.change_status(owner_id=owner.id, contact_id=prospects[1], status=Status.CUSTOMER)

    await rep.send("/stats")

    picture = rep.last
    width, height = picture_size(picture)
    assert width == 1080 and width < height < 2 * width
    # 11 contacts; 5 reached prospect (the one lost as a prospect among them), 3 customers, no repeat buyer.
    assert picture.caption == "\n".join(
        [
            "📊 Myyntisuppilosi",
            f"11 kontaktia → 5 prospektia (45{NBSP}%) → 3 asiakasta (60{NBSP}%)"
            f" → 0 kanta-asiakasta (0{NBSP}%)",
            "Uusia kontakteja tässä kuussa: 9 (viime kuussa 2)",
            "Uusia asiakkaita tässä kuussa: 1 (viime kuussa 0)",
            "Hävityt kaupat: 2 – Budjetti (1), Kilpailija (1)",
            "Lähteittäin: ei tiedossa 11 (asiakkaita 3)",
            "Toimialoittain: ei tiedossa 11 (asiakkaita 3)",
        ]
    )
    assert len([message for message in rep.messages if message.photo]) == 1


async def test_nothing_lost_and_an_empty_month_in_french(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = await registered(app, fake, clock, 7102, "fr")
    storage = storage_of(app)
    owner = storage.reps.get_rep(telegram_id=7102)
    assert owner is not None
    add_contacts(storage.engine, owner.id, clock.now - timedelta(days=70), 3, status="lead", source="event")
    add_contacts(
        storage.engine, owner.id, clock.now - timedelta(days=70), 1, status="prospect", source="event"
    )

    await rep.send("/stats")

    without_lost = picture_size(rep.last)
    assert rep.last.caption == "\n".join(
        [
            "📊 Votre entonnoir",
            f"4 contacts → 1 prospect (25{NBSP}%) → 0 client (0{NBSP}%) → 0 client récurrent",
            "Nouveaux contacts ce mois-ci : 0 (le mois dernier : 0)",
            "Nouveaux clients ce mois-ci : 0 (le mois dernier : 0)",
            "Par origine : Événement 4 (gagnés : 0)",
            "Par secteur : non renseigné 4 (gagnés : 0)",
        ]
    )

    [prospect] = contact_ids(app, owner.id, "prospect")
    storage.contacts.mark_lost(owner_id=owner.id, contact_id=prospect, reason=LostReason.POOR_FIT)
    await rep.send("/stats")

    # The lost panel comes with the first loss, below the rest of the picture.
    with_lost = picture_size(rep.last)
    assert with_lost[0] == without_lost[0] == 1080 and with_lost[1] > without_lost[1]
    assert "Perdus : 1 — Hors cible (1)" in (rep.last.caption or "")
    assert f"4 contacts → 1 prospect (25{NBSP}%)" in (rep.last.caption or "")


async def test_numbers_too_long_for_a_caption_follow_the_picture(
    app: Any, fake: FakeBotAPI, clock: FakeClock
) -> None:
    rep = await registered(app, fake, clock, 7103, "hu")
    storage = storage_of(app)
    owner = storage.reps.get_rep(telegram_id=7103)
    assert owner is not None
    # Contacts lost for every reason, in five industries of the longest name a card takes, from five
    # sources: too many words for a caption.
    sources = ("meeting", "event", "referral", "inbound", "cold_call")
    for index, reason in enumerate(LostReason):
        industry = f"{index % 5} Precíziós műszer- és laboratóriumi berendezésgyártás, kalibrálás és szerviz"
        values = {"source": sources[index % 5], "industry": industry[:80], "lost_reason": reason.value}
        add_contacts(storage.engine, owner.id, clock.now, 1, status="lost", **values)

    await rep.send("/stats")

    *_, picture, numbers = rep.messages
    assert picture_size(picture)[0] == 1080 and not picture.caption
    assert numbers.text is not None and len(numbers.text) > 1024
    assert numbers.text.startswith(
        "📊 Az értékesítési tölcséred\n"
        "8 kapcsolat → 0 potenciális ügyfél (0%) → 0 ügyfél → 0 visszatérő ügyfél\n"
    )
    lost = "Elvesztett kapcsolatok: 8 – Költségkeret (1), Versenytárs (1), Nem a célcsoport (1),"
    assert lost in numbers.text
