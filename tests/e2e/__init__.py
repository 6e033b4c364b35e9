"""End-to-end tests: the real Application in this process over the fake Bot API (tests/fake_bot_api.py),
driven as a rep uses it (`rep.send`, `rep.press`), one module per flow; webhook mode, injected Bot API
faults and random sessions included."""
