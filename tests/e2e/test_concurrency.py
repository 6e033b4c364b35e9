"""Updates through the Application's own queue, as polling and the webhook deliver them: one rep's taps
applied in the order given, a double tap saved once, many reps at once on SQLite with no lock errors."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from tests.factories import FakeClock, RepChat, storage_of
from tests.fake_bot_api import FakeBotAPI

_queries = itertools.count(1)


class QueuedRep(RepChat):
    """A rep whose updates are put on the update queue, to be run by the update processor."""

    async def _process(self, payload: dict[str, Any]) -> None:
        payload["update_id"] = next(_ids)
        await self.app.update_queue.put(Update.de_json(payload, self.app.bot))

    async def tap(self, data: str) -> str:
        """Put a press of the newest buttons on the queue without waiting for it; its query id."""
        target = self.last_with_buttons
        query_id = f"q-{self.user_id}-{next(_queries)}"
        self.fake.register_callback_query(query_id)
        message = {
            "message_id": target.message_id,
            "date": target.date,
            "chat": {"id": self.user_id, "type": "private", "first_name": self.first_name},
            "from": {"id": self.fake.bot_id, "is_bot": True, "first_name": self.fake.bot_first_name},
            "text": target.text or "",
        }
        query = {
            "id": query_id,
            "from": self._user(),
            "chat_instance": "ci",
            "data": data,
            "message": message,
        }
        await self._process({"callback_query": query})
        return query_id


_ids = itertools.count(10_000)


async def settled(app: Any) -> None:
    """Until every queued update was processed (the application marks each done after processing it)."""
    await asyncio.wait_for(app.update_queue.join(), timeout=20)


def _draft(app: Any, rep: RepChat) -> Any:
    repo = storage_of(app)
    return repo.drafts.get_open_draft(owner_id=repo.reps.get_rep(telegram_id=rep.user_id).id)


async def test_one_rep_s_taps_are_applied_in_order_and_a_double_tap_once(
    start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_app()
    await app.start()
    try:
        rep = QueuedRep(app, fake, user_id=8001, clock=clock)
        await rep.send("Anna Virtanen, Acme Oy")
        await settled(app)
        draft = _draft(app, rep)
        need, budget = f"q:{draft.id}:need:yes", f"q:{draft.id}:budget:no"
        first, second = await rep.tap(need), await rep.tap(budget)
        await settled(app)
        draft = _draft(app, rep)
        assert (draft.answers.need, draft.answers.budget) == ("yes", "no"), (
            "the taps were applied out of order"
        )
        assert draft.step.value == "authority"
        twice = [await rep.tap(f"q:{draft.id}:authority:decider") for _ in range(2)]
        await settled(app)
        after = _draft(app, rep)
        assert after.answers.authority == "decider" and after.step.value == "timeline"
        assert after.version == draft.version + 1, "the double tap was saved twice"
        for query_id in (first, second, *twice):
            assert query_id in fake.answered_callbacks, "every press is answered once"
    finally:
        await app.stop()


async def test_twenty_reps_capturing_at_once_on_sqlite(
    start_app: Callable[..., Awaitable[Any]], fake: FakeBotAPI, clock: FakeClock
) -> None:
    app = await start_app()
    await app.start()
    try:
        reps = [QueuedRep(app, fake, user_id=8100 + n, first_name=f"Rep{n}", clock=clock) for n in range(20)]
        for round_ in range(3):
            for n, rep in enumerate(reps):
                await rep.send(f"Contact {n}-{round_}, Firm {n}")
            await settled(app)
            for rep in reps:
                draft = _draft(app, rep)
                assert draft is not None
                await rep.tap(f"s:{draft.id}:cancel" if round_ < 2 else f"q:{draft.id}:_fin")
            await settled(app)
        for n, rep in enumerate(reps):
            draft = _draft(app, rep)
            assert draft is not None and draft.answers.name == f"Contact {n}-2"
    finally:
        await app.stop()
