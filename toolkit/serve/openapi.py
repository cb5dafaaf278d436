"""The inbox's API as OpenAPI 3.0, served at ``/openapi.json``.

Written by hand rather than generated: the one interesting request body is a raw,
streamed file, which generators describe badly, and every answer the server can give —
each refusal too — is listed, so that a client (or ``schemathesis``) can rely on it.
"""

from __future__ import annotations

from typing import Any

from toolkit import __version__

TICKET_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def spec() -> dict[str, Any]:
    signature = {
        "type": "object", "nullable": True,
        "required": ["status", "signed", "valid"],
        "properties": {
            "status": {"type": "string", "enum": ["trusted", "unknown-key", "unsigned", "bad"]},
            "signed": {"type": "boolean"}, "valid": {"type": "boolean"},
            "signer": {"type": "string", "nullable": True,
                       "description": "the name the inbox trusts the key under"},
            "claimed_signer": {"type": "string", "nullable": True,
                               "description": "the name inside the bundle: a claim"},
            "key_id": {"type": "string", "nullable": True},
            "public_key": {"type": "string", "nullable": True},
            "problem": {"type": "string", "nullable": True}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "supportkit inbox", "version": __version__,
                 "description": "Receives evidence bundles for a local ticket store through "
                                "one-time upload links (supportkit ticket upload-link)."},
        "paths": {
            "/v1/health": {"get": {
                "operationId": "health", "summary": "Is the inbox up?",
                "responses": {"200": {"description": "up", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Health"}}}}}}},
            "/v1/tickets/{ticket}/bundle": {"put": {
                "operationId": "uploadBundle",
                "summary": "Upload one evidence bundle (.zip, or sealed .zip.age) to a ticket",
                "description": "The body is the file itself, streamed. The token of the "
                               "upload link goes in the Authorization header; it is good "
                               "for one bundle, for this ticket, until it expires.",
                "security": [{"uploadToken": []}],
                "parameters": [
                    {"name": "ticket", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": TICKET_PATTERN},
                     "example": "SUP-000001"},
                    {"name": "X-Bundle-Name", "in": "header", "required": False,
                     "description": "the bundle's file name, URL-encoded",
                     "schema": {"type": "string", "maxLength": 255}}],
                "requestBody": {"required": True, "content": {"application/octet-stream": {
                    "schema": {"type": "string", "format": "binary"}}}},
                "responses": {
                    "201": {"description": "verified and attached", "content": {
                        "application/json": {"schema": {
                            "$ref": "#/components/schemas/Upload"}}}},
                    "400": _error("not an upload (no body, a bad ticket id or header)"),
                    "401": _error("no token, or not a valid one"),
                    "403": _error("the token is for another ticket"),
                    "404": _error("no such path"),
                    "409": _error("another upload with this token is under way"),
                    "410": _error("the token was used already, or expired"),
                    "411": _error("no Content-Length and not chunked"),
                    "413": _error("larger than the link or the inbox allows"),
                    "422": _error("refused: not a bundle, damaged, tampered, a zip bomb, "
                                  "sealed to someone else, or unsigned where a "
                                  "signature is required"),
                    "503": _error("the ticket store cannot be reached")}}},
        },
        "components": {
            "securitySchemes": {"uploadToken": {
                "type": "http", "scheme": "bearer",
                "description": "the part after '#' in the upload link"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error", "fix"], "properties": {
                    "error": {"type": "string"}, "fix": {"type": "string"},
                    "problems": {"type": "array", "items": {"type": "string"}}}},
                "Health": {"type": "object", "required": ["status", "version"],
                           "properties": {"status": {"type": "string", "enum": ["ok"]},
                                          "version": {"type": "string"}}},
                "Upload": {"type": "object",
                           "required": ["ticket", "attachment", "sealed", "received_at"],
                           "properties": {
                               "ticket": {"type": "string"},
                               "received_at": {"type": "string", "format": "date-time"},
                               "sealed": {"type": "boolean"},
                               "attachment": {"type": "object",
                                              "required": ["sha256", "size", "name", "added"],
                                              "properties": {
                                                  "sha256": {"type": "string"},
                                                  "size": {"type": "integer"},
                                                  "name": {"type": "string"},
                                                  "added": {"type": "boolean"}}},
                               "signature": signature,
                               "pushed": {"type": "object", "nullable": True}}}}},
    }
