"""Pairwise counting: the Condorcet winner, the Smith set, a majority cycle, and Schulze's ranking.

X beats Y when more ballots rank X above Y than Y above X. A ranked option is
above every unranked one; two unranked options are not compared, so such a
ballot counts for neither.

- Condorcet winner (Condorcet, 1785): the option that beats every other.
- Smith set (Smith, 1973; Wikipedia, "Smith set"): the smallest set of options
  each of which beats every option outside it.
- Schulze method (Schulze, "A new monotonic, clone-independent, reversal
  symmetric, and Condorcet-consistent single-winner election method", Social
  Choice and Welfare, 2011; Wikipedia, "Schulze method"): the strength of a path
  is its weakest link, a link X->Y being the ballots preferring X to Y when X
  beats Y (winning votes); X ranks above Y when X's strongest path to Y is
  stronger than Y's to X.
"""

from __future__ import annotations

from collections.abc import Sequence


def pairwise(size: int, ballots: dict[tuple, int]) -> list[list[int]]:
    """d[x][y]: the ballots ranking option x above option y.

    A ballot's choice at place i beats every option not in its first i + 1
    places (a ranked option beats an unranked one). So every ballot sharing a
    prefix adds the same wins for that prefix's last option: the count runs
    over distinct prefixes, weighted, rather than over each ballot's pairs.
    """
    by_length: list[dict[tuple, int]] = [{} for _ in range(size + 1)]
    for ballot, weight in ballots.items():
        level = by_length[len(ballot)]
        level[ballot] = level.get(ballot, 0) + weight
    for length in range(size, 1, -1):  # longest first, so each prefix collects its extensions' weight
        parents = by_length[length - 1]
        for prefix, weight in by_length[length].items():
            parents[prefix[:-1]] = parents.get(prefix[:-1], 0) + weight
    d = [[0] * size for _ in range(size)]
    everyone = frozenset(range(size))
    for level in by_length[1:size]:  # a full ranking's last option beats nobody left
        for prefix, weight in level.items():
            row = d[prefix[-1]]
            for y in everyone.difference(prefix):
                row[y] += weight
    return d


def condorcet_winner(d: Sequence[Sequence[int]]) -> int | None:
    size = len(d)
    for x in range(size):
        if all(d[x][y] > d[y][x] for y in range(size) if y != x):
            return x
    return None


def smith_set(d: Sequence[Sequence[int]]) -> list[int]:
    """The options from which every option can be reached by a chain of pairwise wins or ties."""
    size = len(d)
    reach = [{y for y in range(size) if d[x][y] >= d[y][x]} for x in range(size)]
    for via in range(size):  # Warshall's transitive closure
        for x in range(size):
            if via in reach[x]:
                reach[x] |= reach[via]
    return [x for x in range(size) if len(reach[x] | {x}) == size]


def majority_cycle(d: Sequence[Sequence[int]], among: Sequence[int]) -> list[int]:
    """A shortest cycle of pairwise wins within `among`, each beating the next and the last the first.

    With no such cycle (a Smith set held together by pairwise ties), `among` itself.
    """
    best: list[int] | None = None
    for start in among:
        # Breadth first, so the first way back to `start` is a shortest cycle through it.
        parent = {start: start}
        frontier = [start]
        found = None
        while frontier and found is None:
            following = []
            for x in frontier:
                for y in among:
                    if d[x][y] > d[y][x] and y not in parent:
                        parent[y] = x
                        following.append(y)
                        if d[y][start] > d[start][y]:
                            found = y
                            break
                if found is not None:
                    break
            frontier = following
        if found is not None:
            path = [found]
            while path[-1] != start:
                path.append(parent[path[-1]])
            path.reverse()
            if best is None or len(path) < len(best):
                best = path
    return best if best is not None else list(among)


def schulze_ranking(d: Sequence[Sequence[int]]) -> list[list[int]]:
    """Options best first, options that neither outranks grouped together, in option order."""
    size = len(d)
    p = [[d[x][y] if d[x][y] > d[y][x] else 0 for y in range(size)] for x in range(size)]
    for via in range(size):  # Floyd-Warshall, widest-path variant
        for x in range(size):
            if x == via or not p[x][via]:
                continue
            for y in range(size):
                if y != x and y != via:
                    p[x][y] = max(p[x][y], min(p[x][via], p[via][y]))
    ranking: list[list[int]] = []
    remaining = list(range(size))
    while remaining:
        unbeaten = [x for x in remaining if not any(p[y][x] > p[x][y] for y in remaining)]
        # Schulze proves the relation transitive, so someone is always unbeaten;
        # the fallback only keeps a mistake from looping for ever.
        group = unbeaten or remaining
        ranking.append(group)
        remaining = [x for x in remaining if x not in group]
    return ranking
