"""The count behind a ranked or score result, in lines a person can follow (DESIGN.md, "Counting methods").

Plain strings (the caller wraps them for Rich); every name passes through `safe`.
"""

from __future__ import annotations

from datetime import datetime

from .outcome import plural
from .polls import Poll
from .text import safe


def _names(names: list[str]) -> str:
    shown = [safe(n) for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def irv_lines(poll: Poll, extra: dict, leaders: list[str]) -> list[str]:
    """Every instant-runoff round: counts, who went and why, exhausted ballots, any tie broken; then the winner."""
    rounds = extra["rounds"]
    lines = ["Instant runoff:"]
    for n, r in enumerate(rounds, 1):
        counts = sorted(r["counts"].items(), key=lambda kv: -kv[1])
        said = ", ".join(f"{safe(name)} {votes}" for name, votes in counts)
        if r["exhausted"]:
            said += f"; {plural(r['exhausted'], 'ballot')} exhausted"
        if r["eliminated"]:
            said += f"; {_names(r['eliminated'])} eliminated"
            if not r["tie_break"]:
                said += " (fewest)"
        lines.append(f"  round {n}: {said}")
        if r["tie_break"]:
            lines.append(f"    tie: {safe(r['tie_break'])}")
    winner = extra["irv_winner"]
    last = rounds[-1]["counts"]
    if not leaders:
        lines.append("  no winner: too few ballots for the quorum")
    elif winner is not None:
        others = sorted((v for k, v in last.items() if k != winner), reverse=True)
        against = f"-{others[0]}" if others else ""
        lines.append(f"  winner: {safe(winner)}, {last[winner]}{against} in round {len(rounds)}")
    else:
        lines.append(f"  no single winner: {_names(leaders)} share it")
    return lines


def condorcet_lines(poll: Poll, extra: dict, leaders: list[str]) -> list[str]:
    winner, cycle = extra["condorcet_winner"], extra["condorcet_cycle"]
    if not leaders:
        lines = ["Condorcet winner: none (too few ballots for the quorum)"]
    elif winner is not None:
        lines = [f"Condorcet winner: {safe(winner)} (beats every other option head to head)"]
    elif cycle and len(cycle) > 1:
        beats = ", ".join(f"{safe(a)} beats {safe(b)}" for a, b in zip(cycle, cycle[1:] + cycle[:1], strict=True))
        lines = [f"Condorcet winner: none; {beats}"]
    elif len(extra.get("smith_set") or []) > 1:
        lines = [f"Condorcet winner: none; {_names(extra['smith_set'])} tie or split head to head"]
    else:
        lines = ["Condorcet winner: none"]
    ranking = " > ".join(" = ".join(safe(n) for n in group) for group in extra["schulze_ranking"])
    lines.append(f"Schulze ranking: {ranking}")
    irv = extra["irv_winner"]
    if winner is not None and irv is not None and winner != irv:
        lines.append(
            f"Instant runoff and Condorcet disagree: {safe(irv)} wins the runoff, "
            f"but {safe(winner)} beats every option head to head."
        )
    return lines


def star_lines(poll: Poll, extra: dict, leaders: list[str]) -> list[str]:
    runoff = extra.get("star_runoff")
    winner = extra.get("star_winner")
    if not leaders:
        return ["STAR winner: none (too few ballots for the quorum)"]
    if not runoff:
        return [f"STAR winner: {safe(winner)}"] if winner else []
    a, b = runoff["finalists"]
    prefer = runoff["preferred"]
    said = (
        f"STAR runoff between the two highest totals: {safe(a)} preferred on {plural(prefer[a], 'ballot')}, "
        f"{safe(b)} on {prefer[b]}, {runoff['equal']} equal"
    )
    return [said, f"STAR winner: {safe(winner)}" if winner else "STAR winner: none (a tie)"]


def count_lines(poll: Poll, now: datetime) -> list[str]:
    extra, leaders = poll.count_extra(now), [o.name for o in poll.leaders_at(now)]
    if poll.method == "ranked":
        return irv_lines(poll, extra, leaders) + condorcet_lines(poll, extra, leaders)
    if poll.method == "score":
        return star_lines(poll, extra, leaders)
    return []
