"""How the harness reads each fake: which id its faults are keyed by, and what citizens can see.

"Visible" is what reached the public: a Page's published posts, a Telegram channel's own messages
(not their automatic copies in the discussion group), and the Zalo articles that were broadcast
(an article nobody was sent is not a publication; Zalo's `find` says the same).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

VIETNAM = timezone(timedelta(hours=7))


def daytime() -> float:
    """The latest 10:00 Vietnam time not after now: the Zalo fake refuses broadcasts at night (-234)."""
    now = datetime.now(VIETNAM)
    ten = now.replace(hour=10, minute=0, second=0, microsecond=0)
    return (ten if ten <= now else ten - timedelta(days=1)).timestamp()


@dataclass(frozen=True)
class FakeView:
    fault_key: Callable[[dict, dict], str]  # (account, channel settings) -> the key faults are set on
    visible: Callable[[dict], Iterator[tuple[str, str]]]  # fake state -> (fault key, text) per publication
    tweak: Callable[[dict], None] = lambda account: None  # adjust the demo account before configuring it


def _telegram_visible(state: dict) -> Iterator[tuple[str, str]]:
    for chat_id, chat in state["chats"].items():
        if chat["type"] != "channel":
            continue
        for message in chat["messages"]:
            yield chat_id, message.get("text") or message.get("caption") or ""


def _facebook_visible(state: dict) -> Iterator[tuple[str, str]]:
    for page_id, page in state["pages"].items():
        for post in page["posts"]:
            if post["published"]:
                yield page_id, post["message"]


def _zalo_visible(state: dict) -> Iterator[tuple[str, str]]:
    for oa_id, oa in state["oas"].items():
        articles = {a["id"]: a for a in oa["articles"]}
        for broadcast in oa["broadcasts"]:
            for article_id in broadcast["article_ids"]:
                yield oa_id, json.dumps(articles.get(article_id, {}), ensure_ascii=False)


def _zalo_tweak(account: dict) -> None:
    # Daytime on the fake's clock, a token that outlives the run (no refresh: that is another test's
    # chaos), and a quota no run reaches: only the harness's own faults should refuse a broadcast.
    account["now"] = daytime()
    for oa in account["oas"]:
        oa.update(access_expires_in=30 * 86400, monthly_broadcasts=10_000, verify_polls=1)


VIEWS: dict[str, FakeView] = {
    "telegram": FakeView(lambda account, _: str(account["bots"][0]["chats"][0]["id"]), _telegram_visible),
    "facebook": FakeView(lambda _, pairs: str(pairs["page_id"]), _facebook_visible),
    "zalo": FakeView(lambda _, pairs: str(pairs["oa_id"]), _zalo_visible, _zalo_tweak),
}
