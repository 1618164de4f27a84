"""Celery settings: broker, queues, reliability and the beat schedule, all from LOA_* settings.

The database is the source of truth for what to publish: tasks are acknowledged on receipt and
never retried by Celery, and nothing is scheduled with eta/countdown. A lost message is found
again by the next tick; a killed worker's delivery is found by the reaper.
"""

from django.conf import settings
from kombu import Queue
from kombu.transport import sqlalchemy as sqla_transport

from bot.queues import CONTROL_QUEUE, all_queues

LOA = settings.LOA

broker_url = LOA.broker_url
broker_connection_retry_on_startup = True
if broker_url.startswith("sqla+"):
    # kombu hands sqla's transport options to SQLAlchemy's create_engine, so the polling interval
    # (1 s by default, too slow for a one-second schedule lag) is set on the transport class.
    sqla_transport.Transport.polling_interval = 0.2
    broker_transport_options = {"connect_args": {"timeout": 30}}
else:
    broker_transport_options = {"visibility_timeout": 3600}
task_ignore_result = True
result_backend = None
task_acks_late = False
task_default_queue = CONTROL_QUEUE
task_queues = [Queue(name) for name in all_queues()]
task_routes = {name: {"queue": CONTROL_QUEUE} for name in ("loa.tick", "loa.reap", "loa.reconcile", "loa.materialise",
                                                         "loa.collect", "loa.process_inbound", "loa.retention")}
worker_prefetch_multiplier = 4
# Celery's Django fixup closes the database connection around every task unless this is set: a new
# PostgreSQL connection (a server process forked, authentication, session setup) for every delivery
# was the largest single cost of a publish in the worker (bench/fanout.py). Kept instead, renewed
# after 1,000 tasks, and checked before each task as Django checks it before each request
# (worker.py: close_old_connections honours CONN_MAX_AGE and CONN_HEALTH_CHECKS).
CELERY_DB_REUSE_MAX = 1000
# A pool process is replaced after the task that leaves it above 200 MB (KiB here). A child starts
# near 130 MB and stays there through 10,000 deliveries (docs/performance.md); this is the guard
# against a slow creep, well above the start so that no child is replaced after every task.
worker_max_memory_per_child = 200_000
worker_hijack_root_logger = False
worker_send_task_events = False
timezone = "Asia/Ho_Chi_Minh"
enable_utc = True

beat_schedule_filename = str(LOA.data_dir / "celerybeat-schedule")
beat_schedule = {
    "tick": {"task": "loa.tick", "schedule": LOA.tick_seconds, "options": {"expires": max(5.0, LOA.tick_seconds * 5)}},
    "reap": {"task": "loa.reap", "schedule": 15.0, "options": {"expires": 60}},
    "reconcile": {"task": "loa.reconcile", "schedule": 60.0, "options": {"expires": 300}},
    # Idempotent (one post per series occurrence), so hourly is plenty for a days-ahead horizon.
    "materialise": {"task": "loa.materialise", "schedule": 3600.0, "options": {"expires": 600}},
    # The hooks only store what the platforms send; the replies are parsed and stored here, in batches.
    "inbound": {"task": "loa.process_inbound", "schedule": 1.0, "options": {"expires": 5}},
    # Polling is the fallback for webhooks (and the only path where none is configured).
    "collect": {"task": "loa.collect", "schedule": 60.0, "options": {"expires": 120}},
    "retention": {"task": "loa.retention", "schedule": 24 * 3600.0, "options": {"expires": 3600}},
}
