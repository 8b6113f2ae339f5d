"""CloudWatch (not served yet). Its wire dialect is declared already, for the protocol tests and
for the service that will use it."""

from regionbox.protocol.dialect import Dialect

# CloudWatch's query protocol checks only that required parameters are there, in its own words.
DIALECT = Dialect(required_members_only=("MissingParameter", "The parameter {name} is required."))
