"""API Gateway (REST APIs).

The control plane keeps APIs (resources, methods, integrations, models, request validators,
authorizers, gateway responses, documentation), deployments and stages, API keys, usage plans and
their usage, tags; OpenAPI documents import and export. The data plane (invoke.py) serves deployed
stages at their invoke URLs with what AWS enforces (signatures and IAM, authorizers, API keys,
throttles, quotas, request validation), stage caches and canaries, and answers from MOCK
integrations or real HTTP backends (integrate.py); stages write access logs to CloudWatch Logs.
"""

from regionbox.core.service import Service
from regionbox.protocol.dialect import Dialect

# API Gateway answers input that breaks the model (an enum, a missing member) with BadRequestException.
DIALECT = Dialect(validation_code="BadRequestException")

_DOMAINS = ("access associations are for private custom domain names, which need VPC endpoints (PrivateLink) "
            "that regionbox does not serve")
UNSUPPORTED = {
    **{op: _DOMAINS for op in ("CreateDomainNameAccessAssociation", "DeleteDomainNameAccessAssociation",
                               "GetDomainNameAccessAssociations", "RejectDomainNameAccessAssociation")},
    "GetSdk": "client SDK generation is not built: AWS's SDKs are Swagger-codegen projects with AWS's signing "
              "runtime per language; generate one from GetExport's OpenAPI document instead",
}


