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
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from clientfolio.analytics.abc import AbcConfig
from clientfolio.analytics.analysis import AnalyticsConfig
from clientfolio.analytics.matrix import MatrixConfig
from clientfolio.analytics.measures import MeasuresConfig
from clientfolio.analytics.rfm import RfmConfig
from clientfolio.errors import ClientfolioError
from clientfolio.plan.assessment import AssessmentConfig
from clientfolio.plan.run import PlanConfig
from clientfolio.plan.suggestions import SuggestionConfig
from clientfolio.plan.swot import SwotConfig
from clientfolio.prospects.activity import ActivityConfig
from clientfolio.prospects.followup import FollowUpConfig
from clientfolio.prospects.funnel import FunnelConfig
from clientfolio.prospects.priority import PriorityConfig
from clientfolio.prospects.run import ProspectsConfig
from clientfolio.settings import Settings
from clientfolio.value.categories import CategoryConfig
from clientfolio.value.clv import ClvConfig
from clientfolio.value.portfolio import ValueConfig
from clientfolio.value.potential import PotentialConfig
from clientfolio.value.solvency import SolvencyConfig
from clientfolio.value.strategy import QuadrantConfig

__all__ = [
    "CONFIG_FILE_NAME",
    "ENV_PREFIX",
    "SECTIONS",
    "ConfigError",
    "ConfigProblem",
    "DomainConfig",
    "SettingRow",
    "config_file",
    "load_domain_config",
]

CONFIG_FILE_NAME = "clientfolio.toml"
ENV_PREFIX = "CLIENTFOLIO_"
_DELIMITER = "__"


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


# ValueConfig's own fields (its nested configs are sections of their own)
_VALUE_OWN: dict[str, Any] = {
    name: (f.annotation, f) for name, f in ValueConfig.model_fields.items() if not _is_model(f.annotation)
}
ValueOptions: type[BaseModel] = create_model(
    "ValueOptions",
    __config__=ConfigDict(frozen=True, extra="forbid"),
    __doc__="The valuation's own settings (window, backtest).",
    **_VALUE_OWN,
)

#: Each domain config, by the name of its table (file) and variable prefix (environment).
SECTIONS: Mapping[str, type[BaseModel]] = MappingProxyType(
    {
        # analysis (clientfolio analyze, the plan, the report, the web dashboard)
        "measures": MeasuresConfig,
        "abc": AbcConfig,  # also the ABC on revenue of the valuation
        "rfm": RfmConfig,
        "matrix": MatrixConfig,
        # valuation (clientfolio value)
        "value": ValueOptions,
        "potential": PotentialConfig,
        "categories": CategoryConfig,
        "quadrants": QuadrantConfig,
        "clv": ClvConfig,  # with its table [clv.spend]
        "solvency": SolvencyConfig,
        # prospects and activity
        "priority": PriorityConfig,
        "funnel": FunnelConfig,
        "follow_up": FollowUpConfig,
        "activity": ActivityConfig,
        # the plan
        "assessment": AssessmentConfig,  # with its table [assessment.scales]
        "suggestions": SuggestionConfig,
        "swot": SwotConfig,
    }
)

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong: where (file or variable), table, key, value, why."""

    source: str
    table: str | None
    key: str | None
    value: Any
    reason: str

    def __str__(self) -> str:
        where = self.source
        if self.table is not None:
            shown = f"table {self.table}" + (f", key {self.key}" if self.key else "")  # no [...]: Rich markup
            if self.source.startswith(ENV_PREFIX) and self.key:
                where = f"{self.source}={_shown(self.value)} ({shown})"
            elif self.key:
                where = f"{self.source}: {shown} = {_shown(self.value)}"
            else:
                where = f"{self.source}: {shown}"
        return f"{where}: {self.reason}"


class ConfigError(ClientfolioError):
    """The domain settings (file or environment) are wrong; nothing is run."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        lines = [str(p) for p in problems]
        super().__init__(lines[0] if len(lines) == 1 else "the domain settings are wrong:\n  " + "\n  ".join(lines))


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
        value = self.sections[name]
        assert isinstance(value, model), (name, model)
        return value

    @property
    def analytics(self) -> AnalyticsConfig:
        return AnalyticsConfig(
            measures=self.section("measures", MeasuresConfig),
            abc=self.section("abc", AbcConfig),
            rfm=self.section("rfm", RfmConfig),
            matrix=self.section("matrix", MatrixConfig),
        )

    @property
    def value(self) -> ValueConfig:
        own = self.sections["value"]
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
        return ProspectsConfig(
            priority=self.section("priority", PriorityConfig),
            funnel=self.section("funnel", FunnelConfig),
            follow_up=self.section("follow_up", FollowUpConfig),
            activity=self.section("activity", ActivityConfig),
        )

    @property
    def plan(self) -> PlanConfig:
        return PlanConfig(
            assessment=self.section("assessment", AssessmentConfig),
            suggestions=self.section("suggestions", SuggestionConfig),
            swot=self.section("swot", SwotConfig),
            analytics=self.analytics,
            value=self.value,
            prospects=self.prospects,
        )

    def rows(self) -> list[SettingRow]:
        """Every field of every section: value, default, source and help."""
        rows: list[SettingRow] = []
        for name, model in SECTIONS.items():
            rows.extend(self._rows(name, (), model, self.sections[name], model()))
        return rows

    def _rows(
        self, section: str, path: tuple[str, ...], model: type[BaseModel], current: BaseModel, default: BaseModel
    ) -> Iterator[SettingRow]:
        for key, info in model.model_fields.items():
            here = (*path, key)
            value, value_default = getattr(current, key), getattr(default, key)
            if _is_model(info.annotation) and isinstance(value, BaseModel) and isinstance(value_default, BaseModel):
                yield from self._rows(section, here, type(value), value, value_default)
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
                _plain(value),
                _plain(value_default),
                source,
                info.description or "",
            )


