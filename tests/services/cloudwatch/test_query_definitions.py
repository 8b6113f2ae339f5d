"""Metric data query definitions: saved queries under unique paths, kept as given."""

from __future__ import annotations

from tests.services.cloudwatch.helpers import client, refused


def test_saved_queries(cloud):
    cw = client(cloud)
    saved = cw.put_metric_data_query_definition(Path="team/web/latency", Type="SQL",
                                                Expression='SELECT AVG(Latency) FROM "Shop" GROUP BY Host',
                                                Tags=[{"Key": "team", "Value": "web"}])
    assert saved["Arn"] == f"arn:aws:cloudwatch:us-east-1:000000000000:metric-query-definition/{saved['Id']}"
    assert saved["CreatedAt"] == saved["UpdatedAt"] and saved["Type"] == "SQL"
    got = cw.get_metric_data_query_definition(Id=saved["Id"])
    assert got["Expression"] == 'SELECT AVG(Latency) FROM "Shop" GROUP BY Host' and got["Path"] == "team/web/latency"
    # An update replaces path, expression and type, and keeps the creation time.
    updated = cw.put_metric_data_query_definition(Id=saved["Id"], Path="team/web/p99", Type="METRIC_MATH",
                                                  Expression="m1 * 100")
    assert (updated["Id"], updated["CreatedAt"], updated["Type"]) == (saved["Id"], saved["CreatedAt"], "METRIC_MATH")
    assert cw.list_tags_for_resource(ResourceARN=saved["Arn"])["Tags"] == [{"Key": "team", "Value": "web"}]
    other = cw.put_metric_data_query_definition(Path="team/db/connections", Type="PROMQL", Expression="up == 0")["Id"]
    with refused("ConflictException", "A metric data query definition with the path team/web/p99 already exists.", 409):
        cw.put_metric_data_query_definition(Path="team/web/p99", Type="SQL", Expression="SELECT 1")
    with refused("ConflictException", status=409):
        cw.put_metric_data_query_definition(Id=other, Path="team/web/p99", Type="SQL", Expression="SELECT 1")
    page = cw.list_metric_data_query_definitions(MaxResults=1)
    assert [(i["Path"], i["Type"]) for i in page["Items"]] == [("team/db/connections", "PROMQL")]
    assert all(c.isalnum() or c in "-_" for c in page["NextToken"])  # the model's token pattern
    assert [i["Id"] for i in cw.list_metric_data_query_definitions(NextToken=page["NextToken"])["Items"]] == [saved["Id"]]
    with refused("ValidationError", "The NextToken is invalid."):
        cw.list_metric_data_query_definitions(NextToken="forged")
    cw.delete_metric_data_query_definition(Id=saved["Id"])
    cw.delete_metric_data_query_definition(Id=saved["Id"])  # idempotent
    missing = f"Metric data query definition {saved['Id']} does not exist."
    with refused("ResourceNotFoundException", missing, 404):
        cw.get_metric_data_query_definition(Id=saved["Id"])
    with refused("ResourceNotFoundException", missing, 404):
        cw.put_metric_data_query_definition(Id=saved["Id"], Path="x", Type="SQL", Expression="SELECT 1")


def test_path_rules(cloud):
    cw = client(cloud)
    for path, message in (("/team", "The path can't start or end with a slash."),
                          ("team/", "The path can't start or end with a slash."),
                          ("team//web", "The path can't contain an empty folder name (//)."),
                          ("é" * 508, "The path can be at most 1015 bytes when encoded as UTF-8.")):
        with refused("ValidationError", message):
            cw.put_metric_data_query_definition(Path=path, Type="SQL", Expression="SELECT 1")
    assert cw.list_metric_data_query_definitions()["Items"] == []
