"""What an RDS user asks before and beside instances: the account's quotas, the CA, event
categories, source regions, engine major versions, option groups (PostgreSQL's have no options),
parameter group copies. No PostgreSQL server is started here."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path


from regionbox.core.tls import ca_directory
from regionbox.engines import kinds
from tests.services.rds.helpers import error_of


def quotas(rds) -> dict[str, tuple[int, int]]:
    return {q["AccountQuotaName"]: (q["Used"], q["Max"]) for q in rds.describe_account_attributes()["AccountQuotas"]}


def test_account_attributes_are_aws_quotas_with_what_is_used(rds):
    before = quotas(rds)
    assert before["DBInstances"] == (0, 40) and before["ManualSnapshots"] == (0, 100) and before["OptionGroups"] == (0, 20)
    assert before["AllocatedStorage"][1] == 100000 and before["EventSubscriptions"][1] == 20
    rds.create_db_parameter_group(DBParameterGroupName="counted", DBParameterGroupFamily="postgres16", Description="d")
    assert quotas(rds)["DBParameterGroups"] == (before["DBParameterGroups"][0] + 1, 50)
    rds.delete_db_parameter_group(DBParameterGroupName="counted")


def test_a_parameter_group_copy_keeps_the_values_of_its_source(rds):
    rds.create_db_parameter_group(DBParameterGroupName="tuned", DBParameterGroupFamily="postgres16", Description="mine")
    rds.modify_db_parameter_group(DBParameterGroupName="tuned", Parameters=[
        {"ParameterName": "work_mem", "ParameterValue": "8192", "ApplyMethod": "immediate"}])
    arn = rds.describe_db_parameter_groups(DBParameterGroupName="tuned")["DBParameterGroups"][0]["DBParameterGroupArn"]
    copied = rds.copy_db_parameter_group(SourceDBParameterGroupIdentifier=arn, TargetDBParameterGroupIdentifier="Tuned-Copy",
                                         TargetDBParameterGroupDescription="a copy")["DBParameterGroup"]
    assert copied["DBParameterGroupName"] == "tuned-copy" and copied["DBParameterGroupFamily"] == "postgres16"
    values = {p["ParameterName"]: p.get("ParameterValue") for p in
              rds.describe_db_parameters(DBParameterGroupName="tuned-copy", Source="user")["Parameters"]}
    assert values == {"work_mem": "8192"}
    # A default group can be copied too; the target must be new and a valid name.
    rds.copy_db_parameter_group(SourceDBParameterGroupIdentifier="default.postgres16", TargetDBParameterGroupIdentifier="plain",
                                TargetDBParameterGroupDescription="d")
    assert error_of(rds.copy_db_parameter_group, SourceDBParameterGroupIdentifier="tuned",
                    TargetDBParameterGroupIdentifier="plain", TargetDBParameterGroupDescription="d") == \
        ("DBParameterGroupAlreadyExists", "Parameter group plain already exists")
    assert error_of(rds.copy_db_parameter_group, SourceDBParameterGroupIdentifier="nope",
                    TargetDBParameterGroupIdentifier="x", TargetDBParameterGroupDescription="d")[0] == "DBParameterGroupNotFound"
    assert error_of(rds.copy_db_parameter_group, SourceDBParameterGroupIdentifier="tuned",
                    TargetDBParameterGroupIdentifier="bad--name", TargetDBParameterGroupDescription="d")[0] == "InvalidParameterValue"


def test_the_certificate_is_the_clouds_local_ca(rds, shared_cloud):
    described = rds.describe_certificates()
    assert described["DefaultCertificateForNewLaunches"] == "rds-ca-rsa2048-g1"
    [cert] = described["Certificates"]
    # The thumbprint is the local CA's own (what `regionbox ca-cert` prints).
    state_dir = Path(shared_cloud.get("/_regionbox/status")["state_dir"])
    der = ssl.PEM_cert_to_DER_cert(ca_directory(state_dir).joinpath("ca.pem").read_text())
    assert cert["Thumbprint"] == hashlib.sha1(der).hexdigest() and cert["CertificateType"] == "CA"
    assert cert["CustomerOverride"] is False and cert["CertificateArn"].endswith(":cert:rds-ca-rsa2048-g1")
    assert error_of(rds.describe_certificates, CertificateIdentifier="rds-ca-nope")[0] == "CertificateNotFound"
    overridden = rds.modify_certificates(CertificateIdentifier="rds-ca-rsa2048-g1")["Certificate"]
    assert overridden["CustomerOverride"] is True and "CustomerOverrideValidTill" in overridden
    assert rds.modify_certificates(RemoveCustomerOverride=True)["Certificate"]["CustomerOverride"] is False
    assert error_of(rds.modify_certificates)[0] == "InvalidParameterCombination"


def test_event_categories_source_regions_and_major_versions(rds):
    categories = {m["SourceType"]: m["EventCategories"] for m in rds.describe_event_categories()["EventCategoriesMapList"]}
    assert "failover" in categories["db-instance"] and categories["db-parameter-group"] == ["configuration change"]
    only = rds.describe_event_categories(SourceType="db-snapshot")["EventCategoriesMapList"]
    assert [m["SourceType"] for m in only] == ["db-snapshot"]
    assert error_of(rds.describe_event_categories, SourceType="db-nope")[0] == "InvalidParameterValue"
    regions = [r["RegionName"] for r in rds.describe_source_regions()["SourceRegions"]]
    assert "us-east-1" not in regions and "ap-northeast-1" in regions
    page = rds.describe_source_regions(MaxRecords=20)
    assert len(page["SourceRegions"]) == 20 and "Marker" in page
    rest = rds.describe_source_regions(MaxRecords=100, Marker=page["Marker"])["SourceRegions"]
    assert [r["RegionName"] for r in page["SourceRegions"] + rest] == regions
    assert error_of(rds.describe_source_regions, MaxRecords=5) == \
        ("InvalidParameterValue", "Invalid value for MaxRecords: 5, valid values: 20-100.")
    if kinds.postgres_version() is not None:
        major = kinds.postgres_version().split(".")[0]
        [row] = rds.describe_db_major_engine_versions(Engine="postgres")["DBMajorEngineVersions"]
        assert row["MajorEngineVersion"] == major
        assert [c["LifecycleSupportName"] for c in row["SupportedEngineLifecycles"]] == \
            ["open-source-rds-standard-support", "open-source-rds-extended-support"]
        assert rds.describe_db_major_engine_versions(Engine="postgres", MajorEngineVersion="9")["DBMajorEngineVersions"] == []


def test_postgres_option_groups_have_no_options(rds):
    assert rds.describe_option_group_options(EngineName="postgres", MajorEngineVersion="16")["OptionGroupOptions"] == []
    created = rds.create_option_group(OptionGroupName="Pg-Options", EngineName="postgres", MajorEngineVersion="16",
                                      OptionGroupDescription="mine")["OptionGroup"]
    assert created["OptionGroupName"] == "pg-options" and created["Options"] == []
    assert created["OptionGroupArn"].endswith(":og:pg-options")
    assert error_of(rds.create_option_group, OptionGroupName="pg-options", EngineName="postgres", MajorEngineVersion="16",
                    OptionGroupDescription="again")[0] == "OptionGroupAlreadyExistsFault"
    assert error_of(rds.create_option_group, OptionGroupName="my", EngineName="mysql", MajorEngineVersion="8.0",
                    OptionGroupDescription="d")[0] == "InvalidParameterValue"
    assert error_of(rds.modify_option_group, OptionGroupName="pg-options",
                    OptionsToInclude=[{"OptionName": "MEMCACHED"}])[0] == "InvalidParameterValue"
    copied = rds.copy_option_group(SourceOptionGroupIdentifier="pg-options", TargetOptionGroupIdentifier="pg-copy",
                                   TargetOptionGroupDescription="copy")["OptionGroup"]
    assert copied["SourceOptionGroup"] == "pg-options" and copied["MajorEngineVersion"] == "16"
    names = [g["OptionGroupName"] for g in rds.describe_option_groups(EngineName="postgres")["OptionGroupsList"]]
    assert {"pg-options", "pg-copy"} <= set(names)
    if kinds.postgres_version() is not None:
        default = f"default:postgres-{kinds.postgres_version().split('.')[0]}"
        assert default in names
        assert error_of(rds.delete_option_group, OptionGroupName=default)[0] == "InvalidOptionGroupStateFault"
        assert error_of(rds.copy_option_group, SourceOptionGroupIdentifier=default, TargetOptionGroupIdentifier="x",
                        TargetOptionGroupDescription="d")[0] == "InvalidParameterValue"
    assert error_of(rds.describe_option_groups, MajorEngineVersion="16")[0] == "InvalidParameterCombination"
    rds.delete_option_group(OptionGroupName="pg-copy")
    assert error_of(rds.describe_option_groups, OptionGroupName="pg-copy") == \
        ("OptionGroupNotFoundFault", "Specified OptionGroupName: pg-copy not found.")
    tags_arn = created["OptionGroupArn"]
    rds.add_tags_to_resource(ResourceName=tags_arn, Tags=[{"Key": "team", "Value": "db"}])
    assert rds.list_tags_for_resource(ResourceName=tags_arn)["TagList"] == [{"Key": "team", "Value": "db"}]


TOPIC = "arn:aws:sns:us-east-1:000000000000:db-events"


def test_event_subscriptions_are_checked_and_kept_but_deliver_nothing_without_sns(rds):
    rds.create_db_parameter_group(DBParameterGroupName="watched", DBParameterGroupFamily="postgres16", Description="d")
    created = rds.create_event_subscription(SubscriptionName="Ops", SnsTopicArn=TOPIC, SourceType="db-parameter-group",
                                            EventCategories=["configuration change"], SourceIds=["watched"])["EventSubscription"]
    assert created["CustSubscriptionId"] == "ops" and created["Status"] == "creating" and created["Enabled"] is True
    assert created["EventSubscriptionArn"].endswith(":es:ops") and created["SourceIdsList"] == ["watched"]
    [listed] = rds.describe_event_subscriptions()["EventSubscriptionsList"]
    # regionbox serves no SNS: the topic is one that does not exist, in AWS's words for it.
    assert listed["Status"] == "topic-not-exist" and listed["SnsTopicArn"] == TOPIC
    assert error_of(rds.create_event_subscription, SubscriptionName="ops", SnsTopicArn=TOPIC)[0] == "SubscriptionAlreadyExist"
    assert error_of(rds.create_event_subscription, SubscriptionName="bad", SnsTopicArn="arn:aws:sqs:us-east-1:1:q")[0] == \
        "SNSInvalidTopic"
    assert error_of(rds.create_event_subscription, SubscriptionName="bad", SnsTopicArn=TOPIC, SourceType="db-parameter-group",
                    EventCategories=["failover"]) == ("SubscriptionCategoryNotFound", "Category failover not found.")
    assert error_of(rds.create_event_subscription, SubscriptionName="bad", SnsTopicArn=TOPIC, SourceType="db-instance",
                    SourceIds=["nope"])[0] == "SourceNotFound"
    assert error_of(rds.create_event_subscription, SubscriptionName="bad", SnsTopicArn=TOPIC, SourceType="db-nope")[0] == \
        "InvalidParameterValue"
    # Source identifiers come and go; the type cannot change under them.
    rds.add_source_identifier_to_subscription(SubscriptionName="ops", SourceIdentifier="default.postgres16")
    assert rds.describe_event_subscriptions(SubscriptionName="ops")["EventSubscriptionsList"][0]["SourceIdsList"] == \
        ["watched", "default.postgres16"]
    assert error_of(rds.add_source_identifier_to_subscription, SubscriptionName="ops", SourceIdentifier="ghost")[0] == \
        "SourceNotFound"
    rds.remove_source_identifier_from_subscription(SubscriptionName="ops", SourceIdentifier="watched")
    assert error_of(rds.remove_source_identifier_from_subscription, SubscriptionName="ops", SourceIdentifier="watched")[0] == \
        "SourceNotFound"
    assert error_of(rds.modify_event_subscription, SubscriptionName="ops", SourceType="db-instance")[0] == \
        "InvalidParameterCombination"
    modified = rds.modify_event_subscription(SubscriptionName="ops", Enabled=False, EventCategories=[])["EventSubscription"]
    assert modified["Enabled"] is False and modified["EventCategoriesList"] == []
    assert rds.delete_event_subscription(SubscriptionName="ops")["EventSubscription"]["Status"] == "deleting"
    assert error_of(rds.describe_event_subscriptions, SubscriptionName="ops") == \
        ("SubscriptionNotFound", "Subscription ops not found.")


def test_reserved_instances_are_bought_from_offerings(rds):
    offerings = rds.describe_reserved_db_instances_offerings(DBInstanceClass="db.r6g.large", Duration="1",
                                                             OfferingType="All Upfront", MultiAZ=False,
                                                             ProductDescription="postgresql")["ReservedDBInstancesOfferings"]
    [offering] = offerings
    assert offering["Duration"] == 31536000 and offering["FixedPrice"] > 0
    assert offering["RecurringCharges"][0]["RecurringChargeFrequency"] == "Hourly"
    # Stable ids, pages of at most 100.
    page = rds.describe_reserved_db_instances_offerings(MaxRecords=20)
    assert len(page["ReservedDBInstancesOfferings"]) == 20 and page["Marker"]
    assert rds.describe_reserved_db_instances_offerings(ProductDescription="mysql")["ReservedDBInstancesOfferings"] == []
    assert error_of(rds.describe_reserved_db_instances_offerings, Duration="2")[0] == "InvalidParameterValue"
    bought = rds.purchase_reserved_db_instances_offering(
        ReservedDBInstancesOfferingId=offering["ReservedDBInstancesOfferingId"], ReservedDBInstanceId="prod-db",
        DBInstanceCount=2)["ReservedDBInstance"]
    assert bought["State"] == "payment-pending" and bought["DBInstanceCount"] == 2 and bought["ReservedDBInstanceArn"].endswith(":ri:prod-db")
    [held] = rds.describe_reserved_db_instances()["ReservedDBInstances"]
    assert held["State"] == "active" and held["ReservedDBInstancesOfferingId"] == offering["ReservedDBInstancesOfferingId"]
    assert rds.describe_reserved_db_instances(ReservedDBInstanceId="prod-db")["ReservedDBInstances"][0]["LeaseId"] == held["LeaseId"]
    assert quotas(rds)["ReservedDBInstances"] == (2, 40)
    assert error_of(rds.purchase_reserved_db_instances_offering, ReservedDBInstancesOfferingId=offering[
        "ReservedDBInstancesOfferingId"], ReservedDBInstanceId="prod-db")[0] == "ReservedDBInstanceAlreadyExists"
    assert error_of(rds.purchase_reserved_db_instances_offering, ReservedDBInstancesOfferingId="nope")[0] == \
        "ReservedDBInstancesOfferingNotFound"
    assert error_of(rds.purchase_reserved_db_instances_offering, ReservedDBInstancesOfferingId=offering[
        "ReservedDBInstancesOfferingId"], DBInstanceCount=39)[0] == "ReservedDBInstanceQuotaExceeded"
    assert error_of(rds.describe_reserved_db_instances, ReservedDBInstanceId="other")[0] == "ReservedDBInstanceNotFound"
