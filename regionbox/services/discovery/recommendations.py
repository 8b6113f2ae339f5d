"""EC2 instance recommendations for an export with ``ec2RecommendationsPreferences``: per server, the
cheapest instance type that fits what it uses, sized as the preferences say, and its price.

Sizing: the vCPUs and memory a server needs are its specification (``SPEC``) or its utilisation
(``AVG``, ``MAX``, or a percentile ``p1``..``p100`` of its samples) times its CPU count and total
RAM, raised by ``percentageAdjust`` percent. The instance is the cheapest one of the catalogue
below with at least that, leaving out ``excludedInstanceTypes`` (a name, or a family such as
"t3"). Prices are AWS's published US East (N. Virginia) Linux On-Demand hourly rates for these
types (Windows servers add the license per vCPU, dedicated tenancy 10 %); Reserved Instance options
apply the usual discounts for their term, class and payment (a fixed table, not live pricing:
regionbox has no price list API). The CSV's columns are the ones AWS's EC2InstanceRecommendations.csv has.
"""

from __future__ import annotations

import math

# type: (vCPUs, memory MiB, USD per hour, Linux On-Demand, us-east-1)
CATALOGUE: dict[str, tuple[int, int, float]] = {
    "t3.nano": (2, 512, 0.0052), "t3.micro": (2, 1024, 0.0104), "t3.small": (2, 2048, 0.0208),
    "t3.medium": (2, 4096, 0.0416), "t3.large": (2, 8192, 0.0832), "t3.xlarge": (4, 16384, 0.1664),
    "t3.2xlarge": (8, 32768, 0.3328),
    "c5.large": (2, 4096, 0.085), "c5.xlarge": (4, 8192, 0.17), "c5.2xlarge": (8, 16384, 0.34),
    "c5.4xlarge": (16, 32768, 0.68), "c5.9xlarge": (36, 73728, 1.53), "c5.18xlarge": (72, 147456, 3.06),
    "m5.large": (2, 8192, 0.096), "m5.xlarge": (4, 16384, 0.192), "m5.2xlarge": (8, 32768, 0.384),
    "m5.4xlarge": (16, 65536, 0.768), "m5.8xlarge": (32, 131072, 1.536), "m5.12xlarge": (48, 196608, 2.304),
    "m5.16xlarge": (64, 262144, 3.072), "m5.24xlarge": (96, 393216, 4.608),
    "r5.large": (2, 16384, 0.126), "r5.xlarge": (4, 32768, 0.252), "r5.2xlarge": (8, 65536, 0.504),
    "r5.4xlarge": (16, 131072, 1.008), "r5.8xlarge": (32, 262144, 2.016), "r5.16xlarge": (64, 524288, 4.032),
    "r5.24xlarge": (96, 786432, 6.048),
}
WINDOWS_PER_VCPU_HOUR = 0.046
DEDICATED = 1.10
PRICE_DATE = "2025-01-01 00:00:00"
# (term, class, payment) -> (share of On-Demand paid over the term, share of that paid up front)
RESERVED = {
    ("ONE_YEAR", "STANDARD", "NO_UPFRONT"): (0.72, 0.0), ("ONE_YEAR", "STANDARD", "PARTIAL_UPFRONT"): (0.69, 0.5),
    ("ONE_YEAR", "STANDARD", "ALL_UPFRONT"): (0.67, 1.0), ("THREE_YEAR", "STANDARD", "NO_UPFRONT"): (0.50, 0.0),
    ("THREE_YEAR", "STANDARD", "PARTIAL_UPFRONT"): (0.46, 0.5), ("THREE_YEAR", "STANDARD", "ALL_UPFRONT"): (0.44, 1.0),
}
HOURS = {"ONE_YEAR": 8760, "THREE_YEAR": 26280}
REGION_NAMES = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
                "us-west-2": "US West (Oregon)", "eu-west-1": "Europe (Ireland)", "eu-central-1": "Europe (Frankfurt)",
                "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-southeast-1": "Asia Pacific (Singapore)",
                "ap-southeast-2": "Asia Pacific (Sydney)"}

