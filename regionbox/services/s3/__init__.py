"""S3 (not served yet: issue #10 builds it here). Its wire dialect is declared already, for the
rest-xml protocol tests and for the service that will use it."""

from regionbox.protocol.dialect import Dialect

# S3 follows its own XML conventions (bare <Error> documents, schema errors instead of model
# validation, paths signed as sent) and answers GetBucketLocation with a bare scalar document.
DIALECT = Dialect(s3_conventions=True, scalar_root_outputs=(("GetBucketLocation", "LocationConstraint"),))
