"""Reading a Bot API request as Telegram does: the query string and a form, JSON or multipart body, the
values decoded back into what Telegram reads from them (objects, numbers, booleans) and files."""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from runtime.local_api.refusals import bad_request


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file that arrived as a multipart part (sendDocument, sendPhoto)."""

    filename: str
    content: bytes
    content_type: str | None = None


# ---------------------------------------------------------------------------------------------
# Decoding what arrives on the wire
# ---------------------------------------------------------------------------------------------

# Parameters that travel as JSON-serialized objects in form data.
_JSON_PARAMS = frozenset(
    [
        "reply_markup",
        "entities",
        "caption_entities",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "media",
    ]
)
_INT_PARAMS = frozenset(
    [
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "cache_time",
        "max_connections",
        "offset",
        "limit",
        "timeout",
    ]
)
_BOOL_PARAMS = frozenset(
    [
        "show_alert",
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
    ]
)


def _decode_param(name: str, value: Any) -> Any:
    """Turn a form value back into what Telegram reads from it; unparsable values stay as sent
    so that the validators refuse them with Telegram's message."""
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_PARAMS or name == "chat_id":
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in _BOOL_PARAMS:
        lowered = value.lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    return value


def _parse_multipart(body: bytes, content_type: str) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    """Split a multipart/form-data body into form fields and uploaded files."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise bad_request("can't parse multipart/form-data request")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {
            key.strip().lower(): value.strip()
            for key, _, value in (line.partition(":") for line in head.decode("utf-8").split("\r\n"))
        }
        disposition = headers.get("content-disposition", "")
        name_match = re.search(r'\bname="([^"]*)"', disposition)
        if name_match is None:
            continue
        filename_match = re.search(r"filename\*=utf-8''([^;]+)", disposition, re.IGNORECASE) or re.search(
            r'\bfilename="([^"]*)"', disposition
        )
        if filename_match is None:
            fields[name_match.group(1)] = content.decode("utf-8")
        else:
            filename = urllib.parse.unquote(filename_match.group(1))
            files[name_match.group(1)] = UploadedFile(filename, content, headers.get("content-type"))
    return fields, files


async def decode_request(request: httpx.Request) -> dict[str, Any]:
    """Read the parameters from the query string and the body, whatever its encoding; files
    become UploadedFile values."""
    raw: dict[str, Any] = dict(request.url.params)
    files: dict[str, UploadedFile] = {}
    body = await request.aread()
    content_type = request.headers.get("content-type", "")
    if body and content_type.startswith("multipart/form-data"):
        fields, files = _parse_multipart(body, content_type)
        raw.update(fields)
    elif body and content_type.startswith("application/json"):
        try:
            decoded = json.loads(body)
        except ValueError:
            raise bad_request("can't parse JSON encoded request") from None
        if isinstance(decoded, dict):
            raw.update(decoded)
    elif body:
        raw.update(urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    params = {name: _decode_param(name, value) for name, value in raw.items()}
    params.update(files)
    return params
