"""Data in and out: /export (CSV, vCard, calendar) and importing a CSV the rep sends, with a preview,
progress, cancel and /undoimport. Where the file's header does not say which column holds the names (or
the phones, the e-mails), the rep taps the column instead of the file being refused."""

from __future__ import annotations

import asyncio
import logging
import threading

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot import imports
from bot.exports import column_headers, contact_row, contacts_csv, contacts_vcard, followups_calendar
from handlers.kit.buttons import (
    ExportButton,
    ExportKind,
    ImportAction,
    ImportButton,
    ImportColumnButton,
    ImportPickButton,
    PickedColumn,
)
from handlers.kit.commands import command
from handlers.kit.context import BotContext
from handlers.kit.keyboards import button, keyboard, rows, short
from handlers.kit.preamble import D, OwnedPress, pressed, pressed_on
from storage.exchange import ImportBatchRead, ImportCancelled, ImportClaim, ImportPlan, ImportStop
from storage.reps import RepRead

log = logging.getLogger(__name__)

_EXPORTS: dict[ExportKind, tuple[str, ...] | None] = {
    ExportKind.LEADS: ("lead",),
    ExportKind.PROSPECTS: ("prospect",),
    ExportKind.ALL: None,
}
INVALID_SHOWN = 5
# A column to choose is shown as its title and first value, cut so that a phone shows both on one line.
CHOICE_HEADER_MAX = 20
CHOICE_SAMPLE_MAX = 24
PROGRESS_EVERY = 1.5  # seconds between edits of the progress message (Telegram limits edits too)


async def export(update: Update, ctx: BotContext) -> None:
    """/export: which contacts?"""
    assert update.effective_message is not None
    t = ctx.t
    buttons = [button(t.plain(f"export.{kind.value}"), ExportButton(kind)) for kind in _EXPORTS]
    await update.effective_message.reply_text(t("export.ask"), reply_markup=keyboard(buttons))


async def on_export_button(update: Update, ctx: BotContext) -> None:
    """Send the CSV, the vCard file and the calendar of upcoming follow-ups."""
    press = await pressed(update, ctx, ExportButton)
    if press is None:
        return
    rep, kind = press.rep, press.data.kind
    await press.answer()
    contacts = await ctx.db(ctx.exchange.export_contacts, owner_id=rep.id, statuses=_EXPORTS[kind])
    if not contacts:
        await press.query.edit_message_text(ctx.t("export.nothing"))
        return
    await press.query.edit_message_text(ctx.t.plural("export.done", len(contacts)))
    followups = [
        {
            "id": item["id"],
            "due_at": item["due_at"],
            "summary": ctx.t.plain("export.event", name=item["name"]),
        }
        for item in await ctx.db(ctx.exchange.upcoming_followups, owner_id=rep.id)
    ]
    rows = [contact_row(contact, ctx.t, rep.zone) for contact in contacts]
    files = [
        (contacts_csv(rows, column_headers(ctx.t)), f"{kind.value}.csv"),
        (contacts_vcard(contacts, ctx.t, rep.zone), f"{kind.value}.vcf"),
        (followups_calendar(followups, product="Prospect bot", now=ctx.now()), "follow-ups.ics"),
    ]
    for content, filename in files:
        await ctx.bot.send_document(rep.chat_id, InputFile(content, filename=filename))


