"""The relay function: each new message in the table's stream is sent to AppSync's relayMessage
mutation, signed with the function's role, so that every subscriber of its room receives it."""

import json
import os
import urllib.request

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

RELAY = """mutation Relay($roomId: ID!, $id: ID!, $text: String!, $at: AWSDateTime) {
  relayMessage(roomId: $roomId, id: $id, text: $text, at: $at) { roomId id text at }
}"""


def handler(event, context):
    credentials = botocore.session.Session().get_credentials()
    relayed = 0
    for record in event["Records"]:
        if record["eventName"] != "INSERT":
            continue
        image = record["dynamodb"]["NewImage"]
        variables = {"roomId": image["roomId"]["S"], "id": image["id"]["S"], "text": image["text"]["S"],
                     "at": image["at"]["S"]}
        body = json.dumps({"query": RELAY, "variables": variables})
        request = AWSRequest("POST", os.environ["GRAPHQL_URL"], data=body, headers={"Content-Type": "application/json"})
        SigV4Auth(credentials, "appsync", os.environ["AWS_REGION"]).add_auth(request)
        outgoing = urllib.request.Request(os.environ["GRAPHQL_URL"], data=body.encode(), headers=dict(request.headers))
        with urllib.request.urlopen(outgoing, timeout=30) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(answer["errors"])
        relayed += 1
    return {"relayed": relayed}
