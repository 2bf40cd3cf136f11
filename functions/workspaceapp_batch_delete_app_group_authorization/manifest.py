"""Workspace App BatchDeleteAppGroupAuthorization: what it calls, what its agency must allow, what it reads."""

from shared import fields
from shared.clients import WORKSPACE, WORKSPACEAPP
from shared.manifest import SWEEP_SETTINGS, Action, FunctionManifest, items, text

MANIFEST = FunctionManifest(
    operation="workspaceapp.batch_delete_app_group_authorization",
    summary="remove people from Workspace App application groups",
    service=WORKSPACEAPP,
    api="POST /v1/{project_id}/app-groups/actions/batch-delete-authorization (BatchDeleteAppGroupAuthorization)",
    actions=(
        Action("workspace:appGroup:batchDeleteAuthorization", "BatchDeleteAppGroupAuthorization: the revocation"),
        Action("workspace:appGroup:listAuthorization", "ListAppGroupAuthorization: every pair's evidence (was "
                                                       "it there), a person's groups (*), and look again after a "
                                                       "failed call"),
        Action("workspace:appGroup:list", "ListAppGroup: which groups still exist after a removal call failed"),
        # Workspace API reference, ListUsers and ListUserGroups; docs/reference/sweep.md
        Action("workspace:users:list", "Workspace ListUsers: the sweep's evidence of which users exist"),
        Action("workspace:userGroups:list", "Workspace ListUserGroups: the sweep's evidence of which user groups "
                                            "exist"),
    ),
    reads=(WORKSPACE,),
    settings=(
        items("PROTECTED_ACCOUNTS", "account names never removed, in any letter case (reported as "
                                    "skipped_protected)", fields.name),
        items("APP_GROUP_IDS", "the application groups people are removed from when a request names none; "
                               "* finds each person's groups"),
        text("WORKSPACE_ACCOUNT_MAPPING",
             'how a deleted IAM user\'s name (CTS deleteUser) becomes the Workspace App account removed: "same" '
             '(the IAM user name as is), "suffix:<text>" (the name with the text appended, e.g. '
             'suffix:@corp.example), "domain:<domain>" (the name as is, with AccountInfo.domain set), "off" (IAM '
             "user deletions are ignored, with the reason)", "same",
             pattern=r"(?i)^(same|off|suffix:\S.*|domain:\S.*)$",
             pattern_doc='"same", "off", "suffix:<text>" or "domain:<domain>"'),
        *SWEEP_SETTINGS,
    ),
)