async def on_document(update: Update, ctx: BotContext) -> None:
    """A file: read it as a CSV of contacts and show what an import would do, or, when its header names
    no name column, ask which column holds the names."""
    rep = ctx.rep
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    if document.file_size and document.file_size > imports.MAX_BYTES:
        await message.reply_text(ctx.t("import.unreadable.too_big"))
        return
    data = await _download(ctx, document.file_id)
    try:
        parsed = await asyncio.to_thread(imports.parse, data, currency=ctx.rep.deal_currency)
    except imports.NoNameColumn as problem:
        plan = await ctx.db(
            ctx.exchange.plan_import, owner_id=rep.id, parsed=imports.ParsedFile(), file_id=document.file_id
        )
        text, markup = _choice(ctx, plan.batch_id, PickedColumn.NAME, problem.columns)
        await message.reply_text(text, reply_markup=markup)
        return
    except imports.Unreadable as problem:
        await message.reply_text(ctx.t(f"import.unreadable.{problem.reason}"))
        return
    plan = await ctx.db(ctx.exchange.plan_import, owner_id=rep.id, parsed=parsed, file_id=document.file_id)
    await message.reply_text(
        _preview(ctx, plan, parsed, {}), reply_markup=_preview_keyboard(ctx, plan, parsed, {})
    )


async def _download(ctx: BotContext, file_id: str) -> bytes:
    return bytes(await (await ctx.bot.get_file(file_id)).download_as_bytearray())


def _preview(ctx: BotContext, plan: ImportPlan, parsed: imports.ParsedFile, picked: dict[str, int]) -> str:
    t = ctx.t
    lines = [t("import.preview", new=plan.new, duplicates=plan.duplicates, invalid=len(plan.invalid))]
    columns = [
        # A column the rep pointed at is shown with the file's own title, to check the choice by.
        t.plain(f"import.column.{column}") + (f" ({header})" if column in picked else "")
        for column, header in parsed.columns.items()
    ]
    lines.append(t("import.columns", columns=", ".join(columns)))
    # What the import leaves out, so that a column under a title the bot does not know is not lost unseen
    # (a headerless file's columns have no title to list).
    unused = [
        file.header for file in parsed.file_columns if file.used_for is None and file.sample and file.header
    ]
    if unused:
        lines.append(t("import.unused", columns=", ".join(unused)))
    # Row by row: those left out, and those imported with a value they could not use kept in the note.
    problems = sorted(
        [(line, "import.invalid_row", reason) for line, reason in plan.invalid]
        + [(row.line, "import.kept_row", row.reason) for row in parsed.kept]
    )
    for line, key, reason in problems[:INVALID_SHOWN]:
        lines.append(t(key, line=line, reason=t.plain(f"import.reason.{reason}")))
    if len(problems) > INVALID_SHOWN:
        lines.append(t.plural("import.more_invalid", len(problems) - INVALID_SHOWN))
    return "\n".join(lines)


def _preview_keyboard(
    ctx: BotContext, plan: ImportPlan, parsed: imports.ParsedFile, picked: dict[str, int]
) -> InlineKeyboardMarkup | None:
    """Import (merging or skipping duplicates) and Cancel; and a button to point at the column of a name,
    phone or e-mail the rep picked (to change it) or that the header did not name while some column's
    values look like one."""
    t = ctx.t
    batch = plan.batch_id
    asks = [
        button(t.plain(f"import.ask.{column}"), ImportColumnButton(batch, PickedColumn(column)))
        for column in imports.to_ask(parsed, picked)
    ]
    if plan.new + plan.duplicates == 0 and not asks:
        return None
    first: list[InlineKeyboardButton] = []
    if plan.duplicates:
        first = [
            button(t.plain("import.merge"), ImportButton(batch, ImportAction.MERGE)),
            button(t.plain("import.skip"), ImportButton(batch, ImportAction.SKIP)),
        ]
    elif plan.new:
        first = [button(t.plain("import.go"), ImportButton(batch, ImportAction.SKIP))]
    cancel = button(t.plain("common.cancel"), ImportButton(batch, ImportAction.CANCEL))
    return keyboard(first, *rows(asks, 2), [cancel])


