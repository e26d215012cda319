"""SageMaker Pipelines' check steps, self-hosted: ``modelwatch quality-check`` (``QualityCheckStep``) and
``modelwatch clarify-check`` (``ClarifyCheckStep``) for any orchestrator.

Each calculates the baseline of a dataset with the engines ``modelwatch baseline`` uses, checks it against
a supplied baseline with the checks the monitoring jobs run, and names the calculated baseline and the one
to check against next under the SDK's property names (:mod:`~modelwatch.check_steps.lifecycle`). The
steps themselves are :func:`~modelwatch.check_steps.data_quality.data_quality_check`,
:func:`~modelwatch.check_steps.model_quality.model_quality_check` and
:func:`~modelwatch.check_steps.clarify.clarify_check`; this package imports only what the command line
needs to register them.
"""

from modelwatch.check_steps.commands import register_check_step_commands
from modelwatch.check_steps.lifecycle import CheckStatus, CheckStepOutcome, CheckType, StepOptions

__all__ = ["CheckStatus", "CheckStepOutcome", "CheckType", "StepOptions", "register_check_step_commands"]
