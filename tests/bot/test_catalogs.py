"""The message catalogs: every language has every English id, with the same placeholders and HTML tags,
short button labels, menu descriptions Telegram accepts, and the right plural rule."""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass
from functools import cache

import pytest
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import catalog_path

TRANSLATED = tuple(language for language in SUPPORTED_LANGUAGES if language != "en")

# Written out rather than taken from CLDR: Babel's CLDR data gives Hungarian a single plural form, but every
# catalog keeps two (in Hungarian usually the same text, since a noun after a number stays singular), so a
# msgid_plural entry has the same shape in every language.
PLURAL_FORMS = {
    "en": "nplurals=2; plural=(n != 1);",
    "fi": "nplurals=2; plural=(n != 1);",
    "nb": "nplurals=2; plural=(n != 1);",
    "hu": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
}

# An entry may read exactly as in English only when there is nothing in it to translate, or when the
# language really uses the English word. Layout entries ("{index}. {name}", "{city} ({time})", "◀",
# "🎂 {day}", the company sizes) have no letters once placeholders and tags are taken out: `has_words`
# recognises them, rather than a list that every new layout id would have to join. Words are listed here.
SAME_AS_ENGLISH = {
    # French sales people say "lead", "prospect", "manager", "score"; "budget", "note(s)" are French too.
    "fr": frozenset(
        {
            "status.lead",
            "status.prospect",
            "card.move_to.lead",
            "card.move_to.prospect",
            "team.manager",
            "field.budget",
            "cardaction.nt",
            "history.kind.note",
            "import.column.note",
            "export.column.score",
            "export.column.budget",
            "export.column.notes",
            "stats.stage.lead",
            "stats.stage.prospect",
            "stats.step.lead",
            "stats.step.prospect",
            "card.score_only",
        }
    ),
    # "Status" is the Norwegian word too.
    "nb": frozenset({"field.status", "cardaction.st", "export.column.status"}),
}
# WhatsApp is WhatsApp in every language.
SAME_AS_ENGLISH = {
    language: SAME_AS_ENGLISH.get(language, frozenset()) | {"outreach.whatsapp"} for language in TRANSLATED
}

# Button labels stay short enough for two buttons side by side on a phone.
BUTTON_MAX = 20
BUTTON_PREFIXES = (
    "option.",
    "field.",
    "choice.",
    "list.sort_",
    "outcome.",
    "snooze.",
    "lost.",
    "cardaction.",
    "card.move_to.",
    "import.ask.",
)
BUTTON_IDS = frozenset(
    {
        # Not common.expired (an alert) nor common.not_answered (a value on the card).
        "common.back",
        "common.skip",
        "common.cancel",
        "common.chosen",
        "onboarding.type_zone",
        "onboarding.zone_button",
        "capture.save",
        "capture.edit",
        "capture.finish",
        "capture.continue",
        "capture.start_new",
        "capture.start_new_named",
        "capture.log_on",
        "capture.create_new",
        "capture.open_card",
        "list.previous",
        "list.next",
        "list.button",
        "reminder.done",
        "reminder.snooze",
        "reminder.reschedule",
        "reminder.lost",
        "reminder.card",
        "reminder.confirm",
        "reminder.win_back_months",
        "reminder.no_win_back",
        "card.no_followup",
        "card.clear",
        "card.remove_tag",
        "card.remove_birthday",
        "card.merge_with",
        "card.merge_yes",
        "card.delete_yes",
        "list.filter",
        "list.no_filter",
        "digest.card_sent",
        "digest.done",
        "digest.snooze",
        "invite.as_rep",
        "invite.as_manager",
        "team.reassign",
        "team.to",
        "team.confirm",
        "privacy.erase_yes",
        "export.leads",
        "export.prospects",
        "export.all",
        "import.merge",
        "import.skip",
        "import.go",
        "import.stop",
        "calendar.turn_on",
        "calendar.new_address",
        "calendar.turn_off",
        "calendar.confirm_new_yes",
        "calendar.copy",
        "outreach.whatsapp",
        "outreach.copy_message",
        "outreach.copy_email",
        "templates.kind.first",
        "templates.kind.silence",
        "templates.kind.winback",
        "templates.change",
        "templates.reset",
    }
)
# Choices laid out one to a row (handlers/kit/keyboards.py ROW_EACH): the whole width is theirs.
ROW_EACH_PREFIXES = ("option.source.", "lost.")
ROW_EACH_MAX = 28
# English labels known to be over the limit, reported to their author with shorter wordings; the
# translations are held to it all the same.
OVER_LIMIT_IN_ENGLISH = frozenset({"team.reassign", "privacy.erase_yes", "import.merge", "import.skip"})
_SETTINGS_BUTTON = re.compile(r"^settings\.\w+_button$")
# Telegram's limits for a BotCommand description.
MENU_MIN, MENU_MAX = 1, 256