def _choice(
    ctx: BotContext, batch: int, column: PickedColumn, columns: list[imports.FileColumn]
) -> tuple[str, InlineKeyboardMarkup]:
    """Which of the file's columns holds this one of ours: a button each, with its title and first value.
    The choice of a name comes first, before any preview (Cancel drops the file); of a phone or e-mail,
    from the preview (Back returns to it unchanged)."""
    t = ctx.t
    offered = [
        button(_label(ctx, choice, column), ImportPickButton(batch, column, choice.index))
        for choice in imports.choices(columns, column.value)
    ]
    last = (
        button(t.plain("common.cancel"), ImportButton(batch, ImportAction.CANCEL))
        if column is PickedColumn.NAME
        else button(t.plain("common.back"), ImportButton(batch, ImportAction.PREVIEW))
    )
    return t(f"import.choose.{column.value}"), keyboard(*([choice] for choice in offered), [last])


def _label(ctx: BotContext, choice: imports.FileColumn, column: PickedColumn) -> str:
    header = choice.header or ctx.t.plain("import.column_number", number=choice.index + 1)
    label = f"{short(header, CHOICE_HEADER_MAX)} · {short(choice.sample, CHOICE_SAMPLE_MAX)}"
    return ctx.t.plain("common.chosen", label=label) if choice.used_for == column.value else label


async def on_import_button(update: Update, ctx: BotContext) -> None:
    """Import (merging or skipping duplicates), cancel before it starts, or stop it while it runs, on
    whichever replica the press reaches."""
    press = await pressed_on(update, ctx, ImportButton, lambda data: _own_batch(ctx, data))
    if press is None:
        return
    batch, action = press.data.batch, press.data.action
    local = ctx.bot_data.running_imports.get(batch)
    if local is not None:
        # Applied in this process: Stop (or a Cancel left on the preview) is heard at the next chunk
        # without a write, which on SQLite would wait for the import's own lock; an Import tap again is
        # answered as the claim would answer it.
        if action is ImportAction.STOP or action is ImportAction.CANCEL:
            local.set()
            await press.answer(ctx.t.plain("import.stopping"))
        else:
            await press.answer(ctx.t.plain("import.already_running"))
        return
    if action is ImportAction.STOP:
        await _stop(ctx, press)
    elif action is ImportAction.CANCEL:
        await _cancel(ctx, press)
    elif action is ImportAction.PREVIEW:
        await _show_preview(ctx, press, press.record.picked)
    else:
        await _claim_and_start(ctx, press, merge=action is ImportAction.MERGE)


async def on_column_button(update: Update, ctx: BotContext) -> None:
    """From the preview: which of the file's columns holds the phone (e-mail, name)? The file is read
    again to show its columns."""
    press = await pressed_on(update, ctx, ImportColumnButton, lambda data: _own_batch(ctx, data))
    if press is None:
        return
    parsed = await _read_again(ctx, press, press.record.picked)
    if parsed is None:
        return
    await press.answer()
    text, markup = _choice(ctx, press.record.id, press.data.column, parsed.file_columns)
    await _edit(ctx, press.rep, press.message_id, text, markup)


async def on_pick_button(update: Update, ctx: BotContext) -> None:
    """The rep tapped the file's column that holds a name (phone, e-mail): the file is read with it and
    planned again, and the preview shows the result."""
    press = await pressed_on(update, ctx, ImportPickButton, lambda data: _own_batch(ctx, data))
    if press is None:
        return
    await _show_preview(ctx, press, press.record.picked | {press.data.column.value: press.data.index})


async def _show_preview(
    ctx: BotContext, press: OwnedPress[D, ImportBatchRead], picked: dict[str, int]
) -> None:
    """The preview of the batch's file read with these picks, in place of the message pressed on."""
    parsed = await _read_again(ctx, press, picked)
    if parsed is None:
        return
    if any(index >= len(parsed.file_columns) for index in picked.values()):
        # A column this file does not have: the button's data was not the bot's.
        await press.answer(ctx.t.plain("common.expired"), alert=True)
        return
    plan = await ctx.db(
        ctx.exchange.replan_import,
        owner_id=press.rep.id,
        batch_id=press.record.id,
        parsed=parsed,
        picked=picked,
    )
    if plan is None:
        found = await ctx.db(ctx.exchange.import_batch, owner_id=press.rep.id, batch_id=press.record.id)
        await _answer_not_pending(ctx, press, found.state if found is not None else "gone")
        return
    await press.answer()
    await _edit(
        ctx,
        press.rep,
        press.message_id,
        _preview(ctx, plan, parsed, picked),
        _preview_keyboard(ctx, plan, parsed, picked),
    )


