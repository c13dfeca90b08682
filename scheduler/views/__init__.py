"""One blueprint per area; views parse the request, call a service, then render or redirect."""
