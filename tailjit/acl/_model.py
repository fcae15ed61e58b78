"""The policy file as typed values: every top-level section Tailscale documents, and no others.

TAILSCALE_API.md §2.1: Tailscale decodes the policy with Go's ``encoding/json`` and unknown
fields disallowed, so a misspelt key is an error (``json: unknown field "dst"``), key names match
case-insensitively (``"ACLs"`` and ``"Users"`` appear in real policies), and ``null`` is the same as
leaving a field out. The models here do the same: they are strict (no coercion: a port is not a
number), forbid extra fields, fold key case onto the documented spelling and drop ``null``
members before validating. Opaque sections (``derpMap``, ``app`` parameters) stay plain JSON.

Sequences are tuples and models are frozen: a loaded policy is a value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    model_validator,
)

if TYPE_CHECKING:
    from tailjit.acl._source import SourceMap

AttrValue = StrictStr | StrictBool | StrictInt | StrictFloat
"""A posture attribute value (TAILSCALE_API.md §3.3: string, number or boolean)."""

Str = StrictStr
Bool = StrictBool
Names = tuple[StrictStr, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False)
    _folded: ClassVar[dict[str, str]] = {}

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._folded = {
            (info.alias or name).lower(): info.alias or name
            for name, info in cls.model_fields.items()
        }

    @model_validator(mode="before")
    @classmethod
    def _fold_keys(cls, data: Any) -> Any:
        """Case-insensitive keys onto their documented spelling; ``null`` members left out."""
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            if value is None:
                continue
            out[cls._folded.get(key.lower(), key) if isinstance(key, str) else key] = value
        return out


class Grant(_Strict):
    """A ``grants`` entry (§2.2): ``src`` and ``dst``, and ``ip`` and/or ``app``."""

    src: Names
    dst: Names
    ip: Names | None = None
    app: dict[str, tuple[Any, ...]] | None = None
    src_posture: Names = Field(default=(), alias="srcPosture")
    via: Names = ()


class Acl(_Strict):
    """A legacy ``acls`` entry (§2.3); ``users`` and ``ports`` are old names of ``src`` and
    ``dst``."""

    action: Str = ""
    src: Names | None = None
    users: Names | None = None
    dst: Names | None = None
    ports: Names | None = None
    proto: Str | None = None
    src_posture: Names = Field(default=(), alias="srcPosture")

    @property
    def sources(self) -> Names:
        return self.src if self.src is not None else (self.users or ())

    @property
    def destinations(self) -> Names:
        return self.dst if self.dst is not None else (self.ports or ())


class SshRule(_Strict):
    """An ``ssh`` entry."""

    action: Str = ""
    src: Names = ()
    dst: Names = ()
    users: Names = ()
    check_period: Str | None = Field(default=None, alias="checkPeriod")
    accept_env: Names = Field(default=(), alias="acceptEnv")
    src_posture: Names = Field(default=(), alias="srcPosture")
    recorder: Names = ()
    enforce_recorder: Bool = Field(default=False, alias="enforceRecorder")


class NodeAttr(_Strict):
    """A ``nodeAttrs`` entry (client-go also knows ``ipPool``)."""

    target: Names = ()
    attr: Names = ()
    app: dict[str, tuple[Any, ...]] | None = None
    ip_pool: Names = Field(default=(), alias="ipPool")


class AutoApprovers(_Strict):
    routes: dict[str, Names] = {}
    exit_node: Names = Field(default=(), alias="exitNode")
    services: dict[str, Names] = {}


class PolicyTest(_Strict):
    """A ``tests`` entry (§2.4); ``user`` and ``allow`` are old names of ``src`` and ``accept``."""

    __test__ = False  # not a pytest test class

    src: Str | None = None
    user: Str | None = None
    proto: Str | None = None
    accept: Names = ()
    allow: Names = ()
    deny: Names = ()
    src_posture_attrs: dict[str, AttrValue] = Field(default={}, alias="srcPostureAttrs")

    @property
    def source(self) -> str:
        return self.src if self.src is not None else (self.user or "")

    @property
    def accepts(self) -> Names:
        return self.accept + self.allow


class SshTest(_Strict):
    """An ``sshTests`` entry."""

    __test__ = False

    src: Str = ""
    dst: Names = ()
    accept: Names = ()
    check: Names = ()
    deny: Names = ()
    src_posture_attrs: dict[str, AttrValue] = Field(default={}, alias="srcPostureAttrs")


class AttrConfig(_Strict):
    """An ``attrConfig`` value (client-go only; UNCONFIRMED in the docs, §2.1)."""

    type: Str | None = None
    allow_set_by_node: Bool = Field(default=False, alias="allowSetByNode")
    broadcast_to_peers: Names = Field(default=(), alias="broadcastToPeers")


class Policy(_Strict):
    """A whole policy file (§2.1)."""

    grants: tuple[Grant, ...] = ()
    acls: tuple[Acl, ...] = ()
    ssh: tuple[SshRule, ...] = ()
    auto_approvers: AutoApprovers | None = Field(default=None, alias="autoApprovers")
    node_attrs: tuple[NodeAttr, ...] = Field(default=(), alias="nodeAttrs")
    postures: dict[str, Names] = {}
    default_src_posture: Names = Field(default=(), alias="defaultSrcPosture")
    tag_owners: dict[str, Names] = Field(default={}, alias="tagOwners")
    groups: dict[str, Names] = {}
    hosts: dict[str, Str] = {}
    ipsets: dict[str, Names] = {}
    tests: tuple[PolicyTest, ...] = ()
    ssh_tests: tuple[SshTest, ...] = Field(default=(), alias="sshTests")
    derp_map: Any = Field(default=None, alias="derpMap")
    disable_ipv4: Bool = Field(default=False, alias="disableIPv4")
    one_cgnat_route: Str | None = Field(default=None, alias="OneCGNATRoute")
    randomize_client_port: Bool = Field(default=False, alias="randomizeClientPort")
    attr_config: dict[str, AttrConfig] = Field(default={}, alias="attrConfig")

    _source: SourceMap | None = PrivateAttr(default=None)
    """Where each value is in the text the policy was loaded from (None for a decoded value)."""

    @property
    def source(self) -> SourceMap | None:
        return self._source