async def _read_again(
    ctx: BotContext, press: OwnedPress[D, ImportBatchRead], picked: dict[str, int]
) -> imports.ParsedFile | None:
    """The batch's file, fetched from Telegram again and read with these picks; None (the rep told why)
    when the import is no longer waiting for the rep or the file cannot be had."""
    batch = press.record
    if batch.state != "pending" or batch.file_id is None:
        await _answer_not_pending(ctx, press, batch.state)
        return None
    try:
        data = await _download(ctx, batch.file_id)
        return await asyncio.to_thread(imports.parse, data, picked, currency=ctx.rep.deal_currency)
    except (TelegramError, imports.Unreadable) as problem:
        log.info("import %s: its file could not be read again: %s", batch.id, type(problem).__name__)
        await press.answer(ctx.t.plain("common.expired"), alert=True)
        return None


async def _answer_not_pending(ctx: BotContext, press: OwnedPress[D, ImportBatchRead], state: str) -> None:
    """A column tapped on an import that is being applied, was applied or is gone."""
    answer = {"applying": "import.already_running", "done": "import.already_done"}.get(
        state, "common.expired"
    )
    await press.answer(ctx.t.plain(answer), alert=answer == "common.expired")


async def _claim_and_start(
    ctx: BotContext, press: OwnedPress[ImportButton, ImportBatchRead], *, merge: bool
) -> None:
    """Claim the import in the database, so that of two taps (on one replica or two) one applies it and
    the other is told where it stands; then apply it beside update processing."""
    batch = press.data.batch
    claim = await ctx.db(ctx.exchange.claim_import, owner_id=press.rep.id, batch_id=batch)
    if claim is not ImportClaim.CLAIMED:
        await press.answer(ctx.t.plain(_CLAIM_ANSWERS[claim]), alert=claim is ImportClaim.GONE)
        return
    await press.answer()
    event = ctx.bot_data.running_imports[batch] = threading.Event()
    # The import runs beside update processing, so the Stop button can be pressed while it runs; the
    # task is kept until done (asyncio holds tasks only weakly) and its failure logged, not lost.
    task = asyncio.get_running_loop().create_task(
        _run_import(ctx, press.rep, batch, merge, press.message_id, event)
    )
    background = ctx.bot_data.background
    background.add(task)
    task.add_done_callback(background.discard)
    task.add_done_callback(_finished)


_CLAIM_ANSWERS = {
    ImportClaim.RUNNING: "import.already_running",
    ImportClaim.DONE: "import.already_done",
    ImportClaim.GONE: "common.expired",
}


async def _stop(ctx: BotContext, press: OwnedPress[ImportButton, ImportBatchRead]) -> None:
    """Stop pressed on a replica that is not applying the import: the flag in the database reaches the
    one that is; when no process holds it any more, nothing was kept and the batch is cancelled."""
    outcome = await ctx.db(ctx.exchange.stop_import, owner_id=press.rep.id, batch_id=press.data.batch)
    if outcome is ImportStop.STOPPING:
        await press.answer(ctx.t.plain("import.stopping"))
    elif outcome is ImportStop.STOPPED:
        await press.answer()
        await _edit(ctx, press.rep, press.message_id, ctx.t("import.stopped"), None)
    elif outcome is ImportStop.DONE:
        await press.answer(ctx.t.plain("import.already_done"))
    else:
        await press.answer(ctx.t.plain("common.expired"), alert=True)


