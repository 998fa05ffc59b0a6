"""The web layer: REST API, operator dashboard, driver help pages and the live event stream."""
