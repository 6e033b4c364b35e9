"""Who may use the bot: the allow-list and invites, checked before any flow sees the update.

A refused user reaches no flow and nothing about them is stored: the gate decides from memory, answers at
most once an hour, and stops the update here (ApplicationHandlerStop), before the preamble could register
them. The one thing a refused user can make the bot read is a well-formed invite code, checked here in one
read that writes nothing; only a valid one registers them (and lets the update on, to /start).
"""

from __future__ import annotations

import logging
import uuid

from telegram import Update, User
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.access import AccessGate, invite_code
from handlers.kit.context import BotContext
from storage.teams import Redeemed

log = logging.getLogger(__name__)


async def refuse_strangers(update: Update, ctx: BotContext) -> None:
    """Let listed and invited users on; give anyone else one polite answer an hour, and nothing more."""
    user = update.effective_user
    gate = ctx.bot_data.gate
    if user is None or gate is None or gate.allows(user.id, user.username):
        return
    message, chat = update.effective_message, update.effective_chat
    private = chat is not None and chat.type == ChatType.PRIVATE
    code = invite_code(update.message.text) if private and update.message is not None else None
    refusal, reference = "access.refused", ""
    if code is not None and gate.may_try_invite(user.id):
        outcome = await _try_invite(update, ctx, gate, user, code)
        if outcome is Redeemed.JOINED:
            return  # registered: /start greets them
        if isinstance(outcome, Redeemed):
            refusal = f"invite.{outcome.value}"
        else:  # the database did not answer: the code may be good, so no refusal
            refusal, reference = "errors.internal", outcome
    query = update.callback_query
    answerable = query is not None or (private and message is not None)
    try:
        if answerable and gate.answer_due(user.id):
            ctx.speak_to(user)
            if query is not None:
                await query.answer(ctx.t.plain("access.refused_short"))
            elif message is not None:
                await message.reply_text(ctx.t(refusal, reference=reference))
        elif query is not None:
            # Telegram shows a spinner until a button press is answered, even a refused one.
            await query.answer()
    except Exception:
        # The error handler would look the user up and answer again: a stranger gets neither.
        log.warning("could not answer a refused user's update %s", update.update_id, exc_info=True)
    raise ApplicationHandlerStop


async def _try_invite(
    update: Update, ctx: BotContext, gate: AccessGate, user: User, code: str
) -> Redeemed | str:
    """Check the code, and redeem it only when it is valid; when the database did not answer, the error's
    reference. A wrong code counts against the user's attempts, so guessing soon costs no read at all."""
    message = update.effective_message
    assert message is not None
    try:
        outcome = await ctx.db(ctx.teams.check_invite, code=code)
        rep = None
        if outcome is Redeemed.JOINED:
            ctx.speak_to(user)
            outcome, rep = await ctx.db(
                ctx.teams.redeem,
                code=code,
                telegram_id=user.id,
                chat_id=message.chat_id,
                language=ctx.language_of(user),
                timezone=ctx.settings.default_timezone,
                digest_time=ctx.settings.digest_time,
                display_name=user.first_name,
            )
    except Exception:
        # Counted as a wrong code: an outage must not turn into one read per message.
        reference = uuid.uuid4().hex[:8]
        log.exception("could not check an invite (ref %s)", reference)
        gate.wrong_invite(user.id)
        return reference
    if rep is None:
        gate.wrong_invite(user.id)
        return outcome
    gate.admit(user.id)
    ctx.remember_rep(rep)
    ctx.joined_by_invite = True
    return Redeemed.JOINED


def gate() -> TypeHandler[Update, BotContext, None]:
    return TypeHandler(Update, refuse_strangers)
