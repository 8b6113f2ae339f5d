"""Alarm actions on Lambda functions: the function gets CloudWatch's alarm event when its
resource policy lets lambda.alarms.cloudwatch.amazonaws.com in; the outcome is in the history."""

from __future__ import annotations

import json

from tests.services.cloudwatch.helpers import client
from tests.services.lambda_.helpers import ACCOUNT, create, eventually, log_messages

HANDLER = "import json\n\ndef handler(event, context):\n    print('EVENT ' + json.dumps(event))\n    return 'ok'\n"


def actions(cw, name: str) -> list[str]:
    return [h["HistorySummary"] for h in cw.describe_alarm_history(AlarmName=name, HistoryItemType="Action")["AlarmHistoryItems"]]


def test_a_lambda_action_gets_the_alarm_event(cloud):
    function = create(cloud, "on-alarm", HANDLER)["FunctionArn"]
    create(cloud, "not-allowed", HANDLER)
    lam = cloud.client("lambda", account=ACCOUNT)
    lam.add_permission(FunctionName="on-alarm", StatementId="alarms", Action="lambda:InvokeFunction",
                       Principal="lambda.alarms.cloudwatch.amazonaws.com")
    cw = client(cloud, account=ACCOUNT)
    for name, target in (("paging", function), ("refused", function.replace("on-alarm", "not-allowed"))):
        cw.put_metric_alarm(AlarmName=name, AlarmDescription="queue too deep", Namespace="Jobs", MetricName="Depth",
                            Dimensions=[{"Name": "Queue", "Value": "mail"}], Statistic="Maximum", Period=60,
                            EvaluationPeriods=1, Threshold=10.0, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="ignore", AlarmActions=[target])
        cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="drill")
    assert eventually(lambda: actions(cw, "paging"), timeout=60) == [f"Successfully executed action {function}"]
    line = eventually(lambda: [m for m in log_messages(cloud, "on-alarm") if m.startswith("EVENT ")], timeout=60)[0]
    event = json.loads(line[len("EVENT "):])
    assert (event["source"], event["alarmArn"], event["accountId"], event["region"]) == (
        "aws.cloudwatch", f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:paging", ACCOUNT, "us-east-1")
    data = event["alarmData"]
    assert (data["alarmName"], data["state"]["value"], data["state"]["reason"], data["previousState"]["value"]) == (
        "paging", "ALARM", "drill", "INSUFFICIENT_DATA")
    assert data["configuration"] == {"description": "queue too deep", "metrics": [{
        "id": "m1", "returnData": True, "metricStat": {"metric": {"namespace": "Jobs", "name": "Depth",
                                                                  "dimensions": {"Queue": "mail"}},
                                                       "period": 60, "stat": "Maximum"}}]}
    refused = eventually(lambda: actions(cw, "refused"), timeout=60)[0]
    assert refused.startswith("Failed to execute action arn:aws:lambda:us-east-1:111111111111:function:not-allowed. "
                              'Received error: "AccessDeniedException: ')
