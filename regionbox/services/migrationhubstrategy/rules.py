"""The 7R decision rules of Strategy Recommendations, as tables over what Application Discovery
Service discovered (``DiscoveryApi.servers`` / ``applications`` dicts) and the portfolio
preferences. Pure functions: no state, no I/O; ``now`` is passed in so that end-of-life
decisions are reproducible.

How a decision is made:

1. Each running process is matched against ``COMPONENT_TYPES`` (first match wins): it becomes an
   application component of that type (PostgreSQL, MySQL, Java/Tomcat, IIS, .NET ...), or is
   ignored when nothing matches (system daemons are not components).
2. A component's options are the rows of ``COMPONENT_RULES`` for its type whose condition holds,
   in table order: the first is ``recommended``, the others ``viableOption``. Conditions read the
   preferences (``Preferences``): business goals ranked 1 (least important) to 5 (most important);
   a goal "leads" at 4 or 5. Explicit preferences (database engine, management) come before goals.
3. A server's options are the rows of ``SERVER_RULES`` whose condition holds over its facts
   (``ServerFacts``: OS and its end of support, utilisation, hypervisor, components), in order.

Every option carries its reason, written into the AWS fields a user reads: the tool's
``description`` of the recommendation and the resource's ``statusMessage``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

# -- what AWS calls things --------------------------------------------------------------------
EC2 = "Amazon Elastic Cloud Compute (EC2)"
ECS = "Amazon Elastic Container Service (ECS)"
EKS = "Amazon Elastic Kubernetes Service (EKS)"
FARGATE = "AWS Fargate"
BEANSTALK = "AWS Elastic BeanStalk"
RDS = "Amazon Relational Database Service"
RDS_POSTGRES = "Amazon Relational Database Service on PostgreSQL"
RDS_MYSQL = "Amazon Relational Database Service on MySQL"
AURORA_POSTGRES = "Aurora PostgreSQL"
AURORA_MYSQL = "Aurora MySQL"
BABELFISH = "Babelfish for Aurora PostgreSQL"
DOCUMENTDB = "Amazon DocumentDB"
DYNAMODB = "Amazon DynamoDB"
NONE = "None specified"

MGN = "Application Migration Service"
A2C = "App2Container"
PORTING = "Porting Assistant For .NET"
EMP = "End of Support Migration"
WWAMA = "Windows Web Application Migration Assistant"
OS_UPGRADE = "In Place Operating System Upgrade"
SCT = "Schema Conversion Tool"
DMS = "Database Migration Service"
SQL_BACKUP = "Native SQL Server Backup/Restore"
SUPPORT = "Strategy Recommendation Support"

TOOL_LINKS = {
    MGN: "https://aws.amazon.com/application-migration-service/",
    A2C: "https://docs.aws.amazon.com/app2container/latest/UserGuide/what-is-a2c.html",
    PORTING: "https://aws.amazon.com/porting-assistant-dotnet/",
    EMP: "https://docs.aws.amazon.com/emp/latest/userguide/what-is-emp.html",
    WWAMA: "https://github.com/awslabs/windows-web-app-migration-assistant",
    SCT: "https://aws.amazon.com/dms/schema-conversion-tool/",
    DMS: "https://aws.amazon.com/dms/",
}


# -- the inputs -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Preferences:
    """PutPortfolioPreferences' input, reduced to what the rules read."""

    goals: dict[str, int] = field(default_factory=dict)  # businessGoals: name -> rank 1..5
    app_management: str | None = None  # "awsManagedResources" | "selfManageResources" | "noPreference"
    app_destination: str | None = None  # the target destination chosen with it
    db_management: str | None = None  # "AWS-managed" | "Self-manage" | "No preference"
    db_migration: str | None = None  # "heterogeneous" | "homogeneous" | "noPreference"
    db_engine: str | None = None  # the target database engine chosen with it

    @classmethod
    def of(cls, document: dict | None) -> "Preferences":
        document = document or {}
        goals = (document.get("prioritizeBusinessGoals") or {}).get("businessGoals") or {}
        management = (document.get("applicationPreferences") or {}).get("managementPreference") or {}
        app_kind = next(iter(management), None)
        databases = document.get("databasePreferences") or {}
        migration = databases.get("databaseMigrationPreference") or {}
        db_kind = next(iter(migration), None)
        return cls(goals=dict(goals), app_management=app_kind,
                   app_destination=_first(management.get(app_kind, {}).get("targetDestination")) if app_kind else None,
                   db_management=databases.get("databaseManagementPreference"), db_migration=db_kind,
                   db_engine=_first(migration.get(db_kind, {}).get("targetDatabaseEngine")) if db_kind else None)

    def leads(self, goal: str) -> bool:
        return self.goals.get(goal, 0) >= 4