_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# Telegram's HTML parser refuses <, > and & that are neither part of a tag nor an entity.
_BARE_HTML_CHARACTER = re.compile(r"[<>]|&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)")


class _Samples(dict[str, object]):
    """Short sample values for formatting a label; a placeholder without a sample gets a short word."""

    def __missing__(self, key: str) -> object:
        return "Anna"


SAMPLES = _Samples(name="Anna", label="Yes", city="Oslo", time="09:00", index=1, months=12, count=3)


@dataclass(frozen=True)
class Entry:
    plural_id: str | None
    forms: tuple[str, ...]


@cache
def entries(language: str) -> dict[str, Entry]:
    """The catalog's messages by id (a plural message under its singular id), without the header."""
    with catalog_path(language).open("rb") as po_file:
        catalog = read_po(po_file, abort_invalid=True)
    found: dict[str, Entry] = {}
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            found[message.id] = Entry(None, (str(message.string or ""),))
        else:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            found[message.id[0]] = Entry(message.id[1], tuple(str(form or "") for form in strings))
    return found


def shared_ids(language: str) -> list[str]:
    translated = entries(language)
    return [message_id for message_id in entries("en") if message_id in translated]


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def tags(text: str) -> Counter[str]:
    return Counter(tag.lower() for tag in _TAG.findall(text))


def bare_html_characters(text: str) -> set[str]:
    return set(_BARE_HTML_CHARACTER.findall(_TAG.sub("", text)))


def has_words(text: str) -> bool:
    """Whether anything is left to translate once placeholders and tags are taken out."""
    return any(character.isalpha() for character in _TAG.sub("", _PLACEHOLDER.sub("", text)))


def is_button(message_id: str) -> bool:
    return (
        message_id in BUTTON_IDS
        or message_id.startswith(BUTTON_PREFIXES)
        or bool(_SETTINGS_BUTTON.match(message_id))
    )


def report(language: str, problems: list[str]) -> str:
    return f"{language} catalog ({catalog_path(language)}):\n  " + "\n  ".join(problems)


def test_every_language_has_a_plural_rule_here() -> None:
    assert set(PLURAL_FORMS) == set(SUPPORTED_LANGUAGES), "add the new language to PLURAL_FORMS"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_catalog_exists_and_parses(language: str) -> None:
    path = catalog_path(language)
    assert path.is_file(), f"{language}: no catalog at {path}"
    with path.open("rb") as po_file:
        catalog = read_po(po_file, abort_invalid=True)
    assert str(catalog.locale) == language, f"{language}: the Language header says {catalog.locale}"
    assert entries(language), f"{language}: the catalog has no messages"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_plural_forms_header(language: str) -> None:
    # Read from the file itself: Babel would otherwise fill in CLDR's rule for a missing header.
    header = re.search(r'^"Plural-Forms: (.*?)\\n"$', catalog_path(language).read_text("utf-8"), re.M)
    assert header is not None, f"{language}: no Plural-Forms header"
    assert header.group(1) == PLURAL_FORMS[language], f"{language}: Plural-Forms is {header.group(1)!r}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_same_ids_as_english(language: str) -> None:
    english, translated = entries("en"), entries(language)
    missing = [message_id for message_id in english if message_id not in translated]
    extra = [message_id for message_id in translated if message_id not in english]
    plural_differs = [
        message_id
        for message_id in shared_ids(language)
        if english[message_id].plural_id != translated[message_id].plural_id
    ]
    problems = [f"{message_id}: missing" for message_id in missing]
    problems += [f"{message_id}: not in the English catalog" for message_id in extra]
    problems += [f"{message_id}: msgid_plural differs from English" for message_id in plural_differs]
    assert not problems, report(language, problems)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_entries_are_not_empty(language: str) -> None:
    problems = [
        f"{message_id}: empty text"
        for message_id, entry in entries(language).items()
        if not all(form.strip() for form in entry.forms)
    ]
    problems += [
        f"{message_id}: {len(entry.forms)} plural forms, the header says 2"
        for message_id, entry in entries(language).items()
        if entry.plural_id is not None and len(entry.forms) != 2
    ]
    assert not problems, report(language, problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_placeholders_match_english(language: str) -> None:
    english, translated = entries("en"), entries(language)
    problems = []
    for message_id in shared_ids(language):
        try:
            wanted = set().union(*(placeholders(form) for form in english[message_id].forms))
            found = set().union(*(placeholders(form) for form in translated[message_id].forms))
        except ValueError as error:  # an unmatched { or }
            problems.append(f"{message_id}: {error}")
            continue
        if found != wanted:
            problems.append(f"{message_id}: placeholders {sorted(found)}, English has {sorted(wanted)}")
    assert not problems, report(language, problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_html_tags_match_english(language: str) -> None:
    english, translated = entries("en"), entries(language)
    problems = []
    for message_id in shared_ids(language):
        wanted = tags(english[message_id].forms[0])
        for form in translated[message_id].forms:
            if tags(form) != wanted:
                problems.append(f"{message_id}: tags {dict(tags(form))}, English has {dict(wanted)}")
            bare = bare_html_characters(form) - bare_html_characters(english[message_id].forms[0])
            if bare:
                problems.append(f"{message_id}: {sorted(bare)} outside a tag would break parse_mode=HTML")
    assert not problems, report(language, problems)


@pytest.mark.parametrize("language", TRANSLATED)
def test_entries_are_translated(language: str) -> None:
    english, translated = entries("en"), entries(language)
    allowed = SAME_AS_ENGLISH.get(language, frozenset())
    problems = [
        f"{message_id}: same as English ({english[message_id].forms[0]!r}); translate it, or allow it here"
        for message_id in shared_ids(language)
        if translated[message_id].forms == english[message_id].forms
        and message_id not in allowed
        and any(has_words(form) for form in english[message_id].forms)
    ]
    assert not problems, report(language, problems)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{index}. {name}", False),
        ("{city} ({time})", False),
        ("◀", False),
        ("🎂 {day}", False),
        ("251–1000", False),
        ("<b>{field}?</b>", False),
        ("✖ Clear", True),
        ("<b>Leads</b> ({count})", True),
    ],
)
def test_layout_is_told_from_words(text: str, words: bool) -> None:
    assert has_words(text) is words


