"""Every threshold and name pattern of the exception detectors and hot spots, in one object."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from procatlas.errors import InputError

# Multilingual (en, de, nl, fr, es, it, pt) name patterns, matched case-insensitively as
# regular expressions against activity names.  Word stems, so "Cancel", "cancelled",
# "Cancellation", "storniert", "annuleren" all match.
DEFAULT_PATTERNS: dict[str, str] = {
    "reversal": r"revers|storn|undo|rückbuch|terugboek|annul.*boek|contre.?passation|anulaci|annullament|estorn",
    "cancellation": r"cancel|abort|withdraw|stornier|abbrech|annul|intrekk|afbre|cancela|annulla|anula",
    "change": r"\bchange|modif|amend|adjust|correct|updat|änder|wijzig|aanpass|cambi|modific|alter|rectif",
    "block": r"block|\bhold\b|on.?hold|suspend|sperr|blokk|geblok|bloqu|bloc|sospe|sospend",
    "rejection": r"reject|declin|denied|\bdeny|refus|ablehn|afgewez|afwijz|rechaz|rifiut|rejeit|weiger",
    "escalation": r"escalat|eskal|escal",
}

DEFAULT_EXCLUSIONS: dict[str, str] = {
    "block": r"releas|unblock|lift|freigeb|entsperr|vrijgeg|vrijgav|débloq|debloq|desbloq|sblocc",
}


@dataclass(frozen=True)
class SlaRule:
    """A case SLA: ``hours`` from the first ``start_activity`` (default: case start) to the last
    ``end_activity`` (default: case end), counted in working hours when ``working_hours`` is set
    (``(from_hour, to_hour)`` local time on ``working_days``, public ``holidays`` off)."""

    hours: float
    start_activity: str | None = None
    end_activity: str | None = None
    working_hours: tuple[float, float] | None = None
    timezone: str = "UTC"
    working_days: str = "1111100"  # Monday .. Sunday, numpy busday weekmask
    holidays: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExceptionSettings:
    """Thresholds and patterns of the detectors and of hot spots; every default is documented
    in docs/exceptions.md.  Change one with ``settings.replace(name=value)``.

    >>> ExceptionSettings().replace(long_wait_quantile=0.99).long_wait_quantile
    0.99
    """

    # which detectors run (names of docs/exceptions.md); conformance (alignments) is explicit: it
    # runs when a model is given, when listed here, or through proc.conformance()
    detectors: tuple[str, ...] = ("rework", "skipped_step", "order_violation", "rare_path",
                                  "long_wait", "sla_breach", "reversal", "cancellation", "change", "block",
                                  "rejection", "escalation", "unusual_resource", "social_escalation")
    # rework: an activity (same lifecycle) occurs again in the case
    rework_lifecycle_aware: bool = True
    # skipped step: activity present in >= this share of cases (or of a segment of cases) is missing
    skipped_min_support: float = 0.9
    skipped_conditional: bool = True        # look for numeric case attributes that make a step mandatory
    skipped_condition_quantile: float = 0.01  # robust threshold among cases that have the step
    # order violation: a pair in the reverse of an order that holds in >= this share of its cases
    order_dominance: float = 0.95
    order_min_cases: int = 20
    # conformance: alignments against the discovered (IMf, noise) or a user model
    conformance_noise: float = 0.2
    alignment_time_budget_s: float | None = 5.0
    alignment_max_states: int = 100_000
    # rare path: variant share or edge case share below these
    rare_variant_share: float = 0.001
    rare_edge_share: float = 0.005
    # long wait: transition beyond its edge's fence on the log scale, ln(1 + wait_s) > Q3 +
    # long_wait_fence * IQR (an outlier of the edge's own spread, not a fixed share of every edge);
    # or slower than long_wait_quantile of its edge (e.g. 0.95), or than long_wait_hours, if one is set
    long_wait_fence: float = 1.5
    long_wait_quantile: float | None = None
    # ... and at least this much longer than the edge's median: on an automatic step whose waits are
    # milliseconds, a wait of seconds is beyond the fence but no business exception
    long_wait_min_delay_hours: float = 1.0
    long_wait_hours: float | None = None
    long_wait_min_edge_cases: int = 20
    # SLA breach: case duration over this quantile of the process, or a rule per process
    sla_quantile: float = 0.9
    sla: dict[str, SlaRule] = field(default_factory=dict)
    # name patterns (regular expressions, case-insensitive) of the pattern detectors
    patterns: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PATTERNS))
    # activities that match a family's pattern but undo it ("Release invoice block")
    pattern_exclusions: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_EXCLUSIONS))
    # unusual resource: a resource/group doing an activity it does rarely
    unusual_share: float = 0.01
    unusual_max_events: int = 3
    unusual_min_activity_events: int = 100
    # hot spots
    # activity and edge locations are opt-in: co-occurrence there is mostly structural (one root
    # cause seen by several detectors); the heat overlay of the map shows their exception load
    hotspot_kinds: tuple[str, ...] = ("attribute", "resource", "group", "week", "month")
    hotspot_pairs: bool = True             # place x period pairs: a value of these kinds x a calendar window
    hotspot_pair_kinds: tuple[str, ...] = ("attribute",)
    hotspot_period_months: int = 3         # calendar windows of 1..this many consecutive months (scan statistic)
    # outcome types measure the case's result, not a cause: an SLA breach is mostly the delay of the
    # case's other exceptions seen again (a long wait or an escalation makes the case late); they
    # are not counted as co-occurring types (their cost is in the impact, extra case-hours)
    hotspot_outcome_types: tuple[str, ...] = ("sla_breach",)
    # two exceptions (a type at an activity or edge) that each come with the other in this share of
    # their cases are two views of one event (a changed requisition is always approved again): the
    # rarer is not counted where both are
    hotspot_implied_share: float = 0.9
    hotspot_min_cases: int = 5             # min cases with co-occurring exceptions at the location
    hotspot_min_lift: float = 2.0
    hotspot_alpha: float = 0.05            # Benjamini-Hochberg false discovery rate
    hotspot_symptom_share: float = 0.9     # a type on this share of a location's cases is its symptom, not counted
    hotspot_type_lift: float = 1.5         # a type is "involved" when its rate at the location is this much higher
    hotspot_max_type_share: float = 0.5    # types flagged in more cases than this are not exceptional
    hotspot_max_location_share: float = 0.5
    hotspot_max_attribute_values: int = 200
    hotspot_examples: int = 5
    hotspot_residual_candidates: int = 500  # significant candidates walked by the residual de-duplication
    hotspot_max_spots: int = 50

    def replace(self, **changes) -> "ExceptionSettings":
        try:
            return dataclasses.replace(self, **changes)
        except TypeError as exc:
            raise InputError(f"unknown exception setting: {exc}") from None

    def __post_init__(self) -> None:
        for name in ("skipped_min_support", "order_dominance", "rare_variant_share", "rare_edge_share",
                     "long_wait_quantile", "sla_quantile", "unusual_share", "hotspot_alpha",
                     "hotspot_implied_share"):
            v = getattr(self, name)
            if v is not None and not 0 <= v <= 1:
                raise InputError(f"{name} must be a share between 0 and 1, not {v}")
        unknown = set(self.patterns) - set(DEFAULT_PATTERNS)
        if unknown:
            raise InputError(f"unknown pattern families {sorted(unknown)}; known: {sorted(DEFAULT_PATTERNS)}")
