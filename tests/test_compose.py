"""docker-compose.yml, the Dockerfiles and .env.example, checked without Docker.

No Docker engine runs where the tests run, so `docker compose config` is replaced by:
the Compose Specification's own JSON schema (tests/data/compose-spec.json), and checks the
schema cannot make - build contexts and Dockerfiles exist, each image's command points at
a module that is really copied into it, the backend gets its required variables, and
.env.example lists every variable the code reads.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_PATH = ROOT / "tests" / "data" / "compose-spec.json"
COMPOSE_PATH = ROOT / "docker-compose.yml"
BACKEND_REQUIRED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")


def load_compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))


def compose_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def build_of(service: dict[str, Any]) -> tuple[Path, Path] | None:
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        build = {"context": build}
    context = (ROOT / build.get("context", ".")).resolve()
    return context, context / build.get("dockerfile", "Dockerfile")


# --- a small Dockerfile reader: which container path comes from which repository path ---


class Image:
    def __init__(self, dockerfile: Path, context: Path):
        self.copies: list[tuple[PurePosixPath, Path]] = []  # (container dir/file, source)
        self.workdir = PurePosixPath("/")
        self.cmd: list[str] = []
        for instruction, args in _instructions(dockerfile.read_text(encoding="utf-8")):
            if instruction == "WORKDIR":
                self.workdir = self.workdir / args
            elif instruction == "COPY":
                words = shlex.split(args)
                if any(w.startswith("--from") for w in words):
                    continue  # from another stage, not from the repository
                *sources, dest = [w for w in words if not w.startswith("--")]
                target = self.workdir / dest
                into_dir = dest.endswith("/") or dest in {".", "./"} or len(sources) > 1
                for source in sources:
                    src = context / source
                    if into_dir and src.is_file():
                        self.copies.append((target / src.name, src))
                    else:
                        self.copies.append((target, src))
            elif instruction == "CMD":
                self.cmd = json.loads(args)

    def source_of(self, container_path: PurePosixPath) -> Path | None:
        """The repository file that ends up at `container_path`, if some COPY puts one there."""
        for target, src in sorted(self.copies, key=lambda c: len(c[0].parts), reverse=True):
            if container_path == target:
                return src
            if target in container_path.parents:
                return src / container_path.relative_to(target)
        return None

    def module_source(self, module: str) -> Path | None:
        """Where `import module` (run in WORKDIR) comes from in the repository."""
        dotted = module.split(":", 1)[0]
        path = self.workdir / (dotted.replace(".", "/") + ".py")
        src = self.source_of(path)
        return src if src is not None and src.is_file() else None


def _instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        result.append((instruction.upper(), args.strip()))
    return result


def app_module(command: list[str]) -> str:
    """The module a gunicorn or celery command line imports."""
    if command[0] == "gunicorn":
        return next(a for a in command[1:] if not a.startswith("-") and ("." in a or ":" in a))
    if command[0] == "celery":
        return command[command.index("-A") + 1]
    if command[:2] == ["python", "manage.py"]:
        return "manage"
    raise AssertionError(f"unknown command {command}")


def env_names_in_example() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def env_names_read_by_code() -> dict[str, str]:
    """NAME -> a file that reads it: Python env helpers and os.environ in backend/storefront,
    `${NAME:-...}` defaults in scripts/dev, and interpolations in docker-compose.yml."""
    found: dict[str, str] = {}
    python_read = re.compile(
        r"""(?:env_[a-z]+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
        r"""|os\.environ\[\s*["']([A-Z][A-Z0-9_]*)["']\s*\](?!\s*=[^=])"""
    )
    for folder in ("backend", "storefront"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for match in python_read.finditer(path.read_text(encoding="utf-8")):
                found.setdefault(match.group(1) or match.group(2), str(path.relative_to(ROOT)))
    shell_read = re.compile(r"\$\{([A-Z][A-Z0-9_]*)(?::?[-?+=][^}]*)?\}")
    for relative in ("scripts/dev", "docker-compose.yml"):
        text = (ROOT / relative).read_text(encoding="utf-8")
        for name in shell_read.findall(text):
            found.setdefault(name, relative)
    return found


# --- the compose file ------------------------------------------------------------------


def test_compose_file_is_valid_against_the_compose_specification():
    assert compose_errors(load_compose()) == []


def test_the_schema_check_rejects_a_misspelt_service_key():
    # given the real file with a typo in one service
    document = load_compose()
    document["services"]["backend"]["enviroment"] = {"DEBUG": "0"}
    # then the schema check reports it (it is not a check that accepts anything)
    errors = compose_errors(document)
    assert len(errors) == 1
    assert errors[0].startswith("services/backend:")
    assert "enviroment" in errors[0]


def test_compose_has_the_services_of_the_production_stack():
    services = load_compose()["services"]
    assert {"postgres", "redis", "backend", "worker", "storefront"} <= set(services)
    assert re.fullmatch(r"postgres:1[67](\..*)?", services["postgres"]["image"])
    assert services["redis"]["image"].startswith("redis:")
    for name in ("postgres", "redis", "backend", "worker", "storefront"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"


def test_every_build_context_and_dockerfile_exists():
    services = load_compose()["services"]
    built = {name: build_of(s) for name, s in services.items() if build_of(s)}
    assert {"backend", "worker", "storefront"} <= set(built)
    for name, (context, dockerfile) in built.items():
        assert context.is_dir(), f"{name}: build context {context} missing"
        assert dockerfile.is_file(), f"{name}: {dockerfile} missing"
        assert (context / "requirements.txt").is_file(), f"{name}: context lacks requirements.txt"


@pytest.mark.parametrize("name", ["backend", "worker", "migrate"])
def test_backend_processes_get_the_required_environment(name):
    service = load_compose()["services"][name]
    environment = service["environment"]
    for variable in BACKEND_REQUIRED:
        assert environment.get(variable), f"{name} lacks {variable}"
    # a secret is never defaulted: compose refuses to start without it
    assert environment["SECRET_KEY"] == "${SECRET_KEY:?set SECRET_KEY}"
    assert environment["DEBUG"] == "0"
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert "@postgres:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert "backend" in environment["ALLOWED_HOSTS"]  # the storefront calls http://backend:8000


def test_storefront_reaches_the_backend_by_its_service_name():
    services = load_compose()["services"]
    environment = services["storefront"]["environment"]
    assert environment["BACKEND_URL"] == "http://backend:8000"
    assert environment["SECRET_KEY"].startswith("${STOREFRONT_SECRET_KEY:?")
    assert environment["DEBUG"] == "0"
    assert services["storefront"]["depends_on"]["backend"]["condition"] == "service_healthy"


def test_named_volumes_are_declared():
    document = load_compose()
    declared = set(document["volumes"])
    for name, service in document["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"
    assert {"pgdata", "media"} <= declared


# --- the images -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["backend", "worker", "migrate", "storefront"])
def test_each_service_command_imports_a_module_copied_into_its_image(name):
    service = load_compose()["services"][name]
    context, dockerfile = build_of(service)
    image = Image(dockerfile, context)
    command = service.get("command") or image.cmd
    module = app_module(command)
    source = image.module_source(module)
    assert source is not None, f"{name}: {module} is not copied into the image"
    if command[0] == "gunicorn":
        assert re.search(r"^application\s*=", source.read_text(encoding="utf-8"), re.MULTILINE)


def test_backend_image_cmd_is_gunicorn_on_config_wsgi_as_a_non_root_user():
    context, dockerfile = build_of(load_compose()["services"]["backend"])
    image = Image(dockerfile, context)
    assert image.cmd[0] == "gunicorn"
    assert app_module(image.cmd) == "config.wsgi"
    assert image.module_source("config.wsgi") == ROOT / "backend" / "config" / "wsgi.py"
    text = dockerfile.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim", text, re.MULTILINE)
    assert "pip install -r requirements.txt" in text
    assert "collectstatic" in text
    users = re.findall(r"^USER (\S+)", text, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}


def test_module_lookup_reports_a_module_that_is_not_in_the_image():
    context, dockerfile = build_of(load_compose()["services"]["backend"])
    image = Image(dockerfile, context)
    assert image.module_source("config.wsgi_missing") is None
    # storefront code is not copied into the backend image
    assert image.module_source("shop.views") is None


# --- .env.example ------------------------------------------------------------------------


def test_env_example_lists_every_variable_the_code_reads():
    read = env_names_read_by_code()
    # the scan finds what it should (so an empty result cannot pass silently)
    expected = {"DATABASE_URL", "SECRET_KEY", "BACKEND_URL", "BACKEND_PORT", "POSTGRES_PASSWORD"}
    assert expected <= set(read)
    missing = {name: where for name, where in read.items() if name not in env_names_in_example()}
    assert missing == {}, f"add these to .env.example: {missing}"


def test_env_example_names_the_variables_other_parts_rely_on():
    names = env_names_in_example()
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "ELASTICSEARCH_URL",
        "SECRET_KEY",
        "DEBUG",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "BACKEND_URL",
    ):
        assert name in names
