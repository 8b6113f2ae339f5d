"""AWS Transfer Family: SFTP, FTPS and FTP servers that store files in S3.

Servers (servers.py, host_keys.py, security_policies.py) listen on loopback addresses of their
own in every AZ they are placed in (endpoints.py); users (users.py) log in with SSH keys, or
through a custom identity provider (identity.py); what they do in S3 is what their role allows
(filesystem.py, SFTP in sftp.py, FTP and FTPS in ftp.py), logged as AWS's structured logs
(activity.py), and uploads start the server's managed workflows (workflows.py, workflow_runs.py).
SFTP connectors (connectors.py, connector_runs.py, remote_sftp.py) are Transfer Family as a client:
they log in to remote SFTP servers with a login kept in Secrets Manager and move files to and
from S3. AS2's certificates (real X.509), profiles and agreements are kept (certificates.py,
profiles.py, agreements.py), but AS2 messages are not exchanged; so are the accesses of
directory groups (accesses.py), though without AWS Directory Service no one logs in through them.
"""

from regionbox.core.service import Service

NOT_SERVED = {
    **dict.fromkeys(
        "CreateWebApp DescribeWebApp ListWebApps UpdateWebApp DeleteWebApp DescribeWebAppCustomization "
        "UpdateWebAppCustomization DeleteWebAppCustomization".split(),
        "Transfer Family web apps need IAM Identity Center, which regionbox does not serve"),
}


