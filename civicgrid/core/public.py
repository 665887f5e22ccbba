"""The only URLs that answer without login. The endpoint-inventory test holds every other
URL to "redirect to login" (pages) or 401 (API); adding a public endpoint means adding it here.
"""

PUBLIC_URL_NAMES: frozenset[str] = frozenset({
    "login",          # the login page itself
    "health",         # load balancer / monitoring probe; says only ok + database vendor
    "api-token",      # POST username + password → token
    "set_language",   # the language switch on the login page
})
