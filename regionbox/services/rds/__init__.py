"""RDS (not served yet: issue #12 builds it here). Its wire dialect is declared already, for the
query protocol tests and for the service that will use it."""

from regionbox.protocol.dialect import Dialect

# RDS predates Coral: it checks only that required parameters are there.
DIALECT = Dialect(validation_code="InvalidParameterValue",
                  required_members_only=("InvalidParameterValue", "The parameter {name} must be provided and must not be null."))
