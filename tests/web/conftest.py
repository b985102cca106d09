"""The in-process service fixtures are shared with the API tests."""

from tests.api.conftest import ready_video, service  # noqa: F401
