"""The API's own description: /openapi.json, and /docs, an interactive page served locally."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from evfault.web.http import OrjsonResponse
from evfault.web.openapi import document
from evfault.web.templates import templates

SWAGGER_DIR = Path(str(swagger_ui_path))


async def openapi_json(request: Request) -> Response:
    return OrjsonResponse(document())


async def docs_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "docs.html", {"nav": "docs", "page_lang": "en"})


def routes() -> list[BaseRoute]:
    return [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs_page, methods=["GET"]),
        Mount("/docs/assets", app=StaticFiles(directory=SWAGGER_DIR), name="swagger-ui"),
    ]
