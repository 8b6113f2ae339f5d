"""S3: buckets, objects, versions, multipart uploads, bucket policies, CORS, lifecycle expiration,
event notifications, browser form uploads, Object Lock (object_lock.py), replication
(replication.py), configurations by id and inventory reports (configurations.py, inventory.py) and
restores of archived objects (restore.py). Object data lives as files under the state directory
(storage.py), what exists in SQLite (catalog.py); bodies stream both ways.

Other services (Transfer Family) use S3 through ``S3Api`` (api.py).
"""

from regionbox.core.service import Service
from regionbox.protocol import parser_for
from regionbox.protocol.dialect import Dialect
from regionbox.protocol.http import HttpRequest

# The Host patterns of virtual-hosted addressing, also declared in services/__init__.py's Entry.
VIRTUAL_HOSTS = ("*.s3.localhost", "*.s3.*.localhost")
# S3 follows its own XML conventions (bare <Error> documents, schema errors instead of model
# validation, paths signed as sent) and answers GetBucketLocation with a bare scalar document;
# a ranged GET is 206; "<bucket>.s3.localhost/<key>" is "/<bucket>/<key>".
DIALECT = Dialect(s3_conventions=True, scalar_root_outputs=(("GetBucketLocation", "LocationConstraint"),),
                  virtual_hosts=VIRTUAL_HOSTS, partial_content_member="ContentRange")

UNSUPPORTED = {
    # S3 Tables / metadata tables and object annotations are S3 Tables (Iceberg) features.
    **{op: "S3 metadata tables and annotations need S3 Tables (Apache Iceberg), which regionbox does not serve"
       for op in ("CreateBucketMetadataConfiguration", "CreateBucketMetadataTableConfiguration",
                  "DeleteBucketMetadataConfiguration", "DeleteBucketMetadataTableConfiguration",
                  "GetBucketMetadataConfiguration", "GetBucketMetadataTableConfiguration",
                  "UpdateBucketMetadataAnnotationTableConfiguration", "UpdateBucketMetadataInventoryTableConfiguration",
                  "UpdateBucketMetadataJournalTableConfiguration", "PutObjectAnnotation", "GetObjectAnnotation",
                  "DeleteObjectAnnotation", "ListObjectAnnotations")},
    "SelectObjectContent": "S3 Select (SQL over CSV/JSON/Parquet with an event stream answer) is not built; AWS closed it to new customers",
    "GetObjectTorrent": "BitTorrent delivery was retired by AWS",
    "WriteGetObjectResponse": "Object Lambda access points are not built",
    "CreateSession": "directory buckets (S3 Express One Zone) are not built",
    "RenameObject": "renaming is for directory buckets (S3 Express One Zone), which are not built",
    "UpdateObjectEncryption": "objects are not encrypted at rest by regionbox: there is no key to change",
    "PutBucketAbac": "attribute-based access control for buckets needs IAM's tag conditions on S3 (not built)",
    "GetBucketAbac": "attribute-based access control for buckets needs IAM's tag conditions on S3 (not built)",
}
# Data events in CloudTrail (object-level), not management events.
DATA_EVENTS = frozenset({
    "PutObject", "GetObject", "HeadObject", "DeleteObject", "DeleteObjects", "CopyObject", "GetObjectAttributes",
    "CreateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload", "AbortMultipartUpload",
    "ListParts", "ListObjects", "ListObjectsV2", "ListObjectVersions", "GetObjectTagging", "PutObjectTagging",
    "DeleteObjectTagging", "GetObjectAcl", "PutObjectAcl", "HeadBucket", "ListMultipartUploads", "RestoreObject",
    "PutObjectRetention", "GetObjectRetention", "PutObjectLegalHold", "GetObjectLegalHold",
})


