"""Make the project importable from tests and benchmarks without installing it; mark tests by kind."""

import pytest

# Marked by file, so a new test file is marked the moment it follows the naming convention.
_SLOW_FILES = {"test_memory.py", "test_upload_memory.py", "test_bundle.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        name = item.path.name
        if name.startswith("test_browser"):
            item.add_marker(pytest.mark.browser)
        elif name.startswith("test_page_") or name in {"test_app.py", "test_isolation.py"}:
            item.add_marker(pytest.mark.app)
        else:
            item.add_marker(pytest.mark.unit)
        if name in _SLOW_FILES:
            item.add_marker(pytest.mark.slow)
