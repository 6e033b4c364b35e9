"""The interaction kit: what every flow in handlers/ shares (the typed context, button data, the per-update
preamble, the awaiting router, keyboards)."""
