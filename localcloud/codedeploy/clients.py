"""boto3 clients to the other services, made once: creating a client costs tens of milliseconds
of CPU (more on a loaded machine), and a deployment makes dozens of calls. Clients are thread-safe."""
from __future__ import annotations

import threading


class Clients:
    def __init__(self, cloud):
        self.cloud = cloud
        self._cache: dict[str, object] = {}
        self._lock = threading.Lock()

    def __call__(self, service: str):
        with self._lock:
            client = self._cache.get(service)
            if client is None:
                client = self._cache[service] = self.cloud.client(service)
            return client