COLUMNS = [
    "ServerId", "Server.ExternalId", "Server.HostName", "Server.VMware.VMname", "Recommendation.EC2.Remarks",
    "Server.OS.Name", "Server.OS.Version", "Server.CPU.NumberOfProcessors", "Server.CPU.NumberOfCores",
    "Server.CPU.NumberOfLogicalCores", "Recommendation.EC2.RequestedCPU.UsagePct", "Recommendation.EC2.RequestedvCPU",
    "Server.RAM.TotalSizeInMB", "Recommendation.EC2.RequestedRAM.UsagePct", "Recommendation.EC2.RequestedRAMinMB",
    "Recommendation.EC2.Instance.Model", "Recommendation.EC2.Instance.vCPUCount",
    "Recommendation.EC2.Instance.RAM.TotalSizeinMB", "Recommendation.EC2.Instance.Price.UpfrontCost",
    "Recommendation.EC2.Instance.Price.HourlyRate", "Recommendation.EC2.Instance.Price.AmortizedHourlyRate",
    "Recommendation.EC2.Instance.Price.EffectiveDate.UTC", "Recommendation.EC2.Instance.OSType",
    "UserPreference.Recommendation.CPUSizing", "UserPreference.Recommendation.RAMSizing", "UserPreference.Region",
    "UserPreference.EC2.Tenancy", "UserPreference.EC2.PricingModel", "UserPreference.EC2.PricingModel.ContractTerm",
    "UserPreference.EC2.PricingModel.Payment", "UserPreference.EC2.ExcludedInstances", "Applications", "Tags",
    "Server.SMBiosId", "Server.VMware.MoRefId", "Server.VMware.VCenterId", "Server.VMware.vCenterName",
    "Server.VMware.vmFolderPath", "Server.CPU.UsagePct.Avg", "Server.CPU.UsagePct.Max", "Server.RAM.UsedSizeInMB.Avg",
    "Server.RAM.UsedSizeInMB.Max", "Server.RAM.UsagePct.Avg", "Server.RAM.UsagePct.Max", "Server.NumberOfDisks",
    "Server.DiskReadsPerSecondInKB.Avg", "Server.DiskWritesPerSecondInKB.Avg", "Server.DiskReadsPerSecondInKB.Max",
    "Server.DiskWritesPerSecondInKB.Max", "Server.DiskReadOpsPerSecond.Avg", "Server.DiskWriteOpsPerSecond.Avg",
    "Server.DiskReadOpsPerSecond.Max", "Server.DiskWriteOpsPerSecond.Max", "Server.NetworkReadsPerSecondInKB.Avg",
    "Server.NetworkWritesPerSecondInKB.Avg", "Server.NetworkReadsPerSecondInKB.Max", "Server.NetworkWritesPerSecondInKB.Max",
]


def usage(basis: dict | None, values: list[float], average: float | None, maximum: float | None) -> float | None:
    """The utilisation (percent) a metric basis picks, raised by its percentageAdjust; None for SPEC."""
    name = (basis or {}).get("name", "AVG")
    if name == "SPEC":
        return None
    if name == "AVG":
        picked = average
    elif name == "MAX":
        picked = maximum
    else:
        ordered = sorted(values)
        picked = ordered[min(len(ordered) - 1, max(0, math.ceil(int(name[1:]) / 100 * len(ordered)) - 1))] if ordered \
            else maximum
    if picked is None:
        return None
    return picked * (1 + float((basis or {}).get("percentageAdjust") or 0) / 100)


def choose(vcpus: int, memory_mb: float, excluded: list[str]) -> str | None:
    def allowed(name: str) -> bool:
        return not any(name == x or name.split(".")[0] == x.rstrip(".*") for x in excluded)
    fitting = [(price, name) for name, (cpu, memory, price) in CATALOGUE.items()
               if cpu >= vcpus and memory >= memory_mb and allowed(name)]
    return min(fitting)[1] if fitting else None


def price(name: str, windows: bool, preferences: dict) -> tuple[float, float, float]:
    """(upfront cost, hourly rate, amortised hourly rate)."""
    cpu, _, hourly = CATALOGUE[name]
    hourly += WINDOWS_PER_VCPU_HOUR * cpu if windows else 0.0
    if preferences.get("tenancy") == "DEDICATED":
        hourly *= DEDICATED
    reserved = preferences.get("reservedInstanceOptions")
    if not reserved:
        return 0.0, round(hourly, 4), round(hourly, 4)
    share, upfront_share = RESERVED.get((reserved["termLength"], "STANDARD", reserved["purchasingOption"]), (1.0, 0.0))
    if reserved["offeringClass"] == "CONVERTIBLE":
        share = min(1.0, share + 0.1)
    amortised = hourly * share
    hours = HOURS[reserved["termLength"]]
    upfront = amortised * hours * upfront_share
    return round(upfront, 2), round(amortised * (1 - upfront_share), 4), round(amortised, 4)
