"""The web portal: server-rendered pages on the API's selectors, services and scoping."""
