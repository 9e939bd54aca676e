"""The nftables rules of one store: one table, rewritten whole from the endpoints of its
running containers each time one starts or stops (``nft -f``: one atomic transaction),
so a rule can never outlive its container for longer than the next start, stop or
reconcile, and nothing needs rule handles.

- published ports: DNAT in ``prerouting`` (traffic from other hosts and containers)
  and ``output`` (the host's own, 127.0.0.1 included) for destinations that are local
  addresses; a port bound to one host address matches that address only;
- ``postrouting``: masquerade what reaches a bridge from 127.0.0.1 (its replies must
  come back through the host), hairpin traffic (a container to a port published by a
  container of its bridge), and containers' traffic leaving for other interfaces;
- ``forward``: containers of two different networks of the store do not talk, and an
  ``--internal`` network talks only within itself.
"""

from __future__ import annotations

from ..records import dataclass
from ..userns import bridges_argv
from .links import NetworkSetupError


@dataclass(frozen=True)
class Forward:
    proto: str
    host_ip: str  # "" or 0.0.0.0: every local address
    host_port: int
    ip: str
    port: int


@dataclass(frozen=True)
class Bridge:
    name: str
    subnet: str
    internal: bool


def render(table: str, bridges: list[Bridge], forwards: list[Forward]) -> str:
    """The ``nft -f`` script. With bridges up: the table and its chains declared (kept
    if they exist: dropping a table with hooks costs the kernel ~20 ms), every chain
    flushed and filled again. Without: the table dropped."""
    if not bridges:
        return f"table ip {table}\ndelete table ip {table}\n"
    rules: dict[str, list[str]] = {
        "prerouting": ["fib daddr type local jump ports"],
        "output": ["fib daddr type local jump ports"],
        "ports": [],
        "postrouting": [],
        "forward": [],
    }
    for f in forwards:
        match = f"ip daddr {f.host_ip} " if f.host_ip not in ("", "0.0.0.0") else ""
        rules["ports"].append(f"{match}{f.proto} dport {f.host_port} dnat to {f.ip}:{f.port}")
    for b in bridges:
        post = rules["postrouting"]
        post.append(f'oifname "{b.name}" ip saddr 127.0.0.0/8 masquerade')
        post.append(f'oifname "{b.name}" ip saddr {b.subnet} ct status dnat masquerade')
        if b.internal:
            rules["forward"].append(f'iifname "{b.name}" oifname != "{b.name}" drop')
            rules["forward"].append(f'oifname "{b.name}" iifname != "{b.name}" drop')
        else:
            post.append(f'ip saddr {b.subnet} oifname != "{b.name}" masquerade')
        others = ", ".join(f'"{o.name}"' for o in bridges if o is not b)
        if others:
            rules["forward"].append(f'iifname "{b.name}" oifname {{ {others} }} drop')
    hooks = {
        "prerouting": "type nat hook prerouting priority -100; policy accept;",
        "output": "type nat hook output priority -100; policy accept;",
        "ports": "",
        "postrouting": "type nat hook postrouting priority 100; policy accept;",
        "forward": "type filter hook forward priority 0; policy accept;",
    }
    lines = [f"table ip {table} {{"]
    lines += [f"  chain {name} {{ {hook} }}" for name, hook in hooks.items()]
    lines.append("}")
    for name, chain_rules in rules.items():
        lines.append(f"flush chain ip {table} {name}")
        lines += [f"add rule ip {table} {name} {rule}" for rule in chain_rules]
    return "\n".join(lines) + "\n"


def apply(script: str) -> None:
    from .. import spawn  # not subprocess: see spawn.py

    try:
        done = spawn.run([*bridges_argv(), "nft", "-f", "-"], input=script.encode())
    except FileNotFoundError:
        raise NetworkSetupError("nft not found (apt-get install nftables)") from None
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()
        raise NetworkSetupError(f"nft: {reason[0] if reason else 'failed'}")
