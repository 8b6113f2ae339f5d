"""Metrics in and out: PutMetricData (values, Values/Counts, statistic sets, high resolution),
GetMetricStatistics, ListMetrics, in all three of CloudWatch's dialects, with AWS's errors."""

from __future__ import annotations

import urllib.parse
from datetime import timedelta
from xml.etree import ElementTree

import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.services.cloudwatch.helpers import aligned, client, refused

DIMS = [{"Name": "Service", "Value": "checkout"}]
PROTOCOLS = ["smithy-rpc-v2-cbor", "json", "query"]


def stats(cw, start, end, period=60, name="Latency", dims=DIMS, **extra):
    return sorted(cw.get_metric_statistics(Namespace="Shop", MetricName=name, Dimensions=dims, StartTime=start,
                                           EndTime=end, Period=period, **extra)["Datapoints"],
                  key=lambda d: (d["Timestamp"], d.get("Unit", "")))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_values_counts_and_statistic_sets_give_statistics_and_percentiles(cloud, protocol):
    cw = client(cloud, protocol)
    minute = aligned(60, back=10)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Dimensions": DIMS, "Timestamp": minute + timedelta(seconds=s), "Value": v,
         "Unit": "Milliseconds"} for s, v in ((1, 10.0), (20, 20.0), (40, 30.0))])
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Dimensions": DIMS, "Timestamp": minute + timedelta(seconds=50),
         "Values": [40.0, 100.0], "Counts": [5.0, 1.0], "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": DIMS, "Timestamp": minute + timedelta(seconds=70),
         "StatisticValues": {"SampleCount": 4, "Sum": 8, "Minimum": 1, "Maximum": 3}, "Unit": "Milliseconds"}])
    points = stats(cw, minute, minute + timedelta(minutes=2), Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
                   ExtendedStatistics=["p50", "p99.9"])
    assert len(points) == 2
    first, second = points
    assert first["Timestamp"].timestamp() == minute.timestamp() and first["Unit"] == "Milliseconds"
    assert (first["SampleCount"], first["Sum"], first["Minimum"], first["Maximum"]) == (9.0, 360.0, 10.0, 100.0)
    assert first["Average"] == 40.0
    assert first["ExtendedStatistics"] == {"p50": 40.0, "p99.9": 100.0}
    # A statistic set has no distribution: its period has the basic statistics and no percentile.
    assert (second["SampleCount"], second["Sum"], second["Minimum"], second["Maximum"]) == (4.0, 8.0, 1.0, 3.0)
    assert "ExtendedStatistics" not in second
    # Unit filters; another unit of the same metric is its own datapoint.
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Latency", "Dimensions": DIMS, "Value": 1.5,
                                                      "Timestamp": minute, "Unit": "Seconds"}])
    seconds = stats(cw, minute, minute + timedelta(minutes=1), Statistics=["Sum"], Unit="Seconds")
    assert [(p["Sum"], p["Unit"]) for p in seconds] == [(1.5, "Seconds")]
    both = stats(cw, minute, minute + timedelta(minutes=1), Statistics=["Sum"])
    assert [(p["Unit"], p["Sum"]) for p in both] == [("Milliseconds", 360.0), ("Seconds", 1.5)]


def test_high_resolution_points_have_one_second_periods(cloud):
    cw = client(cloud)
    start = aligned(60, back=2)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Orders", "Timestamp": start + timedelta(seconds=s), "Value": float(s), "StorageResolution": 1}
        for s in range(10)])
    points = stats(cw, start, start + timedelta(seconds=10), period=1, name="Orders", dims=[], Statistics=["Sum"])
    assert [p["Sum"] for p in points] == [float(s) for s in range(10)]
    tens = stats(cw, start, start + timedelta(seconds=10), period=5, name="Orders", dims=[], Statistics=["Sum"])
    assert [p["Sum"] for p in tens] == [10.0, 35.0]


def test_list_metrics_filters_recent_activity_and_pages(cloud):
    cw = client(cloud)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": f"s{i:03d}"}], "Value": 1.0} for i in range(520)])
    cw.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "Errors", "Dimensions": [
        {"Name": "Service", "Value": "s001"}, {"Name": "Host", "Value": "h1"}], "Value": 1.0}])
    first = cw.list_metrics(Namespace="Shop")
    assert len(first["Metrics"]) == 500 and "NextToken" in first
    rest = cw.list_metrics(Namespace="Shop", NextToken=first["NextToken"])
    assert len(rest["Metrics"]) == 20 and "NextToken" not in rest
    by_value = cw.list_metrics(Dimensions=[{"Name": "Service", "Value": "s001"}])["Metrics"]
    assert sorted(m["Namespace"] for m in by_value) == ["Other", "Shop"]
    by_name = cw.list_metrics(Dimensions=[{"Name": "Host"}])["Metrics"]
    assert by_name == [{"Namespace": "Other", "MetricName": "Errors",
                        "Dimensions": [{"Name": "Host", "Value": "h1"}, {"Name": "Service", "Value": "s001"}]}]
    assert len(cw.list_metrics(MetricName="Errors", RecentlyActive="PT3H")["Metrics"]) == 1
    linked = cw.list_metrics(MetricName="Errors", IncludeLinkedAccounts=True)
    assert linked["OwningAccounts"] == ["000000000000"]
    with refused("InvalidNextToken", "The service cannot complete the request."):
        cw.list_metrics(Namespace="Other", NextToken=first["NextToken"])  # a token of another query
    # Accounts and regions are apart.
    assert cw_in(cloud, region="eu-west-1").list_metrics()["Metrics"] == []
    assert cw_in(cloud, account="111122223333").list_metrics()["Metrics"] == []