def test_allowed_words_are_english_ids() -> None:
    english = entries("en")
    unknown = sorted(
        f"{language} {message_id}"
        for language, ids in SAME_AS_ENGLISH.items()
        for message_id in ids
        if message_id not in english
    )
    assert not unknown, f"SAME_AS_ENGLISH names ids the English catalog does not have: {unknown}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_button_labels_are_short(language: str) -> None:
    problems = []
    for message_id, entry in entries(language).items():
        if not is_button(message_id) or (language == "en" and message_id in OVER_LIMIT_IN_ENGLISH):
            continue
        limit = ROW_EACH_MAX if message_id.startswith(ROW_EACH_PREFIXES) else BUTTON_MAX
        for form in entry.forms:
            label = form.format_map(SAMPLES)
            if len(label) > limit:
                problems.append(f"{message_id}: {label!r} is {len(label)} characters (at most {limit})")
    assert not problems, report(language, problems)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_menu_descriptions_fit_telegram(language: str) -> None:
    menu = {
        message_id: entry for message_id, entry in entries(language).items() if message_id.startswith("menu.")
    }
    assert menu, f"{language}: no menu.* descriptions"
    problems = [
        f"{message_id}: {len(entry.forms[0])} characters (Telegram takes {MENU_MIN}-{MENU_MAX})"
        for message_id, entry in menu.items()
        if not MENU_MIN <= len(entry.forms[0].strip()) <= MENU_MAX or entry.forms[0] != entry.forms[0].strip()
    ]
    assert not problems, report(language, problems)


# Hungarian speaks to the rep as "te", as every other screen does; the formal imperatives ("Írja be",
# "Küldje el") crept into a few. These are the forms an "Ön" sentence would use for the bot's verbs. The
# follow-up message templates are the rep's words to the customer, formal where they choose to be.
FORMAL_HUNGARIAN = re.compile(
    r"\b(Írja|Küldje|[Nn]ézze|[Kk]észítsen|[Vv]álaszoljon|[Kk]oppintson|[Vv]álasszon|[Aa]dja meg|Önnek|Ön)\b"
)


def test_hungarian_addresses_the_rep_informally() -> None:
    formal = {
        message_id: text
        for message_id, entry in entries("hu").items()
        if not message_id.startswith("outreach.template.")
        for text in entry.forms
        if FORMAL_HUNGARIAN.search(text)
    }
    assert not formal, formal