def _first(values) -> str | None:
    return values[0] if values else None


@dataclass(frozen=True)
class Component:
    """An application component: a recognised process on a server."""

    name: str  # the process name
    app_type: str  # AWS's AppType
    sub_type: str  # "Database" | "Process"
    engine: str  # for messages: "PostgreSQL", "Tomcat" ...
    command_line: str = ""


@dataclass(frozen=True)
class ServerFacts:
    server_id: str
    name: str
    os_name: str
    os_version: str
    os_type: str | None  # "LINUX" | "WINDOWS" | None (an OS that does not run on AWS)
    os_family: str  # ServerOsType: WindowsServer, AmazonLinux, EndOfSupportWindowsServer, Redhat, Other
    end_of_support: date | None  # when the OS version's support ended or ends
    avg_cpu: float | None
    hypervisor: str
    components: tuple[Component, ...]
    processes: tuple[str, ...] = ()  # every process's name, for packaged products

    @property
    def packaged(self) -> list[str]:
        return sorted({name for name in self.processes if PACKAGED.search(name)})


@dataclass(frozen=True)
class Option:
    strategy: str
    destination: str
    tool: str | None
    reason: str
    status: str = "recommended"  # recommended | viableOption | notRecommended | potential

    def recommendation_set(self) -> dict:
        tool: dict = {"description": self.reason}
        if self.tool:
            tool["name"] = self.tool
            if self.tool in TOOL_LINKS:
                tool["tranformationToolInstallationLink"] = TOOL_LINKS[self.tool]
        return {"strategy": self.strategy, "targetDestination": self.destination, "transformationTool": tool}


# -- 1. processes -> components ---------------------------------------------------------------
# (pattern over "name commandLine", AppType, sub type, engine); first match wins, so specific
# Java servers come before plain Java.
COMPONENT_TYPES: list[tuple[str, str, str, str]] = [
    (r"\b(postgres|postmaster)\b", "PostgreSQLServer", "Database", "PostgreSQL"),
    (r"\bmariadbd?\b", "Maria DB", "Database", "MariaDB"),
    (r"\bmysqld\b", "MySQL", "Database", "MySQL"),
    (r"\bmongod\b", "Mongo DB", "Database", "MongoDB"),
    (r"\bsqlservr(\.exe)?\b", "SQLServer", "Database", "SQL Server"),
    (r"\b(ora_pmon_\w+|tnslsnr|oracle)\b", "Oracle", "Database", "Oracle Database"),
    (r"\bdb2sysc\b", "DB2", "Database", "Db2"),
    (r"\bdataserver\b", "Sybase", "Database", "Sybase ASE"),
    (r"CassandraDaemon|\bcassandra\b", "Cassandra", "Database", "Cassandra"),
    (r"weblogic", "Oracle WebLogic", "Process", "WebLogic"),
    (r"websphere|\bwlp\b", "IBM WebSphere", "Process", "WebSphere"),
    (r"jboss|wildfly", "JBoss", "Process", "JBoss"),
    (r"catalina|tomcat", "Tomcat", "Process", "Tomcat"),
    (r"spring", "Spring", "Process", "Spring Boot"),
    (r"\bjava(\.exe)?\b", "Java", "Process", "Java"),
    (r"\bw3wp(\.exe)?\b|\binetinfo\b", "IIS", "Process", "IIS"),
    (r"\bdotnet(\.exe)?\b", "DotnetCore", "Process", ".NET"),
    (r"\bnode(js)?\b|\bpython[0-9.]*\b|\bruby\b|\bphp(-fpm)?\b", "Other", "Process", "runtime"),
]
_COMPONENT_PATTERNS = [(re.compile(pattern, re.IGNORECASE), app, sub, engine) for pattern, app, sub, engine in COMPONENT_TYPES]
# Runtimes named by the process (node, python3.11 ...) are reported by their own name.
_RUNTIME = re.compile(r"node(js)?|python[0-9.]*|ruby|php(-fpm)?", re.IGNORECASE)


