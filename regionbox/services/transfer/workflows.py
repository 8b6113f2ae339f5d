"""Managed workflows: CreateWorkflow, DescribeWorkflow, ListWorkflows, DeleteWorkflow, and what
can be seen of their executions (ListExecutions, DescribeExecution: in-progress executions only,
as AWS documents) and SendWorkflowStepState, which a custom step's function calls to say how its
step went. Executions run in workflow_runs.py."""

from __future__ import annotations

import secrets

from regionbox.core.context import RequestContext
from regionbox.core.errors import invalid
from regionbox.core.pagination import PageRule, Paginator
from regionbox.services.transfer.models import Execution, Workflow
from regionbox.services.transfer.state import TransferState, bad_request, not_found

RULE = PageRule(out_of_range=lambda n: invalid(f"MaxResults {n} is out of range [1, 1000]"), default=1000, maximum=1000)
MAX_STEPS = 8
DETAILS = {"COPY": "CopyStepDetails", "CUSTOM": "CustomStepDetails", "TAG": "TagStepDetails",
           "DELETE": "DeleteStepDetails", "DECRYPT": "DecryptStepDetails"}
SOURCES = ("${original.file}", "${previous.file}")


def _check_steps(steps: list[dict], what: str) -> None:
    if len(steps) > MAX_STEPS:
        raise bad_request(f"A workflow can have at most {MAX_STEPS} {what}")
    for step in steps:
        kind = step.get("Type")
        if kind not in DETAILS:
            raise bad_request("Each step must have a Type: COPY, CUSTOM, TAG, DELETE or DECRYPT")
        details = step.get(DETAILS[kind])
        if details is None or any(step.get(other) for k, other in DETAILS.items() if k != kind):
            raise bad_request(f"A {kind} step takes {DETAILS[kind]} and no other step details")
        source = details.get("SourceFileLocation")
        if source and source not in SOURCES:
            raise bad_request(f"Invalid SourceFileLocation {source}: use ${{original.file}} or ${{previous.file}}")
        if kind == "COPY" and not (details.get("DestinationFileLocation") or {}).get("S3FileLocation"):
            raise bad_request("A COPY step needs DestinationFileLocation.S3FileLocation (Bucket and Key)")
        if kind == "CUSTOM" and not details.get("Target"):
            raise bad_request("A CUSTOM step needs a Target (a Lambda function ARN)")
        if kind == "TAG" and not details.get("Tags"):
            raise bad_request("A TAG step needs Tags")


class Workflows:
    def __init__(self, state: TransferState, paginator: Paginator, runner) -> None:
        self.state = state
        self.paginator = paginator
        self.runner = runner  # WorkflowRunner: SendWorkflowStepState reaches a waiting custom step

    def create_workflow(self, ctx: RequestContext, params: dict) -> dict:
        _check_steps(params["Steps"], "steps")
        _check_steps(params.get("OnExceptionSteps") or [], "exception steps")
        workflow_id = "w-" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(17))
        workflow = Workflow(workflow_id=workflow_id, arn=ctx.arn("transfer", f"workflow/{workflow_id}"),
                            steps=params["Steps"], on_exception_steps=params.get("OnExceptionSteps") or [],
                            description=params.get("Description") or "", tags=list(params.get("Tags") or []),
                            structured_log_destinations=list(params.get("StructuredLogDestinations") or []))
        self.state.workflows.put(ctx.scope, workflow_id, workflow)
        ctx.touched("AWS::Transfer::Workflow", workflow_id)
        return {"WorkflowId": workflow_id}

    def describe_workflow(self, ctx: RequestContext, params: dict) -> dict:
        workflow = self.state.workflow(ctx.scope, params["WorkflowId"])
        shape = {"Arn": workflow.arn, "WorkflowId": workflow.workflow_id, "Steps": workflow.steps,
                 "OnExceptionSteps": workflow.on_exception_steps, "Tags": workflow.tags}
        if workflow.description:
            shape["Description"] = workflow.description
        if workflow.structured_log_destinations:
            shape["StructuredLogDestinations"] = workflow.structured_log_destinations
        return {"Workflow": shape}

    def list_workflows(self, ctx: RequestContext, params: dict) -> dict:
        page, token = self.paginator.paginate(self.state.workflows.values(ctx.scope), params, RULE)
        listed = [{"WorkflowId": w.workflow_id, "Arn": w.arn, **({"Description": w.description} if w.description else {})}
                  for w in page]
        return {"Workflows": listed, **({"NextToken": token} if token else {})}

    def delete_workflow(self, ctx: RequestContext, params: dict) -> dict:
        workflow = self.state.workflow(ctx.scope, params["WorkflowId"])
        self.state.workflows.delete(ctx.scope, workflow.workflow_id)
        ctx.touched("AWS::Transfer::Workflow", workflow.workflow_id)
        return {}

    # -- executions ------------------------------------------------------------------------------
    @staticmethod
    def _listed(execution: Execution) -> dict:
        return {"ExecutionId": execution.execution_id, "InitialFileLocation": execution.initial_file,
                "ServiceMetadata": {"UserDetails": execution.user}, "Status": execution.status}

    def list_executions(self, ctx: RequestContext, params: dict) -> dict:
        workflow = self.state.workflow(ctx.scope, params["WorkflowId"])
        running = [e for e in self.state.executions.values(ctx.scope) if e.workflow_id == workflow.workflow_id]
        page, token = self.paginator.paginate(running, params, RULE, query=workflow.workflow_id)
        return {"WorkflowId": workflow.workflow_id, "Executions": [self._listed(e) for e in page],
                **({"NextToken": token} if token else {})}

    def describe_execution(self, ctx: RequestContext, params: dict) -> dict:
        self.state.workflow(ctx.scope, params["WorkflowId"])
        execution = self.state.execution(ctx.scope, params["WorkflowId"], params["ExecutionId"])
        shape = {**self._listed(execution), "ExecutionRole": execution.execution_role,
                 "Results": {"Steps": execution.steps, "OnExceptionSteps": execution.exception_steps}}
        if execution.logging:
            shape["LoggingConfiguration"] = execution.logging
        if execution.posix_profile:
            shape["PosixProfile"] = execution.posix_profile
        return {"WorkflowId": execution.workflow_id, "Execution": shape}

    def send_workflow_step_state(self, ctx: RequestContext, params: dict) -> dict:
        self.state.workflow(ctx.scope, params["WorkflowId"])
        execution = self.state.executions.get(ctx.scope, f"{params['WorkflowId']}/{params['ExecutionId']}")
        if execution is None:
            raise not_found("Unknown execution", params["ExecutionId"], "Execution")
        if not self.runner.resolve(execution.execution_id, params["Token"], params["Status"]):
            raise bad_request("Invalid token: no step of this execution is waiting for it")
        return {}
