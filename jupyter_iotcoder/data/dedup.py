"""Exact and near-duplicate removal of training pairs.

Exact: the same prompt and answer after collapsing whitespace. Near: MinHash
(datasketch) over word 5-gram shingles of the final user message plus the
answer, with an LSH index; a pair whose estimated Jaccard similarity to an
already kept pair reaches the threshold is dropped. The first pair in input
order wins, so the result is deterministic for a deterministic input order.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

_TOKEN = re.compile(r"\w+|[^\w\s]")
NUM_PERM = 128


def pair_text(record: dict) -> str:
    """The part of a chat record that makes it distinct: the last user message and the answer."""
    messages = record["messages"]
    user = next(m["content"] for m in reversed(messages) if m["role"] == "user")
    return user + "\n" + messages[-1]["content"]


def shingles(text: str, n: int = 5) -> set[bytes]:
    tokens = _TOKEN.findall(text.lower())
    if len(tokens) < n:
        return {" ".join(tokens).encode()}
    return {" ".join(tokens[i:i + n]).encode() for i in range(len(tokens) - n + 1)}


def minhash(text: str) -> MinHash:
    signature = MinHash(num_perm=NUM_PERM, seed=1)
    signature.update_batch(sorted(shingles(text)))
    return signature


@dataclass(frozen=True)
class DedupReport:
    total: int
    exact: int
    near: int

    @property
    def kept(self) -> int:
        return self.total - self.exact - self.near


def deduplicate(records: list[dict], threshold: float = 0.85) -> tuple[list[dict], DedupReport]:
    """Records without exact or near duplicates (Jaccard >= threshold), in input order."""
    seen: set[str] = set()
    index = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    signatures: dict[str, MinHash] = {}
    kept, exact, near = [], 0, 0
    for number, record in enumerate(records):
        text = pair_text(record)
        digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()
        if digest in seen:
            exact += 1
            continue
        seen.add(digest)
        signature = minhash(text)
        if any(signatures[key].jaccard(signature) >= threshold for key in index.query(signature)):
            near += 1
            continue
        key = str(number)
        index.insert(key, signature)
        signatures[key] = signature
        kept.append(record)
    return kept, DedupReport(total=len(records), exact=exact, near=near)
