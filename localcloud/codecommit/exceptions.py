"""codecommit's errors, named and coded as AWS answers them (the service model's exception shapes)."""
from __future__ import annotations

from localcloud.exceptions import ServiceError


class BlobIdDoesNotExistException(ServiceError):
    """The specified blob does not exist."""


class BranchDoesNotExistException(ServiceError):
    """The specified branch does not exist."""


class BranchNameExistsException(ServiceError):
    """Cannot create the branch with the specified name because the commit conflicts with an existing branch with the same name."""


class BranchNameRequiredException(ServiceError):
    """A branch name is required, but was not specified."""


class BranchNameIsTagNameException(ServiceError):
    """The specified branch name is not valid because it is a tag name."""


class CommitDoesNotExistException(ServiceError):
    """The specified commit does not exist or no commit was specified, and the specified repository has no default branch."""


class CommitIdDoesNotExistException(ServiceError):
    """The specified commit ID does not exist."""


class CommitIdRequiredException(ServiceError):
    """A commit ID was not specified."""


class CommitMessageLengthExceededException(ServiceError):
    """The commit message is too long."""


class DefaultBranchCannotBeDeletedException(ServiceError):
    """The specified branch is the default branch for the repository, and cannot be deleted."""


class DirectoryNameConflictsWithFileNameException(ServiceError):
    """A file cannot be added to the repository because the specified path name has the same name as a file that already exists in this repository."""


class FileContentAndSourceFileSpecifiedException(ServiceError):
    """The commit cannot be created because both a source file and file content have been specified for the same file."""


class FileContentRequiredException(ServiceError):
    """The file cannot be added because it is empty."""


class FileContentSizeLimitExceededException(ServiceError):
    """The file cannot be added because it is too large."""


class FileDoesNotExistException(ServiceError):
    """The specified file does not exist."""


class FileEntryRequiredException(ServiceError):
    """The commit cannot be created because no files have been specified as added, updated, or changed (PutFile or DeleteFile) for the commit."""


class FileModeRequiredException(ServiceError):
    """The commit cannot be created because no file mode has been specified."""


class FileNameConflictsWithDirectoryNameException(ServiceError):
    """A file cannot be added to the repository because the specified file name has the same name as a directory in this repository."""


class FileTooLargeException(ServiceError):
    """The specified file exceeds the file size limit for CodeCommit."""


class FolderDoesNotExistException(ServiceError):
    """The specified folder does not exist."""


class InvalidBlobIdException(ServiceError):
    """The specified blob is not valid."""


class InvalidBranchNameException(ServiceError):
    """The specified reference name is not valid."""


class InvalidCommitIdException(ServiceError):
    """The specified commit ID is not valid."""


class InvalidEmailException(ServiceError):
    """The specified email address either contains one or more characters that are not allowed, or it exceeds the maximum number of characters allowed for an email address."""


class InvalidMaxResultsException(ServiceError):
    """The specified number of maximum results is not valid."""


class InvalidParentCommitIdException(ServiceError):
    """The parent commit ID is not valid."""


class InvalidPathException(ServiceError):
    """The specified path is not valid."""


class InvalidRepositoryNameException(ServiceError):
    """A specified repository name is not valid."""


class InvalidResourceArnException(ServiceError):
    """The value for the resource ARN is not valid."""


class InvalidSystemTagUsageException(ServiceError):
    """The specified tag is not valid."""


class MaximumFileEntriesExceededException(ServiceError):
    """The number of specified files to change as part of this commit exceeds the maximum number of files that can be changed in a single commit."""


class MaximumRepositoryNamesExceededException(ServiceError):
    """The maximum number of allowed repository names was exceeded."""


class NameLengthExceededException(ServiceError):
    """The user name is not valid because it has exceeded the character limit for author names."""


class NoChangeException(ServiceError):
    """The commit cannot be created because no changes will be made to the repository as a result of this commit."""


class ParentCommitDoesNotExistException(ServiceError):
    """The parent commit ID is not valid because it does not exist."""


class ParentCommitIdOutdatedException(ServiceError):
    """The file could not be added because the provided parent commit ID is not the current tip of the specified branch."""


class ParentCommitIdRequiredException(ServiceError):
    """A parent commit ID is required."""


class PathDoesNotExistException(ServiceError):
    """The specified path does not exist."""


class PathRequiredException(ServiceError):
    """The folderPath for a location cannot be null."""


class PutFileEntryConflictException(ServiceError):
    """The commit cannot be created because one or more files specified in the commit reference both a file and a folder."""


class RepositoryDoesNotExistException(ServiceError):
    """The specified repository does not exist."""


class RepositoryNameExistsException(ServiceError):
    """The specified repository name already exists."""


class RepositoryNameRequiredException(ServiceError):
    """A repository name is required, but was not specified."""


class ResourceArnRequiredException(ServiceError):
    """A valid Amazon Resource Name (ARN) for an CodeCommit resource is required."""


class RestrictedSourceFileException(ServiceError):
    """The commit cannot be created because one of the changes specifies copying or moving a .gitkeep file."""


class SameFileContentException(ServiceError):
    """The file was not added or updated because the content of the file is exactly the same as the content of that file in the repository and branch that you specified."""


class SamePathRequestException(ServiceError):
    """The commit cannot be created because one or more changes in this commit duplicate actions in the same file path."""


class SourceFileOrContentRequiredException(ServiceError):
    """The commit cannot be created because no source files or file content have been specified for the commit."""


class TooManyTagsException(ServiceError):
    """The maximum number of tags for an CodeCommit resource has been exceeded."""
