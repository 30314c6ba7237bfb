"""Domain settings: the thresholds and rules of the analyses, from a file and
the environment.

Every analysis takes a frozen ``*Config`` model whose fields carry their
default and help text.  ``SECTIONS`` names each of them once: it is the table
of the settings file and the first part of its environment variables.  The
effective value of a field is, by precedence:

1. the environment: ``CLIENTFOLIO_<SECTION>__<KEY>`` (``CLIENTFOLIO_ABC__A=0.7``;
   a nested model one level further, ``CLIENTFOLIO_CLV__SPEND__MODEL=lognormal``;
   lists and tables as JSON, ``CLIENTFOLIO_QUADRANTS__STRATEGIES='{...}'``);
2. the file ``clientfolio.toml``: the one ``CLIENTFOLIO_CONFIG`` names, else the
   one beside the SQLite store (the folder of its file), else the one in the
   working directory (other stores); a missing file is no error unless named;
3. the model's default.

``load_domain_config`` reads them once (the shells' entry points and the
runners call it; the analyses themselves only take their config argument)
and returns a ``DomainConfig``: each section's model, the composed
``analytics`` / ``value`` / ``prospects`` / ``plan`` configs, and ``rows()``
for listing.  Anything wrong (unknown table or key, bad value) raises
``ConfigError``, naming the file or variable, the table, the key, the value
and the reason.

``write_setting`` / ``reset_setting`` change one key of the file (the web's
``/admin/settings``): validated as above first, then the file rewritten
whole (``dumps_toml``; comments are lost) atomically, mode 0600; a key the
environment sets is refused, since the environment would win.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import tempfile
import threading
import tomllib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import import_module
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from clientfolio.errors import REASONS, ClientfolioError, reason_in
from clientfolio.i18n import N_, gettext_for, render
from clientfolio.settings import Settings

if TYPE_CHECKING:  # the sections' models are imported when a command reads them (``SECTIONS``)
    from clientfolio.analytics.analysis import AnalyticsConfig
    from clientfolio.analytics.engines import SparkOptions
    from clientfolio.plan.run import PlanConfig
    from clientfolio.prospects.run import ProspectsConfig
    from clientfolio.value.rules import ValueConfig

__all__ = [
    "CONFIG_FILE_NAME",
    "ENV_PREFIX",
    "ANALYTICS_SECTIONS",
    "PROSPECTS_SECTIONS",
    "SECTIONS",
    "VALUE_SECTIONS",
    "ConfigError",
    "ConfigProblem",
    "REASONS",
    "DomainConfig",
    "SettingChange",
    "SettingRow",
    "config_file",
    "dumps_toml",
    "load_domain_config",
    "reset_setting",
    "toml_string",
    "write_setting",
]

CONFIG_FILE_NAME = "clientfolio.toml"
ENV_PREFIX = "CLIENTFOLIO_"
_DELIMITER = "__"


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _value_options() -> type[BaseModel]:
    """The table ``[value]``: ``ValueConfig``'s own fields (its nested configs are sections of their own)."""
    from clientfolio.value.rules import ValueConfig

    own: dict[str, Any] = {
        name: (f.annotation, f) for name, f in ValueConfig.model_fields.items() if not _is_model(f.annotation)
    }
    options: type[BaseModel] = create_model(
        "ValueOptions",
        __config__=ConfigDict(frozen=True, extra="forbid"),
        __doc__="The valuation's own settings (window, backtest).",
        **own,
    )
    return options


def _model(where: str) -> Callable[[], type[BaseModel]]:
    module, name = where.split(":")

    def load() -> type[BaseModel]:
        model: type[BaseModel] = getattr(import_module(module), name)
        return model

    return load