def component_of(process: dict) -> Component | None:
    name, command = process.get("name") or "", process.get("commandLine") or ""
    text = f"{name} {command}"
    for pattern, app_type, sub_type, engine in _COMPONENT_PATTERNS:
        if pattern.search(text):
            if engine == "runtime":
                found = _RUNTIME.search(text)
                engine = found.group(0).lower() if found else name
            return Component(name=name, app_type=app_type, sub_type=sub_type, engine=engine, command_line=command)
    return None


def components_of(server: dict) -> tuple[Component, ...]:
    """One component per (type, process name): a PostgreSQL server's backends are one database."""
    found: dict[tuple[str, str], Component] = {}
    for process in server.get("processes") or []:
        component = component_of(process)
        if component is not None:
            found.setdefault((component.app_type, component.engine), component)
    return tuple(found.values())


# -- 2. components -> options -----------------------------------------------------------------
Condition = Callable[[Preferences], bool]
ALWAYS: Condition = lambda p: True  # noqa: E731


def _db_engine(*engines: str) -> Condition:
    return lambda p: p.db_migration in ("heterogeneous", "noPreference") and p.db_engine in engines


def _self_managed_db(p: Preferences) -> bool:
    return p.db_management == "Self-manage"


def _managed(p: Preferences) -> bool:
    return p.db_management == "AWS-managed" or p.leads("reduceOperationalOverheadWithManagedServices")


def _open_source_target(p: Preferences) -> bool:
    return _db_engine("AWS PostgreSQL", "Amazon Aurora")(p) or p.leads("licenseCostReduction")


def _speed(p: Preferences) -> bool:
    return p.leads("speedOfMigration")


def _modernize(p: Preferences) -> bool:
    return p.leads("modernizeInfrastructureWithCloudNativeTechnologies")


def _containers(p: Preferences) -> bool:
    return _modernize(p) or p.app_destination in (ECS, EKS, FARGATE)


