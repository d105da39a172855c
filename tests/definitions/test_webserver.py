"""``dagster dev -w workspace.yaml`` serves the code location; GraphQL shows registry metadata.

The test materializes one batch into a Dagster home of its own, starts ``dagster dev``
headless on a free local port in its own process group, asks GraphQL for the workspace
and for the latest materialization of ``raw_batches``, and stops the whole process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STARTUP_S = 180

WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name jobs { name } sensors { name } } }
          ... on PythonError { message }
        }
      }
    }
    ... on PythonError { message }
  }
}
"""

MATERIALIZATION_QUERY = """
{
  assetOrError(assetKey: {path: ["raw_batches"]}) {
    __typename
    ... on Asset {
      assetMaterializations(limit: 1) {
        partition
        runId
        metadataEntries {
          __typename
          label
          ... on TextMetadataEntry { text }
          ... on IntMetadataEntry { intValue }
          ... on FloatMetadataEntry { floatValue }
          ... on BoolMetadataEntry { boolValue }
          ... on UrlMetadataEntry { url }
          ... on PathMetadataEntry { path }
          ... on TableSchemaMetadataEntry { schema { columns { name type } } }
        }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _graphql(port: int, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        payload: dict[str, Any] = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


def _entry_value(entry: dict[str, Any]) -> Any:
    for field in ("text", "intValue", "floatValue", "boolValue", "url", "path", "schema"):
        if field in entry:
            return entry[field]
    return None


def _loaded_location(port: int, process: subprocess.Popen[str]) -> dict[str, Any]:
    """Poll until the workspace's one location has loaded (or failed to)."""
    deadline = time.monotonic() + STARTUP_S
    last: Any = None
    while time.monotonic() < deadline:
        assert process.poll() is None, "dagster dev exited early"
        try:
            data = _graphql(port, WORKSPACE_QUERY)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            last = error
        else:
            last = data
            entries = data["workspaceOrError"].get("locationEntries") or []
            if entries and entries[0]["locationOrLoadError"] is not None:
                return entries[0]  # type: ignore[no-any-return]
        time.sleep(1)
    raise AssertionError(f"the workspace did not load in {STARTUP_S} s: {last}")


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop dagster dev and everything it started: its whole process group.

    SIGTERM first (dagster dev shuts its webserver, daemon and code servers down), then
    SIGKILL for whatever is left in the group.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def _default_sigint() -> None:
    """In the child: take SIGINT (and dagster's SIGTERM) again, even if the parent ignores it."""
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.mark.slow
def test_dagster_dev_serves_the_location_and_registry_metadata(
    sandbox: Any, registry: None
) -> None:
    import lamin_pipes as ln

    sandbox.pipeline("--batches", "1", "--cells", "200", "--genes", "40")
    port = _free_port()
    log = sandbox.cwd / "dagster-dev.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [str(BIN / "dagster"), "dev", "-w", str(ROOT / "workspace.yaml"), "-p", str(port)],
            cwd=sandbox.cwd,
            env=sandbox.env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: stopped as a whole
            preexec_fn=_default_sigint,
        )
    try:
        entry = _loaded_location(port, process)
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        assert entry["name"] == "lamin_pipes"
        [repository] = location["repositories"]
        assert {job["name"] for job in repository["jobs"]} >= {"ingest", "summarize"}
        assert {sensor["name"] for sensor in repository["sensors"]} >= {"inbox_sensor"}

        asset = _graphql(port, MATERIALIZATION_QUERY)["assetOrError"]
        assert asset["__typename"] == "Asset", asset
        [materialization] = asset["assetMaterializations"]
        metadata = {e["label"]: _entry_value(e) for e in materialization["metadataEntries"]}
        print(json.dumps(metadata, indent=2))  # what the UI shows (pytest -s)
    finally:
        _stop(process)

    assert materialization["partition"] == "batch_001"
    ln.connect(sandbox.db, str(sandbox.storage))
    artifact = ln.Artifact.get(key="raw_batches/batch_001.h5ad")
    assert metadata["lamin/uid"] == artifact.uid
    assert metadata["lamin/key"] == "raw_batches/batch_001.h5ad"
    assert metadata["lamin/hash"] == artifact.hash
    assert str(metadata["lamin/version"]) == artifact.version
    assert metadata["n_observations"] == 200
    assert f"lamin-pipes describe {artifact.uid}" in json.dumps(metadata)
    columns = {column["name"] for column in metadata["dagster/column_schema"]["columns"]}
    assert {"cell_type", "donor", "tissue"} <= columns