class _Sections(Mapping[str, type[BaseModel]]):
    """Each section's model by its name, imported when first asked for: a
    command loads the modules of the sections it reads, not every domain's
    (``analyze`` neither the plan nor the store)."""

    def __init__(self, loaders: Mapping[str, Callable[[], type[BaseModel]]]) -> None:
        self._loaders = loaders
        self._models: dict[str, type[BaseModel]] = {}

    def __getitem__(self, name: str) -> type[BaseModel]:
        model = self._models.get(name)
        if model is None:
            model = self._models[name] = self._loaders[name]()
        return model

    def __contains__(self, name: object) -> bool:
        return name in self._loaders

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaders)

    def __len__(self) -> int:
        return len(self._loaders)


#: Each domain config, by the name of its table (file) and variable prefix (environment).
SECTIONS: Mapping[str, type[BaseModel]] = _Sections(
    {
        # analysis (clientfolio analyze, the plan, the report, the web dashboard)
        "measures": _model("clientfolio.analytics.measures:MeasuresConfig"),
        "abc": _model("clientfolio.analytics.abc:AbcConfig"),  # also the ABC on revenue of the valuation
        "rfm": _model("clientfolio.analytics.rfm:RfmConfig"),
        "matrix": _model("clientfolio.analytics.matrix:MatrixConfig"),
        # valuation (clientfolio value)
        "value": _value_options,
        "potential": _model("clientfolio.value.potential:PotentialConfig"),
        "categories": _model("clientfolio.value.categories:CategoryConfig"),
        "quadrants": _model("clientfolio.value.strategy:QuadrantConfig"),
        "clv": _model("clientfolio.value.rules:ClvConfig"),  # with its table [clv.spend]
        "solvency": _model("clientfolio.value.solvency:SolvencyConfig"),
        # prospects and activity
        "priority": _model("clientfolio.prospects.priority:PriorityConfig"),
        "funnel": _model("clientfolio.prospects.funnel:FunnelConfig"),
        "follow_up": _model("clientfolio.prospects.followup:FollowUpConfig"),
        "activity": _model("clientfolio.prospects.activity:ActivityConfig"),
        # the plan
        "assessment": _model("clientfolio.plan.assessment:AssessmentConfig"),  # with its table [assessment.scales]
        "suggestions": _model("clientfolio.plan.suggestions:SuggestionConfig"),
        "swot": _model("clientfolio.plan.swot:SwotConfig"),
        # the Spark engine (--engine spark): where it runs, Spark's own settings
        "spark": _model("clientfolio.analytics.engines:SparkOptions"),
    }
)
ANALYTICS_SECTIONS = ("measures", "abc", "rfm", "matrix")
"""The sections ``DomainConfig.analytics`` reads (``clientfolio analyze``)."""
VALUE_SECTIONS = ("value", "abc", "potential", "categories", "quadrants", "clv", "solvency")
"""The sections ``DomainConfig.value`` reads (``clientfolio value``)."""
PROSPECTS_SECTIONS = ("priority", "funnel", "follow_up", "activity")
"""The sections ``DomainConfig.prospects`` reads."""

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong: where (file or variable), table, key, value, why."""

    source: str
    table: str | None
    key: str | None
    value: Any
    reason: str
    kind: str = ""  # pydantic's error type (``less_than_equal`` ...), for a translated reason
    context: Mapping[str, Any] = field(default_factory=dict)  # its values (``{"le": 1}`` ...)
    template: str = ""  # the reason as a message of the catalogs, when it is one (a RuleError's, the file's)
    params: Mapping[str, Any] = field(default_factory=dict)  # the template's fields

    def __str__(self) -> str:
        return self._where_and_why("en", self.reason)

    def reason_in(self, lang: str) -> str:
        """The reason in ``lang``: its template, else the text of its kind
        (``REASONS``), translated; pydantic's English text for another kind."""
        if self.template:
            return render(lang, self.template, dict(self.params))
        return reason_in(lang, self.kind, self.context, self.reason)

    def in_language(self, lang: str) -> str:
        """Where and why, in ``lang``: the file or variable, the table, the key,
        the value, the reason (in English, pydantic's own words for its kinds)."""
        return str(self) if lang == "en" else self._where_and_why(lang, self.reason_in(lang))

    def _where_and_why(self, lang: str, reason: str) -> str:
        where = self.source
        if self.table is not None:
            # no [...]: Rich markup
            if self.key:
                shown = render(lang, N_("table {table}, key {key}"), {"table": self.table, "key": self.key})
            else:
                shown = render(lang, N_("table {table}"), {"table": self.table})
            if self.source.startswith(ENV_PREFIX) and self.key:
                where = f"{self.source}={_shown(self.value)} ({shown})"
            elif self.key:
                where = _colon(lang, self.source, f"{shown} = {_shown(self.value)}")
            else:
                where = _colon(lang, self.source, shown)
        return _colon(lang, where, reason)