def load(cloud) -> Service:
    from regionbox.core import ids
    from regionbox.core.context import RequestContext
    from regionbox.services.transfer.accesses import Accesses
    from regionbox.services.transfer.activity import Activity
    from regionbox.services.transfer.agreements import Agreements
    from regionbox.services.transfer.api import TransferApi
    from regionbox.services.transfer.certificates import Certificates
    from regionbox.services.transfer.connector_runs import ConnectorRuns
    from regionbox.services.transfer.connectors import Connectors
    from regionbox.services.transfer.dataplane import DataPlane
    from regionbox.services.transfer.endpoints import Endpoints
    from regionbox.services.transfer.host_keys import HostKeys
    from regionbox.services.transfer.identity import IdentityProviders
    from regionbox.services.transfer.profiles import Profiles
    from regionbox.services.transfer.remote_sftp import Remote
    from regionbox.services.transfer.resources import resources
    from regionbox.services.transfer.security_policies import SecurityPolicies
    from regionbox.services.transfer.servers import ServerRules, Servers
    from regionbox.services.transfer.state import TransferState
    from regionbox.services.transfer.tags import Tags
    from regionbox.services.transfer.users import Users
    from regionbox.services.transfer.workflow_runs import WorkflowRunner
    from regionbox.services.transfer.workflows import Workflows

    services = cloud.services

    def api(name: str):
        return lambda: services.api(name)

    async def put_object_tagging(caller, region: str, bucket: str, key: str, tags: list[dict]) -> None:
        # S3Api has no tagging call yet: S3's own PutObjectTagging handler, as the wire would run it.
        handler = services.load("s3").operations["PutObjectTagging"]
        ctx = RequestContext(caller=caller, region=region, request_id=ids.request_id(), service="s3",
                             operation="PutObjectTagging")
        result = handler(ctx, {"Bucket": bucket, "Key": key, "Tagging": {"TagSet": tags}})
        if hasattr(result, "__await__"):
            await result

    state = TransferState(cloud.store)
    identity = IdentityProviders(state, services, api("iam"), cloud.credentials)
    runner = WorkflowRunner(state, identity, api("s3"), put_object_tagging, services, api("logs"), cloud.tasks)
    plane = DataPlane(state, identity, Activity(api("logs")), api("s3"), runner)
    endpoints = Endpoints(state, cloud.listeners, plane, cloud.ca, cloud.state_dir / "transfer" / "tls")
    rules = ServerRules(api("ec2"))
    servers = Servers(state, cloud.paginator, rules, endpoints, cloud.tasks, cloud.topology)
    keys = HostKeys(state, cloud.paginator, endpoints.restart)
    users = Users(state, cloud.paginator, api("iam"))
    policies = SecurityPolicies(cloud.paginator)
    tags = Tags(state, cloud.paginator)
    workflows = Workflows(state, cloud.paginator, runner)
    remote = Remote(identity, api("secretsmanager"))
    connectors = Connectors(state, cloud.paginator, remote)
    accesses = Accesses(state, cloud.paginator, api("iam"))
    certificates = Certificates(state, cloud.paginator)
    profiles = Profiles(state, cloud.paginator)
    agreements = Agreements(state, cloud.paginator)
    connector_runs = ConnectorRuns(state, cloud.paginator, remote, identity, api("s3"), api("logs"), cloud.tasks)

    def start() -> None:
        runner.forget_interrupted()
        connector_runs.forget_interrupted()
        servers.restore()

    async def stop() -> None:
        for server_id in list(endpoints.open):
            for listener in endpoints.open.pop(server_id):
                await cloud.listeners.close(listener)

    def reset() -> None:
        endpoints.forget_all()  # the cloud closes every listener itself

    def engines() -> dict[str, str]:
        found = {}
        for (account, region), server_id, server in state.servers.all():
            where = ", ".join(f"{e.zone} {e.address}" + (f" sftp:{e.sftp_port}" if e.sftp_port else "")
                              + (f" ftp:{e.ftp_port}" if e.ftp_port else "") for e in server.endpoints)
            found[f"transfer {server_id}"] = f"{server.state} ({account} {region}) {where}".strip()
        return found

    return Service(
        name="transfer",
        operations={
            # servers
            "CreateServer": servers.create_server,
            "DescribeServer": servers.describe_server,
            "ListServers": servers.list_servers,
            "UpdateServer": servers.update_server,
            "DeleteServer": servers.delete_server,
            "StartServer": servers.start_server,
            "StopServer": servers.stop_server,
            # host keys
            "ImportHostKey": keys.import_host_key,
            "DescribeHostKey": keys.describe_host_key,
            "ListHostKeys": keys.list_host_keys,
            "UpdateHostKey": keys.update_host_key,
            "DeleteHostKey": keys.delete_host_key,
            # security policies
            "DescribeSecurityPolicy": policies.describe_security_policy,
            "ListSecurityPolicies": policies.list_security_policies,
            # users and their SSH keys
            "CreateUser": users.create_user,
            "DescribeUser": users.describe_user,
            "ListUsers": users.list_users,
            "UpdateUser": users.update_user,
            "DeleteUser": users.delete_user,
            "ImportSshPublicKey": users.import_ssh_public_key,
            "DeleteSshPublicKey": users.delete_ssh_public_key,
            "TestIdentityProvider": identity.test_identity_provider,
            # accesses: directory groups of AWS_DIRECTORY_SERVICE servers
            "CreateAccess": accesses.create_access,
            "DescribeAccess": accesses.describe_access,
            "ListAccesses": accesses.list_accesses,
            "UpdateAccess": accesses.update_access,
            "DeleteAccess": accesses.delete_access,
            # workflows and their executions
            "CreateWorkflow": workflows.create_workflow,
            "DescribeWorkflow": workflows.describe_workflow,
            "ListWorkflows": workflows.list_workflows,
            "DeleteWorkflow": workflows.delete_workflow,
            "ListExecutions": workflows.list_executions,
            "DescribeExecution": workflows.describe_execution,
            "SendWorkflowStepState": workflows.send_workflow_step_state,
            # SFTP connectors
            "CreateConnector": connectors.create_connector,
            "DescribeConnector": connectors.describe_connector,
            "ListConnectors": connectors.list_connectors,
            "UpdateConnector": connectors.update_connector,
            "DeleteConnector": connectors.delete_connector,
            "TestConnection": connectors.test_connection,
            "StartFileTransfer": connector_runs.start_file_transfer,
            "ListFileTransferResults": connector_runs.list_file_transfer_results,
            "StartDirectoryListing": connector_runs.start_directory_listing,
            "StartRemoteDelete": connector_runs.start_remote_delete,
            "StartRemoteMove": connector_runs.start_remote_move,
            # AS2 certificates, profiles and agreements (configuration: no AS2 message exchange)
            "ImportCertificate": certificates.import_certificate,
            "DescribeCertificate": certificates.describe_certificate,
            "ListCertificates": certificates.list_certificates,
            "UpdateCertificate": certificates.update_certificate,
            "DeleteCertificate": certificates.delete_certificate,
            "CreateProfile": profiles.create_profile,
            "DescribeProfile": profiles.describe_profile,
            "ListProfiles": profiles.list_profiles,
            "UpdateProfile": profiles.update_profile,
            "DeleteProfile": profiles.delete_profile,
            "CreateAgreement": agreements.create_agreement,
            "DescribeAgreement": agreements.describe_agreement,
            "ListAgreements": agreements.list_agreements,
            "UpdateAgreement": agreements.update_agreement,
            "DeleteAgreement": agreements.delete_agreement,
            # tags
            "TagResource": tags.tag_resource,
            "UntagResource": tags.untag_resource,
            "ListTagsForResource": tags.list_tags_for_resource,
        },
        not_implemented=NOT_SERVED,
        api=TransferApi(state),
        start=start,
        stop=stop,
        reset=reset,
        engines=engines,
        resources=resources,
    )
