"""Represent rows as an output serializer does, without building it on every request.

A ModelSerializer introspects its model and deep-copies its declared fields each time one
is made: about a millisecond per request for a dozen fields, more than the rest of the
serializing on a short list (issue 16). Here the fields are built once per process and
applied as `Serializer.to_representation` applies them, so the answer is the same.

Only for output serializers whose fields read no context (no request, no hyperlinks): the
fields are shared by every request of the process. The serializer class stays the schema
of the response (`extend_schema(responses=...)`).
"""

from collections.abc import Iterable
from typing import Any

from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.serializers import Serializer

_FIELDS: dict[type[Serializer[Any]], tuple[tuple[str, Field[Any, Any, Any, Any]], ...]] = {}


def _fields(
    serializer_class: type[Serializer[Any]],
) -> tuple[tuple[str, Field[Any, Any, Any, Any]], ...]:
    fields = _FIELDS.get(serializer_class)
    if fields is None:
        built = serializer_class().fields.values()
        fields = tuple((str(f.field_name), f) for f in built if not f.write_only)
        _FIELDS[serializer_class] = fields
    return fields


def represent(serializer_class: type[Serializer[Any]], instance: Any) -> dict[str, Any]:
    """Return what `serializer_class(instance).data` holds, as a plain dict."""
    row: dict[str, Any] = {}
    for name, field in _fields(serializer_class):
        try:
            attribute = field.get_attribute(instance)
        except SkipField:
            continue
        # As DRF: None is not passed to a field, and a related field's pk is looked at.
        check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        row[name] = None if check is None else field.to_representation(attribute)
    return row


def represent_many(serializer_class: type[Serializer[Any]], instances: Iterable[Any]) -> list[Any]:
    """Return what `serializer_class(instances, many=True).data` holds."""
    if serializer_class.to_representation is not Serializer.to_representation:
        # A serializer of its own shape: only it knows how (no shortcut to keep in step).
        return list(serializer_class(instances, many=True).data)
    return [represent(serializer_class, instance) for instance in instances]
