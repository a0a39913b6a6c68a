"""Second Me for other AI tools: an MCP server with consent, scopes and an access log.

`grants` (pure rules), `access` (grants, log and inbox over storage), `tools` (what each
tool reads) and `server` (the MCP SDK wiring). Only `server` imports the SDK.
"""
