"""Console pages: one module per page, each with a module-level ``router`` of HTML routes.

The pages are shells: they render no business data on the server. Their scripts read
everything through the API with the user's cookie, so scoping and masking stay in one place.
"""
