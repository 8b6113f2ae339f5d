"""Dashboards (account-wide, bodies checked as JSON with CloudWatch's error shape), anomaly
detector configurations (kept, never trained: PENDING_TRAINING), the default dataset, and what
stays 501 saying why."""

from __future__ import annotations

import json
import struct
import zlib
from datetime import datetime, timedelta, timezone

from tests.services.cloudwatch.helpers import client, refused

BODY = json.dumps({"widgets": [{"type": "metric", "x": 0, "y": 0, "width": 12, "height": 6,
                                "properties": {"metrics": [["Shop", "Latency"]], "region": "us-east-1"}}]})


def test_dashboards(cloud):
    cw = client(cloud)
    assert cw.put_dashboard(DashboardName="shop-overview", DashboardBody=BODY)["DashboardValidationMessages"] == []
    cw.put_dashboard(DashboardName="shop-db", DashboardBody=json.dumps({"widgets": []}))
    cw.put_dashboard(DashboardName="other", DashboardBody=json.dumps({"widgets": []}))
    got = cw.get_dashboard(DashboardName="shop-overview")
    assert got["DashboardBody"] == BODY and got["DashboardArn"] == "arn:aws:cloudwatch::000000000000:dashboard/shop-overview"
    entries = cw.list_dashboards(DashboardNamePrefix="shop")["DashboardEntries"]
    assert [(e["DashboardName"], e["Size"]) for e in entries] == [("shop-db", 15), ("shop-overview", len(BODY))]
    # Dashboards belong to the account: another region sees them.
    assert client(cloud, region="eu-west-1").get_dashboard(DashboardName="other")["DashboardName"] == "other"
    with refused("ResourceNotFound", "Dashboard nope does not exist", 404):
        cw.delete_dashboards(DashboardNames=["other", "nope"])
    cw.delete_dashboards(DashboardNames=["other"])
    with refused("ResourceNotFound", "Dashboard other does not exist", 404):
        cw.get_dashboard(DashboardName="other")


def test_dashboard_body_errors(cloud):
    cw = client(cloud)
    with refused("InvalidParameterInput", "The field DashboardBody must be a valid JSON object", 400) as caught:
        cw.put_dashboard(DashboardName="broken", DashboardBody="{")
    assert caught.value.response["dashboardValidationMessages"][0]["DataPath"] == "/"
    with refused("InvalidParameterInput") as caught:
        cw.put_dashboard(DashboardName="broken", DashboardBody="{}")
    assert caught.value.response["dashboardValidationMessages"] == [
        {"DataPath": "", "Message": "Should have required property 'widgets'"}]
    with refused("InvalidParameterInput", "The value for field DashboardName contains invalid characters. It can only "
                 "contain alphanumerics, dash (-) and underscore (_)."):
        cw.put_dashboard(DashboardName="no spaces", DashboardBody=BODY)
    assert cw.list_dashboards()["DashboardEntries"] == []


def test_anomaly_detectors_are_kept_untrained(cloud):
    cw = client(cloud)
    single = {"Namespace": "Shop", "MetricName": "Latency", "Dimensions": [{"Name": "Service", "Value": "checkout"}],
              "Stat": "Average"}
    cw.put_anomaly_detector(SingleMetricAnomalyDetector=single, Configuration={"ExcludedTimeRanges": [], "MetricTimezone": "UTC"})
    found = cw.describe_anomaly_detectors(Namespace="Shop")["AnomalyDetectors"]
    assert len(found) == 1 and found[0]["StateValue"] == "PENDING_TRAINING"
    assert found[0]["SingleMetricAnomalyDetector"] == single and found[0]["MetricName"] == "Latency"
    assert cw.describe_anomaly_detectors(AnomalyDetectorTypes=["METRIC_MATH"])["AnomalyDetectors"] == []
    cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    with refused("ResourceNotFoundException", "No anomaly detector found for the given parameters.", 404):
        cw.delete_anomaly_detector(SingleMetricAnomalyDetector=single)
    with refused("InvalidParameterCombination", "Exactly one of SingleMetricAnomalyDetector or MetricMathAnomalyDetector "
                 "must be specified."):
        cw.put_anomaly_detector()


def test_what_is_not_built_says_why(cloud):
    cw = client(cloud)
    with refused("NotImplemented", status=501) as caught:
        cw.describe_alarm_contributors(AlarmName="any")
    assert "multi-time-series" in caught.value.response["Error"]["Message"]


def test_metric_widget_image_is_a_png_of_the_data(cloud):
    cw = client(cloud)
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=30)
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Latency", "Timestamp": start + timedelta(minutes=m),
                                                      "Value": float(m % 7)} for m in range(30)])
    widget = {"metrics": [["Shop", "Latency", {"stat": "Maximum", "color": "#d62728"}]], "period": 60, "start": "-PT1H",
              "width": 320, "height": 200, "annotations": {"horizontal": [{"value": 5}]}}
    image = cw.get_metric_widget_image(MetricWidget=json.dumps(widget))["MetricWidgetImage"]
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", image[16:26])
    assert (width, height, depth, colour) == (320, 200, 8, 2)
    pixels = zlib.decompress(image[image.index(b"IDAT") + 4:image.index(b"IEND") - 8])
    assert bytes.fromhex("d62728") in pixels  # the line, in its colour
    empty = cw.get_metric_widget_image(MetricWidget=json.dumps({**widget, "metrics": [["Shop", "Nothing"]]}))
    assert bytes.fromhex("d62728") not in zlib.decompress(
        empty["MetricWidgetImage"][empty["MetricWidgetImage"].index(b"IDAT") + 4:empty["MetricWidgetImage"].index(b"IEND") - 8])
    with refused("InvalidParameterValue", "The field MetricWidget must be a valid JSON object."):
        cw.get_metric_widget_image(MetricWidget="{")
    with refused("InvalidParameterValue", "The field metrics of MetricWidget must be a non-empty array."):
        cw.get_metric_widget_image(MetricWidget="{}")