async def _cancel(ctx: BotContext, press: OwnedPress[ImportButton, ImportBatchRead]) -> None:
    """Cancel on the preview: the batch is dropped, unless a tap on another replica applied it already
    (then it says so). One being applied elsewhere stops there, at its next chunk."""
    if await ctx.db(ctx.exchange.cancel_import, owner_id=press.rep.id, batch_id=press.data.batch):
        await press.answer()
        await press.query.edit_message_text(ctx.t("import.cancelled"))
        return
    found = await ctx.db(ctx.exchange.import_batch, owner_id=press.rep.id, batch_id=press.data.batch)
    if found is not None and found.state == "done":
        await press.answer(ctx.t.plain("import.already_done"))
    else:
        await press.answer(ctx.t.plain("common.expired"), alert=True)


def _own_batch(
    ctx: BotContext, data: ImportButton | ImportColumnButton | ImportPickButton
) -> ImportBatchRead | None:
    return ctx.exchange.import_batch(owner_id=ctx.rep.id, batch_id=data.batch)


def _finished(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("import failed", exc_info=task.exception())


async def _run_import(
    ctx: BotContext, rep: RepRead, batch_id: int, merge: bool, message_id: int, event: threading.Event
) -> None:
    t = ctx.t
    state = {"done": 0, "total": 0}
    stop = keyboard([button(t.plain("import.stop"), ImportButton(batch_id, ImportAction.STOP))])

    def progress(done: int, total: int) -> None:
        state["done"], state["total"] = done, total

    work = asyncio.ensure_future(
        asyncio.to_thread(
            ctx.exchange.apply_import,
            owner_id=rep.id,
            batch_id=batch_id,
            merge=merge,
            progress=progress,
            cancelled=event,
        )
    )
    shown = ""
    try:
        while not work.done():
            await asyncio.wait({work}, timeout=PROGRESS_EVERY)
            text = t("import.progress", done=state["done"], total=state["total"])
            if not work.done() and state["total"] and text != shown:
                shown = text
                await _edit(ctx, rep, message_id, text, stop)
        result = work.result()
    except ImportCancelled:
        await ctx.db(ctx.exchange.cancel_import, owner_id=rep.id, batch_id=batch_id)
        await _edit(ctx, rep, message_id, t("import.stopped"), None)
        return
    finally:
        ctx.bot_data.running_imports.pop(batch_id, None)
    if result is None:
        await _edit(ctx, rep, message_id, t("common.expired"), None)
        return
    log.info(
        "import %s: %d created, %d merged, %d skipped",
        batch_id,
        result.created,
        result.merged,
        result.skipped,
    )
    await _edit(
        ctx,
        rep,
        message_id,
        t("import.done", created=result.created, merged=result.merged, skipped=result.skipped),
        None,
    )


async def _edit(
    ctx: BotContext, rep: RepRead, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    try:
        await ctx.bot.edit_message_text(text, rep.chat_id, message_id, reply_markup=markup)
    except BadRequest as error:
        log.debug("import message not edited: %s", error)


async def undo_import(update: Update, ctx: BotContext) -> None:
    """/undoimport: take back the last import."""
    rep = ctx.rep
    assert update.effective_message is not None
    removed = await ctx.db(ctx.exchange.undo_last_import, owner_id=rep.id)
    text = ctx.t("import.nothing_to_undo") if removed is None else ctx.t.plural("import.undone", removed)
    await update.effective_message.reply_text(text)


async def import_command(update: Update, ctx: BotContext) -> None:
    """/import: an import starts from a file, not a command; say how (reps guess the command)."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(ctx.t("import.how"))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        command("export", export),
        command("import", import_command),
        command("undoimport", undo_import),
        CallbackQueryHandler(on_export_button, pattern=ExportButton.pattern()),
        CallbackQueryHandler(on_import_button, pattern=ImportButton.pattern()),
        CallbackQueryHandler(on_column_button, pattern=ImportColumnButton.pattern()),
        CallbackQueryHandler(on_pick_button, pattern=ImportPickButton.pattern()),
    ]