# (app types, condition, strategy, destination, tool, reason). For each component the rows of
# its type whose condition holds give its options, in this order. "{engine}" is the component's.
DATABASES = ("PostgreSQLServer", "MySQL", "Maria DB", "Mongo DB", "SQLServer", "Oracle", "DB2", "Sybase", "Cassandra")
COMMERCIAL_DATABASES = ("SQLServer", "Oracle", "DB2", "Sybase")
JAVA = ("Java", "Tomcat", "Spring", "JBoss")
LICENSED_JAVA_SERVERS = ("Oracle WebLogic", "IBM WebSphere")
COMPONENT_RULES: list[tuple[tuple[str, ...], Condition, str, str, str | None, str]] = [
    (DATABASES, _self_managed_db, "Rehost", EC2, MGN,
     "{engine} moves as it is onto EC2: the portfolio preference is self-managed databases"),
    (("SQLServer",), _open_source_target, "Refactor", BABELFISH, SCT,
     "SQL Server to Babelfish for Aurora PostgreSQL removes the SQL Server licence (licence cost reduction or an open-source target engine is preferred)"),
    (("Oracle", "DB2", "Sybase"), _open_source_target, "Refactor", AURORA_POSTGRES, SCT,
     "{engine} converted to Aurora PostgreSQL with the Schema Conversion Tool removes its licence (licence cost reduction or an open-source target engine is preferred)"),
    (("PostgreSQLServer",), _managed, "Replatform", AURORA_POSTGRES, DMS,
     "PostgreSQL runs on Aurora PostgreSQL, managed by AWS (managed services are preferred)"),
    (("PostgreSQLServer",), ALWAYS, "Replatform", RDS_POSTGRES, DMS,
     "PostgreSQL runs unchanged on Amazon RDS for PostgreSQL, which AWS patches and backs up"),
    (("MySQL", "Maria DB"), _managed, "Replatform", AURORA_MYSQL, DMS,
     "{engine} runs on Aurora MySQL, managed by AWS (managed services are preferred)"),
    (("MySQL",), ALWAYS, "Replatform", RDS_MYSQL, DMS,
     "MySQL runs unchanged on Amazon RDS for MySQL, which AWS patches and backs up"),
    (("Maria DB",), ALWAYS, "Replatform", RDS, DMS,
     "MariaDB runs unchanged on Amazon RDS for MariaDB, which AWS patches and backs up"),
    (("Mongo DB",), ALWAYS, "Replatform", DOCUMENTDB, DMS,
     "MongoDB workloads move to Amazon DocumentDB (MongoDB compatible) with Database Migration Service"),
    (("SQLServer",), ALWAYS, "Replatform", RDS, SQL_BACKUP,
     "SQL Server moves to Amazon RDS for SQL Server with a native backup and restore"),
    (("Oracle",), ALWAYS, "Replatform", RDS, DMS,
     "Oracle Database moves to Amazon RDS for Oracle with Database Migration Service"),
    (("Cassandra",), _modernize, "Refactor", DYNAMODB, SUPPORT,
     "Cassandra's wide-column tables map onto Amazon DynamoDB (cloud-native modernisation is a leading goal)"),
    (DATABASES, ALWAYS, "Rehost", EC2, MGN, "{engine} can also be rehosted as it is onto EC2"),
    (("DotNetFramework", "IIS"), lambda p: _modernize(p) or p.leads("licenseCostReduction"), "Refactor", ECS, PORTING,
     "{engine} applications ported to .NET with Porting Assistant run in Linux containers without Windows licences"),
    (("DotNetFramework", "IIS"), lambda p: _managed(p) or p.app_destination == BEANSTALK, "Replatform", BEANSTALK, WWAMA,
     "{engine} web applications move to Elastic Beanstalk with the Windows Web Application Migration Assistant (managed services are preferred)"),
    (("DotNetFramework", "IIS"), ALWAYS, "Replatform", ECS, A2C,
     "App2Container packages the {engine} application into a Windows container for ECS"),
    (JAVA + ("DotnetCore",), lambda p: p.app_destination == FARGATE or (_containers(p) and _managed(p)), "Replatform", FARGATE, A2C,
     "App2Container containerises the {engine} application to run on Fargate, without servers to manage"),
    (JAVA + ("DotnetCore",), lambda p: p.app_destination == EKS, "Replatform", EKS, A2C,
     "App2Container containerises the {engine} application for EKS (the preferred destination)"),
    (JAVA + ("DotnetCore",), ALWAYS, "Replatform", ECS, A2C,
     "App2Container containerises the {engine} application for ECS without code changes"),
    (LICENSED_JAVA_SERVERS, lambda p: p.leads("licenseCostReduction") or _modernize(p), "Refactor", ECS, A2C,
     "Moving the application off the licensed {engine} server onto Tomcat in containers removes its licence"),
    (LICENSED_JAVA_SERVERS, ALWAYS, "Rehost", EC2, MGN, "{engine} keeps its licence and moves as it is onto EC2"),
    (("Other",), lambda p: _containers(p) or p.app_destination == BEANSTALK, "Replatform",
     BEANSTALK, SUPPORT, "The {engine} application runs on Elastic Beanstalk's managed {engine} platform"),
    (JAVA + ("DotnetCore", "DotNetFramework", "IIS", "Other"), ALWAYS, "Rehost", EC2, MGN,
     "The {engine} application moves as it is onto EC2 with Application Migration Service (the fastest path)"),
]


def component_options(component: Component, preferences: Preferences) -> list[Option]:
    options: list[Option] = []
    for types, condition, strategy, destination, tool, reason in COMPONENT_RULES:
        if component.app_type in types and condition(preferences) \
                and not any(o.strategy == strategy and o.destination == destination for o in options):
            options.append(Option(strategy, destination, tool, reason.format(engine=component.engine),
                                  "recommended" if not options else "viableOption"))
    if _speed(preferences) and options and options[0].strategy != "Rehost":
        # Speed of migration leads: moving as it is comes first, the rest stay options.
        rehost = next((o for o in options if o.strategy == "Rehost"), None)
        if rehost is not None:
            reason = rehost.reason + " (speed of migration is a leading goal)"
            options = [Option("Rehost", rehost.destination, rehost.tool, reason, "recommended")] + \
                      [Option(o.strategy, o.destination, o.tool, o.reason, "viableOption") for o in options if o is not rehost]
    return options