def load(cloud) -> Service:
    from regionbox.protocol.specs import service_model
    from regionbox.services.s3.api import S3Api
    from regionbox.services.s3.buckets import Buckets, BucketSettings
    from regionbox.services.s3.configurations import Configurations, check_analytics, check_inventory, check_tiering
    from regionbox.services.s3.cors import BucketCors
    from regionbox.services.s3.inventory import Inventory
    from regionbox.services.s3.forms import FormUploads
    from regionbox.services.s3.legacy import Legacy
    from regionbox.services.s3.lifecycle import Lifecycle
    from regionbox.services.s3.listing import Listing
    from regionbox.services.s3.multipart import Multipart
    from regionbox.services.s3.notifications import NotificationConfigurations, Notifier
    from regionbox.services.s3.object_lock import ObjectLock
    from regionbox.services.s3.replication import Replication
    from regionbox.services.s3.restore import Restores
    from regionbox.services.s3.objects import Objects
    from regionbox.services.s3.policies import Access, BucketPolicies
    from regionbox.services.s3.resources import BucketPolicyOf, iam_actions, resources
    from regionbox.services.s3.state import S3State
    from regionbox.services.s3.versions import Versions

    state = S3State(cloud.store, cloud.state_dir / "s3")
    access = Access(state, lambda: cloud.services.api("iam"))
    notifier = Notifier(cloud.bus)
    versions = Versions(state)
    lifecycle = Lifecycle(state, access, versions, notifier)
    buckets = Buckets(state, access, [])
    settings = BucketSettings(state, access)
    objects = Objects(state, access, versions, notifier)
    multipart = Multipart(state, access, objects, versions, notifier)
    lifecycle.multipart = multipart
    listing = Listing(state, access)
    locks = ObjectLock(state, access, objects)
    replication = Replication(state, access, cloud.tasks)
    versions.replication = replication
    inventory = Inventory(state, versions, cloud.config.s3_day)
    families = {"Analytics": Configurations(state, access, "AnalyticsConfiguration", check_analytics),
                "Metrics": Configurations(state, access, "MetricsConfiguration"),
                "Inventory": Configurations(state, access, "InventoryConfiguration", check_inventory),
                "IntelligentTiering": Configurations(state, access, "IntelligentTieringConfiguration", check_tiering)}
    policies = BucketPolicies(state, access)
    cors = BucketCors(state, access, [cloud.config.default_region])
    notifications = NotificationConfigurations(state, access)
    legacy = Legacy(lifecycle, notifications)
    restores = Restores(state, access, objects, notifier, cloud.config.s3_day)
    parser = parser_for(service_model("s3"), dialect=DIALECT)
    policy_of = BucketPolicyOf(state)
    forms = FormUploads(state, objects, cloud, DIALECT, policy_of)

    def bucket_of(request: HttpRequest) -> str | None:
        return parser.routed_path(request).split("/", 2)[1] or None

    async def start() -> None:
        state.files.clear_tmp()
        kept = state.catalog.file_ids()
        state.files.sweep(kept)
        replication.resume()
        cloud.tasks.spawn(inventory.run(), owner="s3", what="S3 inventory reports")
        cloud.tasks.spawn(lifecycle.run(cloud.config.s3_lifecycle_interval), owner="s3", what="S3 lifecycle expiration")

    def reset() -> None:
        state.files.wipe()

    operations = {
        # buckets
        "CreateBucket": buckets.create_bucket,
        "DeleteBucket": buckets.delete_bucket,
        "HeadBucket": buckets.head_bucket,
        "ListBuckets": buckets.list_buckets,
        "GetBucketLocation": buckets.get_bucket_location,
        "ListDirectoryBuckets": buckets.list_directory_buckets,
        "PutBucketVersioning": buckets.put_bucket_versioning,
        "GetBucketVersioning": buckets.get_bucket_versioning,
        "PutBucketTagging": buckets.put_bucket_tagging,
        "GetBucketTagging": buckets.get_bucket_tagging,
        "DeleteBucketTagging": buckets.delete_bucket_tagging,
        "GetBucketAcl": buckets.get_bucket_acl,
        "PutBucketAcl": buckets.put_bucket_acl,
        # settings stored and echoed
        "PutBucketEncryption": settings.putter("ServerSideEncryptionConfiguration"),
        "GetBucketEncryption": settings.getter("ServerSideEncryptionConfiguration", "ServerSideEncryptionConfiguration"),
        "DeleteBucketEncryption": settings.deleter("ServerSideEncryptionConfiguration"),
        "PutBucketOwnershipControls": settings.putter("OwnershipControls"),
        "GetBucketOwnershipControls": settings.getter("OwnershipControls", "OwnershipControls"),
        "DeleteBucketOwnershipControls": settings.deleter("OwnershipControls"),
        "PutPublicAccessBlock": settings.putter("PublicAccessBlockConfiguration"),
        "GetPublicAccessBlock": settings.getter("PublicAccessBlockConfiguration", "PublicAccessBlockConfiguration"),
        "DeletePublicAccessBlock": settings.deleter("PublicAccessBlockConfiguration"),
        "PutBucketWebsite": settings.putter("WebsiteConfiguration"),
        "GetBucketWebsite": settings.getter("WebsiteConfiguration"),
        "DeleteBucketWebsite": settings.deleter("WebsiteConfiguration"),
        "PutBucketLogging": settings.putter("BucketLoggingStatus"),
        "GetBucketLogging": settings.getter("BucketLoggingStatus"),
        "PutBucketAccelerateConfiguration": settings.putter("AccelerateConfiguration"),
        "GetBucketAccelerateConfiguration": settings.getter("AccelerateConfiguration"),
        "PutBucketRequestPayment": settings.putter("RequestPaymentConfiguration"),
        "GetBucketRequestPayment": settings.getter("RequestPaymentConfiguration"),
        # bucket policies
        "PutBucketPolicy": policies.put_bucket_policy,
        "GetBucketPolicy": policies.get_bucket_policy,
        "DeleteBucketPolicy": policies.delete_bucket_policy,
        "GetBucketPolicyStatus": policies.get_bucket_policy_status,
        # CORS
        "PutBucketCors": cors.put_bucket_cors,
        "GetBucketCors": cors.get_bucket_cors,
        "DeleteBucketCors": cors.delete_bucket_cors,
        # lifecycle
        "PutBucketLifecycleConfiguration": lifecycle.put_bucket_lifecycle_configuration,
        "GetBucketLifecycleConfiguration": lifecycle.get_bucket_lifecycle_configuration,
        "DeleteBucketLifecycle": lifecycle.delete_bucket_lifecycle,
        "PutBucketLifecycle": legacy.put_bucket_lifecycle,
        "GetBucketLifecycle": legacy.get_bucket_lifecycle,
        # notifications
        "PutBucketNotificationConfiguration": notifications.put_bucket_notification_configuration,
        "GetBucketNotificationConfiguration": notifications.get_bucket_notification_configuration,
        "PutBucketNotification": legacy.put_bucket_notification,
        "GetBucketNotification": legacy.get_bucket_notification,
        # objects
        "PutObject": objects.put_object,
        "GetObject": objects.get_object,
        "HeadObject": objects.head_object,
        "DeleteObject": objects.delete_object,
        "DeleteObjects": objects.delete_objects,
        "CopyObject": objects.copy_object,
        "GetObjectTagging": objects.get_object_tagging,
        "PutObjectTagging": objects.put_object_tagging,
        "DeleteObjectTagging": objects.delete_object_tagging,
        "GetObjectAcl": objects.get_object_acl,
        "PutObjectAcl": objects.put_object_acl,
        "GetObjectAttributes": objects.get_object_attributes,
        "RestoreObject": restores.restore_object,
        # Object Lock
        "PutObjectLockConfiguration": locks.put_object_lock_configuration,
        "GetObjectLockConfiguration": locks.get_object_lock_configuration,
        "PutObjectRetention": locks.put_object_retention,
        "GetObjectRetention": locks.get_object_retention,
        "PutObjectLegalHold": locks.put_object_legal_hold,
        "GetObjectLegalHold": locks.get_object_legal_hold,
        # replication
        "PutBucketReplication": replication.put_bucket_replication,
        "GetBucketReplication": replication.get_bucket_replication,
        "DeleteBucketReplication": replication.delete_bucket_replication,
        # configurations by id: analytics, metrics, inventory (reports: inventory.py), intelligent tiering
        **{name: handler for family, configurations in families.items()
           for name, handler in configurations.operations(family).items()},
        # listings
        "ListObjects": listing.list_objects,
        "ListObjectsV2": listing.list_objects_v2,
        "ListObjectVersions": listing.list_object_versions,
        # multipart uploads
        "CreateMultipartUpload": multipart.create_multipart_upload,
        "UploadPart": multipart.upload_part,
        "UploadPartCopy": multipart.upload_part_copy,
        "ListParts": multipart.list_parts,
        "ListMultipartUploads": multipart.list_multipart_uploads,
        "CompleteMultipartUpload": multipart.complete_multipart_upload,
        "AbortMultipartUpload": multipart.abort_multipart_upload,
    }
    return Service(
        name="s3",
        operations=operations,
        not_implemented=UNSUPPORTED,
        data_events=DATA_EVENTS,
        dialect=DIALECT,
        api=S3Api(state, objects, listing, cloud.config.default_region, buckets),
        http=forms.handle,
        cors=lambda request: cors.answer(request, bucket_of(request)),
        start=start,
        reset=reset,
        # IAM: identity policies checked by the gateway, with the bucket policy as the resource policy
        iam_prefix="s3",
        iam_actions=iam_actions(list(operations)),
        resources=resources,
        resource_policy=policy_of,
    )
