"""The 7R rules as pure functions over discovered servers (DiscoveryApi's dicts) and preferences."""

from __future__ import annotations

from datetime import date

import pytest

from regionbox.services.migrationhubstrategy.rules import (AURORA_POSTGRES, BABELFISH, EC2, ECS, EMP, FARGATE, MGN,
                                                            OS_UPGRADE, RDS_MYSQL, RDS_POSTGRES, SCT, Preferences,
                                                            component_of, component_options, facts_of, server_options)

NOW = date(2026, 11, 30)


def server(os_name="Ubuntu", os_version="24.04", cpu="35.0", processes=(), hypervisor=None):
    attributes = {"server.hostName": "host-1", "server.osName": os_name, "server.osVersion": os_version}
    if cpu is not None:
        attributes["server.performance.avgCpuUsagePct"] = cpu
    if hypervisor:
        attributes["server.hypervisor"] = hypervisor
    return {"configurationId": "d-server-0123456789abcdef", "attributes": attributes, "applications": [],
            "processes": [{"name": n, "commandLine": c, "path": f"/usr/bin/{n}"} for n, c in processes]}


def top(options):
    return (options[0].strategy, options[0].destination, options[0].tool)


@pytest.mark.parametrize("os_name, os_version, expected", [
    ("Ubuntu", "24.04", ("Rehost", EC2, MGN)),
    ("CentOS Linux", "7.9.2009", ("Replatform", EC2, OS_UPGRADE)),
    ("Ubuntu", "18.04", ("Replatform", EC2, OS_UPGRADE)),
    ("Microsoft Windows Server 2012 R2 Standard", "6.3.9600", ("Replatform", EC2, EMP)),
    ("Microsoft Windows Server 2022 Datacenter", "10.0.20348", ("Rehost", EC2, MGN)),
    ("AIX", "7.2", ("Retain", "None specified", None)),
])
def test_the_operating_system_and_its_end_of_support(os_name, os_version, expected):
    options = server_options(facts_of(server(os_name, os_version)), Preferences(), NOW)
    assert top(options) == expected
    assert options[0].status == "recommended" and all(o.status == "viableOption" for o in options[1:])


def test_end_of_support_is_judged_on_the_day_given():
    facts = facts_of(server("Ubuntu", "22.04"))
    assert top(server_options(facts, Preferences(), date(2027, 5, 31)))[0] == "Rehost"
    options = server_options(facts, Preferences(), date(2027, 6, 1))
    assert top(options)[0] == "Replatform"
    assert options[0].reason == ("Ubuntu 22.04 reached its end of support on 2027-06-01: upgrade the operating system "
                                 "in place while moving to EC2")
    assert [o.strategy for o in options] == ["Replatform", "Rehost"]


def test_an_idle_server_is_retired():
    options = server_options(facts_of(server(cpu="0.4")), Preferences(), NOW)
    assert top(options) == ("Retirement", "None specified", None)
    assert options[0].reason == ("Average CPU utilisation 0.4% is below 2%: the server is idle, retire it instead of "
                                 "migrating it")
    assert options[1].strategy == "Rehost"
    # Without utilisation data nothing says it is idle.
    assert top(server_options(facts_of(server(cpu=None)), Preferences(), NOW))[0] == "Rehost"


def test_packaged_products_are_repurchased_and_vmware_relocated_when_speed_leads():
    exchange = facts_of(server("Microsoft Windows Server 2019", "10.0", processes=[("MSExchangeTransport", "")]))
    assert top(server_options(exchange, Preferences(), NOW))[0] == "Repurchase"
    vm = facts_of(server(hypervisor="VMware"))
    assert top(server_options(vm, Preferences(), NOW))[0] == "Rehost"
    assert top(server_options(vm, Preferences(goals={"speedOfMigration": 5}), NOW))[0] == "Relocate"


