"""CloudWatch Logs' door: log groups, streams and events in moto's Logs backend.

Actions and resources (Service Authorization Reference): CreateLogGroup on the log-group ARN
`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`; CreateLogStream and PutLogEvents on the
log-stream ARN `...:log-group:NAME:log-stream:STREAM`.

Creating a group or a stream that already exists is not an error here: every caller (a build
opening its log, EventBridge writing an event to a group) wants it to exist, no more.
"""
from __future__ import annotations

from typing import Iterable

from localcloud.logs import exceptions
from localcloud.logs.exceptions import ResourceAlreadyExistsException
from localcloud.moto_contract import MotoContract, errors_of, moto_errors
from localcloud.principal import Principal

_ERRORS = errors_of(exceptions)


class LogsContract(MotoContract):
    action_prefix = "logs"

    def _backend(self, region: str | None):
        from moto.logs.models import logs_backends

        return logs_backends[self.account_id][self._region(region)]

    def group_arn(self, group: str, region: str | None = None) -> str:
        return f"arn:aws:logs:{self._region(region)}:{self.account_id}:log-group:{group}"

    def stream_arn(self, group: str, stream: str, region: str | None = None) -> str:
        return f"{self.group_arn(group, region)}:log-stream:{stream}"

    def create_log_group(self, principal: Principal, group: str, region: str | None = None) -> bool:
        """True if it was created, False if it existed."""
        self._authorize(principal, "CreateLogGroup", self.group_arn(group, region))
        try:
            with moto_errors(_ERRORS):
                self._backend(region).create_log_group(group, {})
        except ResourceAlreadyExistsException:
            return False
        return True

    def create_log_stream(self, principal: Principal, group: str, stream: str, region: str | None = None) -> bool:
        """True if it was created, False if it existed; ResourceNotFoundException without the group."""
        self._authorize(principal, "CreateLogStream", self.stream_arn(group, stream, region))
        try:
            with moto_errors(_ERRORS):
                self._backend(region).create_log_stream(group, stream)
        except ResourceAlreadyExistsException:
            return False
        return True

    def put_log_events(self, principal: Principal, group: str, stream: str,
                       events: Iterable[tuple[int, str]], region: str | None = None) -> None:
        """Append (timestamp in ms, message) events, oldest first, as PutLogEvents takes them."""
        self._authorize(principal, "PutLogEvents", self.stream_arn(group, stream, region))
        batch = [{"timestamp": int(ts), "message": message} for ts, message in events]
        if not batch:
            return
        with moto_errors(_ERRORS):
            self._backend(region).put_log_events(group, stream, batch)
