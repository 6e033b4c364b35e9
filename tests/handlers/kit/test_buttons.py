"""Button data: every registered kind packs and parses back, and malformed data of any kind is refused."""

from __future__ import annotations

import pytest

from handlers.kit import buttons
from handlers.kit.buttons import (
    ButtonData,
    CalendarAction,
    CalendarButton,
    CaptureDateButton,
    CardButton,
    CardPhotoAction,
    CardPhotoButton,
    CardTagButton,
    ColdDaysButton,
    ContactButton,
    DigestTimeButton,
    DuplicateButton,
    EditFieldButton,
    EraseAnswer,
    EraseButton,
    ExportButton,
    ExportKind,
    FindButton,
    FollowUpButton,
    ImportAction,
    ImportButton,
    ImportColumnButton,
    ImportPickButton,
    InviteButton,
    InviteRole,
    ListButton,
    ListFilterButton,
    ListStatus,
    PickedColumn,
    QuestionButton,
    QuietGroup,
    ResumeAction,
    ResumeButton,
    SettingsAction,
    SettingsButton,
    SummaryAction,
    SummaryButton,
    TeamAction,
    TeamButton,
    TemplateAction,
    TemplateButton,
    Text,
    TimezoneButton,
    TypedChoice,
    TypedTextButton,
)
from storage.contacts import ContactOrder

# One value of every registered kind, with its callback_data as Telegram carries it.
EXAMPLES: list[tuple[ButtonData, str]] = [
    (QuestionButton(12, "need", "yes"), "q:12:need:yes"),
    (CaptureDateButton(12, 29_906_520), "qd:12:29906520"),
    (SummaryButton(12, SummaryAction.SAVE), "s:12:save"),
    (EditFieldButton(12, "company"), "e:12:company"),
    (DuplicateButton(12, "new"), "d:12:new"),
    (ResumeButton(12, ResumeAction.RESTART, 3), "n:12:restart:3"),
    (TypedTextButton(1700000000, TypedChoice.NEW), "w:1700000000:new"),
    (CardPhotoButton(CardPhotoAction.TYPE_NAME), "cp:name"),
    (ContactButton(7), "c:7"),
    (CardButton(7, "st", ("customer",)), "ct:7:st:customer"),
    (CardButton(7, "bc"), "ct:7:bc"),
    (CardTagButton(7, Text("vip gold")), "ctg:7:vip gold"),
    (ListButton(ListStatus.LEAD, ContactOrder.NEXT, 8), "l:lead:next:8"),
    (ListButton(ListStatus.LOST, ContactOrder.SCORE, 0, Text("t=vip: gold")), "l:lost:score:0:t=vip: gold"),
    (ListFilterButton(ListStatus.PROSPECT, ContactOrder.NEWEST), "lf:prospect:new"),
    (FindButton(16, Text("Szabó Ákos: <&>")), "f:16:Szabó Ákos: <&>"),
    (FollowUpButton(3, "snooze", ("1d",)), "fu:3:snooze:1d"),
    (TimezoneButton("America/Argentina/Buenos_Aires"), "tz:America/Argentina/Buenos_Aires"),
    (TimezoneButton("_skip"), "tz:_skip"),
    (DigestTimeButton("0730"), "dt:0730"),
    (SettingsButton(SettingsAction.SHOW), "st:show"),
    (SettingsButton(SettingsAction.WORKING_DAY, "3"), "st:wd:3"),
    (SettingsButton(SettingsAction.LANGUAGE, "fi"), "st:lang:fi"),
    (TemplateButton(TemplateAction.MENU), "tpl:menu"),
    (TemplateButton(TemplateAction.SHOW, "silence"), "tpl:show:silence"),
    (CalendarButton(CalendarAction.ON), "cal:on"),
    (CalendarButton(CalendarAction.NEW_YES, 3), "cal:newyes:3"),
    (TeamButton(5, TeamAction.FROM), "tm:5:from"),
    (TeamButton(5, TeamAction.DO, 9), "tm:5:do:9"),
    (InviteButton(InviteRole.MANAGER), "iv:manager"),
    (EraseButton(EraseAnswer.YES), "er:yes"),
    (ExportButton(ExportKind.PROSPECTS), "ex:prospects"),
    (ImportButton(41, ImportAction.STOP), "im:41:stop"),
    (ImportColumnButton(41, PickedColumn.PHONE), "ic:41:phone"),
    (ImportPickButton(41, PickedColumn.NAME, 3), "ip:41:name:3"),
    (ColdDaysButton(QuietGroup.CUSTOMER, 90), "cd:customer:90"),
]