def load(cloud) -> Service:
    from regionbox.services.apigateway.access import iam_actions, resources
    from regionbox.services.apigateway.access_logs import AccessLogs
    from regionbox.services.apigateway.api import ApiGatewayApi
    from regionbox.services.apigateway.account import Accounts
    from regionbox.services.apigateway.apikeys import ApiKeys
    from regionbox.services.apigateway.authorizers import Authorizers, ResultCache
    from regionbox.services.apigateway.cache import StageCache
    from regionbox.services.apigateway.client_certificates import ClientCertificates
    from regionbox.services.apigateway.deployments import Deployments
    from regionbox.services.apigateway.domains import Domains
    from regionbox.services.apigateway.documentation import Documentation
    from regionbox.services.apigateway.export import Exports
    from regionbox.services.apigateway.http_client import HttpClient
    from regionbox.services.apigateway.integrate import Integrator
    from regionbox.services.apigateway.integrations import Integrations
    from regionbox.services.apigateway.invoke import Invoker
    from regionbox.services.apigateway.lambda_proxy import LambdaProxy
    from regionbox.services.apigateway.methods import Methods
    from regionbox.services.apigateway.openapi import OpenApi
    from regionbox.services.apigateway.responses import GatewayResponses
    from regionbox.services.apigateway.restapis import RestApis
    from regionbox.services.apigateway.schemas import Schemas
    from regionbox.services.apigateway.sdks import Sdks
    from regionbox.services.apigateway.signed_calls import SignedCalls
    from regionbox.services.apigateway.stages import Stages
    from regionbox.services.apigateway.state import ApiGatewayState
    from regionbox.services.apigateway.tags import Tags
    from regionbox.services.apigateway.throttling import Throttles
    from regionbox.services.apigateway.tryout import TryOut
    from regionbox.services.apigateway.usage_plans import UsagePlans
    from regionbox.services.apigateway.vpc_links import VpcLinks

    state = ApiGatewayState(cloud.store)
    throttles = Throttles()
    client = HttpClient(trusted_ca=lambda: cloud.ca.ensure())
    apis = RestApis(state, cloud.paginator)
    methods = Methods(state)
    integrations = Integrations(state)
    stages = Stages(state)
    deployments = Deployments(state, cloud.paginator, stages)
    plans = UsagePlans(state, cloud.paginator)
    keys = ApiKeys(state, cloud.paginator, plans)
    schemas = Schemas(state, cloud.paginator)
    authorizer_cache = ResultCache()
    documentation = Documentation(state, cloud.paginator)
    openapi = OpenApi(state, apis)
    exports = Exports(state)
    responses = GatewayResponses(state, cloud.paginator)
    tags = Tags(state)
    sdks = Sdks(cloud.paginator)
    accounts = Accounts(state)
    domains = Domains(state, cloud.paginator,
                      lambda host, claimed: cloud.services.claim_host(host, "apigateway" if claimed else None))
    lambda_api = lambda: cloud.services.api("lambda")  # noqa: E731 - reached only when a call needs it
    authorizers = Authorizers(state, cloud.paginator, authorizer_cache, lambda_api)
    client_certificates = ClientCertificates(state, cloud.paginator, cloud.state_dir / "apigateway" / "client-certificates")
    vpc_links = VpcLinks(state, cloud.paginator, cloud.tasks, lambda: cloud.services.api("elbv2"))
    integrator = Integrator(client, LambdaProxy(lambda_api), client_certificates.tls_files, vpc_links.address)
    cache = StageCache(state)
    signed_calls = SignedCalls(cloud.credentials, lambda: cloud.services.api("iam"), cloud.config.iam_enforcement)
    invoker = Invoker(state, keys, throttles, integrator, AccessLogs(lambda: cloud.services.api("logs")), cache,
                      signed_calls, lambda_api, authorizer_cache)
    tryout = TryOut(state, integrator)

    def reset() -> None:
        throttles.clear()
        cache.clear()
        authorizer_cache.clear()
        for _, name, _ in state.domains.all():
            cloud.services.claim_host(name, None)
        state.domains_changed()

    def start() -> None:
        domains.restore()

    def stop() -> None:
        client.close()

    operations = {
        # REST APIs and resources
        "CreateRestApi": apis.create_rest_api,
        "GetRestApi": apis.get_rest_api,
        "GetRestApis": apis.get_rest_apis,
        "UpdateRestApi": apis.update_rest_api,
        "DeleteRestApi": apis.delete_rest_api,
        "ImportRestApi": openapi.import_rest_api,
        "PutRestApi": openapi.put_rest_api,
        "CreateResource": apis.create_resource,
        "GetResource": apis.get_resource,
        "GetResources": apis.get_resources,
        "UpdateResource": apis.update_resource,
        "DeleteResource": apis.delete_resource,
        # methods and method responses
        "PutMethod": methods.put_method,
        "GetMethod": methods.get_method,
        "UpdateMethod": methods.update_method,
        "DeleteMethod": methods.delete_method,
        "TestInvokeMethod": tryout.test_invoke_method,
        "PutMethodResponse": methods.put_method_response,
        "GetMethodResponse": methods.get_method_response,
        "UpdateMethodResponse": methods.update_method_response,
        "DeleteMethodResponse": methods.delete_method_response,
        # integrations and integration responses
        "PutIntegration": integrations.put_integration,
        "GetIntegration": integrations.get_integration,
        "UpdateIntegration": integrations.update_integration,
        "DeleteIntegration": integrations.delete_integration,
        "PutIntegrationResponse": integrations.put_integration_response,
        "GetIntegrationResponse": integrations.get_integration_response,
        "UpdateIntegrationResponse": integrations.update_integration_response,
        "DeleteIntegrationResponse": integrations.delete_integration_response,
        # models and request validators
        "CreateModel": schemas.create_model,
        "GetModel": schemas.get_model,
        "GetModels": schemas.get_models,
        "UpdateModel": schemas.update_model,
        "DeleteModel": schemas.delete_model,
        "GetModelTemplate": schemas.get_model_template,
        "CreateRequestValidator": schemas.create_request_validator,
        "GetRequestValidator": schemas.get_request_validator,
        "GetRequestValidators": schemas.get_request_validators,
        "UpdateRequestValidator": schemas.update_request_validator,
        "DeleteRequestValidator": schemas.delete_request_validator,
        # authorizers
        "CreateAuthorizer": authorizers.create_authorizer,
        "GetAuthorizer": authorizers.get_authorizer,
        "GetAuthorizers": authorizers.get_authorizers,
        "UpdateAuthorizer": authorizers.update_authorizer,
        "DeleteAuthorizer": authorizers.delete_authorizer,
        "TestInvokeAuthorizer": authorizers.test_invoke_authorizer,
        "FlushStageAuthorizersCache": authorizers.flush_stage_authorizers_cache,
        # documentation
        "CreateDocumentationPart": documentation.create_documentation_part,
        "GetDocumentationPart": documentation.get_documentation_part,
        "GetDocumentationParts": documentation.get_documentation_parts,
        "UpdateDocumentationPart": documentation.update_documentation_part,
        "DeleteDocumentationPart": documentation.delete_documentation_part,
        "ImportDocumentationParts": documentation.import_documentation_parts,
        "CreateDocumentationVersion": documentation.create_documentation_version,
        "GetDocumentationVersion": documentation.get_documentation_version,
        "GetDocumentationVersions": documentation.get_documentation_versions,
        "UpdateDocumentationVersion": documentation.update_documentation_version,
        "DeleteDocumentationVersion": documentation.delete_documentation_version,
        # gateway responses
        "PutGatewayResponse": responses.put_gateway_response,
        "GetGatewayResponse": responses.get_gateway_response,
        "GetGatewayResponses": responses.get_gateway_responses,
        "UpdateGatewayResponse": responses.update_gateway_response,
        "DeleteGatewayResponse": responses.delete_gateway_response,
        # deployments and stages
        "CreateDeployment": deployments.create_deployment,
        "GetDeployment": deployments.get_deployment,
        "GetDeployments": deployments.get_deployments,
        "UpdateDeployment": deployments.update_deployment,
        "DeleteDeployment": deployments.delete_deployment,
        "CreateStage": stages.create_stage,
        "GetStage": stages.get_stage,
        "GetStages": stages.get_stages,
        "UpdateStage": stages.update_stage,
        "DeleteStage": stages.delete_stage,
        "GetExport": exports.get_export,
        "GetSdkTypes": sdks.get_sdk_types,
        "GetSdkType": sdks.get_sdk_type,
        "FlushStageCache": cache.flush_stage_cache,
        # API keys, usage plans, usage
        "CreateApiKey": keys.create_api_key,
        "GetApiKey": keys.get_api_key,
        "GetApiKeys": keys.get_api_keys,
        "UpdateApiKey": keys.update_api_key,
        "DeleteApiKey": keys.delete_api_key,
        "ImportApiKeys": keys.import_api_keys,
        "CreateUsagePlan": plans.create_usage_plan,
        "GetUsagePlan": plans.get_usage_plan,
        "GetUsagePlans": plans.get_usage_plans,
        "UpdateUsagePlan": plans.update_usage_plan,
        "DeleteUsagePlan": plans.delete_usage_plan,
        "CreateUsagePlanKey": plans.create_usage_plan_key,
        "GetUsagePlanKey": plans.get_usage_plan_key,
        "GetUsagePlanKeys": plans.get_usage_plan_keys,
        "DeleteUsagePlanKey": plans.delete_usage_plan_key,
        "GetUsage": plans.get_usage,
        "UpdateUsage": plans.update_usage,
        # tags and the account
        "TagResource": tags.tag_resource,
        "UntagResource": tags.untag_resource,
        "GetTags": tags.get_tags,
        "GetAccount": accounts.get_account,
        "UpdateAccount": accounts.update_account,
        # client certificates and VPC links
        "GenerateClientCertificate": client_certificates.generate_client_certificate,
        "GetClientCertificate": client_certificates.get_client_certificate,
        "GetClientCertificates": client_certificates.get_client_certificates,
        "UpdateClientCertificate": client_certificates.update_client_certificate,
        "DeleteClientCertificate": client_certificates.delete_client_certificate,
        "CreateVpcLink": vpc_links.create_vpc_link,
        "GetVpcLink": vpc_links.get_vpc_link,
        "GetVpcLinks": vpc_links.get_vpc_links,
        "UpdateVpcLink": vpc_links.update_vpc_link,
        "DeleteVpcLink": vpc_links.delete_vpc_link,
        # custom domain names and base path mappings
        "CreateDomainName": domains.create_domain_name,
        "GetDomainName": domains.get_domain_name,
        "GetDomainNames": domains.get_domain_names,
        "UpdateDomainName": domains.update_domain_name,
        "DeleteDomainName": domains.delete_domain_name,
        "CreateBasePathMapping": domains.create_base_path_mapping,
        "GetBasePathMapping": domains.get_base_path_mapping,
        "GetBasePathMappings": domains.get_base_path_mappings,
        "UpdateBasePathMapping": domains.update_base_path_mapping,
        "DeleteBasePathMapping": domains.delete_base_path_mapping,
    }
    return Service(
        name="apigateway",
        operations=operations,
        not_implemented=UNSUPPORTED,
        dialect=DIALECT,
        http=invoker.handle,
        api=ApiGatewayApi(invoker),
        reset=reset,
        start=start,
        stop=stop,
        # IAM: API Gateway's management actions are the HTTP verbs on resource paths (access.py).
        iam_actions=iam_actions(list(operations)),
        resources=resources,
    )