def _colon(lang: str, where: str, what: str) -> str:
    """``where: what`` (``where : what`` in French)."""
    return render(lang, N_("{where}: {reason}"), {"where": where, "reason": what})


def _whole(source: str, template: str, **params: Any) -> ConfigProblem:
    """A problem of the file or the environment as a whole, its reason a message of the catalogs."""
    return ConfigProblem(source, None, None, None, render("en", template, params), template=template, params=params)


class ConfigError(ClientfolioError):
    """The domain settings (file or environment) are wrong; nothing is run."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__(self.in_language("en"))

    def in_language(self, lang: str) -> str:
        lines = [p.in_language(lang) for p in self.problems]
        if len(lines) == 1:
            return lines[0]
        return render(lang, N_("the domain settings are wrong:")) + "\n  " + "\n  ".join(lines)


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


@dataclass(frozen=True)
class SettingRow:
    """One field for listing (nested models give one row per field, key dotted)."""

    section: str
    key: str
    variable: str
    value: Any
    default: Any
    source: str  # "default", "file" or "env"
    help: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "key": self.key,
            "variable": self.variable,
            "value": self.value,
            "default": self.default,
            "source": self.source,
            "help": self.help,
        }


@dataclass(frozen=True)
class DomainConfig:
    """The effective domain configs, where they came from, and the file read."""

    sections: Mapping[str, BaseModel]
    file: Path | None = None  # the settings file read (None: none found)
    from_file: Mapping[str, Any] = field(default_factory=dict)
    from_env: Mapping[str, Any] = field(default_factory=dict)

    def section(self, name: str, model: type[M]) -> M:
        value = self.sections.get(name)
        if value is None:
            raise LookupError(f"the section {name!r} was not loaded (load_domain_config's sections)")
        assert isinstance(value, model), (name, model)
        return value

    @property
    def analytics(self) -> AnalyticsConfig:
        from clientfolio.analytics.abc import AbcConfig
        from clientfolio.analytics.analysis import AnalyticsConfig
        from clientfolio.analytics.matrix import MatrixConfig
        from clientfolio.analytics.measures import MeasuresConfig
        from clientfolio.analytics.rfm import RfmConfig

        return AnalyticsConfig(
            measures=self.section("measures", MeasuresConfig),
            abc=self.section("abc", AbcConfig),
            rfm=self.section("rfm", RfmConfig),
            matrix=self.section("matrix", MatrixConfig),
        )

    @property
    def value(self) -> ValueConfig:
        from clientfolio.analytics.abc import AbcConfig
        from clientfolio.value.categories import CategoryConfig
        from clientfolio.value.potential import PotentialConfig
        from clientfolio.value.rules import ClvConfig, ValueConfig
        from clientfolio.value.solvency import SolvencyConfig
        from clientfolio.value.strategy import QuadrantConfig

        own = self.section("value", BaseModel)
        return ValueConfig(
            **{name: getattr(own, name) for name in type(own).model_fields},
            abc=self.section("abc", AbcConfig),
            potential=self.section("potential", PotentialConfig),
            categories=self.section("categories", CategoryConfig),
            quadrants=self.section("quadrants", QuadrantConfig),
            clv=self.section("clv", ClvConfig),
            solvency=self.section("solvency", SolvencyConfig),
        )

    @property
    def prospects(self) -> ProspectsConfig:
        from clientfolio.prospects.activity import ActivityConfig
        from clientfolio.prospects.followup import FollowUpConfig
        from clientfolio.prospects.funnel import FunnelConfig
        from clientfolio.prospects.priority import PriorityConfig
        from clientfolio.prospects.run import ProspectsConfig

        return ProspectsConfig(
            priority=self.section("priority", PriorityConfig),
            funnel=self.section("funnel", FunnelConfig),
            follow_up=self.section("follow_up", FollowUpConfig),
            activity=self.section("activity", ActivityConfig),
        )

    @property
    def plan(self) -> PlanConfig:
        from clientfolio.plan.assessment import AssessmentConfig
        from clientfolio.plan.run import PlanConfig
        from clientfolio.plan.suggestions import SuggestionConfig
        from clientfolio.plan.swot import SwotConfig

        return PlanConfig(
            assessment=self.section("assessment", AssessmentConfig),
            suggestions=self.section("suggestions", SuggestionConfig),
            swot=self.section("swot", SwotConfig),
            analytics=self.analytics,
            value=self.value,
            prospects=self.prospects,
        )

    @property
    def spark(self) -> SparkOptions:
        from clientfolio.analytics.engines import SparkOptions

        return self.section("spark", SparkOptions)

    def rows(self, lang: str | None = None) -> list[SettingRow]:
        """Every field of every section loaded: value, default, source and help;
        with ``lang``, the texts of the catalogs in values (``_translated``) in that language."""
        gettext = None if lang is None else gettext_for(lang)
        rows: list[SettingRow] = []
        for name, model in SECTIONS.items():
            if name in self.sections:
                rows.extend(self._rows(name, (), model, self.sections[name], model(), gettext))
        return rows

    def _rows(
        self,
        section: str,
        path: tuple[str, ...],
        model: type[BaseModel],
        current: BaseModel,
        default: BaseModel,
        gettext: Callable[[str], str] | None,
    ) -> Iterator[SettingRow]:
        for key, info in model.model_fields.items():
            here = (*path, key)
            value, value_default = getattr(current, key), getattr(default, key)
            if _is_model(info.annotation) and isinstance(value, BaseModel) and isinstance(value_default, BaseModel):
                yield from self._rows(section, here, type(value), value, value_default, gettext)
                continue
            if _lookup(self.from_env, (section, *here)):
                source = "env"
            elif _lookup(self.from_file, (section, *here)):
                source = "file"
            else:
                source = "default"
            yield SettingRow(
                section,
                ".".join(here),
                _variable(section, here),
                _plain(value, gettext),
                _plain(value_default, gettext),
                source,
                info.description or "",
            )


def _translated(info: Any) -> bool:
    """Whether a field is a text whose defaults are messages of the catalogs (the RFM rules'
    ``label`` and ``action``, ``json_schema_extra={"translated": True}``): listed in the reader's
    language (``DomainConfig.rows(lang)``), and written back as listed (``write_setting(...,
    lang=)``) kept as the message, translated for every reader."""
    extra = info.json_schema_extra
    return isinstance(extra, Mapping) and extra.get("translated") is True


def _plain(value: Any, gettext: Callable[[str], str] | None = None) -> Any:
    """The value as JSON data (tuples as lists, models as tables); with
    ``gettext``, the texts of the ``_translated`` fields translated."""
    if isinstance(value, BaseModel):
        data = value.model_dump(mode="json")
        if gettext is not None:
            for name, info in type(value).model_fields.items():
                here = getattr(value, name)
                if isinstance(here, str) and _translated(info):
                    data[name] = gettext(here)
                elif isinstance(here, BaseModel | tuple | list | dict):
                    data[name] = _plain(here, gettext)
        return data
    if isinstance(value, tuple | list):
        return [_plain(v, gettext) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v, gettext) for k, v in value.items()}
    return value


def _messages(default: Any, gettext: Callable[[str], str]) -> tuple[set[str], dict[str, str]]:
    """The names of the ``_translated`` fields in ``default`` (models, lists of
    models) and their messages by their translations."""
    names: set[str] = set()
    by_text: dict[str, str] = {}
    if isinstance(default, BaseModel):
        for name, info in type(default).model_fields.items():
            here = getattr(default, name)
            if isinstance(here, str) and _translated(info):
                names.add(name)
                by_text[gettext(here)] = here
            else:
                more, texts = _messages(here, gettext)
                names |= more
                by_text.update(texts)
    elif isinstance(default, tuple | list):
        for item in default:
            more, texts = _messages(item, gettext)
            names |= more
            by_text.update(texts)
    return names, by_text


def _as_messages(value: Any, names: set[str], by_text: Mapping[str, str]) -> Any:
    """``value`` (JSON data) with the texts of the fields ``names`` that translate a
    message replaced by the message."""
    if isinstance(value, dict):
        return {
            k: by_text.get(v, v) if k in names and isinstance(v, str) else _as_messages(v, names, by_text)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_as_messages(v, names, by_text) for v in value]
    return value


def _variable(section: str, path: tuple[str, ...]) -> str:
    return ENV_PREFIX + _DELIMITER.join((section, *path)).upper()


def _lookup(data: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    """Whether ``data`` sets ``path`` (or a part of it, or the whole above it)."""
    node: Any = data
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


_SQLITE_URL = re.compile(r"sqlite(?:\+\w+)?://[^/?]*(?:/(?P<database>[^?]*))?(?:\?.*)?", re.DOTALL)
"""A SQLite URL as SQLAlchemy reads it (``sqlite:///relative.db``, ``sqlite:////absolute.db``,
``sqlite+pysqlite:///f.db?mode=ro``), without loading SQLAlchemy for it."""


def config_file(settings: Settings | None = None, *, database_url: str | None = None) -> tuple[Path, bool]:
    """The settings file and whether it must exist: ``CLIENTFOLIO_CONFIG`` when
    set (must exist), else ``clientfolio.toml`` beside the SQLite store file,
    else in the working directory."""
    settings = settings or Settings()
    if settings.config:
        return Path(settings.config).expanduser(), True
    url = database_url or settings.database_url
    folder = Path.cwd()
    sqlite = _SQLITE_URL.fullmatch(url)
    database = unquote(sqlite["database"]) if sqlite is not None and sqlite["database"] is not None else None
    if database not in (None, "", ":memory:"):
        folder = Path(str(database)).expanduser().parent
        if not folder.is_absolute():
            folder = Path.cwd() / folder
    return folder / CONFIG_FILE_NAME, False


def _read_file(path: Path, required: bool) -> tuple[dict[str, Any], Path | None]:
    if not path.is_file():
        if required:
            raise ConfigError([_whole(f"CLIENTFOLIO_CONFIG={path}", N_("no such settings file"))])
        return {}, None
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([_whole(str(path), N_("not valid TOML: {reason}"), reason=str(exc))]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, None, None, f"cannot be read: {exc}")]) from None
    problems = []
    for name, table in data.items():
        if name not in SECTIONS:
            known = ", ".join(SECTIONS)
            problems.append(
                _whole(str(path), N_("unknown table {name}; known tables: {known}"), name=repr(name), known=known)
            )
        elif not isinstance(table, dict):
            problems.append(_whole(str(path), N_("{name} must be a table, not a value"), name=repr(name)))
    if problems:
        raise ConfigError(problems)
    return data, path


