"""Workspace App BatchDeleteAppGroupAuthorization: what it calls, what its agency must allow, what it reads."""

from shared import fields
from shared.clients import WORKSPACEAPP
from shared.manifest import Action, FunctionManifest, items, text

MANIFEST = FunctionManifest(
    operation="workspaceapp.batch_delete_app_group_authorization",
    summary="remove people from Workspace App application groups",
    service=WORKSPACEAPP,
    api="POST /v1/{project_id}/app-groups/actions/batch-delete-authorization (BatchDeleteAppGroupAuthorization)",
    actions=(
        Action("workspace:appGroup:batchDeleteAuthorization", "BatchDeleteAppGroupAuthorization: the revocation"),
        Action("workspace:appGroup:listAuthorization", "ListAppGroupAuthorization: find a person's groups (*), "
                                                       "and look again after a failed call"),
    ),
    settings=(
        items("PROTECTED_ACCOUNTS", "account names never removed, in any letter case (reported as "
                                    "skipped_protected)", fields.name),
        items("APP_GROUP_IDS", "the application groups people are removed from when a request names none; "
                               "* finds each person's groups"),
        text("WORKSPACE_ACCOUNT_MAPPING",
             'how a deleted IAM user\'s name becomes the Workspace account name on offboarding: "same" (the IAM '
             'user name as is), "domain:<suffix>" (the IAM user name qualified by that domain suffix), "off" '
             "(IAM user deletions remove nobody)", "same",
             pattern=r"^(same|off|domain:@?[A-Za-z0-9][A-Za-z0-9.-]*)$",
             pattern_doc='"same", "off" or "domain:<suffix>"'),
    ),
)
