"""Wire-compatible, stateful, strict fakes of the Bot API, the Graph API and the Zalo OA API.

One WSGI application serves all three under path prefixes (`/telegram`, `/facebook`, `/zalo`,
`/zalo-oauth`) plus a JSON control surface under `/_sandbox/`. Used by the adapters' tests,
by `loa demo` and for training.
"""
