"""Our bridges' accept rules in the host's iptables ``FORWARD`` chain.

Another engine on the machine may decide the fate of every forwarded packet: a dockerd
sets the ``FORWARD`` policy of iptables' ``filter`` table to ``DROP``, and with
``br_netfilter`` even traffic between two containers on one of our bridges passes that
chain. A drop in any base chain on the forward hook is final, so an accept in the
store's own nftables table (network/nat.py) cannot let it through: the accept has to be
where the verdict is decided. As netavark and libvirt do, each bridge of ours gets its
rules there while it is up, through the ``iptables`` command (whichever flavour, nft or
legacy, the machine has chosen, which is the one Docker uses):

- ``-i BRIDGE -j ACCEPT``: what our containers send, to each other and outwards (the
  store's table still drops what must not pass: another of our networks, or anything
  leaving an ``--internal`` one);
- ``-o BRIDGE`` with conntrack state ``RELATED,ESTABLISHED``: the replies;
- ``-o BRIDGE`` with conntrack state ``DNAT``: published ports, reached from elsewhere.

Each rule carries the comment ``portside BRIDGE``; ``withdraw`` deletes exactly the rules
with that comment and touches no other rule, chain or policy. Without an ``iptables``
command there is nothing to do: no iptables rule can be dropping the traffic then.
"""

from __future__ import annotations

from .links import NetworkSetupError

_CHAIN = "FORWARD"


def _comment(bridge: str) -> str:
    return f"portside {bridge}"


def _rules(bridge: str) -> list[str]:
    """The rule specifications, as ``iptables -S`` prints them (so they can be found)."""
    tail = f'-m comment --comment "{_comment(bridge)}" -j ACCEPT'
    return [
        f"-i {bridge} {tail}",
        f"-o {bridge} -m conntrack --ctstate RELATED,ESTABLISHED {tail}",
        f"-o {bridge} -m conntrack --ctstate DNAT {tail}",
    ]


def _iptables() -> str | None:
    """The command, or None when there is nothing to do: no iptables, or rootless, where
    the bridges live in the user's own network namespace, with no one else's rules."""
    from ..processes import which
    from ..userns import bridges_argv

    return None if bridges_argv() else which("iptables")


def _listed(exe: str) -> list[str]:
    from .. import spawn  # not subprocess: see spawn.py

    done = spawn.run([exe, "-w", "-S", _CHAIN])
    if done.returncode != 0:
        raise NetworkSetupError(f"iptables: {done.stderr.strip() or 'cannot list FORWARD'}")
    prefix = f"-A {_CHAIN} "
    return [line[len(prefix) :] for line in done.stdout.splitlines() if line.startswith(prefix)]


def _restore(exe: str, lines: list[str]) -> None:
    """One transaction of changes to the filter table, nothing else flushed."""
    from .. import spawn  # not subprocess: see spawn.py

    script = "*filter\n" + "".join(f"{line}\n" for line in lines) + "COMMIT\n"
    done = spawn.run([f"{exe}-restore", "-w", "--noflush"], input=script.encode())
    if done.returncode != 0:
        reason = done.stderr.strip().splitlines()
        raise NetworkSetupError(f"iptables-restore: {reason[0] if reason else 'failed'}")


def admit(bridge: str) -> None:
    """The accept rules of a bridge just made, at the head of ``FORWARD``."""
    exe = _iptables()
    if exe is not None:
        _restore(exe, [f"-I {_CHAIN} {r}" for r in reversed(_rules(bridge))])


def withdraw(bridge: str) -> None:
    """Every rule of ``FORWARD`` that carries this bridge's comment, and only those: the
    three of ``admit`` in one transaction, then any the chain still lists (one that was
    missing failed the transaction; a bridge admitted twice has each rule twice)."""
    exe = _iptables()
    if exe is None:
        return
    try:
        _restore(exe, [f"-D {_CHAIN} {r}" for r in _rules(bridge)])
    except NetworkSetupError:
        pass
    marker = f'--comment "{_comment(bridge)}" '
    ours = [r for r in _listed(exe) if marker in r]
    if ours:
        _restore(exe, [f"-D {_CHAIN} {r}" for r in ours])
