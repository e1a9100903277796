"""schemathesis against each service's own OpenAPI document, on the running service (real
Kafka, the real registry): every check, a fixed seed, a bounded number of examples per
operation. The document and the behaviour must agree on every generated request, and no
request may get a 5xx, counted from the HAR report of every request the run made."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from contracts.loading import load_contracts
from registry.client.client import RegistryClient
from services.api.auth import mint_token
from tests.integration.fuzz.conftest import FuzzRun, Served, run_schemathesis

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"
SECRET = "fuzz-test-secret-of-at-least-32-bytes!"
USER = "9a3e5c1d-2b4f-4d6a-8c7e-1f2a3b4c5d6e"


def _assert_clean(run: FuzzRun) -> None:
    assert run.exit_code == 0, run.output
    assert run.test_cases["with_failures"] == 0 and not run.failures, run.output
    assert not run.errors and run.operations["errored"] == 0, run.output
    assert run.operations["tested"] == run.operations["total"] > 0, run.output
    assert run.test_cases["generated"] > 0
    assert not run.server_errors, run.figures()


def test_the_api_behaves_as_its_document_says(
    kafka_bootstrap: str,
    registry_url: str,
    serve: Callable[[list[str], dict[str, str]], Served],
    tmp_path: Path,
) -> None:
    with RegistryClient(registry_url) as registry:
        for contract in load_contracts(SCHEMAS):
            registry.register(contract.subject, contract.schema)
    api = serve(
        ["api", "serve"],
        {
            "UGC_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "UGC_REGISTRY_URL": registry_url,
            "UGC_API_JWT_SECRET": SECRET,
            "UGC_API_SCHEMAS_DIR": str(SCHEMAS),
            "UGC_API_RATE_LIMIT": "0",
        },
    )
    token = mint_token(USER, SECRET)
    run = run_schemathesis(
        "api",
        f"{api.url}/api/openapi.json",
        tmp_path / "reports",
        "--header",
        f"Authorization: Bearer {token}",
    )
    _assert_clean(run)
    assert run.statuses[202] > 0  # events reached Kafka, not only refusals


def test_the_registry_behaves_as_its_document_says(
    kafka_bootstrap: str,
    serve: Callable[[list[str], dict[str, str]], Served],
    unique_name: Callable[[str], str],
    tmp_path: Path,
) -> None:
    registry = serve(
        ["registry", "serve"],
        {
            "UGC_KAFKA_BOOTSTRAP": kafka_bootstrap,
            "UGC_REGISTRY_TOPIC": unique_name("_schemas"),
            "UGC_REGISTRY_AUTH_USER": "fuzz",
            "UGC_REGISTRY_AUTH_PASSWORD": SECRET,
        },
    )
    run = run_schemathesis(
        "registry", f"{registry.url}/openapi.json", tmp_path / "reports", "--auth", f"fuzz:{SECRET}"
    )
    _assert_clean(run)
    assert run.statuses[200] > 0 and run.statuses[401] > 0  # writes made, and refused unsigned
