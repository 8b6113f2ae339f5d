"""Migration Hub Strategy Recommendations: assessments of the servers and applications
Application Discovery Service discovered, with a 7R recommendation (rehost, replatform,
refactor, repurchase, relocate, retire, retain) per server and application component, derived
by the rules in ``rules.py`` from the OS and its end of support, the processes found, the
utilisation and the portfolio preferences; recommendation reports written to S3."""

from regionbox.core.service import Service


def load(cloud) -> Service:
    from regionbox.services.migrationhubstrategy.assessments import Assessments
    from regionbox.services.migrationhubstrategy.collectors import Collectors
    from regionbox.services.migrationhubstrategy.components import Components
    from regionbox.services.migrationhubstrategy.imports import Imports
    from regionbox.services.migrationhubstrategy.models import StrategyState
    from regionbox.services.migrationhubstrategy.preferences import PortfolioPreferences
    from regionbox.services.migrationhubstrategy.reports import Reports
    from regionbox.services.migrationhubstrategy.servers import Servers

    state = StrategyState(cloud.store)
    assessments = Assessments(state, cloud.services, cloud.tasks)
    servers = Servers(state, cloud.paginator)
    components = Components(state, cloud.paginator)
    preferences = PortfolioPreferences(state)
    reports = Reports(state, cloud.services, cloud.tasks)
    collectors = Collectors()
    imports = Imports(state, cloud.services, cloud.tasks, cloud.paginator)
    return Service(
        name="migrationhubstrategy",
        operations={
            "StartAssessment": assessments.start_assessment,
            "GetAssessment": assessments.get_assessment,
            "StopAssessment": assessments.stop_assessment,
            "GetLatestAssessmentId": assessments.get_latest_assessment_id,
            "GetPortfolioSummary": assessments.get_portfolio_summary,
            "ListServers": servers.list_servers,
            "GetServerDetails": servers.get_server_details,
            "GetServerStrategies": servers.get_server_strategies,
            "UpdateServerConfig": servers.update_server_config,
            "ListApplicationComponents": components.list_application_components,
            "GetApplicationComponentDetails": components.get_application_component_details,
            "GetApplicationComponentStrategies": components.get_application_component_strategies,
            "UpdateApplicationComponentConfig": components.update_application_component_config,
            "PutPortfolioPreferences": preferences.put_portfolio_preferences,
            "GetPortfolioPreferences": preferences.get_portfolio_preferences,
            "StartRecommendationReportGeneration": reports.start_recommendation_report_generation,
            "GetRecommendationReportDetails": reports.get_recommendation_report_details,
            "ListCollectors": collectors.list_collectors,
            "ListAnalyzableServers": collectors.list_analyzable_servers,
            "StartImportFileTask": imports.start_import_file_task,
            "GetImportFileTask": imports.get_import_file_task,
            "ListImportFileTask": imports.list_import_file_task,
        },
    )
