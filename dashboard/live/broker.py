"""How a published event reaches every process: directly in memory, or through Redis pub/sub."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
# Pub/sub ignores Redis's database numbers, so the channel carries the URL's: two dashboards sharing a
# server on different databases (staging and production, say) never see each other's pushes.
REDIS_CHANNEL = "recrubo-dashboard:{database}:live"
# The local deliverer: takes a message, returns how many sockets it reached.
Deliver = Callable[[dict], int]


class MemoryBroker:
    """One process: publishing is delivering."""

    def __init__(self, deliver: Deliver) -> None:
        self.deliver = deliver

    def start(self) -> bool:
        """Nothing to start in memory."""
        return False

    def publish(self, message: dict) -> int:
        """Deliver to this process's sockets and return how many were reached."""
        return self.deliver(message)

    def state(self) -> str:
        """What /healthz reports."""
        return "memory"


class RedisBroker:
    """Every process subscribes to one Redis channel; while Redis is away, pushes stay in this process."""

    def __init__(self, url: str, deliver: Deliver, on_resubscribed: Callable[[], None]) -> None:
        import redis

        self.redis = redis
        self.url = url
        self.deliver = deliver
        self.on_resubscribed = on_resubscribed
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.channel = REDIS_CHANNEL.format(database=self.client.connection_pool.connection_kwargs.get("db", 0))
        self.subscribed = threading.Event()
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def start(self) -> bool:
        """Start the subscriber on first use, in the serving process (never at import time); True if it just began."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._subscribe_forever, name="live-redis", daemon=True)
                self.thread.start()
                return True
        return False

    def publish(self, message: dict) -> int:
        """Send to every process through Redis, or deliver here when Redis is away; return local sockets reached."""
        if self.start():
            self.subscribed.wait(timeout=2.0)
        data = json.dumps(message, separators=(",", ":"))
        if self.subscribed.is_set():
            try:
                self.client.publish(self.channel, data)
                return 0  # each subscriber counts the sockets it reaches
            except (self.redis.RedisError, OSError) as error:
                log.warning("redis publish failed, pushing to this worker's sockets only: %s", error)
        return self.deliver(message)

    def state(self) -> str:
        """What /healthz reports: 'redis', or 'degraded' while pushes reach this worker only."""
        if self.start():
            self.subscribed.wait(timeout=2.0)  # a first health check should not report the start-up moment
        if self.subscribed.is_set():
            return "redis"
        return "degraded: redis unreachable, pushes reach this worker's sockets only"

    def _subscribe_forever(self) -> None:
        delay = 0.5
        was_down = False
        while True:
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                self.subscribed.set()
                delay = 0.5
                if was_down:
                    log.info("redis is back; live pushes go to every worker again")
                    # Events published by other workers meanwhile never reached this worker's sockets:
                    # dropping them makes every page reconnect and catch up from the event log.
                    self.on_resubscribed()
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is None:
                        pubsub.ping()  # notices a Redis that went away without closing the connection
                        continue
                    if message.get("type") == "message":
                        self.deliver(json.loads(message["data"]))
            except (self.redis.RedisError, OSError, ValueError) as error:
                if self.subscribed.is_set():
                    log.warning("redis unavailable, live pushes stay in this worker: %s", error)
                self.subscribed.clear()
                was_down = True
            finally:
                try:
                    pubsub.close()
                except Exception:  # closing a broken connection may raise anything; it is gone either way
                    pass
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
