from tests.config.projects import proj  # noqa: F401 - shared fixture
