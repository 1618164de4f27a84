"""Image cards travel with posts: a guide's step cards go as a Telegram album and a Facebook
multi-photo post, a slogan card as a photo; the outbox keeps them all."""

import pytest
from django.utils import timezone

from bot.channel_config import channel_add
from bot.posts import post_approve, post_create, post_submit
from bot.publishing import states
from bot.publishing.claim import claim_due
from bot.publishing.publisher import publish_delivery

pytestmark = pytest.mark.django_db

GUIDE = {"service": "Đăng ký khai sinh trực tuyến", "portal_url": "https://dichvucong.gov.vn",
         "steps": ["Đăng nhập bằng tài khoản VNeID.", "Điền tờ khai, đính kèm giấy chứng sinh.",
                   "Nhận giấy khai sinh qua bưu điện."]}


def publish_all(people, channels, kind, fields, title):
    post = post_create(author=people["lan"], unit=channels[0].unit, kind=kind, title=title, body="",
                       fields=fields, channel_names=[c.name for c in channels])
    post_submit(post, by=people["lan"])
    deliveries = post_approve(post, by=people["minh"])
    claim_due(timezone.now(), 50)
    return [publish_delivery(d.pk) for d in deliveries]


def test_a_guide_goes_out_with_one_card_per_step(sandbox, platform_channel, people, units, tmp_path):
    telegram, facebook = platform_channel("telegram"), platform_channel("facebook")
    outbox = channel_add(unit=units["ward"], kind="outbox", name="bang", pairs={"path": str(tmp_path / "out")})
    outcomes = publish_all(people, [telegram, facebook, outbox], "guide", GUIDE, "Hướng dẫn khai sinh")
    assert outcomes == [states.SENT] * 3

    tg = sandbox.client.state("telegram")["chats"]
    posted = next(c for c in tg.values() if c.get("type") == "channel")["messages"]
    album = [m for m in posted if m.get("media_group_id")]
    assert len(album) == 3 and all(m["photo"] for m in album)
    fb = next(iter(sandbox.client.state("facebook")["pages"].values()))
    assert len(fb["photos"]) == 3 and all(p["content_type"] == "image/jpeg" for p in fb["photos"])
    assert len(fb["posts"]) == 1 and len(fb["posts"][0]["attached_media"]) == 3
    assert len(list((tmp_path / "out").glob("*.png"))) == 3


def test_a_slogan_card_is_rendered_once_and_reused(sandbox, platform_channel, people, settings):
    telegram = platform_channel("telegram")
    fields = {"text": "Cải cách hành chính vì nhân dân phục vụ", "source": "Kế hoạch 1029/KH-UBND"}
    publish_all(people, [telegram], "slogan", fields, "Khẩu hiệu 1")
    cards = list((settings.LOA.data_dir / "cards").glob("*"))
    publish_all(people, [telegram], "slogan", fields, "Khẩu hiệu 2")
    assert list((settings.LOA.data_dir / "cards").glob("*")) == cards
