"""The world the harness breaks: sandbox channels with latency and faults, and approved posts due soon.

Each delivery's text carries a token ("[chaos-<run>-<n>]") so the harness can count, on the fake
platforms, how many times that delivery reached the public.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from bot.channel_config import channel_add
from bot.models import Delivery, Post
from bot.posts import post_approve, post_create, post_submit
from channels import registry
from channels.sandbox.app import fake_class_for
from tests.chaos.platforms import VIEWS


@dataclass(frozen=True)
class Share:
    kind: str
    deliveries: int
    channels: int


def shares(deliveries: int) -> list[Share]:
    """Split the deliveries so Loa's own published-limit pacing (Adapter.rates) finishes within a run.

    Facebook allows 60 calls at once then one per 3 s over all Pages, and Zalo 3 broadcasts at once
    then one per 10 minutes per OA; Telegram 20 a minute per channel and 30 a second per bot.
    """
    facebook = min(round(deliveries * 0.10), 100)
    zalo = min(round(deliveries * 0.05), 100)
    telegram = deliveries - facebook - zalo
    return [Share("telegram", telegram, math.ceil(telegram / 15)), Share("facebook", facebook, math.ceil(facebook / 8)),
            Share("zalo", zalo, math.ceil(zalo / 2))]


@dataclass(frozen=True)
class PlacedChannel:
    channel_id: int
    name: str
    kind: str
    key: str  # the fake's id of the chat, Page or OA: where its posts show, and what its faults are keyed by


@dataclass(frozen=True)
class Faults:
    latency: tuple[float, float] = (0.02, 0.25)  # seconds, drawn per channel
    fail_after_accept: float = 0.3  # share of channels whose next post is accepted, then answered 5xx


def add_channels(unit, share: Share, client, sandbox_url: str, rng: random.Random, faults: Faults) -> tuple[list, int]:
    """Channels of one kind on the sandbox; returns them and how many 5xx-after-accept were armed."""
    adapter_cls = registry.adapter_class(share.kind)
    fake_cls, view = fake_class_for(adapter_cls), VIEWS[share.kind]
    placed, armed = [], 0
    for n in range(share.channels):
        account, pairs = fake_cls.demo_account(f"chaos-{share.kind}-{n}", f"{unit.name} {n}")
        view.tweak(account)
        client.configure(fake_cls.name, account)
        channel = channel_add(unit=unit, kind=share.kind, name=f"chaos-{share.kind}-{n}",
                              pairs={**pairs, **adapter_cls.sandbox_settings(sandbox_url)})
        key = view.fault_key(account, pairs)
        fail = 1 if n == 0 or rng.random() < faults.fail_after_accept else 0  # every kind gets at least one
        client.fault(key, latency=round(rng.uniform(*faults.latency), 3), fail_after_accept=fail)
        placed.append(PlacedChannel(channel.pk, channel.name, share.kind, key))
        armed += fail
    return placed, armed


@dataclass(frozen=True)
class Planned:
    delivery_id: int
    token: str
    channel: PlacedChannel


def add_deliveries(share: Share, channels: list[PlacedChannel], run: str, first: int, unit, author,
                   approver) -> list[Planned]:
    """One approved post per delivery, spread round-robin over the kind's channels; due far ahead
    until `schedule` brings them in, so seeding time does not eat into the chaos."""
    later = timezone.now() + timedelta(days=1)
    planned = []
    for n in range(share.deliveries):
        number = first + n
        token = f"[chaos-{run}-{number:05d}]"
        channel = channels[n % len(channels)]
        post = post_create(author=author, unit=unit, kind="bulletin", title=f"Thông báo số {number}",
                           body=f"Lịch tiếp công dân tháng này đã niêm yết tại bộ phận một cửa. {token}",
                           channel_names=[channel.name], publish_at=later)
        post_submit(post, by=author)
        (delivery,) = post_approve(post, by=approver)
        planned.append(Planned(delivery.pk, token, channel))
    return planned


def schedule(planned: list[Planned], start: datetime, window: float, rng: random.Random) -> None:
    """Make the deliveries due one after another over `window` seconds from `start`, kinds mixed."""
    order = list(planned)
    rng.shuffle(order)
    step = window / max(1, len(order) - 1)
    due = {p.delivery_id: start + timedelta(seconds=n * step) for n, p in enumerate(order)}
    deliveries = list(Delivery.objects.filter(pk__in=due).select_related("post"))
    for delivery in deliveries:
        delivery.due_at = delivery.post.publish_at = due[delivery.pk]
    Delivery.objects.bulk_update(deliveries, ["due_at"], batch_size=500)
    Post.objects.bulk_update([d.post for d in deliveries], ["publish_at"], batch_size=500)
