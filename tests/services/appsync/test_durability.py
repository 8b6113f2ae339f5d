"""An AppSync API, its schema, resolvers and API key survive kill -9 of regionbox: after the
restart the same URL and key answer the same queries."""

from __future__ import annotations

import requests

from regionbox.testing import CloudProcess
from tests.services.appsync.support import chat_api


def test_an_api_survives_kill_9(tmp_path):
    process = CloudProcess(tmp_path / "state").start()
    try:
        chat = chat_api(process, account="123456789012")
        url, key = chat["api"]["uris"]["GRAPHQL_NO_DNS"], chat["key"]
        sent = requests.post(url, json={"query": 'mutation { sendMessage(roomId: "r", text: "kept") { id } }'},
                             headers={"x-api-key": key}, timeout=60).json()["data"]["sendMessage"]["id"]
        process.kill9()
        process.start()
        answer = requests.post(url, json={"query": '{ listMessages(roomId: "r") { id text } echo(text: "back") }'},
                               headers={"x-api-key": key}, timeout=60).json()
        assert answer == {"data": {"listMessages": [{"id": sent, "text": "kept"}], "echo": "back"}}
    finally:
        process.cleanup()


def test_an_event_api_and_its_domain_survive_kill_9(tmp_path):
    from tests.services.appsync.test_events import HANDLERS, make_api, publish

    process = CloudProcess(tmp_path / "state").start()
    try:
        api = make_api(process, codeHandlers=HANDLERS)
        appsync = process.client("appsync", account="123456789012")
        appsync.create_domain_name(domainName="kept.example.localhost",
                                   certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/x")
        appsync.associate_api(domainName="kept.example.localhost", apiId=api["id"])
        process.kill9()
        process.start()
        assert publish(api, "/chat/a", [{"n": 1}]).json()["failed"] == []
        via_domain = requests.post(f"{process.endpoint}/event", json={"channel": "/chat/a", "events": ['{"bad": true}']},
                                   headers={"Host": "kept.example.localhost", "x-api-key": api["key"]}, timeout=60)
        assert via_domain.json()["failed"][0]["errorMessage"] == "bad event"  # the handler came back too
    finally:
        process.cleanup()
