"""The framework every feature stands on: incoming and replies (ports), the router and its one
authorization rule (access), the context a handler runs in, templates and the vocabulary, the
outbox's push kinds, time and period parsing, and the small rules features share (who is expected,
what names an event or a member)."""
