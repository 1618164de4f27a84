import pytest

from bot.channel_config import channel_add
from bot.posts import post_approve, post_create, post_submit
from channels import registry
from tests.fakes import ScriptedPlatform


@pytest.fixture
def scripted(units):
    registry.register(ScriptedPlatform)
    ScriptedPlatform.reset()
    channel = channel_add(unit=units["ward"], kind="scripted", name="fake-page", pairs={"token": "t0ps3cret"})
    yield channel
    registry.unregister(ScriptedPlatform.kind)


@pytest.fixture
def approve(people):
    """Write, submit and approve a post for the given channels; returns its deliveries."""

    def _approve(*channels, title="Khẩu hiệu tháng 12", body="Cải cách hành chính vì nhân dân phục vụ.", now=None):
        post = post_create(
            author=people["lan"], unit=channels[0].unit, kind="slogan", title=title, body=body,
            channel_names=[c.name for c in channels],
        )
        post_submit(post, by=people["lan"])
        return post_approve(post, by=people["minh"], now=now)

    return _approve
