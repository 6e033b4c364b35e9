"""Teams: /newteam and /invite for admins and managers, /team for a manager's view and reassignment."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.access import may_invite
from bot.i18n import Translator
from handlers.kit.buttons import InviteButton, InviteRole, TeamAction, TeamButton
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard, rows, short
from handlers.kit.preamble import pressed
from storage.teams import MemberSummary, TeamOverview

_FUNNEL = ("lead", "prospect", "customer", "repeat_buyer", "lost")
NAME_MAX = 20


def _is_admin(ctx: BotContext, update: Update) -> bool:
    user = update.effective_user
    return user is not None and ctx.settings.is_admin(user.id, user.username)


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
    await ctx.db(ctx.teams.create_team, name=name, manager_id=rep.id)
    await message.reply_text(ctx.t("team.created", team=name[:80]))


async def invite(update: Update, ctx: BotContext) -> None:
    """/invite: a one-time link for a rep (or, for admins, a manager) to join."""
    assert update.effective_message is not None
    if not may_invite(InviteRole.REP, admin=_is_admin(ctx, update), inviter_role=ctx.rep.role):
        await update.effective_message.reply_text(ctx.t("team.admins_only"))
        return
    t = ctx.t
    markup = keyboard(
        [
            button(t.plain("invite.as_rep"), InviteButton(InviteRole.REP)),
            button(t.plain("invite.as_manager"), InviteButton(InviteRole.MANAGER)),
        ]
    )
    await update.effective_message.reply_text(t("invite.ask_role"), reply_markup=markup)


async def on_invite_button(update: Update, ctx: BotContext) -> None:
    """Create the link; a manager invites into their own team."""
    press = await pressed(update, ctx, InviteButton, refusal="team.admins_only")
    if press is None:
        return
    rep, role = press.rep, press.data.role
    if not may_invite(role, admin=_is_admin(ctx, update), inviter_role=rep.role):
        await press.answer(ctx.t.plain("team.admins_only"), alert=True)
        return
    code = await ctx.db(
        ctx.teams.create_invite,
        created_by=rep.id,
        team_id=rep.team_id,
        role=role.value,
        days=ctx.settings.invite_days,
    )
    link = f"https://t.me/{ctx.bot.username}?start={code}"
    await press.answer()
    team = await ctx.db(ctx.teams.team_name, team_id=rep.team_id) if rep.team_id else None
    text: str = ctx.t("invite.link", link=link, days=ctx.settings.invite_days)
    if team:
        text = ctx.t("invite.into_team", team=team) + "\n" + text
    await press.query.edit_message_text(text)


def _overview_text(t: Translator, overview: TeamOverview) -> str:
    funnel = " · ".join(
        f"{t.plain(f'status.{status}')} {overview.funnel.get(status, 0)}" for status in _FUNNEL
    )
    lines = [t("team.title", team=overview.name), t("team.funnel", funnel=funnel), ""]
    for member in overview.members:
        counts = " · ".join(f"{t.plain(f'status.{s}')} {member.by_status.get(s, 0)}" for s in _FUNNEL[:3])
        role = t.plain("team.manager") if member.role == "manager" else ""
        lines.append(t("team.member", name=member.name or "?", role=role, counts=counts))
        lines.append(
            t(
                "team.member_due",
                today=_who(t, member.due_today, member.today_names),
                overdue=_who(t, member.overdue, member.overdue_names),
            )
        )
    return "\n".join(lines)


def _who(t: Translator, count: int, names: tuple[str, ...]) -> str:
    """ "2: Anna Virtanen, Pekka Salo", "5: Anna, Pekka, Liisa…": how many, and who."""
    if not names:
        return str(count)
    who = ", ".join(short(name, NAME_MAX) for name in names) + ("…" if count > len(names) else "")
    return t.plain("team.due_who", count=count, names=who)


def _member_name(member: MemberSummary) -> str:
    return short(member.name or "?", NAME_MAX)


async def team(update: Update, ctx: BotContext) -> None:
    """/team: the manager's view of the team's pipeline, with reassignment per rep."""
    rep = ctx.rep
    assert update.effective_message is not None
    overview = await ctx.db(ctx.teams.overview, manager=rep, zone=rep.zone)
    if overview is None:
        await update.effective_message.reply_text(ctx.t("team.managers_only"))
        return
    buttons = [
        button(ctx.t.plain("team.reassign", name=_member_name(m)), TeamButton(m.rep_id, TeamAction.FROM))
        for m in overview.members
        if m.rep_id != rep.id and any(m.by_status.values())
    ]
    await update.effective_message.reply_text(
        _overview_text(ctx.t, overview), reply_markup=keyboard(*rows(buttons, 1)) if buttons else None
    )


def _reassign_step(
    t: Translator, members: dict[int, MemberSummary], source: MemberSummary, step: TeamButton
) -> tuple[str, InlineKeyboardMarkup]:
    """Ask who takes the source rep's contacts, or ask to confirm the chosen one."""
    if step.action is TeamAction.FROM:
        buttons = [
            button(
                t.plain("team.to", name=_member_name(m)), TeamButton(source.rep_id, TeamAction.TO, m.rep_id)
            )
            for m in members.values()
            if m.rep_id != source.rep_id
        ]
        return t("team.ask_target", name=source.name), keyboard(*rows(buttons, 1))
    target = members[step.target or 0]
    yes = button(t.plain("team.confirm"), TeamButton(source.rep_id, TeamAction.DO, target.rep_id))
    return t("team.confirm_question", source=source.name, target=target.name), keyboard([yes])


async def on_team_button(update: Update, ctx: BotContext) -> None:
    """Reassign: pick the rep whose contacts go, then the rep who takes them, then confirm."""
    press = await pressed(update, ctx, TeamButton, refusal="team.managers_only")
    if press is None:
        return
    rep, step, t = press.rep, press.data, ctx.t
    overview = await ctx.db(ctx.teams.overview, manager=rep, zone=rep.zone)
    members = {m.rep_id: m for m in overview.members} if overview else {}
    # Both ids are claims: each must be a member of the pressing manager's own team.
    if step.rep not in members or (step.action is not TeamAction.FROM and step.target not in members):
        await press.answer(t.plain("team.managers_only"), alert=True)
        return
    await press.answer()
    source = members[step.rep]
    if step.action is TeamAction.DO:
        target = members[step.target or 0]
        moved = await ctx.db(ctx.teams.reassign, manager=rep, from_rep=source.rep_id, to_rep=target.rep_id)
        await press.query.edit_message_text(
            t.plural("team.reassigned", moved or 0, source=source.name, target=target.name)
        )
        return
    text, markup = _reassign_step(t, members, source, step)
    await press.query.edit_message_text(text, reply_markup=markup)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("newteam", new_team),
        command("invite", invite),
        command("team", team),
        CallbackQueryHandler(on_invite_button, pattern=InviteButton.pattern()),
        CallbackQueryHandler(on_team_button, pattern=TeamButton.pattern()),
    ]