# -- 3. servers -> facts -> options -----------------------------------------------------------
# (pattern over "osName osVersion", family, os type, end of support). The first match wins.
# Dates: the vendors' end of standard support.
END_OF_SUPPORT: list[tuple[str, str, str, date | None]] = [
    (r"windows.*\b2003\b", "EndOfSupportWindowsServer", "WINDOWS", date(2015, 7, 14)),
    (r"windows.*\b2008\b", "EndOfSupportWindowsServer", "WINDOWS", date(2020, 1, 14)),
    (r"windows.*\b2012\b", "EndOfSupportWindowsServer", "WINDOWS", date(2023, 10, 10)),
    (r"windows.*\b2016\b", "WindowsServer", "WINDOWS", date(2027, 1, 12)),
    (r"windows.*\b2019\b", "WindowsServer", "WINDOWS", date(2029, 1, 9)),
    (r"windows.*\b2022\b", "WindowsServer", "WINDOWS", date(2031, 10, 14)),
    (r"windows.*\b2025\b", "WindowsServer", "WINDOWS", date(2034, 10, 10)),
    (r"windows", "WindowsServer", "WINDOWS", None),
    (r"amazon linux.*\b2023\b", "AmazonLinux", "LINUX", date(2029, 6, 30)),
    (r"amazon linux.*\b2\b", "AmazonLinux", "LINUX", date(2026, 6, 30)),
    (r"amazon linux", "AmazonLinux", "LINUX", date(2023, 12, 31)),  # Amazon Linux AMI (2018.03)
    (r"(red ?hat|rhel).*\b6(\.\d+)?\b", "Redhat", "LINUX", date(2020, 11, 30)),
    (r"(red ?hat|rhel).*\b7(\.\d+)?\b", "Redhat", "LINUX", date(2024, 6, 30)),
    (r"(red ?hat|rhel).*\b8(\.\d+)?\b", "Redhat", "LINUX", date(2029, 5, 31)),
    (r"(red ?hat|rhel).*\b9(\.\d+)?\b", "Redhat", "LINUX", date(2032, 5, 31)),
    (r"(red ?hat|rhel)", "Redhat", "LINUX", None),
    (r"centos.*\b6(\.\d+)?\b", "Other", "LINUX", date(2020, 11, 30)),
    (r"centos.*\b7(\.\d+)?\b", "Other", "LINUX", date(2024, 6, 30)),
    (r"centos.*\b8(\.\d+)?\b", "Other", "LINUX", date(2021, 12, 31)),
    (r"ubuntu.*\b14\.04\b", "Other", "LINUX", date(2019, 4, 30)),
    (r"ubuntu.*\b16\.04\b", "Other", "LINUX", date(2021, 4, 30)),
    (r"ubuntu.*\b18\.04\b", "Other", "LINUX", date(2023, 5, 31)),
    (r"ubuntu.*\b20\.04\b", "Other", "LINUX", date(2025, 5, 31)),
    (r"ubuntu.*\b22\.04\b", "Other", "LINUX", date(2027, 6, 1)),
    (r"ubuntu.*\b24\.04\b", "Other", "LINUX", date(2029, 5, 31)),
    (r"debian.*\b8(\.\d+)?\b", "Other", "LINUX", date(2020, 6, 30)),
    (r"debian.*\b9(\.\d+)?\b", "Other", "LINUX", date(2022, 6, 30)),
    (r"debian.*\b10(\.\d+)?\b", "Other", "LINUX", date(2024, 6, 30)),
    (r"debian.*\b11(\.\d+)?\b", "Other", "LINUX", date(2026, 8, 31)),
    (r"debian.*\b12(\.\d+)?\b", "Other", "LINUX", date(2028, 6, 30)),
    (r"suse.*\b12\b", "Other", "LINUX", date(2024, 10, 31)),
    (r"\b(aix|solaris|sunos|hp-ux|z/os|os/400|ibm i)\b", "Other", "", None),
    (r"linux|ubuntu|debian|centos|suse|fedora|rocky|alma|oracle linux", "Other", "LINUX", None),
]
_END_OF_SUPPORT = [(re.compile(pattern, re.IGNORECASE), family, kind, day) for pattern, family, kind, day in END_OF_SUPPORT]
# A server whose average CPU stays below this is idle: nothing relies on it.
IDLE_CPU_PCT = 2.0
# Packaged products with a SaaS or managed equivalent.
PACKAGED = re.compile(r"\b(msexchange\w*|edgetransport|sharepoint|owstimer|sapstart|disp\+work|splunkd)\b", re.IGNORECASE)