def cw_in(cloud, **kwargs):
    return client(cloud, **kwargs)


@pytest.mark.parametrize("protocol", ["json", "query"])
def test_put_metric_data_errors(cloud, protocol):
    cw = client(cloud, protocol)
    with refused("InvalidParameterValue", "The value AWS/ for parameter Namespace is invalid.", 400):
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "x", "Value": 1.0}])
    with refused("InvalidParameterValue", "The collection MetricData must not have a size greater than 1000."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0}] * 1001)
    with refused("InvalidParameterCombination", "The parameters MetricData.member.1.Value and "
                 "MetricData.member.1.StatisticValues are mutually exclusive and you have specified both."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0, "StatisticValues": {
            "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}])
    with refused("InvalidParameterValue", "The parameters MetricData.member.2.Values and MetricData.member.2.Counts "
                 "must be of the same size."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0},
                                                         {"MetricName": "x", "Values": [1.0, 2.0], "Counts": [1.0]}])
    with refused("InvalidParameterValue", "The collection MetricData.member.1.Values must not have a size greater than 150."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Values": [float(i) for i in range(151)]}])
    with refused("InvalidParameterValue", "The value 5 for parameter MetricData.member.1.StorageResolution is invalid."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0, "StorageResolution": 5}])
    with refused("InvalidParameterValue", "The parameter MetricData.member.1.Timestamp must specify a time within the "
                 "past two weeks and no more than two hours in the future."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0,
                                                          "Timestamp": aligned(60) - timedelta(days=15)}])
    with refused("InvalidParameterCombination", "At least one of the parameters MetricData.member.1.Value, "
                 "MetricData.member.1.StatisticValues or MetricData.member.1.Values must be specified."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x"}])
    with refused("InvalidParameterValue", "The value 1e+109 for parameter MetricData.member.1.Value is invalid."):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1e109}])  # beyond 2^360
    if protocol == "query":  # query checks enums in the service, as CloudWatch does
        with refused("InvalidParameterValue", "The value Parsecs for parameter MetricData.member.1.Unit is invalid."):
            cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0, "Unit": "Parsecs"}])
    with refused("InvalidParameterValue", "No metric may have duplicate dimension names. (MetricData.member.1.Dimensions)"):
        cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0, "Dimensions": [
            {"Name": "a", "Value": "1"}, {"Name": "a", "Value": "2"}]}])
    assert cw.list_metrics()["Metrics"] == []  # nothing of a refused request was kept


def test_get_metric_statistics_errors(cloud):
    cw = client(cloud)
    start = aligned(60, back=60 * 24 * 2)
    with refused("InvalidParameterCombination", "You have requested up to 2880 datapoints, which exceeds the limit of 1440. "
                 "You may reduce the datapoints requested by increasing Period, or decreasing the time range."):
        stats(cw, start, start + timedelta(days=2), Statistics=["Average"])
    with refused("InvalidParameterValue", "The parameter Period must be 1, 5, 10, 20, 30, or any multiple of 60."):
        stats(cw, start, start + timedelta(hours=1), period=45, Statistics=["Average"])
    with refused("InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime."):
        stats(cw, start, start, Statistics=["Average"])
    with refused("MissingParameter", "Must specify either Statistics or ExtendedStatistics parameter."):
        stats(cw, start, start + timedelta(hours=1))
    with refused("InvalidParameterValue", "The value p101 for parameter ExtendedStatistics.member.1 is invalid."):
        stats(cw, start, start + timedelta(hours=1), ExtendedStatistics=["p101"])
    # An enum the model lists: json and cbor requests are checked against the model, query ones by the service.
    with refused("ValidationError", "1 validation error detected: Value 'Median' at 'statistics.1.member' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [SampleCount, Average, Sum, Minimum, Maximum]"):
        stats(cw, start, start + timedelta(hours=1), Statistics=["Median"])
    with refused("InvalidParameterValue", "The value Median for parameter Statistics.member.1 is invalid."):
        stats(client(cloud, "query"), start, start + timedelta(hours=1), Statistics=["Median"])
    with refused("InvalidParameterValue", "The extended statistic tm99 is not computed by regionbox (percentiles pNN.NN are)."):
        stats(cw, start, start + timedelta(hours=1), ExtendedStatistics=["tm99"])
    assert stats(cw, start, start + timedelta(hours=1), Statistics=["Average"]) == []  # an unknown metric has no data