@pytest.mark.parametrize("name, command, app_type, sub_type", [
    ("postgres", "/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main", "PostgreSQLServer", "Database"),
    ("mysqld", "/usr/sbin/mysqld", "MySQL", "Database"),
    ("java", "java -Dcatalina.base=/opt/tomcat org.apache.catalina.startup.Bootstrap start", "Tomcat", "Process"),
    ("java", "java -jar orders.jar", "Java", "Process"),
    ("node", "node server.js", "Other", "Process"),
    ("python3", "python3 -m gunicorn app:app", "Other", "Process"),
    ("w3wp.exe", "c:\\windows\\system32\\inetsrv\\w3wp.exe -ap DefaultAppPool", "IIS", "Process"),
    ("sqlservr.exe", "", "SQLServer", "Database"),
])
def test_processes_become_components(name, command, app_type, sub_type):
    component = component_of({"name": name, "commandLine": command})
    assert (component.app_type, component.sub_type) == (app_type, sub_type)


def test_system_processes_are_not_components():
    assert component_of({"name": "sshd", "commandLine": "sshd: /usr/sbin/sshd -D"}) is None
    assert component_of({"name": "systemd", "commandLine": "/sbin/init"}) is None


def test_database_recommendations_follow_the_preferences():
    postgres = component_of({"name": "postgres", "commandLine": "postgres -D /data"})
    assert top(component_options(postgres, Preferences())) == ("Replatform", RDS_POSTGRES, "Database Migration Service")
    managed = Preferences(db_management="AWS-managed")
    assert top(component_options(postgres, managed))[1] == AURORA_POSTGRES
    assert top(component_options(postgres, Preferences(db_management="Self-manage"))) == ("Rehost", EC2, MGN)
    mysql = component_of({"name": "mysqld", "commandLine": "/usr/sbin/mysqld"})
    assert top(component_options(mysql, Preferences()))[1] == RDS_MYSQL

    sql_server = component_of({"name": "sqlservr.exe", "commandLine": ""})
    assert top(component_options(sql_server, Preferences()))[0] == "Replatform"
    cheaper = Preferences(goals={"licenseCostReduction": 5})
    options = component_options(sql_server, cheaper)
    assert top(options) == ("Refactor", BABELFISH, SCT)
    assert "removes the SQL Server licence" in options[0].reason
    oracle = component_of({"name": "ora_pmon_orcl", "commandLine": ""})
    heterogeneous = Preferences(db_migration="heterogeneous", db_engine="AWS PostgreSQL")
    assert top(component_options(oracle, heterogeneous)) == ("Refactor", AURORA_POSTGRES, SCT)


def test_application_recommendations_follow_the_goals_and_destination():
    tomcat = component_of({"name": "java", "commandLine": "java org.apache.catalina.startup.Bootstrap"})
    assert top(component_options(tomcat, Preferences())) == ("Replatform", ECS, "App2Container")
    assert top(component_options(tomcat, Preferences(app_management="awsManagedResources", app_destination=FARGATE)))[1] == FARGATE
    fast = component_options(tomcat, Preferences(goals={"speedOfMigration": 5}))
    assert top(fast) == ("Rehost", EC2, MGN) and fast[0].reason.endswith("(speed of migration is a leading goal)")
    node = component_of({"name": "node", "commandLine": "node server.js"})
    assert top(component_options(node, Preferences()))[0] == "Rehost"
    assert top(component_options(node, Preferences(goals={"modernizeInfrastructureWithCloudNativeTechnologies": 5})))[0] == "Replatform"


def test_preferences_are_read_from_the_api_document():
    preferences = Preferences.of({
        "prioritizeBusinessGoals": {"businessGoals": {"licenseCostReduction": 5, "speedOfMigration": 2}},
        "applicationPreferences": {"managementPreference": {"awsManagedResources": {"targetDestination": [FARGATE]}}},
        "databasePreferences": {"databaseManagementPreference": "AWS-managed",
                                "databaseMigrationPreference": {"heterogeneous": {"targetDatabaseEngine": ["Amazon Aurora"]}}}})
    assert preferences.leads("licenseCostReduction") and not preferences.leads("speedOfMigration")
    assert (preferences.app_management, preferences.app_destination) == ("awsManagedResources", FARGATE)
    assert (preferences.db_management, preferences.db_migration, preferences.db_engine) == (
        "AWS-managed", "heterogeneous", "Amazon Aurora")
