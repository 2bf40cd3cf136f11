"""ModelArts DeleteAuthorizations: what it calls, what its agency must allow, what it reads."""

from shared import fields
from shared.clients import IAM, MODELARTS
from shared.manifest import SWEEP_SETTINGS, Action, FunctionManifest, flag, items

MANIFEST = FunctionManifest(
    operation="modelarts.delete_authorizations",
    summary="take away users' ModelArts authorization",
    service=MODELARTS,
    api="DELETE /v2/{project_id}/authorizations?user_id=<id|all> (DeleteAuthorizations)",
    # https://support.huaweicloud.com/api-modelarts/DeleteAuthorizations.html, .../GetAuthorizations.html
    actions=(
        Action("modelarts:authorization:delete", "DeleteAuthorizations: the revocation"),
        Action("modelarts:authorization:list", "GetAuthorizations: verify, look again after a failed call, and "
                                               "the sweep's grants"),
        # IAM "Permissions and Supported Actions" (KeystoneListUsers); docs/reference/sweep.md
        Action("iam:users:listUsers", "IAM KeystoneListUsers: the sweep's evidence of which users exist"),
    ),
    reads=(IAM,),
    settings=(
        items("PROTECTED_USER_IDS", "IAM user ids never revoked, in any letter case (reported as skipped_protected)",
              fields.identifier),
        flag("ALLOW_ALL_USERS", 'allow the request {"user_id": "all"}, which revokes every user at once', False),
        *SWEEP_SETTINGS,
    ),
)
