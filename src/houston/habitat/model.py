"""The habitat as a kernel model: a base's modules, airlocks, hatches, valves, gas tanks and
holes, with the sensors the ground reads.

Physics: the gas network of :mod:`houston.habitat.network` (the compiled step of
:mod:`houston.habitat.fastnet`). The network holds the scenario's nodes, one node per gas tank
and the outside vacuum (implicit, named ``outside``); its links are

* the **hatches** (an orifice of ``area * cd`` when OPEN, nothing when CLOSED or LOCKED);
* the **valves** (vents to the outside, or equalisation valves between two nodes);
* one **feed valve** per tank (one way, capped at the tank's ``max_flow``); when open, its
  regulator feeds while the fed node's true pressure is below ``set_pressure``, stops at it,
  and starts again ``deadband`` below it;
* one **hole** link per node to the outside, of zero area until a ``hole`` failure opens it
  (holes add up: two holes in one node make one link of the summed effective area).

Instruments (:mod:`houston.habitat.instruments`, the error model of
:mod:`houston.core.sensors`): every node has ``pressure_channels`` redundant pressure
transducers (mid-value voted), an O2 partial-pressure sensor and a thermometer; every tank a
pressure transducer. The ground sees the readings, the voted value, the channels' spread
(a large spread with a steady voted value points at a sensor, all channels moving together at
the process) and a leak-rate estimate from the voted pressure. The archive also keeps the
truth (``truth=True`` telemetry, never limit-checked or downlinked): true pressures, ppO2,
temperatures, the gas leaving through holes, the tanks' contents and the gas lost overboard,
so that a post-mortem can tell a sensor fault from a leak.

Names: commands and failures name a hatch, valve, tank, node or sensor by its scenario name.
Sensor names are ``<node>.p1`` .. ``<node>.pK`` (pressure channels), ``<node>.ppo2``,
``<node>.temperature`` and ``<tank>.pressure``.

Limits (defaults, overridable per scenario; in SI, displayed in kPa or °C):

* node pressure: caution below 90 kPa (a chosen margin, about 10 % below sea level), warning
  below 75.3 kPa, the pressure of the 1976 U.S. Standard Atmosphere at 8,000 ft, the highest
  cabin altitude 14 CFR 25.841(a) allows a pressurised aircraft cabin; caution above 104 kPa
  and warning above 110 kPa (chosen: a regulator failing open);
* ppO2: caution below 15.8 kPa (air at 8,000 ft), warning below 12.0 kPa (air at 15,000 ft,
  where :mod:`houston.crew.physiology` starts the hypoxic dose), caution above 23.8 kPa
  (23.5 % of a sea-level atmosphere: the "oxygen-enriched" threshold of 29 CFR 1910.146(b));
* temperature: caution outside 18-27 °C (a chosen comfort band);
* pressure-channel spread: caution above ``vote_tolerance`` for 3 samples;
* leak rate: caution above ``leak_caution`` for 5 samples;
* tank contents: caution below 20 %, warning below 5 % of the initial store (chosen).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.core.constants import R_GAS_J_MOL_K
from houston.core.model import (
    Command,
    CommandRejected,
    Failure,
    Limits,
    Model,
    ModelRandom,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.core.random import _MASK, BatchRandom, stream_key
from houston.habitat.gas import DRY_AIR_MOLE_FRACTION, MOLAR_MASS_KG_MOL, N_SPECIES, O2
from houston.habitat.labels import (
    CLOSED,
    HATCH_STATES,
    LOCKED,
    OPEN,
    OUTSIDE,
    hatch_frame,
    node_frame,
)
from houston.habitat.packing import flat, pack_states

# The counter multiplier of houston.core.random.BatchRandom.bits (a test keeps them equal).
_COUNTER_MULTIPLIER = 0xD1B54A32D192ED03
# Counters per step key in houston.core.model.ModelRandom (the draws ahead assume it; a
# different one only makes every step draw again).
_DRAWS_PER_STEP = 1024
# The sensor noise is drawn for this many steps at once (fewer when the batch is large, so
# that the buffers hold at most _AHEAD_VALUES values each).
_AHEAD_STEPS = 64
_AHEAD_VALUES = 4096

VALVE_STATES = ("CLOSED", "OPEN")
TANK_VALVE_STATES = ("CLOSED", "OPEN", "FAILED")
TANK_GASES: dict[str, NDArray[np.float64]] = {
    "O2": np.array([1.0, 0.0, 0.0, 0.0]),
    "N2": np.array([0.0, 1.0, 0.0, 0.0]),
    "air": DRY_AIR_MOLE_FRACTION,
}

#: Pressure of the 1976 U.S. Standard Atmosphere at 8,000 ft (2,438.4 m), Pa.
P_8000_FT_PA = 75_262.0
#: ... and at 15,000 ft (4,572 m), Pa (as in houston.crew.physiology).
P_15000_FT_PA = 57_182.0
#: Mole fraction of O2 in dry air (houston.habitat.gas).
X_O2_AIR = float(DRY_AIR_MOLE_FRACTION[O2])
#: A tank is reported empty below this fraction of its initial store.
TANK_EMPTY_FRACTION = 0.02

_NODE_FIELDS = (
    Param("volume", "m3", "free gas volume", min=0.0),
    Param("pressure", "Pa", "initial total pressure", 101_325.0, min=0.0),
    Param("o2_fraction", "1", "initial O2 mole fraction (the rest N2)", X_O2_AIR, min=0.0, max=1.0),
    Param("temperature", "K", "gas temperature (held constant)", 293.15, min=1.0),
)
_HATCH_FIELDS = (
    Param("a", description="node on one side", kind="str"),
    Param("b", description="node on the other side, or 'outside'", kind="str"),
    Param("area", "m2", "clear area when open", 0.8, min=0.0),
    Param("cd", "1", "discharge coefficient of the open hatch", 0.6, min=0.0, max=1.0),
    Param("state", description="initial state", default="CLOSED", kind="str", choices=HATCH_STATES),
)
_VALVE_FIELDS = (
    Param("a", description="node it vents or equalises", kind="str"),
    Param("b", description="other node, or 'outside' (a vent)", default=OUTSIDE, kind="str"),
    Param("area", "m2", "orifice area when open", 1e-3, min=0.0),
    Param("cd", "1", "discharge coefficient", 0.6, min=0.0, max=1.0),
    Param("open", description="initially open", default=False, kind="bool"),
)
_TANK_FIELDS = (
    Param("node", description="node the tank's valve feeds", kind="str"),
    Param(
        "gas",
        description="what the tank holds",
        default="N2",
        kind="str",
        choices=tuple(TANK_GASES),
    ),
    Param("mass", "kg", "initial gas mass", 10.0, min=0.0),
    Param("pressure", "Pa", "initial storage pressure (sets the tank volume)", 20e6, min=1.0),
    Param("temperature", "K", "gas temperature", 293.15, min=1.0),
    Param("max_flow", "kg_s", "flow of the open valve (regulated)", 0.01, min=0.0),
    Param("valve_area", "m2", "effective area cd*A of the valve orifice", 1e-5, min=0.0),
    Param(
        "set_pressure",
        "Pa",
        "the regulator shuts the feed once the fed node reaches this pressure",
        101_325.0,
        min=0.0,
    ),
    Param(
        "deadband",
        "Pa",
        "the regulator feeds again once the fed node is this far below the set pressure",
        1000.0,
        min=0.0,
    ),
    Param("open", description="valve initially open", default=False, kind="bool"),
)

_DEFAULT_NODES = {"hab": {"volume": 100.0}, "airlock": {"volume": 5.0}}
_DEFAULT_HATCHES = {
    "inner": {"a": "hab", "b": "airlock", "state": "OPEN"},
    "outer": {"a": "airlock", "b": OUTSIDE, "state": "CLOSED"},
}
_DEFAULT_VALVES = {"depress": {"a": "airlock"}}
_DEFAULT_TANKS = {"n2": {"node": "hab"}}

SENSOR_KINDS = ("pressure", "ppo2", "temperature", "tank_pressure")


def normalise_records(
    value: Mapping[str, Any], fields: tuple[Param, ...], what: str
) -> dict[str, dict[str, Any]]:
    """Records with every field present (defaults filled); ``ValueError`` for a missing one."""
    out: dict[str, dict[str, Any]] = {}
    for name, rec in value.items():
        full = {}
        for f in fields:
            if f.name in rec:
                full[f.name] = rec[f.name]
            elif f.required:
                raise ValueError(f"{what} {name!r}: missing {f.name} ({f.description})")
            else:
                full[f.name] = f.default
        unknown = set(rec) - {f.name for f in fields}
        if unknown:
            raise ValueError(f"{what} {name!r}: unknown fields {sorted(unknown)}")
        out[str(name)] = full
    return out


@dataclass(frozen=True)
class Layout:
    """Indices of everything: network nodes and links, sensor channels, telemetry columns."""

    nodes: tuple[str, ...]
    hatches: tuple[str, ...]
    valves: tuple[str, ...]
    tanks: tuple[str, ...]
    channels: int  # pressure channels per node
    sensors: tuple[str, ...]
    sensor_kind: NDArray[np.intp]
    sensor_node: NDArray[np.intp]  # network node index of each sensor channel

    @property
    def n(self) -> int:
        return len(self.nodes)

    @property
    def n_network(self) -> int:
        return len(self.nodes) + len(self.tanks) + 1

    @property
    def outside(self) -> int:
        return self.n_network - 1


class GasNetworkModel(Model):
    """A base's atmosphere: modules, airlocks, hatches, valves, tanks, holes and sensors."""

    type_name = "habitat.gas_network"
    summary = (
        "Habitat atmosphere: modules and airlocks joined by hatches, vents, gas tanks, holes; "
        "redundant sensors with faults; compressible flow, backward Euler"
    )
    params = (
        Param(
            "nodes",
            description="modules and airlocks (the outside vacuum is implicit)",
            default=_DEFAULT_NODES,
            kind="records",
            fields=_NODE_FIELDS,
        ),
        Param(
            "hatches",
            description="hatches between two nodes or a node and 'outside'",
            default=_DEFAULT_HATCHES,
            kind="records",
            fields=_HATCH_FIELDS,
        ),
        Param(
            "valves",
            description="vents and equalisation valves",
            default=_DEFAULT_VALVES,
            kind="records",
            fields=_VALVE_FIELDS,
        ),
        Param(
            "tanks",
            description="gas tanks feeding nodes through regulated valves",
            default=_DEFAULT_TANKS,
            kind="records",
            fields=_TANK_FIELDS,
        ),
        Param(
            "pressure_channels",
            "1",
            "redundant pressure transducers per node (voted)",
            3,
            kind="int",
            min=1,
            max=7,
        ),
        Param("pressure_noise", "Pa", "one-sigma noise of a pressure reading", 50.0, min=0.0),
        Param("pressure_resolution", "Pa", "quantisation of a pressure reading", 10.0, min=0.0),
        Param(
            "ppo2_noise", "Pa", "one-sigma noise of an O2 partial-pressure reading", 100.0, min=0.0
        ),
        Param("temperature_noise", "K", "one-sigma noise of a temperature reading", 0.05, min=0.0),
        Param(
            "tank_pressure_noise", "Pa", "one-sigma noise of a tank pressure reading", 20e3, min=0.0
        ),
        Param(
            "vote_tolerance",
            "Pa",
            "channel spread above which the voting flags a disagreement",
            1000.0,
            min=0.0,
        ),
        Param(
            "leak_window",
            "s",
            "time constant of the leak-rate estimate's slow average",
            60.0,
            min=2.0,
        ),
        Param(
            "leak_caution",
            "kg_s",
            "leak-rate estimate above which a node raises a caution",
            0.005,
            min=0.0,
        ),
        Param(
            "depressurised_below",
            "Pa",
            "a node below this true pressure is reported depressurised",
            P_15000_FT_PA,
            min=0.0,
        ),
        Param(
            "hatch_max_open_dp",
            "Pa",
            "pressure difference above which a hatch cannot be opened",
            2000.0,
            min=0.0,
        ),
    )
    commands = (
        Command(
            "open_hatch",
            "open a hatch (refused if locked, jammed, or held by a pressure difference)",
            (Param("hatch", description="hatch name", kind="str"),),
        ),
        Command(
            "close_hatch",
            "close a hatch (refused if jammed)",
            (Param("hatch", description="hatch name", kind="str"),),
        ),
        Command(
            "lock_hatch",
            "lock a closed hatch: it then refuses to open",
            (Param("hatch", description="hatch name", kind="str"),),
        ),
        Command(
            "unlock_hatch",
            "unlock a locked hatch (it stays closed)",
            (Param("hatch", description="hatch name", kind="str"),),
        ),
        Command(
            "open_valve",
            "open a vent or equalisation valve",
            (Param("valve", description="valve name", kind="str"),),
        ),
        Command(
            "close_valve",
            "close a vent or equalisation valve",
            (Param("valve", description="valve name", kind="str"),),
        ),
        Command(
            "open_tank",
            "open a tank's feed valve (its regulator then holds the set pressure)",
            (Param("tank", description="tank name", kind="str"),),
        ),
        Command(
            "close_tank",
            "close a tank's feed valve",
            (Param("tank", description="tank name", kind="str"),),
        ),
    )
    failures = (
        Failure(
            "hole",
            "a hole from a node to the outside (holes add up; a repair patches all)",
            (
                Param("node", description="node holed", kind="str"),
                Param("area", "m2", "hole area", min=0.0),
                Param("cd", "1", "discharge coefficient", 0.6, min=0.0, max=1.0),
            ),
        ),
        Failure(
            "hatch_jammed",
            "a hatch no longer moves: open, close, lock and unlock are refused",
            (Param("hatch", description="hatch name", kind="str"),),
        ),
        Failure(
            "tank_valve_failed",
            "a tank's feed valve stuck at a fraction of its flow, unregulated",
            (
                Param("tank", description="tank name", kind="str"),
                Param(
                    "position",
                    "1",
                    "fraction of max_flow it passes (0: stuck shut)",
                    0.0,
                    min=0.0,
                    max=1.0,
                ),
            ),
        ),
        Failure(
            "sensor_stuck",
            "a sensor channel repeats its last reading",
            (Param("sensor", description="sensor name, e.g. 'hab.p2'", kind="str"),),
        ),
        Failure(
            "sensor_dropout",
            "a sensor channel returns no data",
            (Param("sensor", description="sensor name, e.g. 'hab.ppo2'", kind="str"),),
        ),
        Failure(
            "sensor_bias",
            "a sensor channel reads off by a constant",
            (
                Param("sensor", description="sensor name", kind="str"),
                Param("bias", "Pa", "offset of a pressure or ppO2 channel", 0.0),
                Param(
                    "temperature_bias",
                    "K",
                    "offset of a temperature channel (a difference: write it in K)",
                    0.0,
                ),
            ),
        ),
        Failure(
            "sensor_drift",
            "a sensor channel's offset grows steadily",
            (
                Param("sensor", description="sensor name", kind="str"),
                Param(
                    "offset", "Pa", "offset a pressure or ppO2 channel reaches after 'over'", 0.0
                ),
                Param(
                    "temperature_offset",
                    "K",
                    "offset a temperature channel reaches after 'over' (in K)",
                    0.0,
                ),
                Param(
                    "over", "s", "time to reach that offset (the drift continues)", 3600.0, min=1e-9
                ),
            ),
        ),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        p = dict(params)
        nodes = normalise_records(p["nodes"], _NODE_FIELDS, "node")
        hatches = normalise_records(p["hatches"], _HATCH_FIELDS, "hatch")
        valves = normalise_records(p["valves"], _VALVE_FIELDS, "valve")
        tanks = normalise_records(p["tanks"], _TANK_FIELDS, "tank")
        p.update(nodes=nodes, hatches=hatches, valves=valves, tanks=tanks)
        _validate(nodes, hatches, valves, tanks)
        k = int(p["pressure_channels"])
        self.layout = _layout(nodes, hatches, valves, tanks, k)
        lay = self.layout
        n, h, v, t = lay.n, len(lay.hatches), len(lay.valves), len(lay.tanks)
        nn, c = lay.n_network, len(lay.sensors)
        n_links = h + v + t + n
        self.telemetry = _telemetry(lay, p, tanks)
        self.states = (
            State(
                "mass",
                "kg",
                (nn, N_SPECIES),
                description="gas of every network node (nodes, tanks, outside)",
            ),
            State("temperature", "K", (nn,), description="gas temperature of every network node"),
            State("hatch_state", "1", (h,), "int8", "OPEN 0, CLOSED 1, LOCKED 2"),
            State("hatch_jammed", "1", (h,), "bool"),
            State("valve_open", "1", (v,), "bool"),
            State("tank_open", "1", (t,), "bool"),
            State("tank_failed", "1", (t,), "bool"),
            State("tank_failed_position", "1", (t,)),
            State(
                "tank_feeding", "1", (t,), "bool", "regulator feeding (between its two set points)"
            ),
            State(
                "hole_area", "m2", (n,), description="effective area cd*A of the holes of each node"
            ),
            State(
                "link_flow",
                "kg_s",
                (n_links,),
                description="mean mass flow of each link over the last step",
            ),
            State("sensor_stuck", "1", (c,), "bool"),
            State("sensor_dropout", "1", (c,), "bool"),
            State("sensor_bias", "1", (c,), description="fault offset, SI unit of the channel"),
            State("sensor_drift_rate", "1", (c,), description="fault drift, SI unit per second"),
            State("sensor_drift", "1", (c,), description="accumulated drift offset"),
            State("sensor_last", "1", (c,), description="last reading (held by a stuck channel)"),
            State(
                "reading", "1", (c,), description="current reading of every channel (NaN: no data)"
            ),
            State("voted", "Pa", (n,), description="mid-value voted pressure of each node"),
            State(
                "spread",
                "Pa",
                (n,),
                description="largest deviation of a valid channel from the vote",
            ),
            State("ema_short", "Pa", (n,)),
            State("ema_long", "Pa", (n,)),
            State("leak", "kg_s", (n,), description="leak-rate estimate of each node"),
            State("true_pressure", "Pa", (n,)),
            State("true_ppo2", "Pa", (n,)),
            State("iterations", "1", (), "int64", "Newton iterations of the last step"),
            State("tm", "1", (len(self.telemetry),), description="the telemetry vector"),
            State("seen_hatch", "1", (h,), "int8"),
            State("seen_hole", "m2", (n,)),
            State("seen_tank_empty", "1", (t,), "bool"),
            State("seen_depressurised", "1", (n,), "bool"),
        )
        nodes_frame = node_frame(lay.nodes)
        hatches_frame = hatch_frame(hatches)
        self.outputs = (
            Signal(
                "node_pressure_Pa",
                "Pa",
                (n,),
                "true total pressure of every node",
                frame=nodes_frame,
            ),
            Signal(
                "node_ppo2_Pa",
                "Pa",
                (n,),
                "true O2 partial pressure of every node",
                frame=nodes_frame,
            ),
            Signal(
                "hatch_state",
                "1",
                (h,),
                "state of every hatch: OPEN 0, CLOSED 1, LOCKED 2",
                frame=hatches_frame,
            ),
            Signal(
                "hatch_open",
                "1",
                (h,),
                "open fraction of every hatch (1 open, 0 shut)",
                frame=hatches_frame,
            ),
        )
        super().__init__(path, p, batch)
        self._setup_arrays(nodes, hatches, valves, tanks)

    # -- static arrays ---------------------------------------------------------------------

    def _setup_arrays(self, nodes: dict, hatches: dict, valves: dict, tanks: dict) -> None:
        lay = self.layout
        n, t = lay.n, len(lay.tanks)
        index = {name: i for i, name in enumerate(lay.nodes)}
        index.update({name: n + j for j, name in enumerate(lay.tanks)})
        index[OUTSIDE] = lay.outside
        self._index = index
        volume = [nodes[x]["volume"] for x in lay.nodes]
        self._tank_fraction = np.array([TANK_GASES[tanks[x]["gas"]] for x in lay.tanks]).reshape(
            t, N_SPECIES
        )
        tank_mm = self._tank_fraction @ MOLAR_MASS_KG_MOL if t else np.zeros(0)
        tank_volume = [
            tanks[x]["mass"]
            / tank_mm[j]
            * R_GAS_J_MOL_K
            * tanks[x]["temperature"]
            / tanks[x]["pressure"]
            for j, x in enumerate(lay.tanks)
        ]
        self._volume = np.array([*volume, *tank_volume, np.inf], dtype=float)
        self._tank_volume = np.array(tank_volume, dtype=float)
        self._tank_mm = np.asarray(tank_mm, dtype=float)
        links: list[tuple[str, str, str, bool]] = []
        links += [(f"hatch:{x}", r["a"], r["b"], False) for x, r in hatches.items()]
        links += [(f"valve:{x}", r["a"], r["b"], False) for x, r in valves.items()]
        links += [(f"tank:{x}", x, r["node"], True) for x, r in tanks.items()]
        links += [(f"hole:{x}", x, OUTSIDE, False) for x in lay.nodes]
        from houston.habitat.network import GasNetwork

        self.network = GasNetwork.build(
            [
                *((x, self._volume[i]) for i, x in enumerate(lay.nodes)),
                *((x, self._volume[n + j]) for j, x in enumerate(lay.tanks)),
                (OUTSIDE, np.inf),
            ],
            links,
        )
        h, v = len(lay.hatches), len(lay.valves)
        self._sl_hatch = slice(0, h)
        self._sl_valve = slice(h, h + v)
        self._sl_tank = slice(h + v, h + v + t)
        self._sl_hole = slice(h + v + t, h + v + t + n)
        self._hatch_kc = np.array([r["area"] * r["cd"] for r in hatches.values()], dtype=float)
        self._hatch_a = np.array([index[r["a"]] for r in hatches.values()], dtype=np.intp)
        self._hatch_b = np.array([index[r["b"]] for r in hatches.values()], dtype=np.intp)
        self._valve_kc = np.array([r["area"] * r["cd"] for r in valves.values()], dtype=float)
        self._tank_kc = np.array([r["valve_area"] for r in tanks.values()], dtype=float)
        self._tank_max = np.array([r["max_flow"] for r in tanks.values()], dtype=float)
        self._tank_set = np.array([r["set_pressure"] for r in tanks.values()], dtype=float)
        self._tank_deadband = np.array([r["deadband"] for r in tanks.values()], dtype=float)
        self._tank_node = np.array([index[r["node"]] for r in tanks.values()], dtype=np.intp)
        self._tank_mass0 = np.array([r["mass"] for r in tanks.values()], dtype=float)
        # Sensor characteristics per channel.
        p = self.p
        noise = {
            0: p["pressure_noise"],
            1: p["ppo2_noise"],
            2: p["temperature_noise"],
            3: p["tank_pressure_noise"],
        }
        resolution = {0: p["pressure_resolution"], 1: 10.0, 2: 0.01, 3: 1000.0}
        high = {0: 200e3, 1: 100e3, 2: 400.0, 3: 40e6}
        kinds = lay.sensor_kind
        self._noise = np.array([noise[int(x)] for x in kinds], dtype=float)
        self._resolution = np.array([resolution[int(x)] for x in kinds], dtype=float)
        self._low = np.zeros(len(kinds))
        self._high = np.array([high[int(x)] for x in kinds], dtype=float)
        self._zeros_c = np.zeros(len(kinds))
        k = lay.channels
        self._vote_first = np.arange(n, dtype=np.intp) * k
        self._vote_count = np.full(n, k, dtype=np.intp)
        self._nominal_t = np.array([nodes[x]["temperature"] for x in lay.nodes], dtype=float)
        self._node_volume = self._volume[:n].copy()
        self._tm_slices = _telemetry_slices(lay)
        self._area = np.zeros((self.batch, self.network.n_links))
        self._cap = np.full((self.batch, self.network.n_links), np.inf)
        self._results = (
            np.zeros(self.batch, dtype=bool),
            np.zeros(self.batch),
            np.zeros(self.batch, dtype=np.int64),
        )
        self._moved = np.zeros((self.batch, self.network.n_links, N_SPECIES))
        self._fast: Any = None
        self._kernels: Any = None
        self._ch_block = np.where(kinds == 3, 0, kinds).astype(np.intp)
        self._tm_offsets = np.array([x.start for x in self._tm_slices.values()], dtype=np.intp)
        n_events = 3 * n + len(lay.hatches) + t
        self._events_buf = np.zeros((self.batch, n_events), dtype=np.int8)
        c = len(kinds)
        # The sensor noise of up to _AHEAD_STEPS steps, drawn at once (see _draw_noise).
        ahead = max(1, min(_AHEAD_STEPS, _AHEAD_VALUES // (self.batch * max(c, 1))))
        self._log_u1 = np.zeros((ahead, self.batch, c))
        self._cos_angle = np.zeros((ahead, self.batch, c))
        self._ahead_first = 0  # the counter of slot 0
        self._ahead_interval = 0  # ... and from slot to slot
        self._ahead_slot = ahead
        self._ahead_rng: Any = None
        self._ahead_stream = ""
        self._normal = np.zeros((self.batch, c))
        self._leak_window = float(p["leak_window"])
        self._depress_limit = float(p["depressurised_below"])
        self._tank_empty_mass = TANK_EMPTY_FRACTION * self._tank_mass0
        self._pack_state()
        self._outputs: dict[str, NDArray[Any]] = {}
        self._hatch_published = b""

    def _pack_state(self) -> None:
        """The states of :data:`kernels.STATE_F`, ``STATE_B`` and ``STATE_I8`` become views of
        one buffer per dtype, and the area, flow cap and residual of one scratch buffer."""
        from houston.habitat import kernels

        self.state, buffers, offsets = pack_states(
            self.state,
            self.states,
            self.batch,
            (
                (kernels.STATE_F, np.float64),
                (kernels.STATE_B, np.bool_),
                (kernels.STATE_I8, np.int8),
            ),
        )
        self._state_buffers = tuple(buffers)
        self._state_offsets = tuple(offsets)
        nl = self.network.n_links
        self._scratch_offsets = np.array([0, nl, 2 * nl, 2 * nl + 1], dtype=np.intp)
        self._scratch = np.zeros((self.batch, 2 * nl + 1))
        self._area = self._scratch[:, :nl]
        self._cap = self._scratch[:, nl : 2 * nl]
        self._cap[...] = np.inf

    # -- lifecycle -------------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        from houston.habitat.gas import masses_from_pressure_kg

        lay, s, p = self.layout, self.state, self.p
        nodes, tanks, hatches, valves = p["nodes"], p["tanks"], p["hatches"], p["valves"]
        n = lay.n
        for i, x in enumerate(lay.nodes):
            r = nodes[x]
            frac = np.array([r["o2_fraction"], 1.0 - r["o2_fraction"], 0.0, 0.0])
            s["mass"][:, i] = masses_from_pressure_kg(
                r["pressure"], r["volume"], r["temperature"], frac
            )
            s["temperature"][:, i] = r["temperature"]
        for j, x in enumerate(lay.tanks):
            r = tanks[x]
            s["mass"][:, n + j] = (
                r["mass"] * self._tank_fraction[j] * MOLAR_MASS_KG_MOL / self._tank_mm[j]
            )
            s["temperature"][:, n + j] = r["temperature"]
        s["mass"][:, lay.outside] = 0.0
        s["temperature"][:, lay.outside] = 2.7
        s["hatch_state"][:] = [HATCH_STATES.index(r["state"]) for r in hatches.values()]
        s["valve_open"][:] = [bool(r["open"]) for r in valves.values()]
        s["tank_open"][:] = [bool(r["open"]) for r in tanks.values()]
        s["seen_hatch"][:] = s["hatch_state"]
        s["sensor_last"][:] = np.nan
        s["ema_short"][:] = np.nan
        s["ema_long"][:] = np.nan
        if self._kernels is None:
            self._load_kernels()
        self._moved[...] = 0.0
        self._post(ctx, 0.0, emit=False)
        s["seen_depressurised"][:] = s["true_pressure"] < p["depressurised_below"]
        self._events_buf[...] = 0

    def step(self, ctx: StepContext) -> None:
        k = self._kernels
        if k is None:
            k = self._load_kernels()
        slot = self._draw_noise(ctx)
        if k.step_packed(*self._packed_args, ctx.dt_s, slot):
            self._emit(ctx, self._depress_limit)

    def _draw_noise(self, ctx: StepContext) -> int:
        """The step's sensor noise, ``ctx.random.normal("sensors", (C,))`` bit for bit.

        With the session's generator, the uniforms come from a compiled loop and only ``log``
        and ``cos`` from numpy, into ``_log_u1[slot]`` and ``_cos_angle[slot]``; returns the
        slot. They are drawn for K steps at once: this step's and those of the next K - 1
        steps should they follow at this step's interval (their counters are kept). A step
        whose counter is the next slot's takes that slot; any other (a frame split by the
        timeline, a second draw in a step, a restored checkpoint, another generator) draws
        again from its own counter. Either way the numbers are those of the step's own key;
        only the work is shared (numpy's ``log`` and ``cos`` once per K steps).

        With any other generator, the draw itself goes into ``_normal`` (returns -1)."""
        rnd = ctx.random
        if type(rnd) is not ModelRandom or type(rnd._rng) is not BatchRandom:
            self._normal[...] = rnd.normal("sensors", (len(self.layout.sensors),))
            return -1
        stream, counter = rnd._key("sensors")
        slot = self._ahead_slot + 1
        if (
            slot < self._log_u1.shape[0]
            and counter == self._ahead_first + slot * self._ahead_interval
            and rnd._rng is self._ahead_rng
            and stream == self._ahead_stream
        ):
            self._ahead_slot = slot
            return slot
        # The counter of a step is its start (ns) * 1024 + the draw's number in the step
        # (houston.core.model.ModelRandom): the next steps at this interval follow on.
        interval = (ctx.t1_ns - ctx.t0_ns) * _DRAWS_PER_STEP
        self._ahead_first = counter
        self._ahead_interval = interval
        self._ahead_slot = 0
        self._ahead_rng = rnd._rng
        self._ahead_stream = stream
        self._kernels.box_muller_ahead(
            rnd._rng._seed_keys,
            np.uint64(stream_key(stream)),
            np.uint64(counter & _MASK),
            np.uint64(interval & _MASK),
            self._log_u1,
            self._cos_angle,
        )
        np.log(self._log_u1, out=self._log_u1)
        np.cos(self._cos_angle, out=self._cos_angle)
        return 0

    def _load_kernels(self) -> Any:
        from houston.habitat import kernels
        from houston.habitat.fastnet import FastNetwork

        self._fast = fast = FastNetwork(self.network)
        self._kernels = kernels
        lay = self.layout
        self._work = np.zeros(
            max(
                fast.work.size,
                kernels.post_work_size(
                    lay.n_network, len(lay.sensors), lay.n, int(self._vote_count[0])
                ),
            )
        )
        dp_t, rtol, atol, max_it, max_halvings, max_halvings_dt, picard = fast._scalars
        window = self._leak_window
        limit = self._depress_limit
        const_f = {
            "hatch_kc": self._hatch_kc,
            "valve_kc": self._valve_kc,
            "tank_kc": self._tank_kc,
            "tank_max": self._tank_max,
            "tank_set": self._tank_set,
            "tank_deadband": self._tank_deadband,
            "volume": fast.volume,
            "molar_mass": fast.molar_mass,
            "cp": fast.cp,
            "noise": self._noise,
            "zeros": self._zeros_c,
            "resolution": self._resolution,
            "low": self._low,
            "high": self._high,
            "nominal_t": self._nominal_t,
            "tank_volume": self._tank_volume,
            "tank_mm": self._tank_mm,
            "tank_empty_mass": self._tank_empty_mass,
            "scalars": [dp_t, rtol, atol, window / 6.0, window, limit, 1.05 * limit],
        }
        const_i = {
            "tank_node": self._tank_node,
            "link_a": fast.a,
            "link_b": fast.b,
            "ch_block": self._ch_block,
            "ch_node": self.layout.sensor_node,
            "vote_first": self._vote_first,
            "vote_count": self._vote_count,
            "hatch_a": self._hatch_a,
            "hatch_b": self._hatch_b,
            "off": self._tm_offsets,
            "scalars": [max_it, max_halvings, max_halvings_dt, picard, O2],
        }
        const_b = {"vac": fast.vac, "one_way": fast.one_way}
        s = self.state
        cf, cf_off = flat(const_f, kernels.CONST_F, np.float64)
        ci, ci_off = flat(const_i, kernels.CONST_I, np.intp)
        cb, cb_off = flat(const_b, kernels.CONST_B, np.bool_)
        fs, bs, i8s = self._state_buffers
        fs_off, bs_off, i8s_off = self._state_offsets
        offsets = np.concatenate(
            [fs_off, bs_off, i8s_off, cf_off, ci_off, cb_off, self._scratch_offsets]
        ).astype(np.intp)
        self._packed_args = (
            s["mass"],
            self._moved,
            s["iterations"],
            fs,
            bs,
            i8s,
            cf,
            ci,
            cb,
            self._scratch,
            offsets,
            self._results[0],
            self._results[2],
            self._log_u1,
            self._cos_angle,
            self._normal,
            self._events_buf,
            self._work,
        )
        return kernels

    def _post(self, ctx: StepContext, dt: float, emit: bool = True) -> None:
        """Truth, readings, voting, leak estimates, telemetry and events (compiled)."""
        s, lay = self.state, self.layout
        normal = ctx.random.normal("sensors", (len(lay.sensors),))
        window = float(self.p["leak_window"])
        limit = float(self.p["depressurised_below"])
        flags = self._kernels.post(
            s["mass"],
            s["temperature"],
            self._moved,
            dt,
            self._volume,
            MOLAR_MASS_KG_MOL,
            O2,
            self._ch_block,
            lay.sensor_node,
            self._noise,
            self._zeros_c,
            self._resolution,
            self._low,
            self._high,
            s["sensor_drift"],
            s["sensor_last"],
            normal,
            s["sensor_stuck"],
            s["sensor_dropout"],
            s["sensor_bias"],
            s["sensor_drift_rate"],
            s["reading"],
            self._vote_first,
            self._vote_count,
            s["voted"],
            s["spread"],
            s["ema_short"],
            s["ema_long"],
            s["leak"],
            self._nominal_t,
            window / 6.0,
            window,
            s["true_pressure"],
            s["true_ppo2"],
            s["link_flow"],
            s["hatch_state"],
            self._hatch_a,
            self._hatch_b,
            s["valve_open"],
            s["tank_open"],
            s["tank_failed"],
            self._tank_volume,
            self._tank_mm,
            s["iterations"],
            self._tm_offsets,
            s["tm"],
            s["hole_area"],
            s["seen_hatch"],
            s["seen_hole"],
            s["seen_tank_empty"],
            TANK_EMPTY_FRACTION * self._tank_mass0,
            s["seen_depressurised"],
            limit,
            1.05 * limit,
            self._events_buf,
            self._work,
        )
        if flags and emit:
            self._emit(ctx, limit)

    def _emit(self, ctx: StepContext, limit: float) -> None:
        s, lay, ev = self.state, self.layout, self._events_buf.astype(bool)
        n, h, t = lay.n, len(lay.hatches), len(lay.tanks)
        for j in np.flatnonzero(ev[:, :h].any(axis=0)):
            for code, word in enumerate(HATCH_STATES):
                mask = ev[:, j] & (s["hatch_state"][:, j] == code)
                ctx.emit(f"hatch {lay.hatches[j]} {word}", mask, "info", hatch=lay.hatches[j])
        for i in np.flatnonzero(ev[:, h : h + n].any(axis=0)):
            mask = ev[:, h + i]
            area_cm2 = float(np.max(s["hole_area"][mask, i])) * 1e4
            ctx.emit(
                f"hole in {lay.nodes[i]}: {area_cm2:.3g} cm² effective (cd*A)",
                mask,
                "warning",
                node=lay.nodes[i],
            )
        e = h + n
        for j in np.flatnonzero(ev[:, e : e + t].any(axis=0)):
            ctx.emit(f"tank {lay.tanks[j]} empty", ev[:, e + j], "warning", tank=lay.tanks[j])
        e += t
        for i in np.flatnonzero(ev[:, e : e + n].any(axis=0)):
            ctx.emit(
                f"{lay.nodes[i]} depressurised below {limit / 1e3:.3g} kPa",
                ev[:, e + i],
                "warning",
                node=lay.nodes[i],
            )
        e += n
        for i in np.flatnonzero(ev[:, e : e + n].any(axis=0)):
            ctx.emit(
                f"{lay.nodes[i]} repressurised above {1.05 * limit / 1e3:.3g} kPa",
                ev[:, e + i],
                "info",
                node=lay.nodes[i],
            )

    # -- published values ------------------------------------------------------------------

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        """The outputs, into arrays kept from step to step (the states keep their identity:
        see :class:`houston.habitat.packing.FixedState`)."""
        out = self._outputs
        if not out:
            s, h = self.state, len(self.layout.hatches)
            out["node_pressure_Pa"] = s["true_pressure"]
            out["node_ppo2_Pa"] = s["true_ppo2"]
            out["hatch_state"] = np.zeros((self.batch, h))
            out["hatch_open"] = np.zeros((self.batch, h))
            self._hatch_is_open = np.zeros((self.batch, h), dtype=bool)
            self._hatch_published = b""
        hatch = self.state["hatch_state"]
        # The hatches change only with commands and failures: copy them when they have.
        seen = hatch.tobytes()
        if seen != self._hatch_published:
            self._hatch_published = seen
            np.copyto(out["hatch_state"], hatch)
            np.equal(hatch, OPEN, out=self._hatch_is_open)
            np.copyto(out["hatch_open"], self._hatch_is_open)
        return out

    def sample(self, out: NDArray[np.float64]) -> None:
        out[...] = self.state["tm"]

    # -- commands --------------------------------------------------------------------------

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        s, lay = self.state, self.layout
        if name in ("open_hatch", "close_hatch", "lock_hatch", "unlock_hatch"):
            j = _find(lay.hatches, args["hatch"], "hatch")
            st = s["hatch_state"][:, j]
            jammed = s["hatch_jammed"][:, j]
            hatch = lay.hatches[j]
            reasons = {f"hatch {hatch} is jammed": jammed}
            if name == "open_hatch":
                dp = np.abs(
                    self._true_all()[:, self._hatch_a[j]] - self._true_all()[:, self._hatch_b[j]]
                )
                limit = float(self.p["hatch_max_open_dp"])
                reasons[f"hatch {hatch} is locked"] = ~jammed & (st == LOCKED)
                reasons[
                    f"hatch {hatch} is held shut by a pressure difference above {limit / 1e3:g} kPa"
                ] = ~jammed & (st == CLOSED) & (dp > limit)
                target, text = OPEN, f"hatch {hatch} OPEN"
                movable = st != LOCKED
            elif name == "close_hatch":
                target, text = CLOSED, f"hatch {hatch} CLOSED"
                movable = st == OPEN
            elif name == "lock_hatch":
                reasons[f"hatch {hatch} is open: close it first"] = ~jammed & (st == OPEN)
                target, text = LOCKED, f"hatch {hatch} LOCKED"
                movable = st == CLOSED
            else:
                target, text = CLOSED, f"hatch {hatch} unlocked (CLOSED)"
                movable = st == LOCKED
            bad = np.zeros(self.batch, dtype=bool)
            for r in reasons.values():
                bad |= r
            ok = mask & ~bad
            st[ok & movable] = target
            s["hatch_state"][:, j] = st
            return _result(mask, bad, reasons, text)
        if name in ("open_valve", "close_valve"):
            j = _find(lay.valves, args["valve"], "valve")
            s["valve_open"][mask, j] = name == "open_valve"
            return f"valve {lay.valves[j]} {'OPEN' if name == 'open_valve' else 'CLOSED'}"
        if name in ("open_tank", "close_tank"):
            j = _find(lay.tanks, args["tank"], "tank")
            failed = s["tank_failed"][:, j]
            reasons = {f"tank {lay.tanks[j]} valve failed: it does not respond": failed}
            ok = mask & ~failed
            s["tank_open"][ok, j] = name == "open_tank"
            return _result(
                mask,
                failed,
                reasons,
                f"tank {lay.tanks[j]} valve {'OPEN' if name == 'open_tank' else 'CLOSED'}",
            )
        return super().command(name, args, mask)

    def _true_all(self) -> NDArray[np.float64]:
        """(B, network nodes) true pressure of every network node, Pa."""
        s = self.state
        n_tot = (s["mass"] / MOLAR_MASS_KG_MOL).sum(axis=-1)
        return n_tot * R_GAS_J_MOL_K * s["temperature"] / self._volume

    # -- failures --------------------------------------------------------------------------

    def check_action(self, kind: str, name: str, args: Mapping[str, Any]) -> str | None:
        """A failure must name a node, hatch, tank or sensor of this base."""
        if kind != "failure":
            return None
        lay = self.layout
        targets = {
            "node": lay.nodes,
            "hatch": lay.hatches,
            "tank": lay.tanks,
            "sensor": lay.sensors,
        }
        for what, names in targets.items():
            if what in args:
                try:
                    _find_failure(names, str(args[what]), what, name)
                except ValueError as exc:
                    return str(exc)
        return None

    def set_failure(
        self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_], active: bool
    ) -> None:
        """Failures name what they hit; each ``failure`` entry adds to what is already failed,
        and a ``repair`` clears every instance of that failure."""
        s, lay = self.state, self.layout
        s[f"failure.{name}"][mask] = active
        if name == "hole":
            if active:
                i = _find_failure(lay.nodes, args["node"], "node", name)
                s["hole_area"][mask, i] += float(args["area"]) * float(args.get("cd", 0.6))
            else:
                s["hole_area"][mask] = 0.0
        elif name == "hatch_jammed":
            if active:
                s["hatch_jammed"][
                    mask, _find_failure(lay.hatches, args["hatch"], "hatch", name)
                ] = True
            else:
                s["hatch_jammed"][mask] = False
        elif name == "tank_valve_failed":
            if active:
                j = _find_failure(lay.tanks, args["tank"], "tank", name)
                s["tank_failed"][mask, j] = True
                s["tank_failed_position"][mask, j] = float(args.get("position", 0.0))
            else:
                s["tank_failed"][mask] = False
                s["tank_failed_position"][mask] = 0.0
        elif name.startswith("sensor_"):
            if not active:
                key = {
                    "sensor_stuck": "sensor_stuck",
                    "sensor_dropout": "sensor_dropout",
                    "sensor_bias": "sensor_bias",
                    "sensor_drift": "sensor_drift_rate",
                }[name]
                s[key][mask] = False if s[key].dtype == bool else 0.0
                return
            c = _find_failure(lay.sensors, args["sensor"], "sensor", name)
            temperature = lay.sensor_kind[c] == 2
            if name == "sensor_stuck":
                s["sensor_stuck"][mask, c] = True
            elif name == "sensor_dropout":
                s["sensor_dropout"][mask, c] = True
            elif name == "sensor_bias":
                value = args.get("temperature_bias", 0.0) if temperature else args.get("bias", 0.0)
                s["sensor_bias"][mask, c] += float(value)
            else:
                value = (
                    args.get("temperature_offset", 0.0) if temperature else args.get("offset", 0.0)
                )
                s["sensor_drift_rate"][mask, c] += float(value) / float(args.get("over", 3600.0))


# -- helpers ---------------------------------------------------------------------------------


def _plural(what: str) -> str:
    return what + ("es" if what.endswith(("s", "ch")) else "s")


def _find(names: tuple[str, ...], name: str, what: str) -> int:
    if name not in names:
        raise CommandRejected(f"no {what} {name!r}; {_plural(what)}: {', '.join(names) or 'none'}")
    return names.index(name)


def _find_failure(names: tuple[str, ...], name: str, what: str, failure: str) -> int:
    if name not in names:
        raise ValueError(
            f"failure {failure}: no {what} {name!r}; {_plural(what)}: {', '.join(names) or 'none'}"
        )
    return names.index(name)


def _result(
    mask: NDArray[np.bool_],
    bad: NDArray[np.bool_],
    reasons: dict[str, NDArray[np.bool_]],
    text: str,
) -> str:
    bad = bad & mask
    if not bad.any():
        return text
    reason = "; ".join(r for r, m in reasons.items() if (m & mask).any())
    if not (mask & ~bad).any():
        raise CommandRejected(reason)
    raise CommandRejected(reason, bad, text)


def _validate(nodes: dict, hatches: dict, valves: dict, tanks: dict) -> None:
    if not nodes:
        raise ValueError("a habitat needs at least one node")
    names = list(nodes) + list(tanks)
    if OUTSIDE in names:
        raise ValueError(f"'{OUTSIDE}' is the implicit vacuum: no node or tank may take that name")
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ValueError(f"nodes and tanks need distinct names: {sorted(dup)}")
    links = list(hatches) + list(valves)
    dup = {x for x in links if links.count(x) > 1}
    if dup:
        raise ValueError(f"hatches and valves need distinct names: {sorted(dup)}")
    ends = set(nodes) | {OUTSIDE}
    for what, table in (("hatch", hatches), ("valve", valves)):
        for name, r in table.items():
            for e in ("a", "b"):
                if r[e] not in ends:
                    raise ValueError(
                        f"{what} {name!r}: {e} = {r[e]!r} is not a node; nodes: {', '.join(nodes)}, {OUTSIDE}"
                    )
            if r["a"] == r["b"]:
                raise ValueError(f"{what} {name!r} joins {r['a']!r} to itself")
    for name, r in tanks.items():
        if r["node"] not in nodes:
            raise ValueError(
                f"tank {name!r}: node = {r['node']!r} is not a node; nodes: {', '.join(nodes)}"
            )
        if r["mass"] <= 0.0:
            raise ValueError(f"tank {name!r}: the mass must be positive")


def _layout(nodes: dict, hatches: dict, valves: dict, tanks: dict, k: int) -> Layout:
    node_names = tuple(nodes)
    n, t = len(node_names), len(tanks)
    sensors: list[str] = []
    kind: list[int] = []
    where: list[int] = []
    for i, x in enumerate(node_names):
        for c in range(k):
            sensors.append(f"{x}.p{c + 1}")
            kind.append(0)
            where.append(i)
    for i, x in enumerate(node_names):
        sensors.append(f"{x}.ppo2")
        kind.append(1)
        where.append(i)
    for i, x in enumerate(node_names):
        sensors.append(f"{x}.temperature")
        kind.append(2)
        where.append(i)
    for j, x in enumerate(tanks):
        sensors.append(f"{x}.pressure")
        kind.append(3)
        where.append(n + j)
    del t
    return Layout(
        nodes=node_names,
        hatches=tuple(hatches),
        valves=tuple(valves),
        tanks=tuple(tanks),
        channels=k,
        sensors=tuple(sensors),
        sensor_kind=np.array(kind, dtype=np.intp),
        sensor_node=np.array(where, dtype=np.intp),
    )


def _telemetry(lay: Layout, p: Mapping[str, Any], tanks: dict) -> tuple[Telemetry, ...]:
    """Telemetry grouped by quantity (the order of the slices of :func:`_telemetry_slices`)."""
    pressure_limits = Limits(
        caution_low=90e3,
        warning_low=P_8000_FT_PA,
        caution_high=104e3,
        warning_high=110e3,
        persistence=2,
        hysteresis=300.0,
    )
    ppo2_limits = Limits(
        caution_low=X_O2_AIR * P_8000_FT_PA,
        warning_low=X_O2_AIR * P_15000_FT_PA,
        caution_high=0.235 * 101_325.0,
        persistence=2,
        hysteresis=200.0,
    )
    temperature_limits = Limits(
        caution_low=291.15, caution_high=300.15, persistence=3, hysteresis=0.2
    )
    spread_limits = Limits(caution_high=float(p["vote_tolerance"]), persistence=3)
    leak_limits = Limits(
        caution_high=float(p["leak_caution"]),
        persistence=5,
        hysteresis=0.2 * float(p["leak_caution"]),
    )
    tm: list[Telemetry] = []
    tm += [
        Telemetry(
            f"{x}_pressure_Pa",
            "Pa",
            f"{x}: voted total pressure ({lay.channels} channels)",
            pressure_limits,
            display_unit="kPa",
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_p{c + 1}_Pa", "Pa", f"{x}: pressure channel {c + 1} reading", display_unit="kPa"
        )
        for x in lay.nodes
        for c in range(lay.channels)
    ]
    tm += [
        Telemetry(
            f"{x}_pressure_spread_Pa",
            "Pa",
            f"{x}: largest disagreement of a pressure channel with the vote",
            spread_limits,
            display_unit="kPa",
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_ppo2_Pa",
            "Pa",
            f"{x}: O2 partial pressure reading",
            ppo2_limits,
            display_unit="kPa",
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_temperature_K",
            "K",
            f"{x}: gas temperature reading",
            temperature_limits,
            display_unit="C",
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_leak_rate_kg_s",
            "kg_s",
            f"{x}: net gas loss estimated from the voted pressure",
            leak_limits,
            display_unit="g_s",
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_hatch", "1", f"hatch {x} position and lock", kind="enum", states=HATCH_STATES
        )
        for x in lay.hatches
    ]
    tm += [
        Telemetry(
            f"{x}_dp_Pa",
            "Pa",
            f"hatch {x}: voted pressure difference across it",
            display_unit="kPa",
        )
        for x in lay.hatches
    ]
    tm += [
        Telemetry(f"{x}_valve", "1", f"valve {x}", kind="enum", states=VALVE_STATES)
        for x in lay.valves
    ]
    tm += [
        Telemetry(f"{x}_pressure_Pa", "Pa", f"tank {x}: pressure reading", display_unit="MPa")
        for x in lay.tanks
    ]
    tm += [
        Telemetry(
            f"{x}_mass_kg",
            "kg",
            f"tank {x}: contents from the pressure reading",
            Limits(
                caution_low=0.2 * tanks[x]["mass"],
                warning_low=0.05 * tanks[x]["mass"],
                persistence=2,
            ),
        )
        for x in lay.tanks
    ]
    tm += [
        Telemetry(f"{x}_valve", "1", f"tank {x}: feed valve", kind="enum", states=TANK_VALVE_STATES)
        for x in lay.tanks
    ]
    tm += [
        Telemetry(
            "leak_rate_kg_s", "kg_s", "net gas loss of all nodes, estimated", display_unit="g_s"
        )
    ]
    tm += [
        Telemetry(
            "solver_iterations", "1", "Newton iterations of the last network step", kind="int"
        )
    ]
    tm += [
        Telemetry(
            f"{x}_true_pressure_Pa",
            "Pa",
            f"{x}: true total pressure",
            display_unit="kPa",
            truth=True,
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_true_ppo2_Pa",
            "Pa",
            f"{x}: true O2 partial pressure",
            display_unit="kPa",
            truth=True,
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_true_temperature_K",
            "K",
            f"{x}: true gas temperature",
            display_unit="C",
            truth=True,
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(
            f"{x}_true_hole_flow_kg_s",
            "kg_s",
            f"{x}: true gas flow out through holes",
            display_unit="g_s",
            truth=True,
        )
        for x in lay.nodes
    ]
    tm += [
        Telemetry(f"{x}_true_mass_kg", "kg", f"tank {x}: true contents", truth=True)
        for x in lay.tanks
    ]
    tm += [
        Telemetry(
            f"{x}_true_flow_kg_s",
            "kg_s",
            f"tank {x}: true feed flow",
            display_unit="g_s",
            truth=True,
        )
        for x in lay.tanks
    ]
    tm += [
        Telemetry(
            "overboard_true_kg", "kg", "true gas lost to the outside since the start", truth=True
        )
    ]
    names = [t.name for t in tm]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ValueError(
            f"names give clashing telemetry {sorted(dup)}: rename a node, hatch, valve or tank"
        )
    return tuple(tm)


def _telemetry_slices(lay: Layout) -> dict[str, slice]:
    n, h, v, t = lay.n, len(lay.hatches), len(lay.valves), len(lay.tanks)
    sizes = [
        ("pressure", n),
        ("channels", n * lay.channels),
        ("spread", n),
        ("ppo2", n),
        ("temperature", n),
        ("leak", n),
        ("hatch", h),
        ("hatch_dp", h),
        ("valve", v),
        ("tank_pressure", t),
        ("tank_mass", t),
        ("tank_valve", t),
        ("leak_total", 1),
        ("iterations", 1),
        ("true_pressure", n),
        ("true_ppo2", n),
        ("true_temperature", n),
        ("true_leak", n),
        ("true_tank_mass", t),
        ("true_tank_flow", t),
        ("overboard", 1),
    ]
    out, start = {}, 0
    for name, size in sizes:
        out[name] = slice(start, start + size)
        start += size
    return out
