"""codepipeline's errors, named and coded as AWS answers them (the service model's exception shapes)."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class ActionNotFoundException(ServiceError):
    """The specified action cannot be found."""


class ApprovalAlreadyCompletedException(ServiceError):
    """The approval action has already been approved or rejected."""


class ConflictException(ServiceError):
    """Your request cannot be handled because the pipeline is busy handling ongoing activities."""


class DuplicatedStopRequestException(ServiceError):
    """The pipeline execution is already in a Stopping state."""


class InvalidActionDeclarationException(ServiceError):
    """The action declaration was specified in an invalid format."""


class InvalidApprovalTokenException(ServiceError):
    """The approval request already received a response or has expired."""


class InvalidArnException(ServiceError):
    """The specified resource ARN is invalid."""


class InvalidStageDeclarationException(ServiceError):
    """The stage declaration was specified in an invalid format."""


class InvalidStructureException(ServiceError):
    """The structure was specified in an invalid format."""


class InvalidTagsException(ServiceError):
    """The specified resource tags are invalid."""


class NotLatestPipelineExecutionException(ServiceError):
    """The stage has failed in a later run of the pipeline and the pipelineExecutionId associated with the request is out of date."""


class PipelineExecutionNotFoundException(ServiceError):
    """The pipeline execution was specified in an invalid format or cannot be found, or an execution ID does not belong to the specified pipeline."""


class PipelineExecutionNotStoppableException(ServiceError):
    """Unable to stop the pipeline execution."""


class PipelineNameInUseException(ServiceError):
    """The specified pipeline name is already in use."""


class PipelineNotFoundException(ServiceError):
    """The pipeline was specified in an invalid format or cannot be found."""


class PipelineVersionNotFoundException(ServiceError):
    """The pipeline version was specified in an invalid format or cannot be found."""


class ResourceNotFoundException(ServiceError):
    """The resource was specified in an invalid format."""


class StageNotFoundException(ServiceError):
    """The stage was specified in an invalid format or cannot be found."""


class StageNotRetryableException(ServiceError):
    """Unable to retry."""


class TooManyTagsException(ServiceError):
    """The tags limit for a resource has been exceeded."""


class ValidationException(ServiceError):
    """The validation was specified in an invalid format."""


class UnableToRollbackStageException(ServiceError):
    """Unable to roll back the stage (pipeline version changed, stage running, or a bad target execution)."""


class PipelineExecutionOutdatedException(ServiceError):
    """The specified pipeline execution is outdated and cannot be used as a target pipeline execution for rollback."""


class ConditionNotOverridableException(ServiceError):
    """Unable to override because the condition does not allow overrides."""
