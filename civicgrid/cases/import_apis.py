"""``POST /api/v1/imports/cases/``: the bulk import for nightly syncs (same service as the command)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from civicgrid.cases.apis import ERROR
from civicgrid.cases.imports import Mapping, import_cases
from civicgrid.cases.imports import mapping as mappings
from civicgrid.core.errors import PayloadTooLarge, ValidationFailed

MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_MAPPING_BYTES = 256 * 1024
MAX_REJECTS_LISTED = 10_000

REJECTED_ROW = {
    "row": serializers.IntegerField(help_text="行号（表头为第 1 行）"),
    "source_ref": serializers.CharField(help_text="工单编号"),
    "code": serializers.CharField(help_text="稳定的错误码"),
    "message": serializers.CharField(help_text="原因"),
}
RESULT = inline_serializer("ImportResult", {
    "source": serializers.CharField(),
    "rows": serializers.IntegerField(),
    "created": serializers.IntegerField(),
    "updated": serializers.IntegerField(),
    "unchanged": serializers.IntegerField(),
    "rejected": serializers.IntegerField(),
    "seconds": serializers.FloatField(),
    "rejected_rows": inline_serializer("ImportRejectedRow", REJECTED_ROW, many=True),
})
REQUEST = inline_serializer("ImportRequest", {
    "file": serializers.FileField(help_text="CSV（UTF-8/GB18030）或 .xlsx"),
    "mapping": serializers.CharField(required=False,
                                     help_text="列映射 JSON（文本或文件，见 docs/import-cases.md）"),
    "source": serializers.CharField(required=False, help_text="来源系统名称（去重键的一部分）"),
})


def _mapping(request: Request) -> Mapping:
    raw: Any = request.data.get("mapping")
    upload = request.FILES.get("mapping")
    if upload is not None:
        if upload.size > MAX_MAPPING_BYTES:
            raise PayloadTooLarge("映射文件过大。")
        raw = upload.read()
    mapping = mappings.loads(raw) if raw else Mapping()
    source = request.data.get("source")
    if source is not None and not isinstance(source, str):
        raise ValidationFailed("source 应为文本。", code="validation_failed")
    return mapping.with_source((source or "").strip()[:64] or None)


class CaseImportView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="imports_cases_create", request={"multipart/form-data": REQUEST},
        responses={200: RESULT, 400: ERROR, 401: ERROR, 403: ERROR,
                   413: OpenApiResponse(ERROR, description="文件过大（payload_too_large）"),
                   415: ERROR},
        description="导入 12345 等系统导出的工单（按来源 + 工单编号去重，重复导入不变）。需要 cases.import 权限。",
        tags=["imports"],
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("请上传文件。", code="required", fields={"file": ["必填"]})
        if upload.size > MAX_FILE_BYTES:
            raise PayloadTooLarge(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB。",
                                  fields={"limit": MAX_FILE_BYTES})
        result = import_cases(actor=request.user, file=upload, name=upload.name or "",
                              mapping=_mapping(request))
        body = result.summary()
        body["rejected_rows"] = [
            {"row": r.number, "source_ref": r.source_ref, "code": r.code, "message": r.reason}
            for r in result.rejected[:MAX_REJECTS_LISTED]]
        return Response(body)
