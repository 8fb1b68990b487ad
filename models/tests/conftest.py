import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from synthetic import write_export  # noqa: E402

MODELS = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory):
    return write_export(tmp_path_factory.mktemp("export"), episodes=8)


@pytest.fixture(scope="session")
def tiny_config():
    return MODELS / "configs" / "tiny.json"
