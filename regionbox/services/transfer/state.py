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


def _existing(collection, scope: Scope, key: str, resource: str, kind: str):
    """The stored ``kind`` at ``key``, or Transfer's ResourceNotFoundException ("Unknown <kind>")."""
    found = collection.get(scope, key)
    if found is None:
        raise not_found(f"Unknown {kind.lower()}", resource, kind)
    return found


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
        return _existing(self.servers, scope, server_id, server_id, "Server")

    def server_for(self, scope: Scope, server_id: str, provider: str, refusal: str) -> Server:
        """The server, if its identity provider is ``provider`` (users are for SERVICE_MANAGED,
        accesses for AWS_DIRECTORY_SERVICE); InvalidRequestException saying ``refusal`` otherwise."""
        server = self.server(scope, server_id)
        if server.identity_provider_type != provider:
            raise bad_request(f"Server {server_id} uses the {server.identity_provider_type} identity provider: {refusal}")
        return server

    def user(self, scope: Scope, server_id: str, user_name: str) -> User:
        return _existing(self.users, scope, user_key(server_id, user_name), user_name, "User")

    def users_of(self, scope: Scope, server_id: str) -> list[User]:
        return [user for user in self.users.values(scope) if user.server_id == server_id]

    def save_user(self, scope: Scope, user: User) -> None:
        self.users.put(scope, user_key(user.server_id, user.user_name), user)

    def workflow(self, scope: Scope, workflow_id: str) -> Workflow:
        return _existing(self.workflows, scope, workflow_id, workflow_id, "Workflow")

    def connector(self, scope: Scope, connector_id: str) -> Connector:
        return _existing(self.connectors, scope, connector_id, connector_id, "Connector")

    def certificate(self, scope: Scope, certificate_id: str) -> Certificate:
        return _existing(self.certificates, scope, certificate_id, certificate_id, "Certificate")

    def profile(self, scope: Scope, profile_id: str) -> Profile:
        return _existing(self.profiles, scope, profile_id, profile_id, "Profile")

    def agreement(self, scope: Scope, server_id: str, agreement_id: str) -> Agreement:
        return _existing(self.agreements, scope, f"{server_id}/{agreement_id}", agreement_id, "Agreement")

    def execution(self, scope: Scope, workflow_id: str, execution_id: str) -> Execution:
        return _existing(self.executions, scope, f"{workflow_id}/{execution_id}", execution_id, "Execution")

    def save_execution(self, scope: Scope, execution: Execution) -> None:
        self.executions.put(scope, f"{execution.workflow_id}/{execution.execution_id}", execution)
