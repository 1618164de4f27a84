"""Telegram Bots kept between publishes, one event loop per thread.

PTB's Bot talks through httpx clients that belong to the event loop they first ran on, so a Bot
made inside `asyncio.run()` has to be thrown away with its loop: every publish then built two
clients, opened a new connection and asked `getMe` again, one platform round trip of the two a
text post needs. Here each thread (a prefork child, a web server's worker thread) keeps one loop
for its life and, on it, up to KEEP initialised Bots, least recently used first out.

KEEP must exceed the number of bot tokens one process publishes to in turn: a province's campaign
goes round every ward's channel, and with fewer places than tokens an LRU misses every time (100
tokens and 64 places: 4 of every 10 Telegram posts in bench/fanout.py asked getMe again).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Hashable

from telegram import Bot

KEEP = 256  # Bots per thread, least recently used out: ~53 KB each (a kept connection included), so ≤ 14 MB

_local = threading.local()


def run(work: Awaitable[Any]) -> Any:
    """Run `work` to completion on this thread's loop."""
    loop = getattr(_local, "loop", None)
    if loop is None or loop.is_closed():
        loop = _local.loop = asyncio.new_event_loop()
        _local.bots = OrderedDict()
    return loop.run_until_complete(work)


async def kept(key: Hashable, make: Callable[[], Bot]) -> Bot:
    """This thread's initialised Bot for `key`; made and initialised (getMe) the first time. An
    initialisation error propagates and nothing is kept."""
    bots: OrderedDict = _local.bots
    bot = bots.get(key)
    if bot is not None:
        bots.move_to_end(key)
        return bot
    bot = make()
    await bot.initialize()
    bots[key] = bot
    while len(bots) > KEEP:
        _key, oldest = bots.popitem(last=False)
        await oldest.shutdown()
    return bot


async def forget(key: Hashable) -> None:
    """Drop a Bot whose token Telegram refused, so the next use starts with getMe again."""
    bot = _local.bots.pop(key, None)
    if bot is not None:
        await bot.shutdown()
