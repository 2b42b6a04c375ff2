"""The [team] policy as the rest of the team view reads it. `enabled` and `dsn` count only when IT's
policy sets them (a key set in the user's own file is not IT's decision: the team view stays off)."""

from __future__ import annotations

from dataclasses import dataclass

from trayagent.config import Config

MIN_GROUP = 5


@dataclass(frozen=True)
class TeamPolicy:
    enabled: bool = False
    dsn: str = ""
    name: str = ""
    min_group: int = MIN_GROUP

    @property
    def usable(self) -> bool:
        return self.enabled and bool(self.dsn) and bool(self.name)


def read(cfg: Config) -> TeamPolicy:
    section = cfg.values.get("team", {})

    def by_policy(key: str, default: object) -> object:
        return section.get(key, default) if ("team", key) in cfg.locked else default

    return TeamPolicy(enabled=bool(by_policy("enabled", False)), dsn=str(by_policy("dsn", "")),
                      name=str(section.get("name", "")).strip(), min_group=int(section.get("min_group", MIN_GROUP)))
