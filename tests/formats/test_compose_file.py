"""Compose files: quoting any value for compose, reading places, finding port holders."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from envsync.formats import compose_file
from envsync.formats.compose_file import ComposeDocument
from envsync.formats.compose_interpolation import interpolate
from tests.formats.context import context


@settings(max_examples=300)
@given(value=st.text(st.characters(codec="utf-8").filter(str.isprintable)))
def test_quote_is_read_back_by_pyyaml_and_compose_interpolation(value: str) -> None:
    document = f"key: {compose_file.quote(value)}\n"
    assert interpolate(yaml.safe_load(document)["key"], {"HOME": "/root"}) == value


def _document(ports: str, *, variables: dict[str, str] | None = None) -> ComposeDocument:
    text = (
        "services:\n"
        "  db:\n    image: postgres\n    ports:\n      - '5432:5432'\n"
        f"  web:\n    image: nginx\n    ports:\n{ports}"
        "  worker:\n    image: worker\n"
    )
    return ComposeDocument(text, context("docker-compose.yml", environ=variables))


@pytest.mark.parametrize(
    "ports",
    [
        "      - '8080:80'\n",
        "      - 127.0.0.1:8080:80\n",
        "      - '[::1]:8080:80/tcp'\n",
        "      - '8000-8100:8000-8100'\n",
        "      - target: 80\n        published: 8080\n",
        "      - target: 80\n        published: '8080'\n        protocol: tcp\n",
        "      - '${WEB_PORT:-8080}:80'\n",
    ],
)
def test_a_service_publishing_the_port_is_named(ports: str) -> None:
    assert _document(ports).publishers(8080, besides="db") == ["web"]


@pytest.mark.parametrize(
    "ports",
    [
        "      - '8081:80'\n",  # another port
        "      - '80'\n",  # container port only: compose picks a random host port
        "      - '127.0.0.1::8080'\n",  # a random host port on one address
        "      - '8080:80/udp'\n",  # UDP does not hold a TCP port
        "      - target: 8080\n",  # long syntax without a published port
        "      - '${WEB_PORT:-8080}:80'\n",  # the variable moves it elsewhere
    ],
)
def test_a_service_not_publishing_the_port_is_not_named(ports: str) -> None:
    assert _document(ports, variables={"WEB_PORT": "9000"}).publishers(8080, besides="db") == []


def test_the_database_service_itself_is_not_a_conflict() -> None:
    assert _document("      - '8080:80'\n").publishers(5432, besides="db") == []


@pytest.mark.parametrize(
    ("item", "port"),
    [("'5432:5432'", "5432"), ("'5432-5432:5432'", "5432"), ("127.0.0.1:5433:5432", "5433"),
     ("'5432:5432/udp'", None)],
)  # fmt: skip
def test_the_host_port_of_container_port_5432(item: str, port: str | None) -> None:
    text = f"services:\n  db:\n    image: postgres\n    ports:\n      - {item}\n"
    document = ComposeDocument(text, context("compose.yaml"))
    assert document.read("services.db.ports").value == port


def test_a_variable_passed_through_is_read_from_the_interpolation_file() -> None:
    text = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD:\n      - X\n"
    text = "services:\n  db:\n    environment:\n      POSTGRES_PASSWORD:\n"
    document = ComposeDocument(
        text, context("docker-compose.yml", files={".env": "POSTGRES_PASSWORD=from-env\n"})
    )
    reading = document.read("services.db.environment.POSTGRES_PASSWORD")
    assert reading.value == "from-env"
    assert document.references(str(reading.source)) == ("POSTGRES_PASSWORD",)
