"""The DAX wire protocol, as the official clients (amazon-dax-client for Python, Java, JS) speak it.

A connection is one stream of CBOR items without length framing. The client opens it with the
raw magic ``gJ7yne5G`` followed by four CBOR items (layering 0, a session id or null, a map with
its ``UserAgent``, and 0 for "no types"); the server says nothing back. Every request is then
``1, <method id>, <arguments...>``, where the arguments are the method's positional items and a
last map (indefinite or null) of optional parameters keyed by small integers. The answer is an
empty array (success) followed by the method's result items, or the error triple: an array of
DAX error codes, a message, and ``[request id, DynamoDB error code, HTTP status]``.

``authorizeConnection`` (SigV4 over a fixed canonical request, service ``dax``) is sent before
any request whose authentication has aged, and is never answered: a refused connection learns it
from the next request's error. Items travel without their keys' names: a key is packed by the
table's key schema (``defineKeySchema``), other attributes as a list of values after the id of
their sorted names (``defineAttributeListId`` / ``defineAttributeList``), both cached by the
client. Expressions travel parsed, as S-expressions over function codes with their values
inline (``expressions.py`` turns them back into DynamoDB's text).

Modules: ``codes`` (method ids, parameter and error codes), ``stream`` (reading items from a
socket, writing answers), ``values`` (attribute values, keys, items), ``lexdecimal`` (sortable
numbers of range keys), ``expressions``.
"""
