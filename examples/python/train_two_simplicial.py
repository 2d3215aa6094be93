#!/usr/bin/env python3
"""Train a tiny model with one 2-simplicial attention layer (sethkit.torch, on
CPU) on a task that needs triples: each sequence holds random digits mod P, two
of its positions are marked, and the last position must output the sum of the
two marked digits mod P. One query has to combine two other tokens at once,
which is what a (query, key1, key2) score does directly.

    /usr/bin/python3 examples/python/train_two_simplicial.py [--steps 300]
"""

import argparse

import torch

import sethkit.torch as st

P, SEQ, DIM, HEADS = 5, 8, 32, 4


def batch(n, gen):
    digits = torch.randint(0, P, (n, SEQ), generator=gen)
    marked = torch.stack([torch.randperm(SEQ - 1, generator=gen)[:2] for _ in range(n)])
    flags = torch.zeros(n, SEQ, dtype=torch.long)
    flags.scatter_(1, marked, 1)
    flags[:, -1] = 2  # the query position
    target = (digits.gather(1, marked).sum(1)) % P
    return digits, flags, target


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.digit = torch.nn.Embedding(P, DIM)
        self.flag = torch.nn.Embedding(3, DIM)
        self.attn = st.TwoSimplicialAttention(DIM, HEADS)
        self.head = torch.nn.Sequential(torch.nn.Linear(2 * DIM, 64), torch.nn.ReLU(), torch.nn.Linear(64, P))

    def forward(self, digits, flags):
        x = self.digit(digits) + self.flag(flags)
        y = self.attn(x)
        return self.head(torch.cat([x[:, -1], y[:, -1]], dim=-1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    model = Model()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    test = batch(512, gen)
    first = None
    for step in range(1, args.steps + 1):
        digits, flags, target = batch(args.batch, gen)
        loss = torch.nn.functional.cross_entropy(model(digits, flags), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        first = loss.item() if first is None else first
        if step % max(1, args.steps // 10) == 0 or step == args.steps:
            with torch.no_grad():
                accuracy = (model(test[0], test[1]).argmax(-1) == test[2]).float().mean().item()
            print(f"step {step:4d}  loss {loss.item():.4f}  held-out accuracy {accuracy:.3f} (chance {1 / P:.3f})")
    print(f"loss {first:.4f} -> {loss.item():.4f}")


if __name__ == "__main__":
    main()
