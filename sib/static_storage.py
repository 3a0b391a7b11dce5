"""The production storage of static files: WhiteNoise's, with gzip copies only."""

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage


class GzipManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed names and a gzip copy of each file; no brotli copy, even if brotli is installed.

    WhiteNoise writes brotli at its highest quality whenever the package can be imported, and
    Locust (a dev dependency, for bench/api_load.py) brings it in: collectstatic then took
    about 10x the CPU (55 s instead of 6 s on the development machine, over 3 minutes of
    wall time under load), for files a few percent smaller than their gzip copies.
    """

    def create_compressor(self, **kwargs: Any) -> Compressor:
        return super().create_compressor(use_brotli=False, **kwargs)
