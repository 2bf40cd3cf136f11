"""Workspace BatchDeleteAccessPolicies: what it calls, what its agency must allow, what it reads."""

from shared import fields
from shared.clients import WORKSPACE
from shared.manifest import Action, FunctionManifest, flag, integer, items

MANIFEST = FunctionManifest(
    operation="workspace.batch_delete_access_policies",
    summary="delete Workspace access policies by id or by selection",
    service=WORKSPACE,
    api="DELETE /v2/{project_id}/access-policy (BatchDeleteAccessPolicies)",
    # https://support.huaweicloud.com/api-workspace/BatchDeleteAccessPolicies.md, .../ListAccessPolicies.html
    actions=(
        Action("workspace:accessPolicies:delete", "BatchDeleteAccessPolicies: the revocation"),
        Action("workspace:accessPolicies:get", "ListAccessPolicies: selection, and look again after a failed call"),
        # https://support.huaweicloud.com/intl/th-th/api-workspace/ListAccessPolicyObjects.html
        Action("workspace:accessPolicies:getTarget", "ListAccessPolicyObjects: who a blacklist policy holds (the "
                                                     "effect of deleting it)"),
        Action("elb:ipgroups:delete", "required by workspace:accessPolicies:delete (an IP allow-list policy "
                                      "owns an ELB IP group)", called=False),
    ),
    settings=(
        items("PROTECTED_POLICY_IDS", "access policy ids never deleted, in any letter case (reported as "
                                      "skipped_protected)", fields.identifier),
        integer("POLICY_BATCH_SIZE", "policy ids per BatchDeleteAccessPolicies call (the API takes at most 100)",
                100, 1, 100),
        flag("ALLOW_ENABLED_POLICY_DELETION", "allow deleting access policies that are in force (an IP whitelist "
                                              "with is_enable true or absent, and every other policy: deleting "
                                              "one widens access); false: such policies are skipped_in_force",
             False),
    ),
    offboards=False,  # access policies are not a person's: IAM user deletions are ignored
)
