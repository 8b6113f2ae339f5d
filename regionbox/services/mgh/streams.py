"""CreateProgressUpdateStream, DeleteProgressUpdateStream, ListProgressUpdateStreams.

A stream is a migration tool's namespace for its task names. Creating one that exists answers
success (tools create theirs at every start). Deleting one deletes its tasks with it: AWS does
that in the background and may list the stream a while longer; here it is done before answering.
"""

from __future__ import annotations

from regionbox.core import clock
from regionbox.core.errors import ServiceError
from regionbox.core.pagination import Paginator
from regionbox.services.mgh.home import Home
from regionbox.services.mgh.models import MghState, ProgressUpdateStream
from regionbox.services.mgh.paging import LISTS, with_token


def stream_not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Progress update stream {name} does not exist.")


class Streams:
    def __init__(self, state: MghState, home: Home, paginator: Paginator) -> None:
        self.state = state
        self.home = home
        self.paginator = paginator

    def create_progress_update_stream(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=True, params=params)
        name = params["ProgressUpdateStreamName"]
        if (scope, name) not in self.state.streams:
            self.state.streams.put(scope, name, ProgressUpdateStream(name=name, created=clock.epoch()))
        return {}

    def delete_progress_update_stream(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=False, params=params)
        name = params["ProgressUpdateStreamName"]
        if (scope, name) not in self.state.streams:
            raise stream_not_found(name)
        with self.state.store.transaction():
            for task in self.state.tasks.values(scope):
                if task.stream == name:
                    self.state.tasks.delete(scope, task.key)
            self.state.streams.delete(scope, name)
        return {}

    def list_progress_update_streams(self, ctx, params: dict) -> dict:
        scope = self.home.scope(ctx, write=False)
        page, token = self.paginator.paginate(self.state.streams.values(scope), params, LISTS)
        return with_token({"ProgressUpdateStreamSummaryList": [{"ProgressUpdateStreamName": s.name} for s in page]}, token)
