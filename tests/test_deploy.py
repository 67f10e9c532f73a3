"""The scaled-out deployment (deploy/docker-compose.yml): its topology as written, and its validity for Docker Compose
itself where the `docker compose` CLI is installed."""

from __future__ import annotations

import ipaddress
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path, PurePosixPath

import pytest
import yaml

from app.settings import Settings
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
    assert list(lb["networks"]) == ["front"]  # the API's only neighbour there
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
    """`docker compose` (the CLI plugin), else a standalone `docker-compose` of version 2 (on PATH or beside this
    interpreter, as a pip-installed one is); None without either."""
    beside = Path(sys.executable).with_name("docker-compose")
    for command in (["docker", "compose"], ["docker-compose"], [str(beside)]):
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
    result = subprocess.run([*compose_cli, "-f", str(tmp_path / "deploy" / "docker-compose.yml"), "config"],
                            capture_output=True, text=True)
    # Some Compose 2 releases (2.40) report the missing file and render nothing, yet exit 0.
    assert result.returncode != 0 or not result.stdout.strip()
    assert "secrets/" in result.stderr and ".env" in result.stderr


def test_forwarded_for_believed_from_the_load_balancer_only(compose, services):
    """The API believes X-Forwarded-For from nginx's fixed address alone (never '*', which lets any client name its
    own address to the rate limits and logs), and nginx replaces the header with the address it saw."""
    trusted = resolved(services["api"]["environment"]["RAG_FORWARDED_ALLOW_IPS"])
    lb_address = resolved(services["lb"]["networks"]["front"]["ipv4_address"])
    assert trusted == lb_address, (trusted, lb_address)
    subnets = [resolved(c["subnet"]) for c in compose["networks"]["front"]["ipam"]["config"]]
    assert any(ipaddress.ip_address(lb_address) in ipaddress.ip_network(net) for net in subnets), subnets
    assert Settings(_env_file=None).forwarded_allow_ips != "*"
    nginx = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx
    assert "proxy_set_header X-Real-IP $remote_addr;" in nginx
    assert "$proxy_add_x_forwarded_for" not in nginx


def test_lb_waits_for_ready_replicas(services):
    """nginx starts once the API replicas are healthy, and healthy means GET /ready answers 200."""
    api = services["api"]
    assert "/ready" in " ".join(api["healthcheck"]["test"]) and api["healthcheck"]["test"][0] == "CMD"
    assert services["lb"]["depends_on"]["api"] == {"condition": "service_healthy"}


def test_rate_limits_shared_through_redis(compose, services):
    """Every API process of every replica counts rate limits in one Redis, reachable from the API alone, with a
    health check and no published port."""
    storage = Settings(_env_file=None, rate_limit_storage=services["api"]["environment"]["RAG_RATE_LIMIT_STORAGE"])
    host = storage.rate_limit_storage.split("://", 1)[1].split(":", 1)[0]
    assert storage.rate_limit_storage.startswith("redis://") and host in services
    redis = services[host]
    assert redis["image"].startswith("redis:") and "ports" not in redis
    assert "redis-cli" in redis["healthcheck"]["test"]
    assert services["api"]["depends_on"][host] == {"condition": "service_healthy"}
    for network in redis["networks"]:
        assert network in services["api"]["networks"] and compose["networks"][network].get("internal"), network
        assert [name for name, s in services.items() if network in s.get("networks", [])] == ["api", host]


def _dockerfile(path: Path) -> list[tuple[str, str]]:
    """(instruction, arguments) of a Dockerfile, continuation lines joined and comments dropped."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
    text = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(m.group(1).upper(), m.group(2)) for m in re.finditer(r"^(\w+)\s+(.*)$", text, re.M)]


def _installed_extras(path: Path) -> set[str]:
    """The extras of this package that the image's `pip install ".[...]"` steps install."""
    found = re.findall(r"pip install [^&]*?[\"']?\.\[([\w,-]+)\][\"']?", path.read_text(encoding="utf-8"))
    return {extra.strip() for group in found for extra in group.split(",")}


