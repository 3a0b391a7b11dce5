from typing import Any

from drf_spectacular import openapi


class AutoSchema(openapi.AutoSchema):
    """Name serializers nested in an API class after it (`ProgrammeCreateInputRequest`).

    One API class per operation means many nested `InputSerializer`s; without this they
    would collide as one schema component.
    """

    def _get_serializer_name(
        self, serializer: Any, direction: str, bypass_extensions: bool = False
    ) -> str:
        name = super()._get_serializer_name(serializer, direction, bypass_extensions)
        cls = serializer if isinstance(serializer, type) else serializer.__class__
        outer, _, _inner = cls.__qualname__.rpartition(".")
        if outer:
            return outer.rsplit(".", 1)[-1].removesuffix("Api") + name
        return name
