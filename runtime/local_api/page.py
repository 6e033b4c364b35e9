"""The chat page: a small web app (plain HTML and a little JavaScript, static/) that plays the users'
Telegram apps over the local Bot API, and the JSON it talks to.

    GET  /                                  the page
    GET  /api/users                         who can be played
    GET  /api/chats/<user>?after=<version>  the chat, once it changed past `version` (a long poll)
    POST /api/chats/<user>/text             {"text": ...}
    POST /api/chats/<user>/press            {"message_id": ..., "data": ...}: the bot's answer
    POST /api/chats/<user>/contact          {"phone": ..., "first_name": ..., "last_name": ...}
    POST /api/chats/<user>/location         {"latitude": ..., "longitude": ...}
    POST /api/chats/<user>/reply-button     {"text": ...}: a text button of the reply keyboard
    POST /api/chats/<user>/document         multipart, one file
    POST /api/chats/<user>/photo            multipart, one picture
    GET  /api/files/<file_id>               a file the bot sent or a user uploaded

Messages carry their text and Telegram's entities, and the page draws them as Telegram's apps do, from
the entities, so nothing in a text is ever read as markup. It listens on the loopback interface only;
every POST must carry the page's own header, which a form on another site cannot send.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from aiohttp import BodyPartReader, web

from runtime.local_api.server import SentMessage
from runtime.local_api.users import UserApps, UserInputError, UserMessage

JsonDict = dict[str, Any]

STATIC: Final = Path(__file__).with_name("static")
PAGE_HEADER: Final = "X-Chat-Page"
# How long a long poll for a chat waits before answering "unchanged".
LONG_POLL_SECONDS: Final = 20.0
# The newest messages of a chat the page is sent (a long session keeps them all on the server).
SHOWN_MESSAGES: Final = 300
UPLOAD_MAX_BYTES: Final = 20 * 1024 * 1024

APPS_KEY: Final = web.AppKey("apps", UserApps)


def create_chat_page(apps: UserApps) -> web.Application:
    """The page's web app over these users' apps."""
    app = web.Application(client_max_size=UPLOAD_MAX_BYTES, middlewares=[_only_the_page_posts])
    app[APPS_KEY] = apps
    app.router.add_get("/", _page)
    app.router.add_get("/static/{name}", _static)
    app.router.add_get("/api/users", _users)
    app.router.add_get("/api/chats/{user}", _chat)
    app.router.add_post("/api/chats/{user}/text", _text)
    app.router.add_post("/api/chats/{user}/press", _press)
    app.router.add_post("/api/chats/{user}/contact", _contact)
    app.router.add_post("/api/chats/{user}/location", _location)
    app.router.add_post("/api/chats/{user}/reply-button", _reply_button)
    app.router.add_post("/api/chats/{user}/document", _document)
    app.router.add_post("/api/chats/{user}/photo", _photo)
    app.router.add_get("/api/files/{file_id}", _file)
    return app


@web.middleware
async def _only_the_page_posts(request: web.Request, handler: Any) -> web.StreamResponse:
    if request.method == "POST" and request.headers.get(PAGE_HEADER) != "1":
        return web.json_response({"error": f"POST requests need the {PAGE_HEADER} header"}, status=403)
    try:
        response: web.StreamResponse = await handler(request)
    except UserInputError as error:
        return web.json_response({"error": str(error)}, status=400)
    return response


async def _page(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-store"})


async def _static(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in ("chat.js", "chat.css"):
        raise web.HTTPNotFound()
    return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})


async def _users(request: web.Request) -> web.Response:
    apps = request.app[APPS_KEY]
    return web.json_response(
        {
            "bot": {"name": apps.api.bot_first_name, "username": apps.api.bot_username},
            "users": [
                {
                    "id": user.id,
                    "name": " ".join(filter(None, (user.first_name, user.last_name))),
                    "language": user.language_code,
                }
                for user in apps.users.values()
            ],
        }
    )


async def _chat(request: web.Request) -> web.Response:
    apps = request.app[APPS_KEY]
    user_id = _user_id(request)
    try:
        after = int(request.query.get("after", "-1"))
    except ValueError:
        raise UserInputError("after must be a number") from None
    version = await apps.wait_for_change(user_id, after, LONG_POLL_SECONDS)
    timeline = apps.timeline(user_id)[-SHOWN_MESSAGES:]
    user = apps.user(user_id)
    refused = [
        {"method": refusal.method, "code": refusal.error_code, "description": refusal.description}
        for refusal in apps.api.rejections
        if refusal.params.get("chat_id") == user_id
    ]
    return web.json_response(
        {
            "version": version,
            "messages": [
                _user_json(message) if isinstance(message, UserMessage) else _bot_json(message)
                for _, message in timeline
            ],
            "commands": apps.api.menu_commands(user.language_code),
            "reply_keyboard": _reply_keyboard_json(apps.api.reply_keyboard(user_id)),
            "refused": refused,
        }
    )


async def _text(request: web.Request) -> web.Response:
    body = await _json_body(request)
    request.app[APPS_KEY].send_text(_user_id(request), str(body.get("text", "")))
    return web.json_response({"ok": True})


async def _press(request: web.Request) -> web.Response:
    body = await _json_body(request)
    message_id, data = body.get("message_id"), body.get("data")
    if not isinstance(message_id, int) or not isinstance(data, str):
        raise UserInputError("a press names a message_id and the button's data")
    answer = await request.app[APPS_KEY].press(_user_id(request), message_id, data)
    return web.json_response({"ok": True, "answer": answer})


async def _contact(request: web.Request) -> web.Response:
    body = await _json_body(request)
    request.app[APPS_KEY].share_contact(
        _user_id(request),
        phone=str(body.get("phone", "")),
        first_name=str(body.get("first_name", "")),
        last_name=str(body.get("last_name", "")),
    )
    return web.json_response({"ok": True})


async def _location(request: web.Request) -> web.Response:
    body = await _json_body(request)
    latitude, longitude = body.get("latitude"), body.get("longitude")
    if not isinstance(latitude, int | float) or not isinstance(longitude, int | float):
        raise UserInputError("a location is a latitude and a longitude, in degrees")
    request.app[APPS_KEY].share_location(
        _user_id(request), latitude=float(latitude), longitude=float(longitude)
    )
    return web.json_response({"ok": True})


async def _reply_button(request: web.Request) -> web.Response:
    body = await _json_body(request)
    request.app[APPS_KEY].tap_reply_button(_user_id(request), str(body.get("text", "")))
    return web.json_response({"ok": True})


async def _document(request: web.Request) -> web.Response:
    filename, content, mime_type = await _upload(request)
    request.app[APPS_KEY].send_document(
        _user_id(request), filename=filename, content=content, mime_type=mime_type
    )
    return web.json_response({"ok": True})


async def _photo(request: web.Request) -> web.Response:
    filename, content, _ = await _upload(request)
    request.app[APPS_KEY].send_photo(_user_id(request), filename=filename, content=content)
    return web.json_response({"ok": True})


async def _file(request: web.Request) -> web.Response:
    upload = request.app[APPS_KEY].api.file(request.match_info["file_id"])
    if upload is None:
        raise web.HTTPNotFound()
    content_type = upload.content_type or _content_type_of(upload.filename, upload.content)
    inline = content_type.startswith("image/")
    disposition = "inline" if inline else f"attachment; filename*=UTF-8''{_quoted(upload.filename)}"
    return web.Response(
        body=upload.content, content_type=content_type, headers={"Content-Disposition": disposition}
    )


# -- JSON for the page --------------------------------------------------------------------------------


def _bot_json(message: SentMessage) -> JsonDict:
    shown: JsonDict = {
        "id": message.message_id,
        "from": "bot",
        "date": message.date,
        "edited": message.edit_date is not None,
        "text": message.text if message.text is not None else message.caption,
        "entities": [entity.to_json() for entity in message.entities],
        "buttons": [
            [
                {
                    "text": button["text"],
                    "data": button.get("callback_data"),
                    "url": button.get("url"),
                    # A copy_text button: the app copies its text, and the bot hears nothing of it.
                    "copy": (button.get("copy_text") or {}).get("text"),
                }
                for button in row
            ]
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
        ],
    }
    if message.photo is not None and message.file_id:
        shown["photo"] = f"/api/files/{message.file_id}"
    if message.document is not None and message.file_id:
        shown["document"] = {
            "name": message.document[0],
            "size": len(message.document[1]),
            "url": f"/api/files/{message.file_id}",
        }
    return shown


def _reply_keyboard_json(markup: JsonDict | None) -> list[list[JsonDict]] | None:
    """The reply keyboard's rows: each button's text and what a tap on it shares."""
    if markup is None:
        return None
    rows = []
    for row in markup.get("keyboard", []):
        buttons = []
        for button in row:
            about = {"text": button} if isinstance(button, str) else button
            kind = (
                "location"
                if about.get("request_location")
                else "contact"
                if about.get("request_contact")
                else "text"
            )
            buttons.append({"text": about.get("text", ""), "kind": kind})
        rows.append(buttons)
    return rows


def _user_json(message: UserMessage) -> JsonDict:
    content = message.content
    shown: JsonDict = {"id": message.message_id, "from": "user", "date": message.date, "entities": []}
    if "text" in content:
        shown["text"] = content["text"]
    if "contact" in content:
        shown["contact"] = content["contact"]
    if "location" in content:
        shown["location"] = content["location"]
    if "document" in content:
        document = content["document"]
        shown["document"] = {
            "name": document["file_name"],
            "size": document["file_size"],
            "url": f"/api/files/{document['file_id']}",
        }
    if "photo" in content:
        shown["photo"] = f"/api/files/{content['photo'][-1]['file_id']}"
    return shown


# -- reading requests ---------------------------------------------------------------------------------


def _user_id(request: web.Request) -> int:
    try:
        return request.app[APPS_KEY].user(int(request.match_info["user"])).id
    except ValueError:
        raise UserInputError("a user is named by their id") from None


async def _json_body(request: web.Request) -> JsonDict:
    try:
        body = await request.json()
    except (ValueError, json.JSONDecodeError):
        raise UserInputError("the body is not JSON") from None
    if not isinstance(body, dict):
        raise UserInputError("the body is not a JSON object")
    return body


async def _upload(request: web.Request) -> tuple[str, bytes, str | None]:
    """The one file of a multipart upload: its name, bytes and content type."""
    if not request.content_type.startswith("multipart/"):
        raise UserInputError("a file comes as multipart/form-data")
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and part.filename:
            content = bytes(await part.read(decode=False))
            return part.filename, content, part.headers.get("Content-Type")
    raise UserInputError("no file in the upload")


def _content_type_of(filename: str, content: bytes) -> str:
    if content.startswith(b"\x89PNG"):
        return "image/png"
    if content.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if filename.lower().endswith(".csv"):
        return "text/csv"
    if filename.lower().endswith(".vcf"):
        return "text/vcard"
    return "application/octet-stream"


def _quoted(filename: str) -> str:
    return quote(filename, safe="")