class _DomainEnvironment(BaseSettings):
    """Only used to read the nested variables with pydantic-settings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter=_DELIMITER, extra="ignore")


@cache
def _environment(names: tuple[str, ...]) -> type[BaseSettings]:
    """The settings model reading the variables of the sections ``names``."""
    fields: dict[str, Any] = {name: (SECTIONS[name] | None, None) for name in names}
    model: type[BaseSettings] = create_model("DomainEnvironment", __base__=_DomainEnvironment, **fields)
    return model


def _read_env(names: tuple[str, ...]) -> dict[str, Any]:
    """The variables of the sections ``names`` (a variable of an unknown section is an error)."""
    problems = []
    for name in os.environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and _DELIMITER in upper[len(ENV_PREFIX) :]:
            section = upper[len(ENV_PREFIX) :].split(_DELIMITER, 1)[0].lower()
            if section not in SECTIONS:
                known = ", ".join(SECTIONS)
                said = N_("unknown section {name}; known sections: {known}")
                problems.append(_whole(name, said, name=repr(section), known=known))
    if problems:
        raise ConfigError(problems)
    try:
        data = EnvSettingsSource(_environment(names))()
    except Exception as exc:  # pydantic-settings' SettingsError: a JSON value that does not parse
        raise ConfigError([ConfigProblem("environment", None, None, None, str(exc))]) from None
    return {k: v for k, v in data.items() if k in names and v is not None}


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _unknown_keys(
    model: type[BaseModel], data: Mapping[str, Any], path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path, the known keys) of each key ``model`` does not know, nested models included."""
    known = model.model_fields
    for key, value in data.items():
        if key not in known:
            yield (*path, key), ", ".join(known)
            continue
        nested = _model_of(known[key].annotation)
        if nested is not None and isinstance(value, Mapping):
            yield from _unknown_keys(nested, value, (*path, key))