def test_images_install_what_the_deployment_uses():
    """The API image has the Milvus client (RAG_STORE=milvus) and the Redis client (RAG_RATE_LIMIT_STORAGE); the Ray
    image, which ingests into the same Milvus, has the Milvus client; each is an extra of the package."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    api, ray = _installed_extras(ROOT / "Dockerfile"), _installed_extras(DEPLOY / "ray.Dockerfile")
    assert {"milvus", "redis"} <= api, api
    assert "milvus" in ray, ray
    assert api | ray <= set(extras)
    assert any(dep.startswith("limits[redis]") for dep in extras["redis"])


def test_every_path_the_app_writes_is_a_volume(services):
    """Each path the app writes in the image (the index, the keys, feedback and feeds files' folders) is a volume
    that the app's user owns, so nothing written is lost with the container; replicas share keys and feedback."""
    env, volumes, runs = {}, set(), []
    for instruction, arguments in _dockerfile(ROOT / "Dockerfile"):
        if instruction == "ENV":
            env.update(word.split("=", 1) for word in shlex.split(arguments))
        elif instruction == "VOLUME":
            volumes.update(yaml.safe_load(arguments) if arguments.startswith("[") else arguments.split())
        elif instruction == "RUN":
            runs.append(arguments)
    # Path settings: those the app writes, and those it only reads (a new path setting must be placed in one).
    written = {"index_dir": env["RAG_INDEX_DIR"], "keys_file": str(PurePosixPath(env["RAG_KEYS_FILE"]).parent),
               "feedback_path": str(PurePosixPath(env["RAG_FEEDBACK_PATH"]).parent),
               "feeds_path": str(PurePosixPath(env["RAG_FEEDS_PATH"]).parent)}
    read_only = {"corpus_dir", "reader_weights"}
    paths = {name for name, field in Settings.model_fields.items() if "Path" in str(field.annotation)}
    assert paths == set(written) | read_only, paths
    assert set(written.values()) <= volumes, (written, volumes)
    owned = " ".join(re.findall(r"chown (?:-R )?app:app ([^&]+)", " ".join(runs))).split()
    # The index's parent too: writes to a Milvus server take their lock file there.
    for folder in [*written.values(), str(PurePosixPath(env["RAG_INDEX_DIR"]).parent)]:
        assert folder in owned, (folder, owned)
    mounts = {v.split(":")[1]: v.split(":")[0] for v in services["api"]["volumes"]}
    assert mounts.get(written["keys_file"]) == "qa-keys" and mounts.get(written["feedback_path"]) == "qa-feedback"
    assert mounts.get(written["feeds_path"]) == "qa-feeds"


def _ignore_rules(path: Path) -> list[tuple[bool, re.Pattern]]:
    """A .dockerignore as (negated, regex) rules: * and ? within a path segment, ** across segments."""
    rules = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated, pattern = line.startswith("!"), line.lstrip("!").strip("/")
        regex, i = "", 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            else:
                regex += {"*": "[^/]*", "?": "[^/]"}.get(pattern[i], re.escape(pattern[i]))
                i += 1
        rules.append((negated, re.compile(regex + r"\Z")))
    return rules


def _ignored(path: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    """Whether Docker leaves ``path`` out of the build context: the last rule matching it or a folder above it."""
    parts = path.split("/")
    candidates = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
    ignored = False
    for negated, regex in rules:
        if any(regex.match(candidate) for candidate in candidates):
            ignored = not negated
    return ignored


def test_dockerignore_keeps_local_state_out():
    """The image's build context holds what the Dockerfile copies and none of the checkout's virtual environment, git
    history, local index, caches, API keys, feedback or deployment secrets."""
    rules = _ignore_rules(ROOT / ".dockerignore")
    copied = [word for instruction, arguments in _dockerfile(ROOT / "Dockerfile") if instruction == "COPY"
              for word in arguments.split()[:-1] if not word.startswith("--")]
    assert {"app", "corpus", "pyproject.toml", "README.md"} <= set(copied), copied
    seed = sorted(p.name for p in (ROOT / "corpus").iterdir())[0]
    for path in [*copied, "app/__init__.py", "app/static/widget.js", f"corpus/{seed}"]:
        assert not _ignored(path, rules), path
    for path in (".venv/bin/python", ".git/HEAD", "index/manifest.json", "deploy/secrets/qa.env", "keys.json",
                 "feedback.sqlite3", ".pytest_cache/v/cache", "app/__pycache__/cli.cpython-311.pyc",
                 "app/.mypy_cache/x", "border_qa.egg-info/PKG-INFO", "tests/test_deploy.py", "eval/report.json",
                 "app/keys.json", ".env"):
        assert _ignored(path, rules), path
