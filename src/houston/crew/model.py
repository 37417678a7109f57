"""The crew as a kernel model: where each person is, what they breathe, what it does to them,
and the tasks they do.

Each person is in a node of the habitat, moving between nodes through hatches, or outside on
a path (at a distance along it, walking one way or standing), possibly at a work site at the
end of a path. What they breathe is the gas of their node (the habitat model's outputs, wired
as inputs) or nothing outside; or, when they wear an improvised suit, the gas of the suit.
Their hypoxia, ebullism and injury doses and their status (NOMINAL, IMPAIRED, UNCONSCIOUS,
DEAD) follow :mod:`houston.crew.physiology`.

Improvised suit: a small gas volume around the person (``suit_volume``) with its own leak
(``suit_leak_area``, an effective area cd*A), leaking through the orifice law of
:mod:`houston.habitat.flow` to the pressure of wherever the person is (the node's, or zero
outside); donning seals it with the gas around the person. Isothermal at
``suit_temperature``. The suit's gas is kept in this model: what leaks out of a suit inside a
module is not added to the module (a 0.1 m^3 suit holds about 0.12 kg against the hundred or
so of a module), and what a suit takes in is not removed from it; the suit's bookkeeping
(``suit_exchange``, the mass it has given its surroundings) keeps every species conserved:
suit contents plus exchange stay at zero. Metabolic O2 use and CO2 production in the suit are
not modelled.

Moving: ``move`` takes the shortest route (by the hatches' walking distances) through hatches
that are OPEN; a person passes a hatch halfway along its leg, and if the hatch has been shut
meanwhile they stop on their side. ``go_outside`` leaves through the OPEN hatch from the
path's first node to the outside; at the end of the path a person stands at the work site, or
enters the end node if its hatch to the outside is OPEN (and waits outside otherwise);
``come_back`` walks the path back. Speed is the person's pace, times ``impaired_pace`` when
IMPAIRED; an UNCONSCIOUS or DEAD person does not move or work. A task progresses at one second
of work per second while someone NOMINAL works on it (``impaired_work_rate`` if the best
worker is IMPAIRED); several people on one task do not speed it up.

Commands see the hatch states and pressures the model read at its last step (the habitat's
outputs): a hatch opened by a command at the same instant is seen one step later.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
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
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.crew.physiology import IMPAIRED, STATUS_NAMES
from houston.habitat.gas import CP_J_MOL_K, MOLAR_MASS_KG_MOL, N_SPECIES, O2
from houston.habitat.labels import HATCH_STATES, OPEN, OUTSIDE, hatch_frame, node_frame
from houston.habitat.model import normalise_records
from houston.habitat.packing import flat, pack_states

SUIT_STATES = ("NONE", "STOWED", "WORN")

_HATCH_FIELDS = (
    Param("a", description="node on one side (as in the habitat)", kind="str"),
    Param("b", description="node on the other side, or 'outside' (as in the habitat)", kind="str"),
    Param("distance", "m", "walking distance between the two sides' centres", 5.0, min=0.0),
)
_PERSON_FIELDS = (
    Param("node", description="node the person starts in", kind="str"),
    Param("pace", "m_s", "walking or running speed", 1.0, min=0.0),
    Param("suit", description="has an improvised suit", default=False, kind="bool"),
    Param("suit_worn", description="wears it (sealed) from the start", default=False, kind="bool"),
    Param("suit_volume", "m3", "gas volume of the suit around the person", 0.1, min=1e-6),
    Param("suit_leak_area", "m2", "effective leak area cd*A of the suit", 1e-6, min=0.0),
    Param(
        "suit_leak_spread",
        "1",
        "uncertainty of a taped-up suit's leak: the leak area of each run is drawn "
        "lognormal, median suit_leak_area, this standard deviation of its logarithm "
        "(0: every run has suit_leak_area)",
        0.0,
        min=0.0,
        max=3.0,
    ),
)
_PATH_FIELDS = (
    Param("from", description="node whose hatch to the outside the path starts at", kind="str"),
    Param("to", description="node (entered by its hatch to the outside) or work site", kind="str"),
    Param("distance", "m", "length of the path", min=0.0),
)
_TASK_FIELDS = (
    Param("site", description="work site or node where the task is done", kind="str"),
    Param("duration", "s", "working time it takes", min=0.0),
)

_DEFAULT_HATCHES = {"inner": {"a": "hab", "b": "airlock"}, "outer": {"a": "airlock", "b": OUTSIDE}}


def _person_arg() -> Param:
    return Param("person", description="who", kind="str")


class CrewModel(Model):
    """People in and around a habitat: location, movement, suits, physiology, tasks."""

    type_name = "crew.team"
    summary = (
        "Crew of a habitat: location and movement through hatches and outside, improvised "
        "suits, vacuum physiology, tasks at work sites"
    )
    params = (
        Param(
            "nodes",
            description="the habitat's nodes, in its order (checked by the wiring)",
            default=["hab", "airlock"],
            kind="strings",
        ),
        Param(
            "hatches",
            description="the habitat's hatches, in its order, with walking distances",
            default=_DEFAULT_HATCHES,
            kind="records",
            fields=_HATCH_FIELDS,
        ),
        Param(
            "people",
            description="the crew",
            default={"crew1": {"node": "hab"}},
            kind="records",
            fields=_PERSON_FIELDS,
        ),
        Param(
            "paths", description="paths outside", default={}, kind="records", fields=_PATH_FIELDS
        ),
        Param(
            "sites",
            description="work sites outside (at the end of paths)",
            default=[],
            kind="strings",
        ),
        Param(
            "tasks",
            description="tasks at sites or nodes",
            default={},
            kind="records",
            fields=_TASK_FIELDS,
        ),
        Param(
            "suit_temperature", "K", "gas temperature in a suit (held constant)", 293.15, min=1.0
        ),
        Param("impaired_pace", "1", "speed factor of an IMPAIRED person", 0.5, min=0.0, max=1.0),
        Param("impaired_work_rate", "1", "work rate of an IMPAIRED person", 0.5, min=0.0, max=1.0),
    )
    #: The inputs' names (the scenario loader checks names against the class); the instance
    #: declares them with their node and hatch shapes and axis labels.
    inputs = (
        Signal("node_pressure_Pa", "Pa", description="total pressure of every node"),
        Signal("node_ppo2_Pa", "Pa", description="O2 partial pressure of every node"),
        Signal("hatch_state", "1", description="state of every hatch: OPEN 0, CLOSED 1, LOCKED 2"),
    )
    commands = (
        Command(
            "move",
            "walk to a node through OPEN hatches (shortest route)",
            (
                _person_arg(),
                Param("to", description="destination node", kind="str"),
                Param(
                    "distance",
                    "m",
                    "total walking distance (0: the hatches' distances)",
                    0.0,
                    min=0.0,
                ),
            ),
        ),
        Command(
            "go_outside",
            "leave through the path's first node's OPEN hatch and walk the path",
            (
                _person_arg(),
                Param("path", description="path name", kind="str"),
            ),
        ),
        Command("come_back", "walk back along the path and enter its first node", (_person_arg(),)),
        Command(
            "perform",
            "work on a task at the site where the person is",
            (
                _person_arg(),
                Param("task", description="task name", kind="str"),
            ),
        ),
        Command("stop", "stop moving or working", (_person_arg(),)),
        Command(
            "don_suit",
            "put on and seal the improvised suit (with the gas around)",
            (_person_arg(),),
        ),
        Command("doff_suit", "take the suit off", (_person_arg(),)),
    )
    failures = (
        Failure(
            "suit_breach",
            "a suit is holed (a bullet, a tear): its leak area grows by 'area' (breaches add up; "
            "a repair restores every suit's own leak)",
            (
                _person_arg(),
                Param("area", "m2", "effective area cd*A of the breach", min=0.0),
            ),
        ),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        p = dict(params)
        nodes = [str(x) for x in p["nodes"]]
        hatches = normalise_records(p["hatches"], _HATCH_FIELDS, "hatch")
        people = normalise_records(p["people"], _PERSON_FIELDS, "person")
        paths = normalise_records(p["paths"], _PATH_FIELDS, "path")
        sites = [str(x) for x in p["sites"]]
        tasks = normalise_records(p["tasks"], _TASK_FIELDS, "task")
        p.update(nodes=nodes, hatches=hatches, people=people, paths=paths, sites=sites, tasks=tasks)
        _validate(nodes, hatches, people, paths, sites, tasks)
        self.node_names = tuple(nodes)
        self.hatch_names = tuple(hatches)
        self.people_names = tuple(people)
        self.path_names = tuple(paths)
        self.site_names = tuple(sites)
        self.task_names = tuple(tasks)
        self.location_names = (*nodes, *(f"path {x}" for x in paths), *sites)
        n, h, k, t = len(nodes), len(hatches), len(people), len(tasks)
        self.inputs = (
            Signal(
                "node_pressure_Pa",
                "Pa",
                (n,),
                "total pressure of every node",
                frame=node_frame(nodes),
            ),
            Signal(
                "node_ppo2_Pa",
                "Pa",
                (n,),
                "O2 partial pressure of every node",
                frame=node_frame(nodes),
            ),
            Signal(
                "hatch_state",
                "1",
                (h,),
                "state of every hatch: OPEN 0, CLOSED 1, LOCKED 2",
                frame=hatch_frame(hatches),
            ),
        )
        self.outputs = (
            Signal("status", "1", (k,), "status of every person: NOMINAL 0 .. DEAD 3"),
            *(Signal(f"{x}_done", "1", (), f"task {x} complete (1) or not (0)") for x in tasks),
        )
        self.telemetry = _telemetry(self.people_names, self.task_names, self.location_names)
        self.states = (
            State("seen_hatch", "1", (h,), "int8", "hatch states read at the last step"),
            State("seen_pressure", "Pa", (n,), description="node pressures read at the last step"),
            State("seen_ppo2", "Pa", (n,), description="node ppO2 read at the last step"),
            State("node", "1", (k,), "int64", "node of each person (-1: outside)"),
            State("path", "1", (k,), "int64", "path of each person outside (-1: inside)"),
            State("pos", "m", (k,), description="distance along the path from its first node"),
            State("direction", "1", (k,), "int8", "+1 out along the path, -1 back, 0 standing"),
            State("waiting", "1", (k,), "bool", "waiting at a shut hatch at a path's end"),
            State("route", "1", (k, max(h, 1)), "int64", "hatches of the move in progress"),
            State("route_len", "1", (k,), "int64"),
            State("route_pos", "1", (k,), "int64"),
            State("leg_progress", "m", (k,)),
            State("move_scale", "1", (k,), description="distance scale of the move in progress"),
            State("task", "1", (k,), "int64", "task each person works on (-1: none)"),
            State("task_progress", "s", (t,)),
            State("task_done", "1", (t,), "bool"),
            State("suit_worn", "1", (k,), "bool"),
            State(
                "suit_pending",
                "1",
                (k,),
                "bool",
                "suit worn from the start, filled at the first step",
            ),
            State("suit_mass", "kg", (k, N_SPECIES)),
            State(
                "suit_exchange",
                "kg",
                (k, N_SPECIES),
                description="gas the suit gave its surroundings",
            ),
            State("suit_pressure", "Pa", (k,)),
            State("suit_area", "m2", (k,), description="leak area of each suit, breaches included"),
            State("suit_area_drawn", "m2", (k,), description="leak area of each suit as made"),
            State("hypoxia", "s", (k,)),
            State("ebullism", "s", (k,)),
            State("injury", "s", (k,)),
            State("exposure", "s", (k,), description="time with a hypoxic dose rate above zero"),
            State("status", "1", (k,), "int8"),
            State("breathing_pressure", "Pa", (k,)),
            State("breathing_ppo2", "Pa", (k,)),
            State("tm", "1", (len(self.telemetry),), description="the telemetry vector"),
        )
        super().__init__(path, p, batch)
        index = {x: i for i, x in enumerate(nodes)}
        self._node_index = index
        self._hatch_a = np.array([index.get(r["a"], -1) for r in hatches.values()], dtype=np.int64)
        self._hatch_b = np.array([index.get(r["b"], -1) for r in hatches.values()], dtype=np.int64)
        self._hatch_dist = np.array([r["distance"] for r in hatches.values()], dtype=float)
        exit_hatch = np.full(n, -1, dtype=np.int64)
        for j, r in enumerate(hatches.values()):
            if r["b"] == OUTSIDE and exit_hatch[index[r["a"]]] < 0:
                exit_hatch[index[r["a"]]] = j
            if r["a"] == OUTSIDE and exit_hatch[index[r["b"]]] < 0:
                exit_hatch[index[r["b"]]] = j
        self._exit_hatch = exit_hatch
        site_index = {x: i for i, x in enumerate(sites)}
        self._path_from = np.array([index[r["from"]] for r in paths.values()], dtype=np.int64)
        self._path_to_node = np.array(
            [index.get(r["to"], -1) for r in paths.values()], dtype=np.int64
        )
        self._path_to_site = np.array(
            [site_index.get(r["to"], -1) for r in paths.values()], dtype=np.int64
        )
        self._path_dist = np.array([r["distance"] for r in paths.values()], dtype=float)
        self._task_node = np.array(
            [index.get(r["site"], -1) for r in tasks.values()], dtype=np.int64
        )
        self._task_site = np.array(
            [site_index.get(r["site"], -1) for r in tasks.values()], dtype=np.int64
        )
        self._task_duration = np.array([r["duration"] for r in tasks.values()], dtype=float)
        self._pace = np.array([r["pace"] for r in people.values()], dtype=float)
        self._suit_volume = np.array([r["suit_volume"] for r in people.values()], dtype=float)
        self._suit_area = np.array([r["suit_leak_area"] for r in people.values()], dtype=float)
        self._suit_spread = np.array([r["suit_leak_spread"] for r in people.values()], dtype=float)
        self._has_suit = np.array([bool(r["suit"]) for r in people.values()], dtype=bool)
        self._ev_person = np.zeros((self.batch, k, 4), dtype=np.int64)
        self._ev_task = np.zeros((self.batch, t), dtype=np.int8)
        self._kernels: Any = None
        self._packed_args: tuple[Any, ...] = ()
        self._outputs: dict[str, NDArray[Any]] = {}
        self._published = b""
        from houston.crew import kernels

        self.state, self._state_buffers, self._state_offsets = pack_states(
            self.state,
            self.states,
            self.batch,
            (
                (kernels.STATE_F, np.float64),
                (kernels.STATE_I, np.int64),
                (kernels.STATE_I8, np.int8),
                (kernels.STATE_B, np.bool_),
            ),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        s, people = self.state, self.p["people"]
        s["node"][:] = [self._node_index[r["node"]] for r in people.values()]
        s["path"][:] = -1
        s["task"][:] = -1
        s["move_scale"][:] = 1.0
        s["suit_worn"][:] = [bool(r["suit_worn"]) for r in people.values()]
        s["suit_area"][:] = self._suit_area
        if self._suit_spread.any():
            # Each run draws its own suit leaks (a Monte Carlo batch gives survival odds).
            z = ctx.random.normal("suit_leak", (len(self.people_names),))
            s["suit_area"][:] = self._suit_area * np.exp(self._suit_spread * z)
        s["suit_area_drawn"][:] = s["suit_area"]
        s["suit_pending"][:] = s["suit_worn"]
        s["seen_hatch"][:] = [HATCH_STATES.index("CLOSED")] * len(self.hatch_names)
        s["breathing_pressure"][:] = np.nan
        s["breathing_ppo2"][:] = np.nan
        s["suit_pressure"][:] = np.where(s["suit_worn"], np.nan, 0.0)
        self._telemetry_now()

    def _load(self) -> Any:
        from houston.crew import kernels

        self._kernels = kernels
        const_f = {
            "hatch_dist": self._hatch_dist,
            "path_dist": self._path_dist,
            "task_duration": self._task_duration,
            "pace": self._pace,
            "suit_volume": self._suit_volume,
            "molar_mass": MOLAR_MASS_KG_MOL,
            "cp": CP_J_MOL_K,
            "scalars": [
                float(self.p["suit_temperature"]),
                float(self.p["impaired_pace"]),
                float(self.p["impaired_work_rate"]),
            ],
        }
        const_i = {
            "hatch_a": self._hatch_a,
            "hatch_b": self._hatch_b,
            "exit_hatch": self._exit_hatch,
            "path_from": self._path_from,
            "path_to_node": self._path_to_node,
            "path_to_site": self._path_to_site,
            "scalars": [self._sites_offset],
        }
        s = self.state
        fs, is_, i8s, bs = self._state_buffers
        fo, io, i8o, bo = self._state_offsets
        cf, cf_off = flat(const_f, kernels.CONST_F, np.float64)
        ci, ci_off = flat(const_i, kernels.CONST_I, np.int64)
        offsets = np.concatenate([cf_off, ci_off, fo, io, i8o, bo]).astype(np.intp)
        self._packed_args = (
            cf,
            ci,
            np.ascontiguousarray(self._has_suit),
            fs,
            is_,
            i8s,
            bs,
            offsets,
            s["route"],
            s["suit_mass"],
            s["suit_exchange"],
            self._ev_person,
            self._ev_task,
            np.zeros(kernels.work_size(len(self._task_duration), N_SPECIES)),
        )
        return kernels

    def _telemetry_now(self) -> None:
        k = self._kernels or self._load()
        s = self.state
        for row in range(self.batch):
            k.fill_telemetry(
                row,
                len(self.node_names),
                s["node"],
                s["path"],
                s["pos"],
                s["direction"],
                self._path_dist,
                self._path_to_site,
                s["route_len"],
                s["leg_progress"],
                s["status"],
                s["breathing_pressure"],
                s["breathing_ppo2"],
                s["suit_pressure"],
                self._has_suit,
                s["suit_worn"],
                s["hypoxia"],
                s["ebullism"],
                s["injury"],
                s["exposure"],
                s["task_progress"],
                self._task_duration,
                s["task_done"],
                self._sites_offset,
                s["tm"],
            )

    @property
    def _sites_offset(self) -> int:
        return len(self.node_names) + len(self.path_names)

    def step(self, ctx: StepContext) -> None:
        s = self.state
        k = self._kernels or self._load()
        p_in = ctx.inputs["node_pressure_Pa"]
        o2_in = ctx.inputs["node_ppo2_Pa"]
        if np.count_nonzero(s["suit_pending"]):
            self._fill_suits(s["suit_pending"].copy(), p_in, o2_in)
            s["suit_pending"][:] = False
        flags = k.step_packed(
            ctx.dt_s,
            np.ascontiguousarray(p_in, dtype=float),
            np.ascontiguousarray(o2_in, dtype=float),
            np.ascontiguousarray(ctx.inputs["hatch_state"], dtype=float),
            *self._packed_args,
        )
        if flags:
            self._emit(ctx)

    def _emit(self, ctx: StepContext) -> None:
        ev, evt = self._ev_person, self._ev_task
        severity = {0: "info", 1: "caution", 2: "warning", 3: "warning"}
        for k, who in enumerate(self.people_names):
            col = ev[:, k]
            for row in np.flatnonzero(col[:, 0] > 0):
                # One message per run: the numbers differ from run to run.
                st = int(col[row, 0]) - 1
                mask = np.zeros(self.batch, dtype=bool)
                mask[row] = True
                ctx.emit(
                    f"{who} {STATUS_NAMES[st]}: {self._condition(int(row), k)}",
                    mask,
                    severity[st],
                    person=who,
                )
            for code in np.unique(col[:, 1][col[:, 1] > 0]):
                place = self.location_names[int(code) - 1]
                ctx.emit(f"{who} reached {place}", col[:, 1] == code, "info", person=who)
            for code in np.unique(col[:, 2][col[:, 2] > 0]):
                hatch = self.hatch_names[int(code) - 1]
                ctx.emit(
                    f"{who} stopped: hatch {hatch} is shut",
                    col[:, 2] == code,
                    "caution",
                    person=who,
                )
            for code in np.unique(col[:, 3][col[:, 3] > 0]):
                place = self.node_names[int(code) - 1]
                ctx.emit(
                    f"{who} waiting outside {place}: its hatch to the outside is shut",
                    col[:, 3] == code,
                    "caution",
                    person=who,
                )
        for t, name in enumerate(self.task_names):
            if evt[:, t].any():
                ctx.emit(f"task {name} complete", evt[:, t].astype(bool), "info", task=name)

    def _condition(self, row: int, k: int) -> str:
        """What a flight surgeon reads for person ``k`` of run ``row``: where, what they
        breathe, their doses."""
        s = self.state
        i = int(s["node"][row, k])
        where = self.node_names[i] if i >= 0 else "outside"
        p = float(s["breathing_pressure"][row, k])
        o2 = float(s["breathing_ppo2"][row, k])
        suit = " in the suit" if s["suit_worn"][row, k] else ""
        breathing = (
            f"breathing {p / 1e3:.1f} kPa{suit} (ppO2 {o2 / 1e3:.1f} kPa)"
            if np.isfinite(p)
            else "breathing unknown"
        )
        return (
            f"{where}, {breathing}, {float(s['exposure'][row, k]):.0f} s of hypoxic exposure, "
            f"ebullism {float(s['ebullism'][row, k]):.0f} s"
        )

    def _fill_suits(
        self, which: NDArray[np.bool_], p_in: NDArray[Any], o2_in: NDArray[Any]
    ) -> None:
        """Seal the suits of ``which`` (B, P) with the gas around each person."""
        s = self.state
        rows, people = np.nonzero(which)
        for row, k in zip(rows, people, strict=True):
            i = s["node"][row, k]
            p = float(p_in[row, i]) if i >= 0 else 0.0
            o2 = float(o2_in[row, i]) if i >= 0 else 0.0
            x = np.zeros(N_SPECIES)
            if p > 0.0:
                x[O2] = o2 / p
                x[1] = 1.0 - x[O2]
            n_total = p * self._suit_volume[k] / (R_GAS_J_MOL_K * float(self.p["suit_temperature"]))
            m = n_total * x * MOLAR_MASS_KG_MOL
            s["suit_mass"][row, k] = m
            s["suit_exchange"][row, k] -= m
            s["suit_pressure"][row, k] = p

    # -- published values ------------------------------------------------------------------

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        """The outputs, into arrays kept from step to step."""
        s, out = self.state, self._outputs
        if not out:
            out["status"] = np.zeros(s["status"].shape)
            for name in self.task_names:
                out[f"{name}_done"] = np.zeros(self.batch)
            self._published = b""
        # Status and tasks change seldom: copy them when they have.
        seen = s["status"].tobytes() + s["task_done"].tobytes()
        if seen != self._published:
            self._published = seen
            np.copyto(out["status"], s["status"])
            done = s["task_done"]
            for t, name in enumerate(self.task_names):
                np.copyto(out[f"{name}_done"], done[:, t])
        return out

    def sample(self, out: NDArray[np.float64]) -> None:
        out[...] = self.state["tm"]

    # -- commands --------------------------------------------------------------------------

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        s = self.state
        if name not in {c.name for c in self.commands}:
            return super().command(name, args, mask)
        k = _find(self.people_names, args["person"], "person")
        who = self.people_names[k]
        status = s["status"][:, k]
        reasons: dict[str, NDArray[np.bool_]] = {}
        if name not in ("stop", "doff_suit"):
            for code in (2, 3):
                reasons[f"{who} is {STATUS_NAMES[code]}"] = status == code
        incapable = np.zeros(self.batch, dtype=bool)
        for m in reasons.values():
            incapable |= m
        inside = s["node"][:, k] >= 0
        if name == "move":
            to = _find(self.node_names, args["to"], "node")
            reasons[f"{who} is outside: come back in first"] = ~incapable & ~inside
            ok = mask & ~incapable & inside
            text = f"{who} moving to {self.node_names[to]}"
            blocked = self._plan_moves(k, to, float(args.get("distance", 0.0)), ok)
            for reason, m in blocked.items():
                reasons[reason] = m
            return _result(mask, reasons, text)
        if name == "go_outside":
            pa = _find(self.path_names, args["path"], "path")
            start = int(self._path_from[pa])
            exit_h = int(self._exit_hatch[start])
            where = (
                f"{who} is not in {self.node_names[start]}, where path {self.path_names[pa]} starts"
            )
            reasons[where] = ~incapable & (s["node"][:, k] != start)
            shut = s["seen_hatch"][:, exit_h] != OPEN
            for code in (1, 2):
                hatch = self.hatch_names[exit_h]
                reasons[f"hatch {hatch} to the outside is {HATCH_STATES[code]}"] = (
                    ~incapable
                    & (s["node"][:, k] == start)
                    & shut
                    & (s["seen_hatch"][:, exit_h] == code)
                )
            ok = mask & ~_any(reasons)
            s["node"][ok, k] = -1
            s["path"][ok, k] = pa
            s["pos"][ok, k] = 0.0
            s["direction"][ok, k] = 1
            self._clear(ok, k)
            return _result(mask, reasons, f"{who} going out along {self.path_names[pa]}")
        if name == "come_back":
            reasons[f"{who} is not outside"] = ~incapable & inside
            ok = mask & ~_any(reasons)
            s["direction"][ok, k] = -1
            self._clear(ok, k)
            return _result(mask, reasons, f"{who} coming back")
        if name == "perform":
            t = _find(self.task_names, args["task"], "task")
            site = self.p["tasks"][self.task_names[t]]["site"]
            reasons[f"task {self.task_names[t]} is already complete"] = s["task_done"][:, t]
            if self._task_node[t] >= 0:
                there = s["node"][:, k] == self._task_node[t]
            else:
                pa = s["path"][:, k]
                ends = self._path_to_site[np.maximum(pa, 0)] == self._task_site[t]
                arrived = s["pos"][:, k] >= self._path_dist[np.maximum(pa, 0)]
                there = (pa >= 0) & ends & arrived & (s["direction"][:, k] == 0)
            reasons[f"{who} is not at {site}"] = ~incapable & ~there
            ok = mask & ~_any(reasons)
            self._clear(ok, k)
            s["task"][ok, k] = t
            return _result(mask, reasons, f"{who} working on {self.task_names[t]}")
        if name == "stop":
            self._clear(mask, k)
            outside = mask & ~inside
            s["direction"][outside, k] = 0
            return f"{who} stopped"
        if name == "don_suit":
            reasons[f"{who} has no suit"] = np.full(self.batch, not self._has_suit[k])
            ok = mask & ~_any(reasons) & ~s["suit_worn"][:, k]
            which = np.zeros((self.batch, len(self.people_names)), dtype=bool)
            which[ok, k] = True
            self._fill_suits(which, s["seen_pressure"], s["seen_ppo2"])
            s["suit_worn"][ok, k] = True
            return _result(mask, reasons, f"{who} suit sealed")
        # doff_suit
        off = mask & s["suit_worn"][:, k]
        s["suit_exchange"][off, k] += s["suit_mass"][off, k]
        s["suit_mass"][off, k] = 0.0
        s["suit_pressure"][off, k] = 0.0
        s["suit_worn"][off, k] = False
        return f"{who} suit off"

    def set_failure(
        self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_], active: bool
    ) -> None:
        if name != "suit_breach":
            super().set_failure(name, args, mask, active)
            return
        super().set_failure(name, {}, mask, active)
        s = self.state
        if not active:
            s["suit_area"][mask] = s["suit_area_drawn"][mask]
            return
        k = _find(self.people_names, args["person"], "person")
        s["suit_area"][mask, k] += float(args["area"])

    def check_action(self, kind: str, name: str, args: Mapping[str, Any]) -> str | None:
        who = args.get("person")
        if who is not None and who not in self.people_names:
            return f"unknown person {who!r}; the crew: {', '.join(self.people_names)}"
        return None

    def _clear(self, mask: NDArray[np.bool_], k: int) -> None:
        """Cancel the move and the task of person ``k`` in the runs of ``mask``."""
        s = self.state
        s["route_len"][mask, k] = 0
        s["leg_progress"][mask, k] = 0.0
        s["task"][mask, k] = -1
        s["waiting"][mask, k] = False

    def _plan_moves(
        self, k: int, to: int, distance: float, ok: NDArray[np.bool_]
    ) -> dict[str, NDArray[np.bool_]]:
        """Set the routes of person ``k`` to node ``to`` in the runs of ``ok``; returns the
        reasons for the runs with no open route."""
        s = self.state
        blocked: dict[str, NDArray[np.bool_]] = {}
        rows = np.flatnonzero(ok)
        if rows.size == 0:
            return blocked
        keys = np.concatenate(
            [s["seen_hatch"][rows].astype(np.int64), s["node"][rows, k : k + 1]], axis=1
        )
        unique, inverse = np.unique(keys, axis=0, return_inverse=True)
        for u, key in enumerate(unique):
            these = rows[inverse.ravel() == u]
            start = int(key[-1])
            states = key[:-1]
            route = self._route(start, to, states == OPEN)
            if route is None:
                any_route = self._route(start, to, np.ones(len(states), dtype=bool))
                if any_route is None:
                    reason = f"no way from {self.node_names[start]} to {self.node_names[to]} through the hatches"
                else:
                    shut = next(j for j in any_route if states[j] != OPEN)
                    reason = (
                        f"no open way from {self.node_names[start]} to {self.node_names[to]}: "
                        f"hatch {self.hatch_names[shut]} is {HATCH_STATES[states[shut]]}"
                    )
                m = blocked.setdefault(reason, np.zeros(self.batch, dtype=bool))
                m[these] = True
                continue
            self._clear(np.isin(np.arange(self.batch), these), k)
            length = float(sum(self._hatch_dist[j] for j in route))
            s["route"][these, k, : len(route)] = route
            s["route_len"][these, k] = len(route)
            s["route_pos"][these, k] = 0
            s["move_scale"][these, k] = (
                distance / length if distance > 0.0 and length > 0.0 else 1.0
            )
        return blocked

    def _route(self, start: int, to: int, usable: NDArray[np.bool_]) -> list[int] | None:
        """Shortest route (hatch indices) between two nodes over the usable hatches."""
        if start == to:
            return []
        best = {start: 0.0}
        via: dict[int, tuple[int, int]] = {}
        heap = [(0.0, start)]
        while heap:
            d, node = heapq.heappop(heap)
            if node == to:
                break
            if d > best.get(node, np.inf):
                continue
            for j in range(len(self.hatch_names)):
                a, b = int(self._hatch_a[j]), int(self._hatch_b[j])
                if not usable[j] or a < 0 or b < 0 or node not in (a, b):
                    continue
                other = b if node == a else a
                nd = d + float(self._hatch_dist[j])
                if nd < best.get(other, np.inf):
                    best[other] = nd
                    via[other] = (node, j)
                    heapq.heappush(heap, (nd, other))
        if to not in via:
            return None
        route = []
        node = to
        while node != start:
            prev, j = via[node]
            route.append(j)
            node = prev
        return route[::-1]


# -- helpers ---------------------------------------------------------------------------------


def _any(reasons: dict[str, NDArray[np.bool_]]) -> NDArray[np.bool_]:
    out = np.zeros_like(next(iter(reasons.values())), dtype=bool)
    for m in reasons.values():
        out |= m
    return out


def _find(names: tuple[str, ...], name: str, what: str) -> int:
    if name not in names:
        plural = {"person": "people", "path": "paths", "node": "nodes", "task": "tasks"}[what]
        raise CommandRejected(f"no {what} {name!r}; {plural}: {', '.join(names) or 'none'}")
    return names.index(name)


def _result(mask: NDArray[np.bool_], reasons: dict[str, NDArray[np.bool_]], text: str) -> str:
    bad = np.zeros_like(mask)
    for m in reasons.values():
        bad |= m & mask
    if not bad.any():
        return text
    reason = "; ".join(r for r, m in reasons.items() if (m & mask).any())
    if not (mask & ~bad).any():
        raise CommandRejected(reason)
    raise CommandRejected(reason, bad, text)


def _validate(
    nodes: list[str], hatches: dict, people: dict, paths: dict, sites: list[str], tasks: dict
) -> None:
    if not nodes:
        raise ValueError("the crew needs the habitat's node list")
    if OUTSIDE in nodes or len(set(nodes)) != len(nodes):
        raise ValueError(f"node names must be distinct and not '{OUTSIDE}'")
    ends = set(nodes) | {OUTSIDE}
    for name, r in hatches.items():
        for e in ("a", "b"):
            if r[e] not in ends:
                raise ValueError(
                    f"hatch {name!r}: {e} = {r[e]!r} is not a node; nodes: {', '.join(nodes)}, {OUTSIDE}"
                )
    if not people:
        raise ValueError("the crew needs at least one person")
    for name, r in people.items():
        if r["node"] not in nodes:
            raise ValueError(
                f"person {name!r}: node = {r['node']!r} is not a node; nodes: {', '.join(nodes)}"
            )
        if r["suit_worn"] and not r["suit"]:
            raise ValueError(f"person {name!r}: suit_worn needs suit = true")
    exits = {r["a"] for r in hatches.values() if r["b"] == OUTSIDE} | {
        r["b"] for r in hatches.values() if r["a"] == OUTSIDE
    }
    if set(sites) & set(nodes) or len(set(sites)) != len(sites):
        raise ValueError("work sites need distinct names, different from the nodes'")
    for name, r in paths.items():
        if r["from"] not in exits:
            raise ValueError(f"path {name!r}: from = {r['from']!r} has no hatch to the outside")
        if r["to"] not in sites and r["to"] not in exits:
            raise ValueError(
                f"path {name!r}: to = {r['to']!r} is neither a work site nor a node with a hatch to the outside"
            )
    for name, r in tasks.items():
        if r["site"] not in sites and r["site"] not in nodes:
            raise ValueError(
                f"task {name!r}: site = {r['site']!r} is neither a work site nor a node"
            )


def _telemetry(
    people: tuple[str, ...], tasks: tuple[str, ...], locations: tuple[str, ...]
) -> tuple[Telemetry, ...]:
    """Telemetry grouped by quantity (the order the kernel fills)."""
    status_limits = Limits(caution_high=IMPAIRED - 0.5, warning_high=IMPAIRED + 0.5)
    tm: list[Telemetry] = []
    tm += [
        Telemetry(f"{x}_location", "1", f"{x}: where", kind="enum", states=locations)
        for x in people
    ]
    tm += [
        Telemetry(
            f"{x}_status", "1", f"{x}: condition", status_limits, kind="enum", states=STATUS_NAMES
        )
        for x in people
    ]
    tm += [
        Telemetry(f"{x}_distance_m", "m", f"{x}: distance along the current path or move")
        for x in people
    ]
    tm += [
        Telemetry(
            f"{x}_breathing_pressure_Pa",
            "Pa",
            f"{x}: pressure of the gas breathed (suit or surroundings)",
            display_unit="kPa",
        )
        for x in people
    ]
    tm += [
        Telemetry(
            f"{x}_breathing_ppo2_Pa",
            "Pa",
            f"{x}: O2 partial pressure of the gas breathed",
            display_unit="kPa",
        )
        for x in people
    ]
    tm += [
        Telemetry(
            f"{x}_suit_pressure_Pa",
            "Pa",
            f"{x}: pressure in the improvised suit (0 when not worn)",
            display_unit="kPa",
        )
        for x in people
    ]
    tm += [
        Telemetry(f"{x}_suit", "1", f"{x}: improvised suit", kind="enum", states=SUIT_STATES)
        for x in people
    ]
    tm += [
        Telemetry(f"{x}_hypoxia_dose_s", "s", f"{x}: acute hypoxia dose (seconds of vacuum)")
        for x in people
    ]
    tm += [
        Telemetry(f"{x}_ebullism_s", "s", f"{x}: time below the Armstrong limit") for x in people
    ]
    tm += [
        Telemetry(f"{x}_injury_s", "s", f"{x}: injury dose (time unconscious from hypoxia)")
        for x in people
    ]
    tm += [Telemetry(f"{x}_exposure_s", "s", f"{x}: time breathing a hypoxic gas") for x in people]
    tm += [Telemetry(f"{x}_progress", "1", f"task {x}: fraction done") for x in tasks]
    tm += [Telemetry(f"{x}_done", "1", f"task {x}: complete", kind="bool") for x in tasks]
    names = [t.name for t in tm]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ValueError(f"names give clashing telemetry {sorted(dup)}: rename a person or task")
    return tuple(tm)
