"""DynamoDB's expression language: parse once per request, evaluate per item.

    attrs = ExpressionAttributes(params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues"))
    condition = parse_condition(text, attrs)               # .evaluate(item) -> bool
    update = parse_update(text, attrs, key_names=("pk",))  # .apply(item) -> new item; .updated_old/new
    projection = parse_projection(text, attrs)             # .apply(item) -> projected item
    key = parse_key_condition(text, attrs, [("pk", "S"), ("sk", "N")])  # .hash_value, .lower, .upper
    attrs.check_unused()                                   # after all expressions of the request

or, for a whole request in either style (expressions or legacy parameters):

    exprs = compile_request(params, key_schema=[("pk", "S")], expression_parameters=("ConditionExpression",))
    exprs.condition / .update / .projection / .key_condition / .filter   # None when absent

Every user mistake raises ``invalid(<DynamoDB's message>)`` (core/errors.py), answered as ValidationException.

Modules: lexer (tokens, parser base, error order), attributes (placeholders), paths (document
paths: read, copy-on-write set/remove, projection), evaluate (comparisons and functions as
closures), condition / update / projection / keycondition (the grammars), request (one call per
request, both styles), reserved (DynamoDB's 573 reserved words).
"""

from regionbox.services.dynamodb.expressions.attributes import ExpressionAttributes
from regionbox.services.dynamodb.expressions.condition import Condition, parse_condition
from regionbox.services.dynamodb.expressions.keycondition import KeyCondition, parse_key_condition
from regionbox.services.dynamodb.expressions.paths import Path, get_path, path_str
from regionbox.services.dynamodb.expressions.projection import Projection, parse_projection, projection_of_names
from regionbox.services.dynamodb.expressions.reserved import RESERVED_WORDS, is_reserved
from regionbox.services.dynamodb.expressions.update import Update, parse_update
# Last: request uses legacy, which uses the modules above.
from regionbox.services.dynamodb.expressions.request import RequestExpressions, compile_request

__all__ = [
    "Condition", "ExpressionAttributes", "KeyCondition", "Path", "Projection", "RESERVED_WORDS", "RequestExpressions",
    "Update", "compile_request", "get_path", "is_reserved", "parse_condition", "parse_key_condition", "parse_projection",
    "parse_update", "path_str", "projection_of_names",
]
