"""The scaled-out deployment (deploy/docker-compose.yml): its topology as written, and its validity for Docker Compose
itself where the `docker compose` CLI is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
RAY_SERVICES = {"ray-head", "ray-worker", "ingest-ray"}
_DEFAULT = re.compile(r"\$\{\w+:-([^}]*)\}")


def resolved(value) -> str:
    """A value with every ``${NAME:-default}`` replaced by its default, as compose does with NAME unset."""
    return _DEFAULT.sub(lambda m: m.group(1), str(value))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def env_files(service: dict) -> list[str]:
    files = service.get("env_file", [])
    return [files] if isinstance(files, str) else [f if isinstance(f, str) else f["path"] for f in files]


def test_milvus_waits_for_healthy_etcd_and_minio(services):
    """Milvus standalone starts after etcd and MinIO are healthy; all three have health checks and volumes."""
    milvus = services["milvus-standalone"]
    assert milvus["command"] == ["milvus", "run", "standalone"]
    assert milvus["depends_on"] == {"etcd": {"condition": "service_healthy"},
                                    "minio": {"condition": "service_healthy"}}
    assert milvus["environment"]["ETCD_ENDPOINTS"] == "etcd:2379"
    assert milvus["environment"]["MINIO_ADDRESS"] == "minio:9000"
    for name in ("etcd", "minio", "milvus-standalone"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name
        assert services[name]["volumes"], name


def test_every_image_is_pinned(services):
    """Every image names a version (no implicit or 'latest' tag), and the Ray image is the Ray the package uses."""
    for name, service in services.items():
        image = resolved(service["image"])
        tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else ""
        assert tag and tag != "latest", f"{name}: {image}"
    base = re.search(r"^FROM (\S+)", (DEPLOY / "ray.Dockerfile").read_text(encoding="utf-8"), re.M).group(1)
    assert re.fullmatch(r"rayproject/ray:\d+\.\d+\.\d+-py311", base), base
    try:
        installed = metadata.version("ray")
    except metadata.PackageNotFoundError:
        installed = None
    if installed:  # the ingest driver and the Ray nodes must run the same Ray
        assert base == f"rayproject/ray:{installed}-py311"


def test_api_replicas_read_milvus(services):
    """At least two API replicas, each of RAG_WORKERS processes, serve the Milvus store and publish no port."""
    api = services["api"]
    assert int(resolved(api["deploy"]["replicas"])) >= 2
    env = {k: resolved(v) for k, v in api["environment"].items()}
    assert env["RAG_STORE"] == "milvus"
    assert env["RAG_MILVUS_URI"] == "http://milvus-standalone:19530"
    assert int(env["RAG_WORKERS"]) >= 1
    assert api["build"] == {"context": "..", "dockerfile": "Dockerfile"} and "ports" not in api
    assert api["depends_on"]["milvus-standalone"] == {"condition": "service_healthy"}
    assert set(api["networks"]) >= {"front", "store"}


def test_one_port_through_the_load_balancer(services):
    """Only the load balancer publishes a port, one, and its nginx config proxies to the API replicas."""
    published = {name: s["ports"] for name, s in services.items() if s.get("ports")}
    assert list(published) == ["lb"] and len(published["lb"]) == 1
    assert resolved(published["lb"][0]).endswith(":8000:80")
    lb = services["lb"]
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in lb["volumes"]
    assert lb["networks"] == ["front"]  # the API's only neighbour there: X-Forwarded-For comes from nginx alone
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "server api:8000 resolve;" in nginx and "proxy_pass http://qa_api;" in nginx


def test_ingest_is_one_shot_into_milvus(services):
    """`ingest` runs once into the same Milvus as the API, from a read-only corpus folder."""
    ingest = services["ingest"]
    assert ingest["restart"] == "no"
    assert "python -m app ingest --corpus /srv/corpus" in " ".join(ingest["command"])
    assert resolved(ingest["environment"]["RAG_STORE"]) == "milvus"
    assert ingest["environment"]["RAG_MILVUS_URI"] == services["api"]["environment"]["RAG_MILVUS_URI"]
    assert any(v.endswith(":/srv/corpus:ro") for v in ingest["volumes"])


def test_ray_services_only_under_the_ray_profile(services):
    """Ray head, workers and the Ray ingest start only with --profile ray; nothing else does, or depends on them."""
    under_ray = {name for name, s in services.items() if "ray" in s.get("profiles", [])}
    assert under_ray == RAY_SERVICES
    for name in RAY_SERVICES:
        assert services[name]["profiles"] == ["ray"]
    for name, service in services.items():
        if name not in RAY_SERVICES:
            assert "profiles" not in service and not set(service.get("depends_on", {})) & RAY_SERVICES, name
    assert "--head" in services["ray-head"]["command"]
    assert "--address=ray-head:6379" in services["ray-worker"]["command"]


def test_secrets_come_from_files_never_inline(compose, services):
    """No credential is written in the compose file; env files come from deploy/secrets/, which git ignores, and
    every one has a template in deploy/secrets.example/."""
    secretish = re.compile(r"TOKEN|PASSWORD|SECRET|ACCESS_KEY|ROOT_USER", re.I)
    for name, service in services.items():
        env = service.get("environment", {})
        assert not [k for k in env if secretish.search(k)], name
    for name in ("api", "ingest", "ingest-ray"):
        assert "./secrets/qa.env" in env_files(services[name]), name
    used = {Path(f).name for s in services.values() for f in env_files(s)}
    assert used == {"qa.env", "milvus.env", "minio.env"}
    for file in used:
        assert (DEPLOY / "secrets.example" / file).is_file(), file
        lines = [line for line in (DEPLOY / "secrets.example" / file).read_text().splitlines() if line]
        assert all(line.startswith("#") or "replace-with-" in line.split("=", 1)[1] for line in lines), file
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/secrets/qa.env"], cwd=ROOT)
    assert ignored.returncode == 0, "deploy/secrets/ must be ignored by git"


def _compose_cli() -> list[str] | None:
    """`docker compose` (the CLI plugin), else a standalone `docker-compose` of version 2; None without either."""
    for command in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(command[0]) is None:
            continue
        version = subprocess.run([*command, "version", "--short"], capture_output=True, text=True)
        if version.returncode == 0 and version.stdout.strip().lstrip("v").startswith(("2.", "3.", "4.", "5.")):
            return command
    return None


@pytest.fixture
def compose_cli() -> list[str]:
    command = _compose_cli()
    if command is None:
        pytest.skip("Docker Compose v2 is not installed (neither the `docker compose` plugin nor `docker-compose`)")
    return command


@pytest.fixture
def deploy_copy(tmp_path) -> Path:
    """deploy/ copied (without any real secrets of the checkout) with the example secrets in deploy/secrets/, as the
    compose file's header says to."""
    copy = tmp_path / "deploy"
    shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("*.env"))
    for example in (DEPLOY / "secrets.example").glob("*.env"):
        shutil.copy(example, copy / "secrets" / example.name)
    return copy


@pytest.mark.parametrize("profile", [[], ["--profile", "ray"]], ids=["default", "ray"])
def test_compose_accepts_the_file(compose_cli, deploy_copy, profile):
    """`docker compose config -q` accepts the deployment, with and without the ray profile."""
    result = subprocess.run([*compose_cli, "-f", str(deploy_copy / "docker-compose.yml"), *profile, "config", "-q"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compose_refuses_to_run_without_secrets(compose_cli, tmp_path):
    """Without deploy/secrets/*.env compose refuses the file, naming the missing one, rather than run without them."""
    shutil.copytree(DEPLOY, tmp_path / "deploy", ignore=shutil.ignore_patterns("*.env"))
    result = subprocess.run([*compose_cli, "-f", str(tmp_path / "deploy" / "docker-compose.yml"), "config", "-q"],
                            capture_output=True, text=True)
    assert result.returncode != 0 and "secrets/" in result.stderr and ".env" in result.stderr
