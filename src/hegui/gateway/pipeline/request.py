"""ReadChat — the chat request as the upstream will get it (Interim Measures Art 14; GB/T 45654 §7.1).

Only :data:`FORWARD_KEYS` are forwarded. Each is either a parameter checked for type and range, or
text a model reads, which is collected for input moderation (and the usage record) with a label
naming its field: message contents, names, tool calls and results, tool definitions with their
JSON schemas, the tool choice and the response schema. Inputs this gateway cannot moderate —
images, audio, files — are refused (:class:`InputNotModeratable`), never forwarded unchecked.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from hegui.errors import ValidationFailed
from hegui.gateway.pipeline.base import Step
from hegui.gateway.pipeline.exchange import Exchange, Flow
from hegui.web.requests import parse_object

if TYPE_CHECKING:
    from hegui.app.services import Services

FORWARD_KEYS = ("model", "messages", "temperature", "top_p", "max_tokens", "max_completion_tokens", "stop",
                "presence_penalty", "frequency_penalty", "seed", "n", "response_format", "tools", "tool_choice",
                "logit_bias", "user")

MAX_MESSAGES = 1000
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
MAX_TOKENS = 1_000_000
MAX_TOOLS = 128
MAX_DEPTH = 32  # nesting of tool / response JSON schemas
_SCHEMA_TYPES = frozenset({"object", "string", "number", "integer", "boolean", "array", "null"})
_KIND = re.compile(r"^[a-z_]{1,32}$")


class InputNotModeratable(ValidationFailed):
    """A request part whose content this gateway cannot moderate (an image, audio, a file)."""

    code = "INPUT_NOT_MODERATABLE"
    http_status = 400
    message_zh = "{where}：本网关无法审核{kind}类输入，故不予转发；请只发送文本"
    message_en = "{where}: this gateway cannot moderate {kind} input, so it is not forwarded; send text only"


def invalid(field: str, en: str, zh: str) -> ValidationFailed:
    return ValidationFailed(message_en=f"Invalid input: {field} {en}", message_zh=f"输入无效：{field} {zh}")


def _number(lo: float, hi: float, *, integer: bool = False) -> Callable[[str, Any], None]:
    def check(name: str, v: Any) -> None:
        ok = not isinstance(v, bool) and (isinstance(v, int) if integer else isinstance(v, (int, float)))
        if not ok or not math.isfinite(v) or not lo <= v <= hi:
            kind_en, kind_zh = ("an integer", "整数") if integer else ("a number", "数值")
            raise invalid(name, f"must be {kind_en} from {lo:g} to {hi:g}", f"须为 {lo:g} 至 {hi:g} 之间的{kind_zh}")
    return check


def _only_one(name: str, v: Any) -> None:
    if isinstance(v, bool) or v != 1 or not isinstance(v, int):
        raise invalid(name, "must be 1: the gateway moderates and labels one answer per request",
                      "只能为 1：网关每次请求只审核并标识一个回答")


def _stop(name: str, v: Any) -> None:
    if v is None or isinstance(v, str):
        return
    if not isinstance(v, list) or len(v) > 4 or not all(isinstance(s, str) for s in v):
        raise invalid(name, "must be a string or a list of at most 4 strings", "须为字符串或至多 4 个字符串的列表")


def _logit_bias(name: str, v: Any) -> None:
    ok = isinstance(v, dict) and len(v) <= 1024 and all(
        isinstance(k, str) and k.isdigit() and not isinstance(b, bool) and isinstance(b, (int, float))
        and math.isfinite(b) and -100 <= b <= 100 for k, b in v.items())
    if not ok:
        raise invalid(name, "must map token ids to numbers from -100 to 100",
                      "须为词元编号到 -100 至 100 之间数值的映射")


def _typed(kind: type, en: str, zh: str) -> Callable[[str, Any], None]:
    def check(name: str, v: Any) -> None:
        if not isinstance(v, kind):
            raise invalid(name, f"must be {en}", f"须为{zh}")
    return check


PARAMETERS: dict[str, Callable[[str, Any], None]] = {
    "max_tokens": _number(1, MAX_TOKENS, integer=True),
    "max_completion_tokens": _number(1, MAX_TOKENS, integer=True),
    "n": _only_one,
    "temperature": _number(0, 2),
    "top_p": _number(0, 1),
    "presence_penalty": _number(-2, 2),
    "frequency_penalty": _number(-2, 2),
    "seed": _number(-(2 ** 63), 2 ** 63 - 1, integer=True),
    "stop": _stop,
    "logit_bias": _logit_bias,
    "stream": _typed(bool, "true or false", " true 或 false"),
    "user": _typed(str, "a string", "字符串"),
}


def check_parameters(body: dict[str, Any]) -> None:
    """Sampling and size parameters: wrong types and out-of-range values are a 400, not forwarded."""
    for name, check in PARAMETERS.items():
        if name in body and body[name] is not None:
            check(name, body[name])


class _Text:
    """Moderated text in reading order: message contents plain, every other string after its label."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def plain(self, text: str) -> None:
        if text:
            self.parts.append(text)

    def labelled(self, label: str, text: str) -> None:
        if text:
            self.parts.append(f"[{label}] {text}")

    def tree(self, label: str, value: Any, depth: int = 0) -> None:
        """Every string in a JSON value, keys included (schema property names are read too)."""
        if depth > MAX_DEPTH:
            raise invalid(label, f"is nested deeper than {MAX_DEPTH} levels", f"嵌套超过 {MAX_DEPTH} 层")
        if isinstance(value, str):
            self.labelled(label, value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k == "type" and isinstance(v, str) and v in _SCHEMA_TYPES:
                    continue
                self.labelled(label, k)
                self.tree(f"{label}.{k}", v, depth + 1)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.tree(f"{label}[{i}]", v, depth + 1)

    def text(self) -> str:
        return "\n".join(self.parts)


def _str(where: str, v: Any, *, optional: bool = True) -> str:
    if v is None and optional:
        return ""
    if not isinstance(v, str):
        raise invalid(where, "must be a string", "须为字符串")
    return v


def _content(out: _Text, where: str, content: Any) -> None:
    if content is None or isinstance(content, str):
        out.plain(content or "")
        return
    if not isinstance(content, list):
        raise invalid(where, "must be a string or a list of parts", "须为字符串或内容片段列表")
    for j, part in enumerate(content):
        at = f"{where}[{j}]"
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise invalid(at, "must be an object with a 'type'", "须为带 type 字段的对象")
        kind = part["type"]
        if kind in ("text", "refusal"):
            out.plain(_str(f"{at}.{kind}", part.get(kind), optional=False))
            rest = {k: v for k, v in part.items() if k not in ("type", kind)}
            out.tree(at, rest)
        else:
            raise InputNotModeratable(where=at, kind=kind if _KIND.match(kind) else "unknown")


def _message(out: _Text, i: int, m: Any) -> None:
    where = f"messages[{i}]"
    if not isinstance(m, dict) or m.get("role") not in ROLES:
        raise invalid(f"{where}.role", "must be one of " + ", ".join(sorted(ROLES)),
                      "须为以下之一：" + "、".join(sorted(ROLES)))
    _content(out, f"{where}.content", m.get("content"))
    for key, v in m.items():
        at = f"{where}.{key}"
        if key in ("role", "content"):
            continue
        if key in ("name", "tool_call_id", "refusal"):
            out.labelled(at, _str(at, v))
        elif key == "tool_calls":
            if not isinstance(v, list):
                raise invalid(at, "must be a list", "须为列表")
            for j, call in enumerate(v):
                _function(out, f"{at}[{j}]", call, "arguments")
        elif key == "function_call" and v is not None:
            _function(out, at, {"function": v}, "arguments")
        elif key == "audio" and v is not None:
            raise InputNotModeratable(where=at, kind="audio")
        else:
            out.tree(at, v)


def _function(out: _Text, where: str, item: Any, body_key: str) -> None:
    """A tool definition (``parameters``) or a tool call (``arguments``): name, description, body."""
    fn = item.get("function") if isinstance(item, dict) else None
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
        raise invalid(f"{where}.function", "must be an object with a 'name'", "须为带 name 字段的对象")
    for key, v in fn.items():
        at = f"{where}.function.{key}"
        if key in ("name", "description", "arguments"):
            out.labelled(at, _str(at, v, optional=key != "name"))
        elif key == "parameters" and not isinstance(v, dict):
            raise invalid(at, "must be a JSON schema object", "须为 JSON Schema 对象")
        else:
            out.tree(at, v)
    if body_key == "arguments" and not isinstance(fn.get("arguments"), str):
        raise invalid(f"{where}.function.arguments", "must be a string (JSON text)", "须为字符串（JSON 文本）")
    out.tree(where, {k: v for k, v in item.items() if k not in ("function", "id")
                     and not (k == "type" and v == "function")})
    out.labelled(f"{where}.id", _str(f"{where}.id", item.get("id")))


def _tools(out: _Text, tools: Any) -> None:
    if not isinstance(tools, list) or len(tools) > MAX_TOOLS:
        raise invalid("tools", f"must be a list of at most {MAX_TOOLS} tools", f"须为至多 {MAX_TOOLS} 个工具的列表")
    for i, tool in enumerate(tools):
        _function(out, f"tools[{i}]", tool, "parameters")


def _tool_choice(out: _Text, choice: Any) -> None:
    if choice in ("none", "auto", "required"):
        return
    if not isinstance(choice, dict):
        raise invalid("tool_choice", "must be 'none', 'auto', 'required' or an object",
                      "须为 none、auto、required 或对象")
    out.tree("tool_choice", choice)


def _response_format(out: _Text, fmt: Any) -> None:
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise invalid("response_format", "must be an object of type text, json_object or json_schema",
                      "须为类型是 text、json_object 或 json_schema 的对象")
    out.tree("response_format", {k: v for k, v in fmt.items() if k != "type"})


def moderated_text(body: dict[str, Any]) -> str:
    """Check the request and return all text a model would read, for moderation and the record.

    Raises :class:`ValidationFailed` (400) for malformed fields and :class:`InputNotModeratable`
    for parts that cannot be moderated here."""
    check_parameters(body)
    out = _Text()
    messages = body.get("messages")
    if not isinstance(messages, list):
        raise invalid("messages", "must be a list", "须为列表")
    for i, m in enumerate(messages):
        _message(out, i, m)
    if body.get("tools") is not None:
        _tools(out, body["tools"])
    if body.get("tool_choice") is not None:
        _tool_choice(out, body["tool_choice"])
    if body.get("response_format") is not None:
        _response_format(out, body["response_format"])
    return out.text()


def upstream_body(body: dict[str, Any]) -> dict[str, Any]:
    """The fields forwarded upstream (all of them checked by :func:`moderated_text`)."""
    return {k: body[k] for k in FORWARD_KEYS if k in body}


def check_shape(body: dict[str, Any]) -> None:
    """The model and the message list, before anything else is looked at."""
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise ValidationFailed(detail="'model' must be a non-empty string")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs or len(msgs) > MAX_MESSAGES:
        raise ValidationFailed(detail=f"'messages' must be a list of 1–{MAX_MESSAGES} messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise ValidationFailed(detail=f"messages[{i}] must be an object with a 'role'")
        if not isinstance(m.get("content"), (str, list, type(None))):
            raise ValidationFailed(detail=f"messages[{i}].content must be a string or a list of parts")


async def read_body(ex: Exchange) -> dict[str, Any]:
    """The JSON body, read inside the pipeline (a body that cannot be read leaves a record too);
    the end user named by its ``user`` field, else by the ``X-Hegui-User`` header."""
    if ex.read_body is None:
        raise RuntimeError("the exchange has no request body to read")
    body = ex.body = parse_object(await ex.read_body())
    user = body.get("user") or ex.external_user
    ex.external_user = user if isinstance(user, str) else None
    return body


class ReadChat(Step):
    """The body's shape and the upstream serving its model; the fields a model reads are
    collected later, by ModerateInput, once the user is admitted."""

    name: ClassVar[str] = "read_chat"

    def __init__(self, services: Services) -> None:
        self.services = services

    async def run(self, ex: Exchange) -> Flow:
        body = await read_body(ex)
        check_shape(body)
        ex.stream = ex.record.stream = bool(body.get("stream"))
        ex.record.model = body["model"]
        ex.upstream = self.services.router.for_model(body["model"])
        return Flow.CONTINUE
