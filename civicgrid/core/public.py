"""The only URLs that answer without login. The endpoint-inventory test holds every other
URL to "redirect to login" (pages) or 401 (API); adding a public endpoint means adding it here.
"""

PUBLIC_URL_NAMES: frozenset[str] = frozenset({
    "login",          # the login page itself
    "health",         # load balancer / monitoring probe; says only ok + database vendor
    "api-token",      # POST username + password → token
    "set_language",   # the language switch on the login page
    # Open311 GeoReport v2 reads are public by the spec: public categories only, no personal
    # data (docs/adr/0006-open311.md); POST to open311:requests needs an api_key
    "open311:discovery",
    "open311:services",
    "open311:service",
    "open311:requests",
    "open311:request",
    "open311:token",
})
