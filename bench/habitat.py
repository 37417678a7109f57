"""Habitat benchmarks: the gas-network step against node and link count, vectorised (numpy)
and compiled (numba), at batch 1 and 10,000; and the habitat-demo base (habitat + crew
models) per 1 s frame.

``rows()`` returns one dict per case; ``python bench/habitat.py`` prints them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from houston.habitat import fastnet
from houston.habitat import network as vectorised
from houston.habitat.network import GasNetwork, initial_state

P0_PA = 101_325.0


def ring_base(n_modules: int) -> tuple[GasNetwork, np.ndarray, np.ndarray, np.ndarray]:
    """``n_modules`` modules in a ring of open hatches, an airlock with a shut outer hatch, a
    tank on a capped feed, a pin-hole leak: nodes n + 3, links n + 4. Returns the network,
    initial pressures, effective areas and flow caps (batch 1)."""
    nodes = [(f"m{i}", 60.0 + 10.0 * (i % 5)) for i in range(n_modules)]
    nodes += [("airlock", 5.0), ("tank", 0.5), ("space", float("inf"))]
    links: list[Any] = [(f"h{i}", f"m{i}", f"m{(i + 1) % n_modules}") for i in range(n_modules)]
    links += [
        ("inner", "m0", "airlock"),
        ("outer", "airlock", "space"),
        ("feed", "tank", "m1", True),
        ("leak", f"m{n_modules // 2}", "space"),
    ]
    net = GasNetwork.build(nodes, links)
    p = np.full(net.n_nodes, P0_PA)
    p[net.node_index("tank")] = 2e7
    p[net.node_index("space")] = 0.0
    area = np.full((1, net.n_links), 0.6)
    area[0, net.link_index("outer")] = 0.0
    area[0, net.link_index("feed")] = 1e-5
    area[0, net.link_index("leak")] = 1e-6
    cap = np.full((1, net.n_links), np.inf)
    cap[0, net.link_index("feed")] = 1e-3
    return net, p, area, cap


def _best(fn: Callable[[], Any], repeat: int, number: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def network_rows() -> list[dict[str, Any]]:
    out = []
    for n_modules, batch in [(2, 1), (7, 1), (20, 1), (50, 1), (7, 10_000)]:
        net, p, area, cap = ring_base(n_modules)
        state = initial_state(net, p, batch_size=1)
        for _ in range(5):  # settle: the quiet step of a base at rest with a pin-hole leak
            state = fastnet.step(net, state, area, 1.0, cap).state
        mass = np.ascontiguousarray(np.repeat(state.mass_kg, batch, axis=0))
        temp = np.ascontiguousarray(np.repeat(state.temperature_K, batch, axis=0))
        a = np.ascontiguousarray(np.repeat(area, batch, axis=0))
        c = np.ascontiguousarray(np.repeat(cap, batch, axis=0))
        st = vectorised.GasState(mass, temp)
        # The step in which the airlock's outer hatch opens to vacuum (Newton works hard).
        a_open = a.copy()
        a_open[:, net.link_index("outer")] = 0.6
        fast = fastnet.FastNetwork(net)
        mass_out = np.empty_like(mass)
        moved = np.empty((batch, net.n_links, mass.shape[2]))
        number = 2000 if batch == 1 else 1
        for case, areas in (("quiet", a), ("hatch opens to vacuum", a_open)):
            t_fast = _best(
                partial(fast.advance, mass, temp, areas, c, 1.0, mass_out, moved), 3, number
            )
            t_np = _best(partial(vectorised.step, net, st, areas, 1.0, c), 3, max(number // 10, 1))
            out.append(
                {
                    "case": f"network {net.n_nodes} nodes / {net.n_links} links, batch {batch}, {case}",
                    "numpy_us": t_np * 1e6,
                    "compiled_us": t_fast * 1e6,
                    "speedup": t_np / t_fast,
                }
            )
    return out


def demo_rows() -> list[dict[str, Any]]:
    """habitat-demo: the cost of each model's step and sample per 1 s frame, batch 1, taken
    in three phases (a quiet base; the leak with the tank feeding; the runners outside)."""
    from houston.scenario.loader import load
    from houston.session.session import Session

    out = []
    for at_s, phase in (
        (30, "quiet base"),
        (150, "lab holed, tank feeding"),
        (700, "runners outside"),
    ):
        session = Session(load("habitat-demo"))
        session.run(int(at_s * 1e9))
        costs = {}
        for m, ctx, wires in zip(session.models, session._contexts, session._wiring, strict=True):
            inputs = {name: (session.bus[src] if src is not None else d) for name, src, d in wires}
            saved = {k: v.copy() for k, v in m.state.items()}
            buf = np.empty((1, len(m.telemetry)))
            clock = [session.t_ns]

            def frame(
                m: Any = m,
                ctx: Any = ctx,
                inputs: Any = inputs,
                buf: Any = buf,
                session: Any = session,
                clock: list[int] = clock,
            ) -> None:
                # Frames that follow one another, as in a session (the habitat draws its
                # sensor noise for the steps ahead).
                t = clock[0]
                clock[0] = t + 1_000_000_000
                ctx.reset(t, t + 1_000_000_000, session.frame_index, inputs)
                m.step(ctx)
                m.sample(buf)
                m.output_values()

            costs[m.path] = _best(frame, 3, 300)
            for k, v in saved.items():
                m.state[k][...] = v
        t_session = _best(session.step_frame, 1, 200)
        out.append(
            {
                "case": f"habitat-demo, {phase}",
                "habitat_us": costs["jamestown.atmosphere"] * 1e6,
                "crew_us": costs["jamestown.crew"] * 1e6,
                "models_us": sum(costs.values()) * 1e6,
                "session_frame_us": t_session * 1e6,
            }
        )
    return out


def rows() -> list[dict[str, Any]]:
    return network_rows() + demo_rows()


def main() -> None:
    for r in rows():
        print(
            r["case"].ljust(72),
            "  ".join(f"{k} {v:,.1f}" for k, v in r.items() if k != "case"),
        )


if __name__ == "__main__":
    main()
