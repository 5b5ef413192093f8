"""Platform-free features: each module parses an Incoming, runs one unit of work, returns Replies."""
