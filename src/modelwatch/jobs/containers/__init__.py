"""How a custom monitoring container runs: the runtimes (``process``, ``docker``, ``podman``) and the
command lines they start (:mod:`modelwatch.jobs.containers.runtime`)."""

from modelwatch.jobs.containers.runtime import (
    CONTAINER_ROOT,
    INSTANCE_LIMITS,
    Launch,
    Limits,
    RuntimeName,
    choose_runtime,
    container_command,
    process_command,
    process_environment,
)

__all__ = [
    "CONTAINER_ROOT",
    "INSTANCE_LIMITS",
    "Launch",
    "Limits",
    "RuntimeName",
    "choose_runtime",
    "container_command",
    "process_command",
    "process_environment",
]
