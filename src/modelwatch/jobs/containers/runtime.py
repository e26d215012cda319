"""The command line of a custom monitoring container, per runtime: pure functions that tests can read.

A container sees SageMaker's layout under ``/opt/ml`` (``processing/input/...``, ``processing/output``,
``processing/baseline/...``, ``output/message``, ``output/metrics/cloudwatch``, ``config``). The job
prepares that layout in a local folder (the *root*, standing for ``/opt/ml``) and then

* ``docker`` / ``podman`` (the same CLI): ``{engine} run --rm --name NAME [--network none] [--cpus N
  --memory Mg] -v ROOT/processing:/opt/ml/processing -v ROOT/output:/opt/ml/output
  -v ROOT/config:/opt/ml/config:ro -e K=V ... [--entrypoint EXE] IMAGE [ENTRYPOINT REST] [ARGUMENTS]``;
* ``process``: the entrypoint and arguments run as a local command (no shell), every ``/opt/ml`` path in
  them and in the environment rewritten to the root; an image ``process:package.module`` runs
  ``python -m package.module`` (the interpreter of the job) with the same contract.

``auto`` picks docker, then podman, when one is on PATH and its ``info`` answers (a docker CLI without
a daemon does not), else ``process``. An engine named explicitly is used as it is: its own errors (no
daemon, an image it cannot pull, a registry that refuses) end the execution with its message.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from modelwatch.errors import ConfigurationError

__all__ = [
    "CONTAINER_ROOT",
    "INSTANCE_LIMITS",
    "PROCESS_IMAGE_PREFIX",
    "Launch",
    "Limits",
    "RuntimeName",
    "choose_runtime",
    "container_command",
    "engine_works",
    "process_command",
    "process_environment",
]

CONTAINER_ROOT = "/opt/ml"
"""Where SageMaker's container contract puts everything; the runtimes map it to the job's root folder."""

PROCESS_IMAGE_PREFIX = "process:"
MOUNTS = (("processing", ""), ("output", ""), ("config", ":ro"))
"""The folders of the root mounted into a container (``/opt/ml/{name}``) and their mount options."""

RuntimeName = Literal["process", "docker", "podman"]


@dataclass(frozen=True)
class Limits:
    """A container's resource limits (docker's ``--cpus`` and ``--memory``)."""

    cpus: float
    memory_gib: int


INSTANCE_LIMITS: dict[str, Limits] = {
    "ml.t3.medium": Limits(2, 4),
    "ml.t3.large": Limits(2, 8),
    "ml.t3.xlarge": Limits(4, 16),
    "ml.t3.2xlarge": Limits(8, 32),
    "ml.m5.large": Limits(2, 8),
    "ml.m5.xlarge": Limits(4, 16),
    "ml.m5.2xlarge": Limits(8, 32),
    "ml.m5.4xlarge": Limits(16, 64),
    "ml.m5.12xlarge": Limits(48, 192),
    "ml.m5.24xlarge": Limits(96, 384),
    "ml.c5.large": Limits(2, 4),
    "ml.c5.xlarge": Limits(4, 8),
    "ml.c5.2xlarge": Limits(8, 16),
    "ml.c5.4xlarge": Limits(16, 32),
    "ml.c5.9xlarge": Limits(36, 72),
    "ml.c5.18xlarge": Limits(72, 144),
    "ml.r5.large": Limits(2, 16),
    "ml.r5.xlarge": Limits(4, 32),
    "ml.r5.2xlarge": Limits(8, 64),
    "ml.r5.4xlarge": Limits(16, 128),
}
"""vCPUs and memory of the instance types a ``ClusterConfig`` names (AWS's published sizes); a type not
listed runs without limits."""


@dataclass(frozen=True)
class Launch:
    """One run of a container: what the runtimes turn into a command line."""

    name: str  # the container's name (docker --name), unique per job
    image: str
    root: Path  # the local folder that stands for /opt/ml
    environment: Mapping[str, str] = field(default_factory=dict)
    entrypoint: list[str] | None = None
    arguments: list[str] = field(default_factory=list)
    network: bool = False
    instance_type: str | None = None

    @property
    def limits(self) -> Limits | None:
        return INSTANCE_LIMITS.get(self.instance_type) if self.instance_type else None


def engine_works(engine: str) -> bool:
    """Whether ``{engine} info`` succeeds (a docker CLI without its daemon does not), asked once per
    process."""
    return _engine_works(engine)


@functools.lru_cache(maxsize=4)
def _engine_works(engine: str) -> bool:
    try:
        return subprocess.run([engine, "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def choose_runtime(
    wanted: str,
    *,
    which: Callable[[str], str | None] = shutil.which,
    works: Callable[[str], bool] = engine_works,
) -> RuntimeName:
    """The runtime to use for ``wanted`` (``auto``: docker, then podman, when on PATH and answering
    ``info``, else process); ``which`` finds a program on PATH, ``works`` asks an engine if it runs.

    Raises:
        ConfigurationError: docker or podman is asked for and is not on PATH.
    """
    match wanted:
        case "process":
            return "process"
        case "docker" | "podman":
            if not which(wanted):
                raise ConfigurationError(f"container runtime {wanted!r} is not on PATH")
            return "docker" if wanted == "docker" else "podman"
        case "auto":
            for engine in ("docker", "podman"):
                if which(engine) and works(engine):
                    return "docker" if engine == "docker" else "podman"
            return "process"
        case _:
            raise ConfigurationError(f"unknown container runtime {wanted!r}: process, docker, podman or auto")


def container_command(engine: Literal["docker", "podman"], launch: Launch) -> list[str]:
    """``docker run`` (or ``podman run``) of ``launch``: argv, no shell."""
    argv = [engine, "run", "--rm", "--name", launch.name]
    if not launch.network:
        argv += ["--network", "none"]
    limits = launch.limits
    if limits is not None:
        argv += ["--cpus", f"{limits.cpus:g}", "--memory", f"{limits.memory_gib}g"]
    for folder, options in MOUNTS:
        argv += ["-v", f"{launch.root / folder}:{CONTAINER_ROOT}/{folder}{options}"]
    for key in sorted(launch.environment):
        argv += ["-e", f"{key}={launch.environment[key]}"]
    rest: list[str] = []
    if launch.entrypoint:
        argv += ["--entrypoint", launch.entrypoint[0]]
        rest = launch.entrypoint[1:]
    return [*argv, launch.image, *rest, *launch.arguments]


def local_path(value: str, root: Path) -> str:
    """``value`` with a leading ``/opt/ml`` replaced by ``root`` (other values unchanged)."""
    if value == CONTAINER_ROOT or value.startswith(CONTAINER_ROOT + "/"):
        return str(root) + value[len(CONTAINER_ROOT) :]
    return value


def process_command(launch: Launch, *, python: str = sys.executable) -> list[str]:
    """The local command of ``launch`` under the ``process`` runtime.

    Raises:
        ConfigurationError: the image is not ``process:package.module`` and there is no entrypoint.
    """
    arguments = [local_path(argument, launch.root) for argument in launch.arguments]
    entrypoint = [local_path(part, launch.root) for part in launch.entrypoint or []]
    if launch.image.startswith(PROCESS_IMAGE_PREFIX):
        module = launch.image[len(PROCESS_IMAGE_PREFIX) :]
        if not module or not all(part.isidentifier() for part in module.split(".")):
            raise ConfigurationError(
                f"image {launch.image!r}: expected process:package.module (a Python module to run)"
            )
        return [python, "-m", module, *entrypoint, *arguments]
    if not entrypoint:
        raise ConfigurationError(
            f"image {launch.image!r} cannot run under the process runtime without a ContainerEntrypoint "
            "(or use an image process:package.module)"
        )
    return [*entrypoint, *arguments]


def process_environment(launch: Launch, inherited: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the local command: ``inherited`` (default: this process's, for PATH and the
    like) with the container's variables on top, their ``/opt/ml`` paths rewritten to the root."""
    base = dict(os.environ if inherited is None else inherited)
    return base | {key: local_path(value, launch.root) for key, value in launch.environment.items()}