def test_a_raw_query_request_is_answered_in_cloudwatch_words(cloud):
    """The query dialect as the oldest SDKs send it: a signed form POST; a missing required member
    is CloudWatch's MissingParameter (botocore would refuse to send it)."""
    with refused("MissingParameter", "The parameter Namespace is required.", 400):
        raw_query(cloud, "PutMetricData", {"MetricData.member.1.MetricName": "x", "MetricData.member.1.Value": "1"})
    raw_query(cloud, "PutMetricData", {"Namespace": "Raw", "MetricData.member.1.MetricName": "x",
                                       "MetricData.member.1.Value": "2.5", "MetricData.member.1.Unit": "Count"})
    answer = raw_query(cloud, "ListMetrics", {"Namespace": "Raw"})
    assert "<ListMetricsResponse" in answer and "<MetricName>x</MetricName>" in answer


def raw_query(cloud, action: str, fields: dict) -> str:
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-08-01", **fields})
    request = AWSRequest("POST", cloud.endpoint + "/", data=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials("test", "test"), "monitoring", "us-east-1").add_auth(request)
    response = requests.post(cloud.endpoint + "/", data=body, headers=dict(request.headers), timeout=30)
    if response.status_code >= 400:
        error = ElementTree.fromstring(response.text).find(".//{*}Error")
        raise ClientError({"Error": {"Code": error.findtext("{*}Code"), "Message": error.findtext("{*}Message")},
                           "ResponseMetadata": {"HTTPStatusCode": response.status_code}}, action)
    return response.text


def test_iam_decides_with_cloudwatch_actions(cloud):
    iam = cloud.client("iam", account="111111111111")
    iam.create_user(UserName="viewer")
    iam.attach_user_policy(UserName="viewer", PolicyArn="arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess")
    pair = iam.create_access_key(UserName="viewer")["AccessKey"]
    message = ("User: arn:aws:iam::111111111111:user/viewer is not authorized to perform: cloudwatch:PutMetricData on "
               "resource: * because no identity-based policy allows the cloudwatch:PutMetricData action")
    for protocol, code in (("json", "AccessDeniedException"), ("query", "AccessDenied")):
        viewer = client(cloud, protocol, access_key=pair["AccessKeyId"], secret_key=pair["SecretAccessKey"])
        assert viewer.list_metrics()["Metrics"] == []
        with refused(code, message):
            viewer.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "x", "Value": 1.0}])


async def _roll_up(cloud, at: float) -> int:
    # The store's retention step, run on the cloud's loop as the service runs it every few minutes,
    # with a clock moved on (data cannot be put older than two weeks).
    return cloud.cloud.services.api("cloudwatch")._series.roll_up(at)


def test_retention_tiers_fold_old_points_into_coarser_ones(cloud):
    cw = client(cloud)
    start = aligned(300, back=1)  # both minutes in one five-minute period
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Clicks", "Timestamp": start + timedelta(seconds=s), "Value": 1.0, "StorageResolution": 1}
        for s in range(0, 120, 2)])

    def per_second():
        return stats(cw, start, start + timedelta(minutes=2), period=1, name="Clicks", dims=[], Statistics=["Sum"])
    assert len(per_second()) == 60
    now = start.timestamp()
    assert cloud.run(_roll_up(cloud, now + 3600)) == 0  # within three hours: kept at one second
    assert cloud.run(_roll_up(cloud, now + 4 * 3600)) == 60  # older: one point a minute
    assert [(p["Timestamp"], p["Sum"]) for p in per_second()] == [(start, 30.0), (start + timedelta(minutes=1), 30.0)]
    minutes = stats(cw, start, start + timedelta(minutes=2), name="Clicks", dims=[], Statistics=["Sum", "SampleCount"],
                    ExtendedStatistics=["p50"])
    assert [(p["Sum"], p["SampleCount"], p["ExtendedStatistics"]["p50"]) for p in minutes] == [(30.0, 30.0, 1.0)] * 2
    cloud.run(_roll_up(cloud, now + 16 * 86400))  # past 15 days: five-minute points
    assert [p["Sum"] for p in stats(cw, start - timedelta(minutes=5), start + timedelta(minutes=5), period=300,
                                    name="Clicks", dims=[], Statistics=["Sum"])] == [60.0]
    cloud.run(_roll_up(cloud, now + 456 * 86400))  # past 455 days: gone
    assert stats(cw, start - timedelta(hours=1), start + timedelta(hours=1), period=3600, name="Clicks", dims=[],
                 Statistics=["Sum"]) == []