def test_the_default_dataset_has_no_customer_key(cloud):
    cw = client(cloud)
    arn = "arn:aws:cloudwatch:us-east-1:000000000000:dataset/default"
    for identifier in ("default", arn):
        got = cw.get_dataset(DatasetIdentifier=identifier)
        assert (got["DatasetId"], got["Arn"], "KmsKeyArn" in got) == ("default", arn, False)
    with refused("ResourceNotFoundException", "The dataset default has no associated KMS key.", 404):
        cw.disassociate_dataset_kms_key(DatasetIdentifier="default")
    with refused("ResourceNotFoundException", "Dataset arn:aws:cloudwatch:us-east-1:111111111111:dataset/default does not "
                                              "exist.", 404):
        cw.get_dataset(DatasetIdentifier="arn:aws:cloudwatch:us-east-1:111111111111:dataset/default")
    with refused("NotImplemented", status=501) as caught:
        cw.associate_dataset_kms_key(DatasetIdentifier="default",
                                     KmsKeyArn="arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    assert "does not serve KMS" in caught.value.response["Error"]["Message"]
    for call in (lambda: cw.put_log_alarm(**LOG_ALARM), cw.get_o_tel_enrichment,
                 lambda: cw.get_resource_metrics_configuration(ResourceArn="arn:aws:rds:us-east-1:000000000000:db:app")):
        with refused("NotImplemented", status=501):
            call()


LOG_ALARM = {"AlarmName": "errors", "ScheduledQueryConfiguration": {
    "QueryString": "fields @message | filter @message like /ERROR/", "LogGroupIdentifiers": ["/app"],
    "ScheduledQueryRoleARN": "arn:aws:iam::000000000000:role/q",
    "ScheduleConfiguration": {"ScheduleExpression": "rate(5 minutes)", "StartTimeOffset": 300},
    "AggregationExpression": "count(*)"}, "QueryResultsToEvaluate": 1, "QueryResultsToAlarm": 1, "Threshold": 1.0,
    "ComparisonOperator": "GreaterThanThreshold"}


def rows_of(image: bytes) -> list[list[bytes]]:
    """The PNG's pixels (RGB, no filters, as GetMetricWidgetImage writes it), row by row."""
    width, height = struct.unpack(">II", image[16:24])
    raw = zlib.decompress(image[image.index(b"IDAT") + 4:image.index(b"IEND") - 8])
    stride = width * 3 + 1
    return [[raw[y * stride + 1 + x * 3:y * stride + 4 + x * 3] for x in range(width)] for y in range(height)]


def count(rows: list[list[bytes]], colour: str, top: int = 0, bottom: int | None = None, left: int = 0,
          right: int | None = None) -> int:
    wanted = bytes.fromhex(colour)
    return sum(1 for row in rows[top:bottom] for pixel in row[left:right] if pixel == wanted)


def test_metric_widget_image_has_its_texts(cloud):
    cw = client(cloud)
    start = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=30)
    cw.put_metric_data(Namespace="Shop", MetricData=[{"MetricName": "Latency", "Timestamp": start + timedelta(minutes=m),
                                                      "Value": float(m % 7)} for m in range(30)])
    widget = {"metrics": [["Shop", "Latency", {"label": "p99 latency", "color": "#2ca02c"}]], "period": 60,
              "start": "-PT1H", "width": 400, "height": 240, "title": "HI", "yAxis": {"left": {"min": 0, "max": 100}}}

    def image(**changes) -> list[list[bytes]]:
        return rows_of(cw.get_metric_widget_image(MetricWidget=json.dumps({**widget, **changes}))["MetricWidgetImage"])

    drawn = image()
    # The title, in the title colour, in the band above the plot: H (17 pixels) and I (11) of the 5x7 font.
    assert count(drawn, "16191f") == 28 and count(drawn, "16191f", top=8, bottom=15) == 28
    assert count(image(title="HIH"), "16191f") == 45 and count(image(title=""), "16191f") == 0
    grey = "5f6b7a"  # tick values, times, legend
    plain = count(drawn, grey)
    values_band = count(drawn, grey, left=0, right=30)  # 0, 25, 50, 75, 100 left of the axis
    assert values_band > 0 and count(image(yAxis={"left": {"min": 0, "max": 1}}), grey, right=30) != values_band
    # Times under the axis, and the legend below them: the series' colour swatch and its label.
    assert count(drawn, grey, top=240 - 40, bottom=240 - 24) > 0
    assert count(drawn, "2ca02c", top=240 - 14) > 0
    hidden = image(legend={"position": "hidden"})
    assert count(hidden, "2ca02c", top=240 - 14) == 0 and count(hidden, grey) < plain
    assert count(image(yAxis={"left": {"min": 0, "max": 100, "label": "Milliseconds"}}), grey) > plain
