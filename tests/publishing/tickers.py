"""A tick process for the race test: set up Django on the given database, wait for the others,
then run one real scheduler tick that sends publish messages to the real Redis broker."""

import os


def tick_process(database_url: str, barrier, results) -> None:
    os.environ["LOA_DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bot.settings"
    import django

    django.setup()
    import worker  # noqa: F401 - the Celery app that sends to the broker
    from bot.publishing.tick import run_tick
    from bot.tasks import send_publish

    barrier.wait(timeout=60)
    results.put((os.getpid(), run_tick(send_publish, batch=10)))
