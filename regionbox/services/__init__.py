"""One package per AWS service. ``PROVIDERS`` lists the provider classes the cloud serves.

Each entry is "module:Class", imported when the cloud starts, so a service that fails to import
is reported by name instead of taking the whole cloud down.
"""

PROVIDERS: list[str] = [
    "regionbox.services.sts.provider:StsProvider",
    "regionbox.services.iam.provider:IamProvider",
    "regionbox.services.ec2.provider:Ec2Provider",
    "regionbox.services.logs.provider:LogsProvider",
    "regionbox.services.cloudtrail.provider:CloudTrailProvider",
    "regionbox.services.elasticache.provider:ElastiCacheProvider",
    "regionbox.services.dynamodb.provider:DynamoDBProvider",
    "regionbox.services.dynamodbstreams.provider:DynamoDBStreamsProvider",
]
