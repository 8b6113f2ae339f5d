"""The services regionbox serves: botocore service name -> the package that implements it.

Each package has ``load(cloud) -> Service`` (core/service.py) with its registration table. A
service is imported on first use (core/registry.py), so one that fails to import is reported by
name instead of taking the whole cloud down, and a cloud never pays for services it is not asked
for. ``docs/adding-a-service.md`` says how to add one.
"""

from regionbox.core.registry import Entry

SERVICES: dict[str, Entry] = {
    "sts": Entry("regionbox.services.sts"),
    "iam": Entry("regionbox.services.iam"),
    "ec2": Entry("regionbox.services.ec2"),
    "logs": Entry("regionbox.services.logs"),
    "cloudtrail": Entry("regionbox.services.cloudtrail"),
    "cloudtrail-data": Entry("regionbox.services.cloudtrail_data"),
    "elasticache": Entry("regionbox.services.elasticache"),
    "dynamodb": Entry("regionbox.services.dynamodb"),
    "dynamodbstreams": Entry("regionbox.services.dynamodbstreams"),
    "dax": Entry("regionbox.services.dax"),
    "elbv2": Entry("regionbox.services.elbv2"),
    # Invoke URLs of deployed REST APIs: "<api>.execute-api.localhost/<stage>/..." and the path forms
    # "/_aws/execute-api/<api>/<stage>/..." and "/restapis/<api>/<stage>/_user_request_/..." (other
    # /restapis/ requests are the control plane's).
    "apigateway": Entry("regionbox.services.apigateway", hosts=("*.execute-api.localhost", "*.execute-api.*.localhost",
                                                                "*.execute-api.*.amazonaws.com"),
                        paths=("/restapis/", "/_aws/execute-api/")),
    "transfer": Entry("regionbox.services.transfer"),
    "secretsmanager": Entry("regionbox.services.secretsmanager"),
    # Code.Location links of GetFunction and GetLayerVersion are served on the cloud's own port, and
    # function URLs on "<url-id>.lambda-url.<region>.localhost" or "/_aws/lambda-url/<url-id>/".
    "lambda": Entry("regionbox.services.lambda_", hosts=("*.lambda-url.*.localhost",),
                    paths=("/_lambda/", "/_aws/lambda-url/")),
    # GraphQL on "<api>.appsync-api.<region>.localhost/graphql" or "/graphql/<api>" (no DNS needed), and
    # subscriptions on "<api>.appsync-realtime-api.<region>.localhost/graphql" or "/graphql/<api>/realtime";
    # Event APIs publish on ".../event" or "/event/<api>" and serve channels on "<api>.appsync-realtime-api
    # .<region>.localhost/event/realtime" or "/event/<api>/realtime"; custom domain names reach their API
    # on the same paths by Host (other paths beginning with "/event", as "/events", are handed back).
    "appsync": Entry("regionbox.services.appsync", hosts=("*.appsync-api.*.localhost",), paths=("/graphql", "/event"),
                     websocket_hosts=("*.appsync-realtime-api.*.localhost",), websocket_paths=("/graphql/", "/event/")),
    "rds": Entry("regionbox.services.rds"),
    "pi": Entry("regionbox.services.pi"),
    "cloudwatch": Entry("regionbox.services.cloudwatch"),
    "migrationhub-config": Entry("regionbox.services.migrationhub_config"),
    "mgh": Entry("regionbox.services.mgh"),
    "migrationhubstrategy": Entry("regionbox.services.migrationhubstrategy"),
    # Agents report on "/_discovery/agent/..." (services/discovery/ingest.py).
    "discovery": Entry("regionbox.services.discovery", paths=("/_discovery/",)),
    # Virtual-hosted requests ("<bucket>.s3.localhost"), anonymous reads and browser form uploads are S3's.
    "s3": Entry("regionbox.services.s3", hosts=("*.s3.localhost", "*.s3.*.localhost"), unsigned=True, form_posts=True),
}