def _problem(
    section: str, path: tuple[str, ...], value: Any, reason: str, file: Path | None, env: Mapping[str, Any]
) -> ConfigProblem:
    if _lookup(env, (section, *path)) or file is None:
        return ConfigProblem(_variable(section, path), section, ".".join(path), value, reason)
    return ConfigProblem(str(file), section, ".".join(path), value, reason)


def load_domain_config(
    settings: Settings | None = None, *, database_url: str | None = None, sections: Collection[str] | None = None
) -> DomainConfig:
    """The effective domain configs: the environment over the settings file
    over the defaults (see the module docstring); ``database_url`` (default:
    the settings') places the file.  ``sections`` (default: all) are the ones
    read and validated (``ANALYTICS_SECTIONS`` ...): a command checks the
    settings it uses, and loads no other domain's modules; an unknown table
    or variable is an error whatever they are.  Raises ``ConfigError``."""
    settings = settings or Settings()
    names = tuple(SECTIONS) if sections is None else tuple(name for name in SECTIONS if name in sections)
    data, path = _read_file(*config_file(settings, database_url=database_url))
    env = _read_env(names)
    return _validate(data, path, env, names)


def _validate(
    data: Mapping[str, Any], path: Path | None, env: Mapping[str, Any], names: tuple[str, ...]
) -> DomainConfig:
    """The sections ``names`` of ``data`` (the file's tables) under ``env``; ``ConfigError`` naming every problem."""
    problems: list[ConfigProblem] = []
    sections: dict[str, BaseModel] = {}
    for name in names:
        model = SECTIONS[name]
        given = _merge(data.get(name, {}), env.get(name, {}))
        unknown = list(_unknown_keys(model, given, ()))
        for where, known in unknown:
            said = N_("unknown key; known keys: {known}")
            problem = _problem(name, where, _value_at(given, where), render("en", said, {"known": known}), path, env)
            problems.append(replace(problem, template=said, params={"known": known}))
        if unknown:
            continue
        try:
            sections[name] = model.model_validate(given)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(str(part) for part in err["loc"])
                reason = err["msg"].removeprefix("Value error, ")
                kind, context = err["type"], dict(err.get("ctx") or {})
                rule = context.pop("error", None)  # a validator's exception: a RuleError has its template
                template, params = (rule.template, rule.params) if isinstance(rule, ClientfolioError) else ("", {})
                if loc:
                    problem = _problem(name, loc, err.get("input"), reason, path, env)
                else:  # a rule between fields: name the table
                    source = str(path) if path is not None and name in data else f"{ENV_PREFIX}{name.upper()}__*"
                    problem = ConfigProblem(source, name, None, None, reason)
                problems.append(replace(problem, kind=kind, context=context, template=template, params=params))
    if problems:
        raise ConfigError(problems)
    return DomainConfig(MappingProxyType(sections), path, MappingProxyType(data), MappingProxyType(env))


