"""Metric streams: kept as configured with their states; Firehose is not served, so a running
stream reports its updates with PublishErrorRate 1 in AWS/CloudWatch/MetricStreams."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from regionbox.testing.waiting import eventually
from tests.services.cloudwatch.helpers import client, refused

FIREHOSE = "arn:aws:firehose:us-east-1:000000000000:deliverystream/metrics"
ROLE = "arn:aws:iam::000000000000:role/metric-stream"


def stream(cw, name: str, **extra) -> str:
    return cw.put_metric_stream(Name=name, FirehoseArn=FIREHOSE, RoleArn=ROLE, OutputFormat="json", **extra)["Arn"]


def test_streams_are_kept_with_their_state(cloud):
    cw = client(cloud)
    arn = stream(cw, "shop", IncludeFilters=[{"Namespace": "Shop", "MetricNames": ["Latency"]}],
                 StatisticsConfigurations=[{"IncludeMetrics": [{"Namespace": "Shop", "MetricName": "Latency"}],
                                            "AdditionalStatistics": ["p99", "tm90", "IQM"]}],
                 Tags=[{"Key": "team", "Value": "shop"}])
    assert arn == "arn:aws:cloudwatch:us-east-1:000000000000:metric-stream/shop"
    got = cw.get_metric_stream(Name="shop")
    assert got["State"] == "running" and got["OutputFormat"] == "json" and got["FirehoseArn"] == FIREHOSE
    assert got["IncludeFilters"] == [{"Namespace": "Shop", "MetricNames": ["Latency"]}] and "ExcludeFilters" not in got
    assert got["IncludeLinkedAccountsMetrics"] is False
    assert got["StatisticsConfigurations"][0]["AdditionalStatistics"] == ["p99", "tm90", "IQM"]
    cw.stop_metric_streams(Names=["shop", "not-there"])
    assert cw.get_metric_stream(Name="shop")["State"] == "stopped"
    # An update keeps the state and the tags.
    stream(cw, "shop", ExcludeFilters=[{"Namespace": "Noise"}], Tags=[{"Key": "ignored", "Value": "x"}])
    updated = cw.get_metric_stream(Name="shop")
    assert updated["State"] == "stopped" and updated["ExcludeFilters"] == [{"Namespace": "Noise"}]
    assert "IncludeFilters" not in updated and updated["CreationDate"] == got["CreationDate"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "shop"}]
    cw.start_metric_streams(Names=["shop"])
    stream(cw, "audit")
    page = cw.list_metric_streams(MaxResults=1)
    assert [(e["Name"], e["State"], e["OutputFormat"]) for e in page["Entries"]] == [("audit", "running", "json")]
    assert [e["Name"] for e in cw.list_metric_streams(NextToken=page["NextToken"])["Entries"]] == ["shop"]
    cw.delete_metric_stream(Name="audit")
    cw.delete_metric_stream(Name="audit")  # deleting what is not there succeeds, as on AWS
    with refused("ResourceNotFoundException", "Metric stream audit does not exist.", 404):
        cw.get_metric_stream(Name="audit")


def test_stream_errors(cloud):
    cw = client(cloud)
    with refused("InvalidParameterCombination", "You cannot specify both IncludeFilters and ExcludeFilters."):
        stream(cw, "s", IncludeFilters=[{"Namespace": "A"}], ExcludeFilters=[{"Namespace": "B"}])
    with refused("InvalidParameterValue", "The value no spaces for parameter Name is invalid."):
        stream(cw, "no spaces")
    with refused("InvalidParameterValue", "The value arn:aws:s3:::bucket for parameter FirehoseArn is invalid."):
        cw.put_metric_stream(Name="s", FirehoseArn="arn:aws:s3:::bucket", RoleArn=ROLE, OutputFormat="json")
    with refused("InvalidParameterValue", "The FirehoseArn must be in the same account as the metric stream."):
        cw.put_metric_stream(Name="s", FirehoseArn=FIREHOSE.replace("000000000000", "111111111111"), RoleArn=ROLE,
                             OutputFormat="json")
    with refused("InvalidParameterValue", "The value tm90 for parameter StatisticsConfigurations.member.1."
                                          "AdditionalStatistics is invalid."):
        cw.put_metric_stream(Name="s", FirehoseArn=FIREHOSE, RoleArn=ROLE, OutputFormat="opentelemetry1.0",
                             StatisticsConfigurations=[{"IncludeMetrics": [{"Namespace": "A", "MetricName": "B"}],
                                                        "AdditionalStatistics": ["tm90"]}])
    assert cw.list_metric_streams()["Entries"] == []


def test_a_running_stream_reports_its_undelivered_updates(cloud):
    cw = client(cloud)
    stream(cw, "shop", IncludeFilters=[{"Namespace": "Shop"}],
           StatisticsConfigurations=[{"IncludeMetrics": [{"Namespace": "Shop", "MetricName": "Latency"}],
                                      "AdditionalStatistics": ["p99"]}])
    now = datetime.now(timezone.utc)
    cw.put_metric_data(Namespace="Shop", MetricData=[
        {"MetricName": "Latency", "Dimensions": [{"Name": "Host", "Value": h}], "Value": 1.0, "Timestamp": now}
        for h in ("a", "b")] + [{"MetricName": "Orders", "Value": 3.0, "Timestamp": now}])
    cw.put_metric_data(Namespace="Other", MetricData=[{"MetricName": "Noise", "Value": 1.0, "Timestamp": now}])
    minute = now.replace(second=0, microsecond=0)
    dimensions = [{"Name": "MetricStreamName", "Value": "shop"}]

    def reported(name: str):
        points = cw.get_metric_statistics(Namespace="AWS/CloudWatch/MetricStreams", MetricName=name, Dimensions=dimensions,
                                          StartTime=minute, EndTime=minute + timedelta(minutes=1), Period=60,
                                          Statistics=["Sum"])["Datapoints"]
        return points[0]["Sum"] if points else None

    # Three metrics of Shop had updates that minute (Latency twice: two hosts); Latency adds p99.
    assert eventually(lambda: reported("PublishErrorRate"), timeout=150, what="the stream's report",
                      interval=1) == 1.0
    assert reported("MetricUpdate") == 3.0
    assert reported("TotalMetricUpdate") == 3 * 4 + 2 * 1
