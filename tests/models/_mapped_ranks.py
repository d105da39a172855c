"""One rank of the torch.distributed test of mapped() (not a test module).

Run as ``python _mapped_ranks.py RANK WORLD INIT_FILE OUT_JSON PATH...``: joins a
``gloo`` process group through ``INIT_FILE``, reads one epoch of the
``MappedCollection`` over ``PATH...`` with a ``DistributedSampler`` and one with the
block-shuffling variant (each through a DataLoader with a worker), gathers every rank's
cell ids and ``X`` row sums, and (rank 0) writes them to ``OUT_JSON`` by sampler.
"""

from __future__ import annotations

import json
import sys

import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from lamin_pipes.models._mapped._collection import MappedCollection


def main(rank: int, world: int, init_file: str, out: str, paths: list[str]) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    dataset = MappedCollection(paths, obs_keys="cell_id", encode_labels=False, join="outer")
    samplers = {
        "torch": DistributedSampler(dataset, shuffle=True, seed=5),
        "block": dataset.block_sampler(block_size=4, batch_size=8, distributed=True, seed=5),
    }
    result = {}
    for kind, sampler in samplers.items():
        sampler.set_epoch(1)
        loader = DataLoader(dataset, batch_size=8, sampler=sampler, num_workers=1)
        seen: list[tuple[str, float]] = []
        for batch in loader:
            sums = batch["X"].sum(dim=1).tolist()
            seen += list(zip(batch["cell_id"], sums, strict=True))
        gathered: list[list[tuple[str, float]]] = [[] for _ in range(world)]
        dist.all_gather_object(gathered, seen)
        result[kind] = gathered
    if rank == 0:
        with open(out, "w") as handle:
            json.dump(result, handle)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5:])
