"""The fake Telegram Bot API of the end-to-end tests and benchmarks: the product's local Bot API
(runtime/local_api/, which `python main.py try` runs the bot against) plus what only tests need: every
request recorded, faults injected on demand, and one assertion that Telegram refused nothing.

    fake = FakeBotAPI()
    bot = Bot(fake.token, request=fake.request(), get_updates_request=fake.request())

The local Bot API answers the way Telegram does, with Telegram's own status codes and description
strings, so that an end-to-end test fails on any request Telegram would reject
(``fake.assert_no_rejections()``). Its HTML parser is a port of TDLib's ``parse_html``
(td/telegram/MessageEntity.cpp), which is what the Bot API server runs; the error strings were checked
against TDLib's sources and against test suites that run against the live Bot API.

Where Telegram is more lenient than our product may be, ``strict=True`` (the default) adds a few checks
Telegram does not make. Their descriptions start with ``Bad Request: [strict]`` so they can never be
mistaken for Telegram's own words:

- a ``&`` that does not start ``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` or ``&#...;`` (Telegram keeps it
  literally, but it means user text was not escaped: ``&lt;`` typed by a user would silently turn into
  ``<``);
- an inline button with more than one action (Telegram silently keeps one of them);
- an empty row in an inline keyboard;
- parse_mode Markdown / MarkdownV2, which the fake does not model (lenient: plain text).

Behaviour switches: ``blocked_users``, ``rate_limit(...)``, ``inject(...)``, ``fail_ratio(...)``.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, Literal, get_args

import httpx

from runtime.local_api import (
    BotApiRefusal,
    FormattedText,
    HtmlParseError,
    LocalBotAPI,
    Rejection,
    SentMessage,
    TextEntity,
    UploadedFile,
    format_text,
    parse_html,
)
from runtime.local_api.formatting import validate_caption, validate_message_text
from runtime.local_api.refusals import blocked_by_user, too_many_requests
from runtime.local_api.validation import (
    validate_bot_commands,
    validate_button_url,
    validate_callback_answer_text,
    validate_callback_data,
    validate_inline_button,
    validate_reply_markup,
    validate_webhook_secret,
    validate_webhook_url,
)

__all__ = [
    "ApiCall",
    "BotApiRefusal",
    "FakeBotAPI",
    "FaultKind",
    "FormattedText",
    "HtmlParseError",
    "Rejection",
    "SentMessage",
    "TextEntity",
    "UploadedFile",
    "format_text",
    "parse_html",
    "validate_bot_commands",
    "validate_button_url",
    "validate_callback_answer_text",
    "validate_callback_data",
    "validate_caption",
    "validate_inline_button",
    "validate_message_text",
    "validate_reply_markup",
    "validate_webhook_secret",
    "validate_webhook_url",
]

FaultKind = Literal["5xx", "timeout", "timeout_after_send", "429", "403"]

# Real 502s come from the nginx in front of the Bot API, as an HTML page.
_BAD_GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One HTTP request that reached the fake, with its parameters decoded as Telegram would."""

    method: str
    params: dict[str, Any]
    url: str


@dataclass(slots=True)
class _InjectedFault:
    method: str | None
    kind: FaultKind
    remaining: int


@dataclass(slots=True)
class _RandomFaults:
    ratio: float
    kinds: tuple[FaultKind, ...]
    rng: random.Random
    methods: frozenset[str] | None


class FakeBotAPI(LocalBotAPI):
    """The local Bot API with the tests' records and fault switches."""

    def __init__(
        self,
        token: str = "123456:TEST-token",
        bot_id: int | None = None,
        bot_username: str = "prospect_test_bot",
        **kwargs: Any,
    ) -> None:
        super().__init__(token, bot_id, bot_username, **kwargs)
        self.requests: list[ApiCall] = []
        self.faults_served: list[tuple[str, FaultKind]] = []
        self._faults: list[_InjectedFault] = []
        self._random_faults: _RandomFaults | None = None

    # -- behaviour switches --------------------------------------------------------------------

    def inject(self, method: str | None, kind: FaultKind, times: int = 1) -> None:
        """Fail the next ``times`` calls of ``method`` (any method if None) with a fault:
        "5xx" a 502 from the proxy, "timeout" httpx.ReadTimeout before Telegram saw the request,
        "timeout_after_send" the request is carried out but the answer is lost, "429" flood
        control with retry_after=1, "403" bot blocked by the user."""
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        self._faults.append(_InjectedFault(method, kind, times))

    def fail_ratio(
        self,
        ratio: float,
        kinds: Iterable[FaultKind] = ("5xx", "timeout", "429"),
        seed: int = 0,
        methods: Collection[str] | None = None,
    ) -> None:
        """Fail a random (seeded, so repeatable) fraction of calls with one of ``kinds``."""
        chosen = tuple(kinds)
        if not 0.0 <= ratio <= 1.0 or not chosen:
            raise ValueError("ratio must be within 0..1 and kinds must not be empty")
        self._random_faults = _RandomFaults(
            ratio, chosen, random.Random(seed), frozenset(methods) if methods is not None else None
        )

    # -- convenience for assertions ------------------------------------------------------------

    def calls(self, method: str) -> list[ApiCall]:
        """Every request made to ``method``."""
        return [call for call in self.requests if call.method.lower() == method.lower()]

    def assert_no_rejections(self) -> None:
        """Fail with the list of every request Telegram would have refused."""
        if self.rejections:
            lines = [
                f"  {r.method} -> {r.error_code} {r.description} | params={r.params!r}"
                for r in self.rejections
            ]
            raise AssertionError("the fake Bot API refused requests:\n" + "\n".join(lines))

    # -- HTTP -----------------------------------------------------------------------------------

    async def _answer(
        self,
        request: httpx.Request,
        method: str,
        params: dict[str, Any],
        carry_out: Callable[[], Awaitable[httpx.Response]],
    ) -> httpx.Response:
        self.requests.append(ApiCall(method, params, str(request.url)))
        fault = self._take_fault(method)
        if fault == "timeout":
            raise httpx.ReadTimeout("injected read timeout", request=request)
        if fault == "5xx":
            return httpx.Response(502, content=_BAD_GATEWAY_PAGE, headers={"content-type": "text/html"})
        if fault in ("429", "403"):
            return self._answer_error(too_many_requests(1) if fault == "429" else blocked_by_user())
        response = await carry_out()
        if fault == "timeout_after_send":
            raise httpx.ReadTimeout(
                "injected read timeout after the request was carried out", request=request
            )
        return response

    def _take_fault(self, method: str) -> FaultKind | None:
        for fault in self._faults:
            if fault.method is None or fault.method.lower() == method.lower():
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                self.faults_served.append((method, fault.kind))
                return fault.kind
        random_faults = self._random_faults
        if (
            random_faults is not None
            and (random_faults.methods is None or method in random_faults.methods)
            and random_faults.rng.random() < random_faults.ratio
        ):
            kind = random_faults.rng.choice(random_faults.kinds)
            self.faults_served.append((method, kind))
            return kind
        return None
