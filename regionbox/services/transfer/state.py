"""Transfer Family's one typed state: servers, users, workflows, executions, connectors and AS2
certificates, profiles and agreements (documents per account and region), and the lookups every
handler makes with AWS's errors for what is missing."""

from __future__ import annotations

from regionbox.core.errors import ServiceError
from regionbox.core.store import Scope, Store
from regionbox.services.transfer.models import (Access, Agreement, Certificate, Connector, Execution, FileTransfer,
                                                Profile, Server, User, Workflow)


def not_found(message: str, resource: str, resource_type: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, Resource=resource, ResourceType=resource_type)


def exists(message: str, resource: str, resource_type: str) -> ServiceError:
    return ServiceError("ResourceExistsException", message, Resource=resource, ResourceType=resource_type)


def bad_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message)


def user_key(server_id: str, user_name: str) -> str:
    return f"{server_id}/{user_name}"


class TransferState:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.servers = store.collection("transfer.servers", Server)
        self.users = store.collection("transfer.users", User)
        self.workflows = store.collection("transfer.workflows", Workflow)
        self.executions = store.collection("transfer.executions", Execution)
        self.connectors = store.collection("transfer.connectors", Connector)
        self.file_transfers = store.collection("transfer.file_transfers", FileTransfer)
        self.certificates = store.collection("transfer.certificates", Certificate)
        self.profiles = store.collection("transfer.profiles", Profile)
        self.agreements = store.collection("transfer.agreements", Agreement)
        self.accesses = store.collection("transfer.accesses", Access)

    def server(self, scope: Scope, server_id: str) -> Server:
        found = self.servers.get(scope, server_id)
        if found is None:
            raise not_found("Unknown server", server_id, "Server")
        return found

    def server_for(self, scope: Scope, server_id: str, provider: str, refusal: str) -> Server:
        """The server, if its identity provider is ``provider`` (users are for SERVICE_MANAGED,
        accesses for AWS_DIRECTORY_SERVICE); InvalidRequestException saying ``refusal`` otherwise."""
        server = self.server(scope, server_id)
        if server.identity_provider_type != provider:
            raise bad_request(f"Server {server_id} uses the {server.identity_provider_type} identity provider: {refusal}")
        return server

    def user(self, scope: Scope, server_id: str, user_name: str) -> User:
        found = self.users.get(scope, user_key(server_id, user_name))
        if found is None:
            raise not_found("Unknown user", user_name, "User")
        return found

    def users_of(self, scope: Scope, server_id: str) -> list[User]:
        return [user for user in self.users.values(scope) if user.server_id == server_id]

    def save_user(self, scope: Scope, user: User) -> None:
        self.users.put(scope, user_key(user.server_id, user.user_name), user)

    def workflow(self, scope: Scope, workflow_id: str) -> Workflow:
        found = self.workflows.get(scope, workflow_id)
        if found is None:
            raise not_found("Unknown workflow", workflow_id, "Workflow")
        return found

    def connector(self, scope: Scope, connector_id: str) -> Connector:
        found = self.connectors.get(scope, connector_id)
        if found is None:
            raise not_found("Unknown connector", connector_id, "Connector")
        return found

    def certificate(self, scope: Scope, certificate_id: str) -> Certificate:
        found = self.certificates.get(scope, certificate_id)
        if found is None:
            raise not_found("Unknown certificate", certificate_id, "Certificate")
        return found

    def profile(self, scope: Scope, profile_id: str) -> Profile:
        found = self.profiles.get(scope, profile_id)
        if found is None:
            raise not_found("Unknown profile", profile_id, "Profile")
        return found

    def agreement(self, scope: Scope, server_id: str, agreement_id: str) -> Agreement:
        found = self.agreements.get(scope, f"{server_id}/{agreement_id}")
        if found is None:
            raise not_found("Unknown agreement", agreement_id, "Agreement")
        return found

    def execution(self, scope: Scope, workflow_id: str, execution_id: str) -> Execution:
        found = self.executions.get(scope, f"{workflow_id}/{execution_id}")
        if found is None:
            raise not_found("Unknown execution", execution_id, "Execution")
        return found

    def save_execution(self, scope: Scope, execution: Execution) -> None:
        self.executions.put(scope, f"{execution.workflow_id}/{execution.execution_id}", execution)