def test_every_registered_kind_has_an_example() -> None:
    assert {type(value) for value, _ in EXAMPLES} == set(buttons._REGISTRY.values())


@pytest.mark.parametrize(("value", "data"), EXAMPLES, ids=[data for _, data in EXAMPLES])
def test_pack_and_parse_round_trip(value: ButtonData, data: str) -> None:
    assert value.pack() == data
    assert type(value).parse(data) == value
    assert buttons._REGISTRY[data.partition(":")[0]].parse(data) == value


def test_the_pattern_matches_its_own_kind_only() -> None:
    import re

    assert re.match(ListButton.pattern(), "l:lead:new:0")
    assert not re.match(ListButton.pattern(), "lf:lead:new")
    assert not re.match(ContactButton.pattern(), "ct:7:bc")


def test_pack_refuses_more_than_64_bytes() -> None:
    too_long = FindButton(0, Text("é" * 40))
    assert not too_long.fits()
    with pytest.raises(ValueError, match="64 bytes"):
        too_long.pack()
    assert FindButton(0, Text("x" * 60)).fits()
    assert not FindButton(0, Text("x" * 61)).fits()


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        # empty or over 64 bytes
        (QuestionButton, None),
        (QuestionButton, ""),
        (QuestionButton, "q:" + "9" * 70),
        (FindButton, "f:0:" + "x" * 61),
        # the wrong prefix, or none
        (QuestionButton, "q"),
        (QuestionButton, "q:"),
        (ContactButton, "ct:7"),
        (ListButton, "lf:lead:new"),
        (ListFilterButton, "l:lead:new:0"),
        # missing and extra fields
        (QuestionButton, "q:1:need"),
        (QuestionButton, "q:1:need:yes:no"),
        (ContactButton, "c:7:8"),
        (ListButton, "l:lead:new"),
        (ListButton, "l:lead:new:0:"),
        (TeamButton, "tm:5"),
        (TeamButton, "tm:5:to:"),
        (TeamButton, "tm:5:to:7:8"),
        (ImportButton, "im:41"),
        (EraseButton, "er:yes:no"),
        (FindButton, "f:0"),
        (FindButton, "f:0:"),
        # ids that are not numbers
        (QuestionButton, "q:abc:need:yes"),
        (QuestionButton, "q:-1:need:yes"),
        (ContactButton, "c:x"),
        (ContactButton, "c:1e3"),
        (ContactButton, "c:" + "9" * 13),
        (TeamButton, "tm:5:to:x"),
        (ListButton, "l:lead:new:abc"),
        (FindButton, "f:x:anna"),
        (ImportButton, "im:x:stop"),
        # enum values that are not the kind's
        (SummaryButton, "s:1:frobnicate"),
        (ListButton, "l:vip:new:0"),
        (ListButton, "l:lead:rank:0"),
        (ListFilterButton, "lf:zz:zz"),
        (SettingsButton, "st:zz"),
        (TemplateButton, "tpl:edit:first"),
        (TemplateButton, "tpl:show:{name}"),
        (TeamButton, "tm:5:steal"),
        (InviteButton, "iv:admin"),
        (EraseButton, "er:maybe"),
        (ExportButton, "ex:zz"),
        (ImportButton, "im:41:zz"),
        (ImportColumnButton, "ic:41:company"),
        (ImportPickButton, "ip:41:name:-1"),
        (ImportPickButton, "ip:41:tags:0"),
        # characters outside the allowed set
        (QuestionButton, "q:1:ne ed:yes"),
        (QuestionButton, "q:1:<b>:x"),
        (TimezoneButton, "tz:Europe/Hel sinki"),
        (TimezoneButton, "tz:Zürich"),
        (DigestTimeButton, "dt:07;30"),
        (SettingsButton, "st:lang:f&"),
        (CardButton, "ct:7:st:cust omer"),
    ],
)
def test_malformed_data_is_refused(kind: type[ButtonData], data: str | None) -> None:
    assert kind.parse(data) is None


def test_each_kind_refuses_the_data_of_every_other_kind() -> None:
    for kind in buttons._REGISTRY.values():
        for value, data in EXAMPLES:
            if type(value) is not kind:
                assert kind.parse(data) is None, (kind.__name__, data)
        assert kind.parse("zz:1") is None and kind.parse(None) is None


def test_a_text_tail_may_hold_any_characters() -> None:
    assert FindButton.parse("f:8:Szabó Ákos: <&>") == FindButton(8, Text("Szabó Ákos: <&>"))


def test_two_kinds_may_not_share_a_prefix() -> None:
    with pytest.raises(ValueError, match="prefix"):

        class Again(ButtonData, prefix="c"):
            pass