def _value_at(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        node = node[part]
    return node


# --- writing the file (the web's settings page) -------------------------------------------------------------------

_WRITE_LOCK = threading.Lock()  # one read-modify-write of the file at a time (in this process)


@dataclass(frozen=True)
class SettingChange:
    """A key written to (or removed from) the settings file: the effective
    value before and after, and where each came from (``default`` or ``file``)."""

    file: Path
    section: str
    key: str
    old: Any
    new: Any
    old_source: str
    new_source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.file),
            "section": self.section,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "old_source": self.old_source,
            "new_source": self.new_source,
        }


def _target(where: Path | Settings | None, database_url: str | None) -> Path:
    if isinstance(where, Path):
        return where
    return config_file(where, database_url=database_url)[0]


def _field_at(section: str, key: str, source: str) -> tuple[tuple[str, ...], Any]:
    """The path of ``section``'s dotted ``key`` and its default (as in the model); ``ConfigError``
    for an unknown table or key, or a key naming a whole nested table."""
    model = SECTIONS.get(section)
    if model is None:
        reason = f"unknown table {section!r}; known tables: {', '.join(SECTIONS)}"
        raise ConfigError([ConfigProblem(source, None, None, None, reason)])
    path = tuple(key.split("."))
    current: type[BaseModel] = model
    default: Any = model()
    for depth, part in enumerate(path):
        known = current.model_fields
        if part not in known:
            reason = f"unknown key; known keys: {', '.join(known)}"
            raise ConfigError([ConfigProblem(source, section, key, None, reason)])
        default = getattr(default, part)
        nested = _model_of(known[part].annotation)
        if nested is None:
            if depth != len(path) - 1:
                raise ConfigError([ConfigProblem(source, section, key, None, f"{part!r} is a value, not a table")])
            return path, default
        current = nested
    reason = f"a table: give one of its keys ({', '.join(f'{key}.{k}' for k in current.model_fields)})"
    raise ConfigError([ConfigProblem(source, section, key, None, reason)])


