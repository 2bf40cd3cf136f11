"""The naive way: ordinary imports of each service SDK, a client, one call (shared by child.py and
run.py)."""

NAIVE = {
    "modelarts_delete_authorizations": (
        "from huaweicloudsdkmodelarts.v1 import ModelArtsClient as C, DeleteAuthorizationsRequest as R\n"
        "from huaweicloudsdkmodelarts.v1.region.modelarts_region import ModelArtsRegion as G\n"
        "call = lambda c: c.delete_authorizations(R(user_id='u-bench'))\n"),
    "workspace_batch_delete_access_policies": (
        "from huaweicloudsdkworkspace.v2 import WorkspaceClient as C, BatchDeleteAccessPoliciesRequest as R, "
        "BatchDeleteAccessPoliciesReq as B\n"
        "from huaweicloudsdkworkspace.v2.region.workspace_region import WorkspaceRegion as G\n"
        "call = lambda c: c.batch_delete_access_policies(R(body=B(policy_id_list=['p-bench'])))\n"),
    "workspaceapp_batch_delete_app_group_authorization": (
        "from huaweicloudsdkworkspaceapp.v1 import WorkspaceAppClient as C, "
        "BatchDeleteAppGroupAuthorizationRequest as R, AppGroupAuthorizeReq as B, AccountInfo as A\n"
        "from huaweicloudsdkworkspaceapp.v1.region.workspaceapp_region import WorkspaceAppRegion as G\n"
        "call = lambda c: c.batch_delete_app_group_authorization(R(body=B(app_group_ids=['g-1'], "
        "accounts=[A(account='a', account_type='USER')])))\n"),
}
