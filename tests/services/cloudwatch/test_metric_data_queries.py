"""GetMetricData: metric stats, metric math (arithmetic, SUM/AVG/MIN/MAX over METRICS(), RATE, FILL,
IF ...), labels, ScanBy, pages of MaxDatapoints, and the errors of bad queries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.services.cloudwatch.helpers import aligned, client, refused

def metric(name: str, stat: str = "Sum", period: int = 60, **extra) -> dict:
    return {"Id": extra.pop("Id", name.lower()), "MetricStat": {"Metric": {"Namespace": "Web", "MetricName": name},
                                                               "Period": period, "Stat": stat}, **extra}


@pytest.fixture
def web(cloud):
    """Requests 1..5 and Errors 0,1,_,1,0 (no point in the third minute), one a minute, five minutes ago."""
    cw = client(cloud)
    start = aligned(60, back=6)
    data = [{"MetricName": "Requests", "Timestamp": start + timedelta(minutes=i), "Value": float(i + 1)} for i in range(5)]
    data += [{"MetricName": "Errors", "Timestamp": start + timedelta(minutes=i), "Value": v}
             for i, v in enumerate([0.0, 1.0, None, 1.0, 0.0]) if v is not None]
    cw.put_metric_data(Namespace="Web", MetricData=data)
    return cw, start


def run(cw, start, queries, minutes=5, **extra):
    answer = cw.get_metric_data(MetricDataQueries=queries, StartTime=start, EndTime=start + timedelta(minutes=minutes),
                                ScanBy=extra.pop("ScanBy", "TimestampAscending"), **extra)
    return {r["Id"]: r for r in answer["MetricDataResults"]}, answer


def values(result) -> list[float]:
    return [round(v, 6) for v in result["Values"]]


@pytest.mark.parametrize("protocol", ["smithy-rpc-v2-cbor", "json", "query"])
def test_metric_stats_and_arithmetic(web, cloud, protocol):
    start = web[1]
    cw = client(cloud, protocol)
    results, _ = run(cw, start, [metric("Requests"), metric("Errors"),
                                 {"Id": "rate", "Expression": "errors / requests * 100", "Label": "Error rate"}])
    assert values(results["requests"]) == [1, 2, 3, 4, 5]
    assert results["requests"]["Label"] == "Requests" and results["requests"]["StatusCode"] == "Complete"
    assert [t.timestamp() for t in results["requests"]["Timestamps"]] == [(start + timedelta(minutes=i)).timestamp()
                                                                          for i in range(5)]
    # Between two series only the timestamps both have keep a value.
    assert values(results["rate"]) == [0, 50, 25, 0] and results["rate"]["Label"] == "Error rate"


def test_functions(web):
    cw, start = web
    queries = [metric("Requests", ReturnData=False), metric("Errors", ReturnData=False),
               {"Id": "total", "Expression": "SUM(METRICS())"},
               {"Id": "biggest", "Expression": "MAX(METRICS())"},
               {"Id": "mean", "Expression": "AVG(requests)"},
               {"Id": "per_second", "Expression": "RATE(requests)"},
               {"Id": "filled", "Expression": "FILL(errors, 0)"},
               {"Id": "repeated", "Expression": "FILL(errors, REPEAT)"},
               {"Id": "busy", "Expression": "IF(requests > 2, requests, 0)"},
               {"Id": "only_busy", "Expression": "IF(requests >= 4 AND errors == 1, requests)"},
               {"Id": "err_only", "Expression": "SUM(METRICS(\"err\"))"},
               {"Id": "power", "Expression": "-requests ^ 2 + ABS(-1)"},
               {"Id": "changes", "Expression": "DIFF(requests)"},
               {"Id": "running", "Expression": "RUNNING_SUM(requests)"}]
    results, _ = run(cw, start, queries)
    assert set(results) == {q["Id"] for q in queries[2:]}  # ReturnData false is left out
    assert values(results["total"]) == [1, 3, 3, 5, 5]
    assert values(results["biggest"]) == [1, 2, 3, 4, 5]
    assert values(results["mean"]) == [3] * 5  # a scalar is drawn at every period
    assert values(results["per_second"]) == [round(1 / 60, 6)] * 4
    assert values(results["filled"]) == [0, 1, 0, 1, 0]
    assert values(results["repeated"]) == [0, 1, 1, 1, 0]
    assert values(results["busy"]) == [0, 0, 3, 4, 5]
    assert values(results["only_busy"]) == [4]
    assert values(results["err_only"]) == [0, 1, 1, 0]
    assert values(results["power"]) == [0, -3, -8, -15, -24]
    assert values(results["changes"]) == [1, 1, 1, 1]
    assert values(results["running"]) == [1, 3, 6, 10, 15]


def test_an_expression_that_returns_an_array_gives_one_result_per_series(web):
    cw, start = web
    results = cw.get_metric_data(MetricDataQueries=[metric("Requests", ReturnData=False), metric("Errors", ReturnData=False),
                                                    {"Id": "all", "Expression": "METRICS() * 2"}],
                                 StartTime=start, EndTime=start + timedelta(minutes=5))["MetricDataResults"]
    assert [(r["Id"], r["Label"]) for r in results] == [("all", "Requests"), ("all", "Errors")]


def test_labels_scan_order_and_pages(web):
    cw, start = web
    labelled = metric("Requests", Label="${PROP('MetricName')} max ${MAX} of ${DATAPOINT_COUNT}")
    results, _ = run(cw, start, [labelled], ScanBy="TimestampDescending")
    assert results["requests"]["Label"] == "Requests max 5 of 5"
    assert values(results["requests"]) == [5, 4, 3, 2, 1]
    first = cw.get_metric_data(MetricDataQueries=[metric("Requests"), metric("Errors")], StartTime=start,
                               EndTime=start + timedelta(minutes=5), ScanBy="TimestampAscending", MaxDatapoints=3)
    assert [(r["Id"], r["Values"], r["StatusCode"]) for r in first["MetricDataResults"]] == [
        ("requests", [1.0, 2.0, 3.0], "PartialData"), ("errors", [], "PartialData")]
    second = cw.get_metric_data(MetricDataQueries=[metric("Requests"), metric("Errors")], StartTime=start,
                                EndTime=start + timedelta(minutes=5), ScanBy="TimestampAscending", MaxDatapoints=3,
                                NextToken=first["NextToken"])
    assert [(r["Id"], r["Values"]) for r in second["MetricDataResults"]] == [("requests", [4.0, 5.0]), ("errors", [0.0])]
    third = cw.get_metric_data(MetricDataQueries=[metric("Requests"), metric("Errors")], StartTime=start,
                               EndTime=start + timedelta(minutes=5), ScanBy="TimestampAscending", MaxDatapoints=3,
                               NextToken=second["NextToken"])
    assert [(r["Id"], r["Values"], r["StatusCode"]) for r in third["MetricDataResults"]] == [
        ("requests", [], "Complete"), ("errors", [1.0, 1.0, 0.0], "Complete")]
    assert "NextToken" not in third
    with refused("InvalidNextToken", "The service cannot complete the request."):
        cw.get_metric_data(MetricDataQueries=[metric("Requests")], StartTime=start, EndTime=start + timedelta(minutes=5),
                           NextToken=first["NextToken"])  # another query's token


def test_a_day_at_one_minute_with_percentiles(cloud):
    cw = client(cloud)
    start = aligned(3600, back=24)
    for hour in range(24):
        cw.put_metric_data(Namespace="Web", MetricData=[
            {"MetricName": "Latency", "Timestamp": start + timedelta(minutes=hour * 60 + m), "Values": [float(m), 100.0],
             "Counts": [9.0, 1.0]} for m in range(60)][:1000])
    results, _ = run(cw, start, [metric("Latency", "p90", 3600, Id="p90"), metric("Latency", "SampleCount", 3600, Id="n")],
                     minutes=24 * 60)
    assert values(results["n"]) == [600.0] * 24
    assert values(results["p90"]) == [59.0] * 24  # 540 of the hour's 600 values are 0..59


@pytest.mark.parametrize("queries, code, message", [
    ([{"Id": "M1", "Expression": "1"}], "ValidationError",
     "Invalid metric data query id: M1. The id must start with a lowercase letter and contain only letters, numbers and "
     "underscores."),
    ([metric("Requests", Id="a"), metric("Errors", Id="a")], "ValidationError",
     "The value a for parameter MetricDataQueries.member.2.Id is not unique."),
    ([{"Id": "e", "Expression": "FOO(1)"}], "ValidationError", "Error in expression e: Unrecognized function FOO"),
    ([{"Id": "e", "Expression": "SEARCH('{Web} Requests', 'Sum', 60)"}], "ValidationError",
     "Error in expression e: The function SEARCH is not supported by regionbox"),
    ([{"Id": "a", "Expression": "b + 1"}, {"Id": "b", "Expression": "a * 2"}], "ValidationError",
     "Error in expression a: Circular dependency between a -> b -> a"),
    ([{"Id": "e", "Expression": "m9 * 2"}], "ValidationError", "Error in expression e: Unrecognized metric or expression id: m9"),
    ([{"Id": "e", "Expression": "(1 + "}], "ValidationError", "Error in expression e: Expected more at the end"),
    ([metric("Requests", ReturnData=False)], "ValidationError",
     "At least one of the metric data queries must have ReturnData set to true."),
    ([metric("Requests", period=45)], "InvalidParameterValue",
     "The parameter MetricDataQueries.member.1.MetricStat.Period must be 1, 5, 10, 20, 30, or any multiple of 60."),
    ([{"Id": "e"}], "ValidationError",
     "Exactly one of MetricDataQueries.member.1.MetricStat and MetricDataQueries.member.1.Expression must be specified."),
])
def test_bad_queries(web, queries, code, message):
    cw, start = web
    with refused(code, message, 400):
        run(cw, start, queries)