def _env_refusal(env: Mapping[str, Any], section: str, path: tuple[str, ...]) -> None:
    if _lookup(env, (section, *path)):
        variable = _variable(section, path)
        reason = f"set by the environment ({variable}), which wins over the file: change or unset the variable"
        value = _value_at(env, (section, *path))
        problem = ConfigProblem(
            variable, section, ".".join(path), value, reason, kind="environment", context={"variable": variable}
        )
        raise ConfigError([problem])


def _parsed(text: str, default: Any, source: str, section: str, key: str) -> Any:
    """The value of a form's ``text``: as is for a text key; JSON for a list or
    a table; else JSON when it parses (``0.7``, ``true``, ``12``), the text otherwise."""
    if isinstance(default, str):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        if isinstance(default, list | dict):
            reason = "give a list or a table as JSON"
            raise ConfigError([ConfigProblem(source, section, key, text, reason, kind="json")]) from None
        return text.strip()
    if value is None:
        reason = "a file cannot hold an empty value: reset the key to go back to its default"
        raise ConfigError([ConfigProblem(source, section, key, text, reason, kind="empty")])
    return value


def _with(data: Mapping[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A copy of ``data`` with ``path`` set to ``value`` (tables made as needed)."""
    copy = dict(data)
    head, rest = path[0], path[1:]
    if rest:
        below = copy.get(head)
        copy[head] = _with(below if isinstance(below, Mapping) else {}, rest, value)
    else:
        copy[head] = value
    return copy


def _without(data: Mapping[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """A copy of ``data`` without ``path``; the tables left empty are dropped."""
    copy = dict(data)
    head, rest = path[0], path[1:]
    if head not in copy:
        return copy
    if rest:
        below = copy[head]
        if isinstance(below, Mapping):
            pruned = _without(below, rest)
            if pruned:
                copy[head] = pruned
            else:
                del copy[head]
    else:
        del copy[head]
    return copy


def _effective(domain: DomainConfig, section: str, key: str) -> tuple[Any, str]:
    row = next(r for r in domain.rows() if r.section == section and r.key == key)
    return row.value, row.source


def _change(
    where: Path | Settings | None,
    database_url: str | None,
    section: str,
    key: str,
    text: str | None,
    lang: str | None = None,
) -> SettingChange:
    path = _target(where, database_url)
    with _WRITE_LOCK:
        data, read = _read_file(path, False)
        names = tuple(SECTIONS)
        env = _read_env(names)
        source = str(path)
        keys, default = _field_at(section, key, source)
        _env_refusal(env, section, keys)
        before = _validate(data, read, env, names)
        old, old_source = _effective(before, section, key)
        if text is None:
            new_data = _without(data, (section, *keys))
        else:
            value = _parsed(text, _plain(default), source, section, key)
            if lang is not None:  # the catalogs' texts as listed in ``lang`` kept as their messages
                value = _as_messages(value, *_messages(default, gettext_for(lang)))
            new_data = _with(data, (section, *keys), value)
        after = _validate(new_data, path, env, names)
        new, new_source = _effective(after, section, key)
        if text is not None:  # the validated value (tuples as lists, 1 as 1.0 for a float ...)
            new_data = _with(data, (section, *keys), new)
        try:
            document = dumps_toml(new_data)
        except TypeError as exc:
            raise ConfigError([ConfigProblem(source, section, key, text, str(exc))]) from None
        _write_toml(path, document)
    return SettingChange(path, section, key, old, new, old_source, new_source)


def write_setting(
    where: Path | Settings | None,
    section: str,
    key: str,
    value_text: str,
    *,
    database_url: str | None = None,
    lang: str | None = None,
) -> SettingChange:
    """Set ``section``'s ``key`` (dotted for a nested table: ``spend.model``)
    to ``value_text`` in the settings file (``where``: the file, or the
    settings that place it as ``load_domain_config`` does; created when
    absent).  ``lang``: the value as listed in that language (``rows(lang)``),
    its translations of the catalogs' texts written as the messages.  The
    value is validated with every other setting first: an unknown key, a bad
    value, or a key set by the environment (which would win) raises
    ``ConfigError`` and writes nothing.  The file is rewritten
    whole (its comments are lost), atomically, mode 0600."""
    return _change(where, database_url, section, key, value_text, lang)


def reset_setting(
    where: Path | Settings | None, section: str, key: str, *, database_url: str | None = None
) -> SettingChange:
    """Remove ``section``'s ``key`` from the settings file: back to its default
    (``ConfigError`` when the environment sets it)."""
    return _change(where, database_url, section, key, None)


# TOML, written: what the configs hold (text, numbers, booleans, lists, tables)

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        shown = (f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None)
        return "{" + ", ".join(shown) + "}"  # TOML has no null: a key left out is its default
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    raise TypeError(f"cannot be written to TOML: {value!r}")


def _toml_table(lines: list[str], name: tuple[str, ...], table: Mapping[str, Any]) -> None:
    values = {k: v for k, v in table.items() if v is not None and not isinstance(v, Mapping)}
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if name and (values or not tables):
        if lines:
            lines.append("")
        lines.append("[" + ".".join(_toml_key(part) for part in name) + "]")
    for key, value in values.items():
        lines.append(f"{_toml_key(str(key))} = {_toml_value(value)}")
    for key, below in tables.items():
        _toml_table(lines, (*name, str(key)), below)


def dumps_toml(data: Mapping[str, Any]) -> str:
    """``data`` (tables of values) as a TOML document; ``tomllib.loads`` reads it back the same."""
    lines: list[str] = []
    _toml_table(lines, (), data)
    return "\n".join(lines) + "\n"


def _write_toml(path: Path, document: str) -> None:
    """Write ``document`` to ``path`` atomically: a temporary file (mode 0600)
    in the same folder, flushed to disk, then renamed over ``path``."""
    text = "# clientfolio.toml: the domain settings (docs/settings.md)\n" + document
    folder = path.parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, None, None, f"cannot be written: {exc}")]) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
