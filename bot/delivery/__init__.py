"""Delivery: what every transport shares. Updates are stored before they are acknowledged (inbox),
handled in order per sender, and every message leaves through one outbound path per platform,
within its limits, rendered for its markup."""
