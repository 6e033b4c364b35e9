"""Teams: /newteam and /invite for admins and managers, /team for a manager's view and reassignment."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot import callbacks
from bot.i18n import Translator
from handlers.kit.context import BotContext
from storage.reps import RepRead
from storage.teams import TeamOverview

TEAM = "tm"  # tm:<rep>:<action>[:<argument>]
INVITE = "iv"  # iv:rep|manager
_FUNNEL = ("lead", "prospect", "customer", "repeat_buyer", "lost")


def _may_invite(ctx: BotContext, update: Update, rep: RepRead) -> bool:
    user = update.effective_user
    admin = user is not None and ctx.settings.is_admin(user.id, user.username)
    return admin or rep.role == "manager"


async def new_team(update: Update, ctx: BotContext) -> None:
    """/newteam Name: an admin creates a team and becomes its manager."""
    rep = ctx.rep
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if not ctx.settings.is_admin(user.id, user.username):
        await message.reply_text(ctx.t("team.admins_only"))
        return
    name = " ".join(ctx.args or []).strip()
    if not name:
        await message.reply_text(ctx.t("team.usage"))
        return
    ctx.teams.create_team(name=name, manager_id=rep.id)
    await message.reply_text(ctx.t("team.created", team=name[:80]))


async def invite(update: Update, ctx: BotContext) -> None:
    """/invite: a one-time link for a rep (or, for admins, a manager) to join."""
    rep = ctx.rep
    assert update.effective_message is not None
    if not _may_invite(ctx, update, rep):
        await update.effective_message.reply_text(ctx.t("team.admins_only"))
        return
    t = ctx.t
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.plain("invite.as_rep"), callback_data=callbacks.pack(INVITE, "rep")),
                InlineKeyboardButton(
                    t.plain("invite.as_manager"), callback_data=callbacks.pack(INVITE, "manager")
                ),
            ]
        ]
    )
    await update.effective_message.reply_text(t("invite.ask_role"), reply_markup=markup)


async def on_invite_button(update: Update, ctx: BotContext) -> None:
    """Create the link; a manager invites into their own team."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data, with_id=False)
    role = parsed.args[0] if parsed else ""
    user = update.effective_user
    admin = user is not None and ctx.settings.is_admin(user.id, user.username)
    if (
        role not in ("rep", "manager")
        or not _may_invite(ctx, update, rep)
        or (role == "manager" and not admin)
    ):
        await query.answer(ctx.t.plain("team.admins_only"), show_alert=True)
        return
    code = ctx.teams.create_invite(
        created_by=rep.id, team_id=rep.team_id, role=role, days=ctx.settings.invite_days
    )
    link = f"https://t.me/{ctx.bot.username}?start={code}"
    await query.answer()
    team = ctx.teams.team_name(team_id=rep.team_id) if rep.team_id else None
    text: str = ctx.t("invite.link", link=link, days=ctx.settings.invite_days)
    if team:
        text = ctx.t("invite.into_team", team=team) + "\n" + text
    await query.edit_message_text(text)


def _overview_text(t: Translator, overview: TeamOverview) -> str:
    funnel = " · ".join(
        f"{t.plain(f'status.{status}')} {overview.funnel.get(status, 0)}" for status in _FUNNEL
    )
    lines = [t("team.title", team=overview.name), t("team.funnel", funnel=funnel), ""]
    for member in overview.members:
        counts = " · ".join(f"{t.plain(f'status.{s}')} {member.by_status.get(s, 0)}" for s in _FUNNEL[:3])
        role = t.plain("team.manager") if member.role == "manager" else ""
        lines.append(t("team.member", name=member.name or "?", role=role, counts=counts))
        lines.append(t("team.member_due", today=member.due_today, overdue=member.overdue))
    return "\n".join(lines)


async def team(update: Update, ctx: BotContext) -> None:
    """/team: the manager's view of the team's pipeline, with reassignment per rep."""
    rep = ctx.rep
    assert update.effective_message is not None
    overview = ctx.teams.overview(manager=rep, zone=rep.zone)
    if overview is None:
        await update.effective_message.reply_text(ctx.t("team.managers_only"))
        return
    buttons = [
        [
            InlineKeyboardButton(
                ctx.t.plain("team.reassign", name=(m.name or "?")[:20]),
                callback_data=callbacks.pack(TEAM, m.rep_id, "from"),
            )
        ]
        for m in overview.members
        if m.rep_id != rep.id and any(m.by_status.values())
    ]
    await update.effective_message.reply_text(
        _overview_text(ctx.t, overview), reply_markup=InlineKeyboardMarkup(buttons) if buttons else None
    )


async def on_team_button(update: Update, ctx: BotContext) -> None:
    """Reassign: pick the rep whose contacts go, then the rep who takes them, then confirm."""
    query = update.callback_query
    assert query is not None
    rep = ctx.rep
    parsed = callbacks.parse(query.data)
    overview = ctx.teams.overview(manager=rep, zone=rep.zone)
    members = {m.rep_id: m for m in overview.members} if overview else {}
    if parsed is None or parsed.id not in members or not parsed.args:
        await query.answer(ctx.t.plain("team.managers_only"), show_alert=True)
        return
    source, t = members[parsed.id], ctx.t
    action, rest = parsed.args[0], parsed.args[1:]
    target = members.get(int(rest[0])) if rest and rest[0].isdigit() else None
    await query.answer()
    if action == "from":
        buttons = [
            [
                InlineKeyboardButton(
                    t.plain("team.to", name=(m.name or "?")[:20]),
                    callback_data=callbacks.pack(TEAM, source.rep_id, "to", m.rep_id),
                )
            ]
            for m in members.values()
            if m.rep_id != source.rep_id
        ]
        await query.edit_message_text(
            t("team.ask_target", name=source.name),
            reply_markup=InlineKeyboardMarkup(buttons),
        )
    elif action == "to" and target is not None:
        yes = InlineKeyboardButton(
            t.plain("team.confirm"), callback_data=callbacks.pack(TEAM, source.rep_id, "do", target.rep_id)
        )
        await query.edit_message_text(
            t("team.confirm_question", source=source.name, target=target.name),
            reply_markup=InlineKeyboardMarkup([[yes]]),
        )
    elif action == "do" and target is not None:
        moved = ctx.teams.reassign(manager=rep, from_rep=source.rep_id, to_rep=target.rep_id)
        await query.edit_message_text(
            t.plural("team.reassigned", moved or 0, source=source.name, target=target.name),
        )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("newteam", new_team),
        CommandHandler("invite", invite),
        CommandHandler("team", team),
        CallbackQueryHandler(on_invite_button, pattern=r"^iv:"),
        CallbackQueryHandler(on_team_button, pattern=r"^tm:"),
    ]
