"""The link model: an asset's communications with the ground, one instance per asset.

``comms.link`` computes, every step and for every station of its networks, the geometry of
:mod:`houston.comms.visibility` (elevation above the station's mask, occultation by the Moon,
the horizon of a lunar surface site), combines it with the state of the asset's own
equipment (antennas that can be taken down, restored, lost; a transmitter that can fail),
and publishes ``link_up`` and ``light_time_s``: name it as the asset's ``downlink``
(``downlink = "base.comms"``) and the session carries telemetry down and commands up over
it, after the light time (:mod:`houston.session.links`).

The asset is either

* a **spacecraft** (``kind = "spacecraft"``): its position is an input. With
  ``central_body = "earth"`` the input is ``r_gcrf_m``, the position from the Earth's centre
  in GCRF axes (what ``vehicle.two_body`` publishes as ``r_m`` for an Earth orbit, whose
  inertial axes are taken as the GCRF's); with ``central_body = "moon"`` it is ``r_mci_m``,
  from the Moon's centre in ICRF axes (``vehicle.two_body`` about the Moon), and the Moon's
  DE421 position is added. A vehicle that publishes its GCRF position whatever its central
  body (``vehicle.spacecraft``: ``r_gcrf_m``, frame GCRF) is wired to ``r_gcrf_m`` with the
  default ``central_body = "earth"``;
* or a **surface** site on the Moon (``kind = "surface"``): fixed selenographic ``latitude``,
  ``longitude``, ``height`` (default: the Shackleton rim point of Bussey et al. 2010, see
  :mod:`houston.comms.lunar`).

Station in use: the link stays on its station while that station keeps it; otherwise it
takes the station with the highest elevation among those that can close it (a handover).
``light_time_s`` and the telemetry refer to the station in use, or, while the link is down,
to the station with the best elevation margin (so that nothing is undefined).

Link state per station: ``UP``, ``DOWN_GEOMETRY`` (below the mask, occulted, or below a
surface site's horizon), ``DOWN_FAILURE`` (no working antenna selected, or the transmitter
failed); the asset's link state is ``UP`` if any station is up, otherwise ``DOWN_FAILURE``
when the equipment is at fault, otherwise ``DOWN_GEOMETRY``.

Antennas (``antennas`` records, in order of preference: the first is the primary): each is
``up`` or ``down`` (taken down) and may be lost (the ``antenna_lost`` failure). Commands take
one down, restore it (a restored antenna becomes the one in use when the one in use cannot
work), select one, or switch to the next working one (``switch_to_backup``). For a surface
site each antenna has its own elevation mask toward the Earth (terrain, mounting).

Events: ``AOS <station>`` when the link comes up, ``LOS <station> (<cause>)`` when it goes
down, ``HANDOVER <old> -> <new>``. They are emitted at the end of the step in which the
change is found: a command applied inside a frame is seen at the end of the step that
follows it.

Cost: the Earth's rotation and the Moon's position and rotation are built once per step time
and shared by every link model (:func:`houston.comms.tables.packed_at`: interpolated between
full evaluations ten minutes apart); a step is then one compiled call
(:func:`houston.comms.kernels.step`: the stations into GCRF, the loop over runs × stations,
the link states; ``bench/comms.py``), events are only looked for when a link changed, and
the telemetry (``sample``) is one compiled pass too.
``geometry_interval`` (s) reuses the geometry for that long (0: every step); equipment
changes still take effect at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from houston.comms import kernels, lunar, tables
from houston.comms.networks import NETWORKS, StationSet, select_stations
from houston.core.constants import C_M_S, R_MOON_M
from houston.core.model import (
    Command,
    CommandRejected,
    Failure,
    Model,
    Param,
    Signal,
    State,
    StepContext,
    Telemetry,
)
from houston.core.time import NS_PER_S, Epoch

__all__ = ["AntennaState", "CommsLink", "LinkState"]

#: "Never evaluated", for the time of the last geometry.
_NEVER = -(2**62)
_INV_C = 1.0 / C_M_S
#: Kernel time zero when a model is stepped without a scenario epoch (J2000.0 TT, in TAI).
_J2000_EPOCH = Epoch(2_451_545.0, -32.184 / 86_400.0, "2000-01-01T11:58:55.816Z")


class LinkState(IntEnum):
    """Link state of a station pair or of the asset (the telemetry's enumeration)."""

    UP = 0
    DOWN_GEOMETRY = 1
    DOWN_FAILURE = 2


class AntennaState(IntEnum):
    """State of one antenna (telemetry ``antenna_<name>``)."""

    UP = 0
    DOWN = 1
    LOST = 2


_ANTENNA_UP = int(AntennaState.UP)


class _State(dict[str, NDArray[Any]]):
    """A model's state that counts the assignments to it, so that the compiled step's
    arguments, gathered once from its arrays, are gathered again after one is replaced (a
    restored checkpoint assigns every state)."""

    def __init__(self, state: Mapping[str, NDArray[Any]]) -> None:
        super().__init__(state)
        self.assigned = 0

    def __setitem__(self, name: str, value: NDArray[Any]) -> None:
        super().__setitem__(name, value)
        self.assigned += 1

    def update(self, *args: Any, **kw: Any) -> None:
        for name, value in dict(*args, **kw).items():
            self[name] = value


_ANTENNA_FIELDS = (
    Param("state", description="initial state", default="up", kind="str", choices=("up", "down")),
    Param(
        "min_elevation",
        "rad",
        "surface sites: elevation above the site's horizon below which this antenna cannot "
        "reach a station (terrain, mounting)",
        0.0,
        min=-0.5 * np.pi,
        max=0.5 * np.pi,
    ),
)
_STATION_FIELDS = (
    Param("lat", "rad", "geodetic latitude (WGS-84)", min=-0.5 * np.pi, max=0.5 * np.pi),
    Param("lon", "rad", "east longitude"),
    Param("height", "m", "height above the WGS-84 ellipsoid", 0.0),
    Param("min_elevation", "rad", "elevation mask", 0.0, min=0.0, max=0.5 * np.pi),
)
_ANTENNA_ARG = Param(
    "antenna", description="antenna name (empty: the antenna in use)", default="", kind="str"
)


class CommsLink(Model):
    """An asset's link to the ground networks (module docstring)."""

    type_name = "comms.link"
    summary = "Link of a spacecraft or lunar surface site to ground stations: visibility, light time, antennas"
    params = (
        Param(
            "kind",
            description="spacecraft (position input) or surface (a fixed site on the Moon)",
            default="spacecraft",
            kind="str",
            choices=("spacecraft", "surface"),
        ),
        Param(
            "central_body",
            description="spacecraft: origin of the position input (earth: r_gcrf_m, moon: r_mci_m)",
            default="earth",
            kind="str",
            choices=("earth", "moon"),
        ),
        Param(
            "networks",
            description="bundled ground networks (dsn, stdn, msfn)",
            default=["dsn"],
            kind="strings",
            choices=tuple(NETWORKS),
        ),
        Param(
            "station_names",
            description="keep only these stations of the networks (codes or names; empty: all)",
            default=[],
            kind="strings",
        ),
        Param(
            "stations",
            description="extra ground stations of the scenario",
            default={},
            kind="records",
            fields=_STATION_FIELDS,
        ),
        Param(
            "min_elevation",
            "rad",
            "elevation floor applied over every station's own mask",
            0.0,
            min=0.0,
            max=0.5 * np.pi,
        ),
        Param(
            "latitude",
            "rad",
            "surface site: selenographic latitude",
            lunar.SHACKLETON_RIM.lat_rad,
            min=-0.5 * np.pi,
            max=0.5 * np.pi,
        ),
        Param("longitude", "rad", "surface site: east longitude", lunar.SHACKLETON_RIM.lon_rad),
        Param("height", "m", "surface site: height above the 1737.4 km sphere", 0.0),
        Param(
            "antennas",
            description="antennas in order of preference (the first is the primary)",
            default={
                "primary": {"state": "up", "min_elevation": 0.0},
                "backup": {"state": "down", "min_elevation": 0.0},
            },
            kind="records",
            fields=_ANTENNA_FIELDS,
        ),
        Param(
            "moon_margin",
            "m",
            "added to the Moon's radius when testing occultation (terrain)",
            0.0,
            min=0.0,
        ),
        Param(
            "geometry_interval",
            "s",
            "reuse the geometry for this long (0: recompute every step)",
            0.0,
            min=0.0,
        ),
    )
    inputs = (
        Signal(
            "r_gcrf_m",
            "m",
            (3,),
            "spacecraft about the Earth: position from the Earth's centre, GCRF axes",
            optional=True,
            frame="GCRF",
        ),
        Signal(
            "r_mci_m",
            "m",
            (3,),
            "spacecraft about the Moon: position from the Moon's centre, ICRF axes (MCI)",
            optional=True,
            frame="MCI",
        ),
    )
    commands = (
        Command("take_down", "take an antenna down (it stops radiating)", (_ANTENNA_ARG,)),
        Command(
            "restore",
            "bring an antenna back up; it becomes the one in use if that one cannot work",
            (_ANTENNA_ARG,),
        ),
        Command("select_antenna", "use this antenna", (_ANTENNA_ARG,)),
        Command("switch_to_backup", "use the next working antenna after the one in use"),
    )
    failures = (
        Failure(
            "antenna_lost",
            "an antenna is destroyed or disconnected (repair clears every lost antenna)",
            (_ANTENNA_ARG,),
        ),
        Failure("transmitter_failed", "the transmitter is dead: no link through any antenna"),
    )

    def __init__(self, path: str, params: Mapping[str, Any], batch: int) -> None:
        # Defaults for what is not given (the loader fills them; direct use may not).
        p = {q.name: q.default for q in type(self).params}
        p.update(params)
        self.surface = p["kind"] == "surface"
        self.stations = StationSet.of(
            select_stations(p["networks"], p["station_names"], p["stations"]),
            float(p["min_elevation"]),
        )
        antennas = dict(p["antennas"] or {})
        if not antennas:
            raise ValueError("at least one antenna is needed")
        self.antenna_names = tuple(antennas)
        self._antenna_initial = np.array(
            [
                AntennaState.UP if a.get("state", "up") == "up" else AntennaState.DOWN
                for a in antennas.values()
            ],
            dtype=np.int64,
        )
        self._sin_antenna_mask = np.sin(
            np.array([float(a.get("min_elevation", 0.0)) for a in antennas.values()])
        )
        self._sin_station_mask = np.sin(self.stations.min_elevation_rad)
        n, na = len(self.stations), len(self.antenna_names)
        self._input = ""
        self._site_r = np.zeros(3)
        self._site_up = np.zeros(3)
        self._no_position = np.zeros((1, 3))
        self._no_env = np.zeros(tables.ROW)
        if self.surface:
            site = lunar.SurfaceSite(
                "site", float(p["latitude"]), float(p["longitude"]), float(p["height"])
            )
            self._site_r = np.ascontiguousarray(site.r_fixed_m, dtype=np.float64)
            self._site_up = np.ascontiguousarray(site.up_fixed, dtype=np.float64)
            self.inputs = ()
        else:
            self._input = "r_gcrf_m" if p["central_body"] == "earth" else "r_mci_m"
            # Both names are declared on the class (the loader checks wiring names there);
            # the instance requires the one its central body calls for.
            self.inputs = tuple(
                dataclasses.replace(sig, optional=sig.name != self._input)
                for sig in type(self).inputs
            )
        self._moon_origin = self._input == "r_mci_m"
        self._occulting_radius2 = (R_MOON_M + float(p["moon_margin"])) ** 2
        self._interval_ns = round(float(p["geometry_interval"]) * NS_PER_S)
        self.states = (
            State("up", "1", description="1 when the link is up"),
            State("light_time", "s", description="one-way light time to the reported station"),
            State("elevation", "rad", description="the asset's elevation at the reported station"),
            State("station", "1", dtype="int64", description="station in use (-1: none)"),
            State("best", "1", dtype="int64", description="station reported (in use or best)"),
            State("link", "1", dtype="int64", description="the asset's LinkState"),
            State("reported_up", "1", dtype="bool", description="link state last announced"),
            State("reported_station", "1", dtype="int64", description="station last announced"),
            State("selected", "1", dtype="int64", description="antenna in use"),
            State("antenna", "1", (na,), dtype="int64", description="AntennaState UP or DOWN"),
            State("lost", "1", (na,), dtype="bool", description="antennas lost"),
            State("sin_elevation", "1", (n,), description="sine of the elevation at each station"),
            State(
                "sin_site", "1", (n,), description="sine of each station's elevation at the site"
            ),
            State("range", "m", (n,), description="range to each station"),
            State("clear", "1", (n,), dtype="bool", description="line not occulted by the Moon"),
            State("station_link", "1", (n,), dtype="int64", description="LinkState per station"),
            State("earth_elevation", "rad", description="surface: the Earth's elevation"),
            State(
                "geometry_t_ns",
                "1",
                dtype="int64",
                description="kernel time of the last geometry evaluation, ns",
            ),
        )
        self.outputs = (
            Signal("link_up", "1", (), "1 when the link to the ground is up"),
            Signal("light_time_s", "s", (), "one-way light time to the station in use"),
            Signal(
                "station_link", "1", (n,), "link state per station (0 up, 1 geometry, 2 failure)"
            ),
        )
        tm = [
            Telemetry(
                "link",
                "1",
                "link state to the ground",
                kind="enum",
                states=tuple(x.name for x in LinkState),
            ),
            Telemetry(
                "station",
                "1",
                "ground station in use",
                kind="enum",
                states=("NONE", *self.stations.names),
            ),
            Telemetry(
                "light_time_s", "s", "one-way light time to the station in use (or the best one)"
            ),
            Telemetry(
                "elevation_rad",
                "rad",
                "elevation of the asset at the station in use (or the best one)",
                display_unit="deg",
            ),
            Telemetry(
                "range_m", "m", "range to the station in use (or the best one)", display_unit="km"
            ),
            Telemetry("antenna", "1", "antenna in use", kind="enum", states=self.antenna_names),
            Telemetry(
                "transmitter", "1", "transmitter state", kind="enum", states=("OK", "FAILED")
            ),
        ]
        tm += [
            Telemetry(
                f"antenna_{a}",
                "1",
                f"state of antenna {a}",
                kind="enum",
                states=tuple(x.name for x in AntennaState),
            )
            for a in self.antenna_names
        ]
        if self.surface:
            tm.append(
                Telemetry(
                    "earth_elevation_rad",
                    "rad",
                    "elevation of the Earth's centre above the site's horizon",
                    display_unit="deg",
                )
            )
        self.telemetry = tuple(tm)
        super().__init__(path, p, batch)
        self.state = _State(self.state)
        self._arrays_of: _State | None = None
        self._arrays_assigned = -1
        self._arrays: tuple[NDArray[Any], ...] = ()
        self._consts = kernels.constants(
            self.surface,
            self._moon_origin,
            self._occulting_radius2,
            _INV_C,
            _ANTENNA_UP,
            self._site_r,
            self._site_up,
            self.stations.r_itrf_m,
            self.stations.up_itrf,
            self._sin_station_mask,
            self._sin_antenna_mask,
        )

    # -- geometry and links --------------------------------------------------------------

    def _step_arrays(self) -> tuple[NDArray[Any], ...]:
        """The state arrays :func:`houston.comms.kernels.step` takes after the asset's
        position, built again whenever a state array is replaced (a restored checkpoint)."""
        s = self.state
        if not isinstance(s, _State):
            self.state = s = _State(s)
        if s is not self._arrays_of or s.assigned != self._arrays_assigned:
            self._arrays = (
                self._consts,
                s["geometry_t_ns"],
                s["earth_elevation"],
                s["sin_elevation"],
                s["sin_site"],
                s["clear"],
                s["range"],
                s["selected"],
                s["antenna"],
                s["lost"],
                s["failure.transmitter_failed"],
                s["station"],
                s["best"],
                s["link"],
                s["station_link"],
                s["up"],
                s["light_time"],
                s["elevation"],
                s["reported_up"],
                s["reported_station"],
            )
            self._arrays_of, self._arrays_assigned = s, s.assigned
        return self._arrays

    def _update(self, ctx: StepContext, geometry: bool) -> bool:
        """Combine geometry and equipment into the link state, the station and the outputs,
        evaluating the station geometry at ``ctx.t1_ns`` first when ``geometry`` (one
        compiled pass over the Earth and Moon of that time,
        :func:`houston.comms.tables.packed_at`, shared by every link model;
        :func:`houston.comms.kernels.step`); returns whether any run's link changed from
        what was last announced."""
        t_ns = ctx.t1_ns
        if geometry:
            epoch = ctx.epoch if ctx.epoch is not None else _J2000_EPOCH
            env = tables.packed_at(epoch, t_ns)
            r = (
                self._no_position
                if self.surface
                else np.asarray(ctx.inputs[self._input], dtype=np.float64)
            )
        else:
            env, r = self._no_env, self._no_position
        return bool(kernels.step(geometry, env, r, t_ns, *self._step_arrays()))

    def _announce(self, ctx: StepContext) -> None:
        """AOS, LOS and handover events for the runs whose link changed."""
        s = self.state
        up = s["up"] != 0
        was = s["reported_up"]
        station = s["station"]
        before = s["reported_station"]
        if not ((up != was) | (up & (station != before))).any():
            return
        names = self.stations.names
        aos = up & ~was
        los = ~up & was
        hand = up & was & (station != before)
        for i in np.unique(station[aos]):
            ctx.emit(f"AOS {names[i]}", aos & (station == i), source=self.path, station=names[i])
        for i in np.unique(before[los]):
            for cause, code, severity in (
                ("failure", LinkState.DOWN_FAILURE, "warning"),
                ("geometry", LinkState.DOWN_GEOMETRY, "info"),
            ):
                ctx.emit(
                    f"LOS {names[i]} ({cause})",
                    los & (before == i) & (s["link"] == code),
                    severity,
                    source=self.path,
                    station=names[i],
                    cause=cause,
                )
        for i, j in sorted(
            {(int(a), int(b)) for a, b in zip(before[hand], station[hand], strict=True)}
        ):
            ctx.emit(
                f"HANDOVER {names[i]} -> {names[j]}",
                hand & (before == i) & (station == j),
                source=self.path,
                station=names[j],
            )
        s["reported_up"][:] = up
        s["reported_station"][:] = np.where(up, station, -1)

    # -- lifecycle -----------------------------------------------------------------------

    def initialize(self, ctx: StepContext) -> None:
        s = self.state
        s["antenna"][:] = self._antenna_initial
        s["lost"][:] = False
        s["selected"][:] = self._first_usable()
        s["station"][:] = -1
        s["reported_station"][:] = -1
        s["reported_up"][:] = False
        s["sin_elevation"][:] = -1.0
        s["sin_site"][:] = -1.0
        s["range"][:] = 0.0
        s["clear"][:] = False
        s["geometry_t_ns"][:] = _NEVER
        # A spacecraft's position is first read in the first step (the kernel gives no
        # inputs at initialisation); a surface site is known at once.
        self._update(ctx, self.surface or self._input in ctx.inputs)
        self._announce(ctx)

    def step(self, ctx: StepContext) -> None:
        due = (
            self._interval_ns == 0
            or ctx.t1_ns - int(self.state["geometry_t_ns"][0]) >= self._interval_ns
        )
        if self._update(ctx, due):
            self._announce(ctx)

    def output_values(self) -> Mapping[str, NDArray[Any]]:
        s = self.state
        return {
            "link_up": s["up"],
            "light_time_s": s["light_time"],
            "station_link": s["station_link"],
        }

    def sample(self, out: NDArray[np.float64]) -> None:
        """:meth:`telemetry_values` into ``out`` in one compiled pass."""
        s = self.state
        kernels.telemetry_rows(
            out,
            s["link"],
            s["station"],
            s["light_time"],
            s["elevation"],
            s["range"],
            s["best"],
            s["selected"],
            s["failure.transmitter_failed"],
            s["antenna"],
            s["lost"],
            int(AntennaState.LOST),
            s["earth_elevation"],
            self.surface,
        )

    def telemetry_values(self) -> Mapping[str, NDArray[Any]]:
        s = self.state
        rows = np.arange(self.batch)
        best = s["best"]
        out: dict[str, NDArray[Any]] = {
            "link": s["link"],
            "station": s["station"] + 1,
            "light_time_s": s["light_time"],
            "elevation_rad": s["elevation"],
            "range_m": s["range"][rows, best],
            "antenna": s["selected"],
            "transmitter": self.failed("transmitter_failed"),
        }
        states = np.where(s["lost"], AntennaState.LOST, s["antenna"])
        for k, a in enumerate(self.antenna_names):
            out[f"antenna_{a}"] = states[:, k]
        if self.surface:
            out["earth_elevation_rad"] = s["earth_elevation"]
        return out

    # -- antennas ------------------------------------------------------------------------

    def _which(self, name: str) -> NDArray[np.int64]:
        """Per run, the index of antenna ``name`` (the antenna in use when empty)."""
        if not name:
            return self.state["selected"].copy()
        if name not in self.antenna_names:
            raise CommandRejected(f"no antenna {name!r}; antennas: {', '.join(self.antenna_names)}")
        return np.full(self.batch, self.antenna_names.index(name), dtype=np.int64)

    def _usable(self) -> NDArray[np.bool_]:
        s = self.state
        return (s["antenna"] == AntennaState.UP) & ~s["lost"]

    def _first_usable(self) -> NDArray[np.int64]:
        """Per run, the first usable antenna in the order of preference (0 when none)."""
        usable = self._usable()
        return np.where(usable.any(axis=1), np.argmax(usable, axis=1), 0)

    def _next_usable(self, current: NDArray[np.int64]) -> NDArray[np.int64]:
        """Per run, the first usable antenna after ``current`` in the order of preference,
        wrapping round (-1 when no other antenna is usable)."""
        na = len(self.antenna_names)
        usable = self._usable()
        rows = np.arange(self.batch)
        out = np.full(self.batch, -1, dtype=np.int64)
        for step in range(1, na):
            k = np.mod(current + step, na)
            hit = (out < 0) & usable[rows, k]
            out[hit] = k[hit]
        return out

    def _label(self, k: NDArray[np.int64], mask: NDArray[np.bool_]) -> str:
        picked = sorted({self.antenna_names[i] for i in k[mask]})
        return "/".join(picked) or self.antenna_names[int(k[0])]

    def command(self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_]) -> str | None:
        s = self.state
        rows = np.arange(self.batch)
        if name == "take_down":
            k = self._which(args.get("antenna", ""))
            s["antenna"][rows[mask], k[mask]] = AntennaState.DOWN
            return f"antenna {self._label(k, mask)} down"
        if name == "restore":
            k = self._which(args.get("antenna", ""))
            lost = mask & s["lost"][rows, k]
            ok = mask & ~lost
            s["antenna"][rows[ok], k[ok]] = AntennaState.UP
            # The restored antenna takes over when the one in use cannot work.
            idle = ok & ~self._usable()[rows, s["selected"]]
            s["selected"][idle] = k[idle]
            text = f"antenna {self._label(k, ok)} up" + (", in use" if idle.any() else "")
            if lost.any():
                raise CommandRejected(
                    f"antenna {self._label(k, lost)} is lost: it needs a repair",
                    lost if ok.any() else None,
                    text if ok.any() else "",
                )
            return text
        if name == "select_antenna":
            k = self._which(args.get("antenna", ""))
            s["selected"][mask] = k[mask]
            return f"antenna {self._label(k, mask)} in use"
        if name == "switch_to_backup":
            nxt = self._next_usable(s["selected"])
            ok = mask & (nxt >= 0)
            s["selected"][ok] = nxt[ok]
            text = f"antenna {self._label(nxt, ok)} in use" if ok.any() else ""
            if (mask & ~ok).any():
                raise CommandRejected(
                    "no other working antenna", (mask & ~ok) if ok.any() else None, text
                )
            return text
        return super().command(name, args, mask)

    def set_failure(
        self, name: str, args: Mapping[str, Any], mask: NDArray[np.bool_], active: bool
    ) -> None:
        if name != "antenna_lost":
            super().set_failure(name, args, mask, active)
            return
        s = self.state
        s["failure.antenna_lost"][mask] = active
        if not active:
            s["lost"][mask] = False
            return
        name_arg = str(args.get("antenna", ""))
        if name_arg and name_arg not in self.antenna_names:
            raise ValueError(
                f"{self.path}: no antenna {name_arg!r}; antennas: {', '.join(self.antenna_names)}"
            )
        k = self._which(name_arg)
        rows = np.arange(self.batch)
        s["lost"][rows[mask], k[mask]] = True
        s["failure.antenna_lost.antenna"][mask] = k[mask]
