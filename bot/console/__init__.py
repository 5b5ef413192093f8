"""The console transport: a group chat in the terminal, and the scripted demo."""