def _plain(value: Any) -> Any:
    """The value as JSON data (tuples as lists, models as tables)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
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


def config_file(settings: Settings | None = None, *, database_url: str | None = None) -> tuple[Path, bool]:
    """The settings file and whether it must exist: ``CLIENTFOLIO_CONFIG`` when
    set (must exist), else ``clientfolio.toml`` beside the SQLite store file,
    else in the working directory."""
    settings = settings or Settings()
    if settings.config:
        return Path(settings.config).expanduser(), True
    url = database_url or settings.database_url
    folder = Path.cwd()
    try:
        parsed = make_url(url)
    except ArgumentError:
        parsed = None
    if parsed is not None and parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(str(parsed.database)).expanduser().parent
        if not folder.is_absolute():
            folder = Path.cwd() / folder
    return folder / CONFIG_FILE_NAME, False


def _read_file(path: Path, required: bool) -> tuple[dict[str, Any], Path | None]:
    if not path.is_file():
        if required:
            raise ConfigError([ConfigProblem(f"CLIENTFOLIO_CONFIG={path}", None, None, None, "no such settings file")])
        return {}, None
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([ConfigProblem(str(path), None, None, None, f"not valid TOML: {exc}")]) from None
    except OSError as exc:
        raise ConfigError([ConfigProblem(str(path), None, None, None, f"cannot be read: {exc}")]) from None
    problems = []
    for name, table in data.items():
        if name not in SECTIONS:
            problems.append(
                ConfigProblem(
                    str(path), None, None, None, f"unknown table {name!r}; known tables: {', '.join(SECTIONS)}"
                )
            )
        elif not isinstance(table, dict):
            problems.append(ConfigProblem(str(path), None, None, None, f"{name!r} must be a table, not a value"))
    if problems:
        raise ConfigError(problems)
    return data, path


class _DomainEnvironment(BaseSettings):
    """Only used to read the nested variables with pydantic-settings."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_nested_delimiter=_DELIMITER, extra="ignore")


_ENV_FIELDS: dict[str, Any] = {name: (model | None, None) for name, model in SECTIONS.items()}
_ENV: type[BaseSettings] = create_model("DomainEnvironment", __base__=_DomainEnvironment, **_ENV_FIELDS)


def _read_env() -> dict[str, Any]:
    problems = []
    for name in os.environ:
        upper = name.upper()
        if upper.startswith(ENV_PREFIX) and _DELIMITER in upper[len(ENV_PREFIX) :]:
            section = upper[len(ENV_PREFIX) :].split(_DELIMITER, 1)[0].lower()
            if section not in SECTIONS:
                problems.append(
                    ConfigProblem(
                        f"{name}",
                        None,
                        None,
                        None,
                        f"unknown section {section!r}; known sections: {', '.join(SECTIONS)}",
                    )
                )
    if problems:
        raise ConfigError(problems)
    try:
        data = EnvSettingsSource(_ENV)()
    except Exception as exc:  # pydantic-settings' SettingsError: a JSON value that does not parse
        raise ConfigError([ConfigProblem("environment", None, None, None, str(exc))]) from None
    return {k: v for k, v in data.items() if k in SECTIONS and v is not None}


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
    """(path, reason) of each key ``model`` does not know, nested models included."""
    known = model.model_fields
    for key, value in data.items():
        if key not in known:
            yield (*path, key), f"unknown key; known keys: {', '.join(known)}"
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


def load_domain_config(settings: Settings | None = None, *, database_url: str | None = None) -> DomainConfig:
    """The effective domain configs: the environment over the settings file
    over the defaults (see the module docstring); ``database_url`` (default:
    the settings') places the file.  Raises ``ConfigError``."""
    settings = settings or Settings()
    data, path = _read_file(*config_file(settings, database_url=database_url))
    env = _read_env()
    problems: list[ConfigProblem] = []
    sections: dict[str, BaseModel] = {}
    for name, model in SECTIONS.items():
        given = _merge(data.get(name, {}), env.get(name, {}))
        unknown = list(_unknown_keys(model, given, ()))
        for where, reason in unknown:
            problems.append(_problem(name, where, _value_at(given, where), reason, path, env))
        if unknown:
            continue
        try:
            sections[name] = model.model_validate(given)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(str(part) for part in err["loc"])
                reason = err["msg"].removeprefix("Value error, ")
                if loc:
                    problems.append(_problem(name, loc, err.get("input"), reason, path, env))
                else:  # a rule between fields: name the table
                    source = str(path) if path is not None and name in data else f"{ENV_PREFIX}{name.upper()}__*"
                    problems.append(ConfigProblem(source, name, None, None, reason))
    if problems:
        raise ConfigError(problems)
    return DomainConfig(MappingProxyType(sections), path, MappingProxyType(data), MappingProxyType(env))


def _value_at(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        node = node[part]
    return node
