"""`python main.py try`: the real bot, on a SQLite file of its own, against the local Bot API in this
process, with the chat page (runtime/local_api/page.py) where a newcomer plays a few reps. No token, no
@BotFather, no network: the bot's requests go into the local Bot API through PTB's own HTTP client, so
what Telegram would refuse is refused here too, and shown on the page.

The bot runs exactly as `python main.py` runs it in polling mode (runtime/polling.py: the inbox, the
dispatcher, reminders and digests on the real clock); only the token, the database and the Bot API's
address are this mode's own.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any, Final

from aiohttp import web

from bot.config import Settings
from runtime.application import BotApplication, build_application
from runtime.local_api import LocalBotAPI
from runtime.local_api.page import create_chat_page
from runtime.local_api.users import LocalUser, UserApps
from runtime.polling import Polling, start_polling, stop_polling

log = logging.getLogger(__name__)

# A token of the right shape that no Telegram server knows: it never leaves this process.
LOCAL_TOKEN: Final = "7000000001:local-try-mode"
# The bot's data in this mode stays apart from a real deployment's.
TRY_DATABASE_URL: Final = "sqlite:///data/try.db"
# The Bot API's address as the bot sees it: never resolved, the requests stay in this process.
LOCAL_BOT_API: Final = "http://local-bot-api.invalid"
DEFAULT_PORT: Final = 8765
# How long getUpdates is held open when there is nothing to deliver, as Telegram holds it.
LONG_POLL_SECONDS: Final = 25.0

# One rep per language the bot speaks; the page picks among them (a tab each, if wanted).
LOCAL_REPS: Final = (
    LocalUser(7100001, "Anna", "Smith", "anna_sales", "en"),
    LocalUser(7100002, "Maija", "Virtanen", "maija_v", "fi"),
    LocalUser(7100003, "Ola", "Nordmann", None, "nb"),
    LocalUser(7100004, "Zsófia", "Kovács", None, "hu"),
    LocalUser(7100005, "Camille", "Dubois", "camille_d", "fr"),
)


def try_overrides(admin_users: list[str]) -> dict[str, Any]:
    """The settings this mode replaces: the token, the database, the Bot API's address, long polling,
    open to the page's reps; the first rep is an admin (so /team can be tried) unless ADMIN_USERS says
    who is."""
    return {
        "bot_token": LOCAL_TOKEN,
        "database_url": TRY_DATABASE_URL,
        "telegram_base_url": f"{LOCAL_BOT_API}/bot",
        "telegram_base_file_url": f"{LOCAL_BOT_API}/file/bot",
        "webhook_url": None,
        "webhook_secret": None,
        "allowed_users": [],
        "admin_users": admin_users or [str(LOCAL_REPS[0].id)],
    }


def local_bot_api() -> LocalBotAPI:
    """The Bot API this mode runs against: strict as the test suite's, chats known once a rep writes."""
    return LocalBotAPI(
        LOCAL_TOKEN,
        bot_username="prospect_local_bot",
        known_chats_only=True,
        long_poll_wait=LONG_POLL_SECONDS,
    )


class TrySession:
    """The bot polling the local Bot API, and the chat page serving on `host:port`."""

    def __init__(self, settings: Settings, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
        self.settings, self.host, self.port = settings, host, port
        self.api = local_bot_api()
        self.apps = UserApps(self.api, LOCAL_REPS)
        self.application: BotApplication = build_application(settings, request=self.api.request())
        self._runner: web.AppRunner | None = None
        self._polling: Polling | None = None

    @property
    def polling(self) -> Polling:
        assert self._polling is not None, "not started"
        return self._polling

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        """The page's port first (a port in use is said at once), then the bot: the database migrated,
        the command menu set, polling."""
        self._runner = web.AppRunner(create_chat_page(self.apps), access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
            if self.port == 0:
                self.port = int(self._runner.addresses[0][1])
            self._polling = await start_polling(self.application)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        if self._runner is not None:
            self.apps.close()
            await self._runner.cleanup()
            self._runner = None
        if self._polling is not None:
            await stop_polling(self.application, self._polling)
            self._polling = None


async def run_try(settings: Settings, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve until SIGTERM or Ctrl+C."""
    session = TrySession(settings, host=host, port=port)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    try:
        await session.start()
        log.info("try mode: open %s in a browser (Ctrl+C stops)", session.url)
        print(f"\n  Prospect bot, try mode: open {session.url} in a browser. Ctrl+C stops it.\n", flush=True)
        # Like run_polling: a fetch loop that ended (it only ends on an error) ends the session too.
        stop_waiting = asyncio.create_task(stopping.wait())
        await asyncio.wait({stop_waiting, session.polling.fetching}, return_when=asyncio.FIRST_COMPLETED)
        stop_waiting.cancel()
        log.info("stopping")
    finally:
        await session.stop()
        for signum in signals:
            loop.remove_signal_handler(signum)
