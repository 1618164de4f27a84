"""Demo mode (issue 6 §8): what the sandbox's fake platforms show for the user's channels, and a form to
write as a citizen (a comment on a published post, or a private message). The fake then hands it to Loa
by webhook or polling exactly as the real platform would; nothing here writes Loa's tables.

The fakes' state and inject shapes differ per platform (channels/sandbox/*.py document them), so this
one view knows them, keyed by the fake's name; it is the sandbox's page, not a path real posts take."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timezone as dt_timezone
from typing import Callable, NamedTuple

import requests
from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from bot.channel_config import config_for
from bot.content.render import nfc
from bot.crypto import SecretsUnreadable
from bot.errors import Invalid
from bot.models import Channel, Delivery
from bot.publishing import states
from bot.web.guard import page
from channels import registry
from channels.sandbox.app import fake_class_for
from channels.sandbox.client import SandboxClient

NAME_MAX, TEXT_MAX, TARGETS_MAX = 100, 2000, 60
PRIVATE_SLOTS = 10_000  # a bot's private chats get ids bot_id * PRIVATE_SLOTS + n: each bot its own chats


@dataclass(frozen=True)
class Citizen:
    name: str

    @property
    def id(self) -> int:
        """The same person each time the same name writes (a stable fake platform user id)."""
        return 5_000_000_000 + zlib.crc32(self.name.casefold().encode("utf-8"))


@dataclass(frozen=True)
class Target:
    value: str
    label: str
    platform: str
    channel: Channel
    delivery: Delivery | None = None


def _when(seconds) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(seconds), tz=dt_timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _ms(value) -> datetime | None:
    return _when(value / 1000) if isinstance(value, (int, float)) else None


def _item(who, when, text, link="", replies=(), ours=False) -> dict:
    link = link if isinstance(link, str) and link.startswith(("https://", "http://")) else ""
    return {"who": who, "when": when, "text": text, "link": link, "replies": list(replies), "ours": ours}


# Telegram ----------------------------------------------------------------------------------------

def _tg_chat(chats: dict, ref: str) -> dict | None:
    ref = str(ref or "").strip()
    if ref.startswith("@"):
        return next((c for c in chats.values() if (c.get("username") or "").lower() == ref[1:].lower()), None)
    return chats.get(ref)


def _tg_bot_id(channel: Channel) -> int | None:
    try:
        token = config_for(channel).secrets.get("token", "")
    except SecretsUnreadable:
        return None
    head = token.split(":", 1)[0]
    return int(head) if head.isdigit() else None


def _tg_who(message: dict) -> str:
    sender = message.get("from") or message.get("sender_chat") or {}
    return " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p) or sender.get("title", "")


def _tg_item(m: dict, replies=()) -> dict:
    ours = bool((m.get("from") or {}).get("is_bot")) or "sender_chat" in m
    return _item(_tg_who(m), _when(m.get("date")), m.get("text") or m.get("caption") or "", replies=replies, ours=ours)


def _tg_threads(group: dict | None) -> dict[int, list]:
    """Comments in the discussion group by the channel post they answer (its automatic forward's thread)."""
    messages_ = (group or {}).get("messages", [])
    forwards = {m["message_id"]: m["forward_origin"]["message_id"] for m in messages_
                if m.get("is_automatic_forward") and m.get("forward_origin")}
    threads: dict[int, list] = {}
    for m in messages_:
        post = forwards.get(m.get("message_thread_id"))
        if post is not None and not m.get("is_automatic_forward"):
            threads.setdefault(post, []).append(_tg_item(m))
    return threads


def _tg_show(channel: Channel, state: dict) -> list[dict]:
    chats = state.get("chats", {})
    home = _tg_chat(chats, channel.settings.get("chat_id"))
    if home is None:
        return []
    threads = _tg_threads(_tg_chat(chats, channel.settings.get("discussion_chat_id")))
    sections = [{"title": _("Channel posts and their comments"),
                 "items": [_tg_item(m, threads.get(m["message_id"], ())) for m in reversed(home["messages"])]}]
    bot_id = _tg_bot_id(channel)
    private = [c for key, c in chats.items() if bot_id and c.get("type") == "private"
               and key.isdigit() and int(key) // PRIVATE_SLOTS == bot_id]
    if private:
        sections.append({"title": _("Private messages to the bot"), "items": [
            _item(next((_tg_who(m) for m in c["messages"] if not (m.get("from") or {}).get("is_bot")), ""), None, "",
                  replies=[_tg_item(m) for m in c["messages"]]) for c in private]})
    return sections


def _tg_posts(channel: Channel, state: dict) -> set[str]:
    """Our channel posts that take comments: those forwarded into the discussion group."""
    group = _tg_chat(state.get("chats", {}), channel.settings.get("discussion_chat_id"))
    return {str(m["forward_origin"]["message_id"]) for m in (group or {}).get("messages", [])
            if m.get("is_automatic_forward") and m.get("forward_origin")}


def _tg_comment(channel: Channel, delivery: Delivery, citizen: Citizen, text: str) -> dict:
    group = channel.settings.get("discussion_chat_id")
    if not group or not delivery.remote_id.isdigit():
        raise Invalid(_("This Telegram channel has no discussion group, so its posts take no comments."))
    return {"chat_id": group, "reply_to_channel_post": int(delivery.remote_id),
            "from": {"id": citizen.id, "is_bot": False, "first_name": citizen.name}, "text": text}


def _tg_private(client: SandboxClient, channel: Channel, state: dict, citizen: Citizen, text: str) -> dict:
    """A private chat is the person and one bot: open it on the fake (as the citizen pressing Start), then write."""
    bot_id = _tg_bot_id(channel)
    if bot_id is None:
        raise Invalid(_("This Telegram channel has no bot token, so nobody can write to its bot."))
    chat_id = bot_id * PRIVATE_SLOTS + citizen.id % PRIVATE_SLOTS
    username = (state.get("bots", {}).get(str(bot_id)) or {}).get("username")
    bot = {"token": config_for(channel).secrets["token"], **({"username": username} if username else {}),
           "chats": [{"id": chat_id, "type": "private", "first_name": citizen.name, "bot_status": "member"}]}
    client.configure("telegram", {"bots": [bot]})
    return {"chat_id": chat_id, "text": text}


# Facebook ----------------------------------------------------------------------------------------

def _fb_time(text) -> datetime | None:
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


def _fb_show(channel: Channel, state: dict) -> list[dict]:
    page = state.get("pages", {}).get(str(channel.settings.get("page_id")))
    if page is None:
        return []
    comments = page.get("comments", {})
    posts = [_item(page["name"], _fb_time(p.get("created_time")), p.get("message", ""), p.get("permalink_url", ""),
                   replies=[_item((c.get("from") or {}).get("name", ""), _fb_time(c.get("created_time")),
                                  c.get("message", ""), ours=(c.get("from") or {}).get("id") == page.get("id"))
                            for c in comments.get(p["id"], [])], ours=True)
             for p in reversed(page.get("posts", [])) if p.get("published")]
    return [{"title": _("Page posts and their comments"), "items": posts}]


def _fb_posts(channel: Channel, state: dict) -> set[str]:
    page = state.get("pages", {}).get(str(channel.settings.get("page_id"))) or {}
    return {p["id"] for p in page.get("posts", []) if p.get("published")}


def _fb_comment(channel: Channel, delivery: Delivery, citizen: Citizen, text: str) -> dict:
    return {"page_id": channel.settings.get("page_id"), "post_id": delivery.remote_id,
            "from": {"id": str(citizen.id), "name": citizen.name}, "message": text}


# Zalo --------------------------------------------------------------------------------------------

def _zalo_show(channel: Channel, state: dict) -> list[dict]:
    oa = state.get("oas", {}).get(str(channel.settings.get("oa_id")))
    if oa is None:
        return []
    sent = {}
    for b in oa.get("broadcasts", []):
        for article_id in b.get("article_ids", []):
            sent[article_id] = b
    articles = [_item(oa.get("name", ""), _ms(a.get("create_date")), a.get("title", ""), a.get("link", ""),
                      replies=[_item(_("Broadcast"), _when(sent[a["id"]].get("at")),
                                     _("to %(n)s followers") % {"n": sent[a["id"]].get("followers", 0)}, ours=True)]
                      if a.get("id") in sent else [], ours=True) for a in oa.get("articles", [])]
    talk: dict[str, list] = {}
    for m in oa.get("inbox", []):
        talk.setdefault(str(m.get("from_id")), []).append((m.get("time", 0), m.get("seq", 0), _item(
            m.get("from_display_name", ""), _ms(m.get("time")), m.get("message", ""))))
    for m in oa.get("cs_messages", []):
        talk.setdefault(str(m.get("user_id")), []).append((m.get("at_ms", 0), m.get("seq", 0), _item(
            oa.get("name", ""), _ms(m.get("at_ms")), (m.get("message") or {}).get("text", ""), ours=True)))
    people = [_item((oa.get("names") or {}).get(user, user), None, "",
                    replies=[i for *_, i in sorted(rows, key=lambda r: r[:2])]) for user, rows in talk.items()]
    return [{"title": _("Articles broadcast to followers"), "items": articles},
            {"title": _("Messages with the Official Account"), "items": people}]


def _zalo_private(client: SandboxClient, channel: Channel, state: dict, citizen: Citizen, text: str) -> dict:
    return {"oa_id": channel.settings.get("oa_id"), "user_id": str(citizen.id), "text": text, "name": citizen.name}


class Shape(NamedTuple):
    show: Callable[[Channel, dict], list[dict]]
    posts: Callable[[Channel, dict], set[str]] | None  # remote ids of our posts on the fake that take comments
    comment: Callable | None  # payload of a comment on one of those posts
    private: Callable | None  # payload of a private message; None: not on this fake


SHAPES = {"telegram": Shape(_tg_show, _tg_posts, _tg_comment, _tg_private),
          "facebook": Shape(_fb_show, _fb_posts, _fb_comment, None),
          "zalo": Shape(_zalo_show, None, None, _zalo_private)}


# the page ----------------------------------------------------------------------------------------

def _platform_of(channel: Channel) -> str | None:
    """The fake a channel talks to, when it is set up against this sandbox (never a real account)."""
    try:
        adapter_cls = registry.adapter_class(channel.kind)
    except registry.UnknownKind:
        return None
    fake = fake_class_for(adapter_cls)
    wanted = adapter_cls.sandbox_settings(settings.SANDBOX_URL)
    on_sandbox = all(channel.settings.get(k) == v for k, v in wanted.items())
    return fake.name if fake is not None and fake.name in SHAPES and on_sandbox else None


def _channels(scope) -> list[tuple[Channel, str]]:
    found = [(c, _platform_of(c)) for c in Channel.objects.filter(unit_id__in=scope).order_by("name")]
    return [(c, p) for c, p in found if p]


def _targets(channels: list[tuple[Channel, str]], platform_states: dict[str, dict]) -> dict[str, Target]:
    """Where a citizen may write: each channel's bot or account, and our posts the fake still holds
    (a restarted sandbox has forgotten the posts Loa sent to the one before)."""
    targets, on_fake = {}, {}
    for channel, platform in channels:
        shape = SHAPES[platform]
        if platform not in platform_states:
            continue
        if shape.private:
            targets[f"channel:{channel.pk}"] = Target(f"channel:{channel.pk}", _("Private message to %(channel)s")
                                                      % {"channel": channel.name}, platform, channel)
        if shape.posts:
            on_fake[channel.pk] = (platform, shape.posts(channel, platform_states[platform]))
    found = (Delivery.objects.filter(channel_id__in=on_fake, state=states.SENT).exclude(remote_id="")
             .select_related("post", "channel").order_by("-sent_at", "-pk"))
    shown = [d for d in found[:TARGETS_MAX * 4] if d.remote_id in on_fake[d.channel_id][1]][:TARGETS_MAX]
    for d in shown:
        targets[f"delivery:{d.pk}"] = Target(f"delivery:{d.pk}", _("Comment on “%(title)s” (%(channel)s)")
                                             % {"title": d.post.title, "channel": d.channel.name},
                                             on_fake[d.channel_id][0], d.channel, d)
    return targets


def _states(client: SandboxClient, platforms: set[str]) -> dict[str, dict]:
    return {p: client.state(p) for p in sorted(platforms)}


def _silent(request) -> None:
    messages.error(request, _("The sandbox at %(url)s does not answer; is `loa demo` still running?")
                   % {"url": settings.SANDBOX_URL})


@page("sandbox")
def overview(request, *args, **kwargs):
    if not settings.SANDBOX_URL:
        raise Http404
    client, channels = SandboxClient(settings.SANDBOX_URL, timeout=5.0), _channels(request.scope)
    form, status = {"platform": "", "target": "", "name": "", "text": ""}, 200
    try:
        platform_states = _states(client, {p for _c, p in channels})
    except (requests.RequestException, ValueError):
        _silent(request)
        platform_states, status = {}, 503
    targets = _targets(channels, platform_states)
    if request.method == "POST" and status == 200:
        form = {k: nfc(request.POST.get(k, "")).strip() for k in form}
        try:
            _inject(client, form, targets, platform_states)
            messages.success(request, _("Sent as %(name)s. The platform now delivers it to Loa, as it would a "
                                        "citizen's message.") % {"name": form["name"]})
            return redirect("sandbox")
        except Invalid as exc:
            messages.error(request, str(exc))
            status = 400
        except (requests.RequestException, ValueError):
            _silent(request)
            status = 502
    blocks = [{"channel": c, "platform": p, "sections": SHAPES[p].show(c, platform_states[p])}
              for c, p in channels if p in platform_states]
    return render(request, "web/sandbox.html", {
        "blocks": blocks, "form": form, "sandbox_url": settings.SANDBOX_URL, "name_max": NAME_MAX, "text_max": TEXT_MAX,
        "groups": [(p, p.capitalize(), [t for t in targets.values() if t.platform == p])
                   for p in sorted(platform_states)],
    }, status=status)


def _inject(client: SandboxClient, form: dict, targets: dict[str, Target], platform_states: dict) -> None:
    target = targets.get(form["target"])
    if target is None:
        raise Invalid(_("Choose a post to comment on, or a channel to write to."))
    if form["platform"] and form["platform"] != target.platform:
        raise Invalid(_("That target is on %(target)s, not on %(platform)s.")
                      % {"target": target.platform.capitalize(), "platform": form["platform"][:20].capitalize()})
    if not form["name"] or len(form["name"]) > NAME_MAX:
        raise Invalid(_("Give the citizen's name (at most %(max)d characters).") % {"max": NAME_MAX})
    if not form["text"] or len(form["text"]) > TEXT_MAX:
        raise Invalid(_("Write the message (at most %(max)d characters).") % {"max": TEXT_MAX})
    shape, citizen = SHAPES[target.platform], Citizen(form["name"])
    if target.delivery is not None:
        payload = shape.comment(target.channel, target.delivery, citizen, form["text"])
    else:
        payload = shape.private(client, target.channel, platform_states[target.platform], citizen, form["text"])
    answer = client.inject(target.platform, payload)
    if isinstance(answer, dict) and answer.get("error"):
        raise Invalid(_("The sandbox refused the message: %(error)s") % {"error": str(answer["error"])[:200]})
