"""Web plumbing shared by every area: forms, errors, input limits, the request log, security
headers, paging, languages and the commit-or-show helper."""