def facts_of(server: dict) -> ServerFacts:
    attributes = server.get("attributes") or {}
    os_name, os_version = attributes.get("server.osName", ""), attributes.get("server.osVersion", "")
    text = f"{os_name} {os_version}"
    family, os_type, end = "Other", None, None
    for pattern, row_family, kind, day in _END_OF_SUPPORT:
        if pattern.search(text):
            family, os_type, end = row_family, kind or None, day
            break
    cpu = attributes.get("server.performance.avgCpuUsagePct")
    try:
        avg_cpu = float(cpu) if cpu not in (None, "") else None
    except ValueError:
        avg_cpu = None
    return ServerFacts(server_id=server["configurationId"], name=attributes.get("server.hostName") or server["configurationId"],
                       os_name=os_name, os_version=os_version, os_type=os_type, os_family=family, end_of_support=end,
                       avg_cpu=avg_cpu, hypervisor=attributes.get("server.hypervisor", ""), components=components_of(server),
                       processes=tuple(p.get("name") or "" for p in server.get("processes") or []))


ServerCondition = Callable[[ServerFacts, Preferences, date], bool]


def _idle(f: ServerFacts, p: Preferences, now: date) -> bool:
    return f.avg_cpu is not None and f.avg_cpu < IDLE_CPU_PCT


def _unsupported(f: ServerFacts, p: Preferences, now: date) -> bool:
    return f.os_type is None and bool(f.os_name)


def _packaged(f: ServerFacts, p: Preferences, now: date) -> bool:
    return bool(f.packaged)


def _eol(kind: str) -> ServerCondition:
    return lambda f, p, now: f.os_type == kind and f.end_of_support is not None and f.end_of_support <= now


def _vmware_fast(f: ServerFacts, p: Preferences, now: date) -> bool:
    return "vmware" in f.hypervisor.lower() and _speed(p)


def _supported(f: ServerFacts, p: Preferences, now: date) -> bool:
    return f.os_type is not None or not f.os_name


# (condition, strategy, destination, tool, reason) over a server's facts; the rows whose
# condition holds are its options, the first recommended. Reasons are formatted with the facts.
SERVER_RULES: list[tuple[ServerCondition, str, str, str | None, str]] = [
    (_idle, "Retirement", NONE, None,
     "Average CPU utilisation {cpu}% is below {idle}%: the server is idle, retire it instead of migrating it"),
    (_unsupported, "Retain", NONE, None,
     "{os} does not run on AWS: keep the server where it is"),
    (lambda f, p, now: _packaged(f, p, now) and not _speed(p), "Repurchase", NONE, None,
     "The server runs a packaged product ({packaged}) that is offered as a managed or SaaS service: buy that instead"),
    (_vmware_fast, "Relocate", NONE, None,
     "The server is a VMware virtual machine and speed of migration leads: relocate it to VMware Cloud on AWS"),
    (_eol("WINDOWS"), "Replatform", EC2, EMP,
     "{os} reached its end of support on {eol}: End of Support Migration moves its applications onto a supported Windows Server on EC2"),
    (_eol("LINUX"), "Replatform", EC2, OS_UPGRADE,
     "{os} reached its end of support on {eol}: upgrade the operating system in place while moving to EC2"),
    (_supported, "Rehost", EC2, MGN,
     "{os} is supported on EC2: Application Migration Service replicates the server as it is"),
]


def server_options(facts: ServerFacts, preferences: Preferences, now: date) -> list[Option]:
    values = {"cpu": f"{facts.avg_cpu:g}" if facts.avg_cpu is not None else "", "idle": f"{IDLE_CPU_PCT:g}",
              "os": f"{facts.os_name} {facts.os_version}".strip() or "The operating system",
              "eol": facts.end_of_support.isoformat() if facts.end_of_support else "",
              "packaged": ", ".join(facts.packaged)}
    options: list[Option] = []
    for condition, strategy, destination, tool, reason in SERVER_RULES:
        if condition(facts, preferences, now):
            options.append(Option(strategy, destination, tool, reason.format(**values),
                                  "recommended" if not options else "viableOption"))
    return options
