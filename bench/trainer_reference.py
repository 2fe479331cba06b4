#!/usr/bin/env python3
"""PyTorch reference for bench/trainer.ts: the same LoRA training step on the same model shape, on the CPU.

A Qwen2-style decoder (RMSNorm, q/k/v with bias, RoPE theta 1e6, grouped-query attention, SwiGLU MLP, an output
head over the full vocabulary, tied to the embedding when --tied), frozen F32 base weights, LoRA rank r on the
seven linear layers of every block (q, k, v, o, gate, up, down; A ~ N(0, 1/n_in), B = 0, scale alpha/r, as
squill-trainer's fresh adapter), batch 1, mean cross-entropy over the sequence, AdamW on the LoRA tensors only.
The base weights are random: speed and memory do not depend on their values. Threads default to 2, the core
count the trainer benchmark is quoted for (torch.set_num_threads).

Prints one JSON line: {"tok_s", "step_ms", "peak_rss" (bytes, the process's high-water mark), "torch", "threads"}.
  python3 bench/trainer_reference.py --layers 8 --embd 512 --ff 1376 --heads 8 --kv-heads 8 --vocab 151936 --seq 256
"""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn.functional as F


class LoraLinear(torch.nn.Module):
    """A frozen linear layer plus a trainable low-rank update (x A^T B^T) * alpha / r."""

    def __init__(self, n_in, n_out, rank, alpha, bias=False):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(n_out, n_in) * 0.02, requires_grad=False)
        self.bias = torch.nn.Parameter(torch.zeros(n_out), requires_grad=False) if bias else None
        self.lora_a = torch.nn.Parameter(torch.randn(rank, n_in) / math.sqrt(n_in))
        self.lora_b = torch.nn.Parameter(torch.zeros(n_out, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale


class RMSNorm(torch.nn.Module):
    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope(x, cos, sin):
    # x: [heads, T, hd]; rotate_half convention (Qwen2 / NeoX)
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return x * cos + torch.cat((-x2, x1), dim=-1) * sin


class Block(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        e, hd = a.embd, a.embd // a.heads
        kv = hd * a.kv_heads
        self.heads, self.kv_heads, self.hd = a.heads, a.kv_heads, hd
        self.attn_norm, self.ffn_norm = RMSNorm(e), RMSNorm(e)
        self.q = LoraLinear(e, e, a.rank, a.alpha, bias=True)
        self.k = LoraLinear(e, kv, a.rank, a.alpha, bias=True)
        self.v = LoraLinear(e, kv, a.rank, a.alpha, bias=True)
        self.o = LoraLinear(e, e, a.rank, a.alpha)
        self.gate = LoraLinear(e, a.ff, a.rank, a.alpha)
        self.up = LoraLinear(e, a.ff, a.rank, a.alpha)
        self.down = LoraLinear(a.ff, e, a.rank, a.alpha)

    def forward(self, x, cos, sin, mask):
        T = x.shape[0]
        h = self.attn_norm(x)
        q = self.q(h).view(T, self.heads, self.hd).transpose(0, 1)
        k = self.k(h).view(T, self.kv_heads, self.hd).transpose(0, 1)
        v = self.v(h).view(T, self.kv_heads, self.hd).transpose(0, 1)
        q, k = rope(q, cos, sin), rope(k, cos, sin)
        rep = self.heads // self.kv_heads
        k, v = k.repeat_interleave(rep, dim=0), v.repeat_interleave(rep, dim=0)
        att = torch.softmax(q @ k.transpose(1, 2) / math.sqrt(self.hd) + mask, dim=-1)
        x = x + self.o((att @ v).transpose(0, 1).reshape(T, -1))
        h = self.ffn_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(torch.nn.Module):
    def __init__(self, a):
        super().__init__()
        self.embed = torch.nn.Parameter(torch.randn(a.vocab, a.embd) * 0.02, requires_grad=False)
        self.blocks = torch.nn.ModuleList(Block(a) for _ in range(a.layers))
        self.norm = RMSNorm(a.embd)
        self.output = self.embed if a.tied else torch.nn.Parameter(torch.randn(a.vocab, a.embd) * 0.02, requires_grad=False)
        hd = a.embd // a.heads
        inv = 1.0 / (1e6 ** (torch.arange(0, hd, 2).float() / hd))
        ang = torch.outer(torch.arange(a.seq).float(), inv)
        self.cos = torch.cat((ang, ang), dim=-1).cos()
        self.sin = torch.cat((ang, ang), dim=-1).sin()
        self.mask = torch.full((a.seq, a.seq), float('-inf')).triu(1)

    def forward(self, tokens):
        x = self.embed[tokens]
        for b in self.blocks:
            x = b(x, self.cos, self.sin, self.mask)
        return F.linear(self.norm(x), self.output)


def main():
    p = argparse.ArgumentParser()
    for name, default in [('layers', 8), ('embd', 512), ('ff', 1376), ('heads', 8), ('kv-heads', 8), ('vocab', 151936),
                          ('seq', 256), ('rank', 16), ('steps', 5), ('warmup', 2), ('threads', 2)]:
        p.add_argument(f'--{name}', type=int, default=default)
    p.add_argument('--alpha', type=float, default=32.0)
    p.add_argument('--tied', action='store_true')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    model = Model(a)
    params = [t for t in model.parameters() if t.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, weight_decay=0.0)
    tokens = torch.tensor([1000 + (i * 7919) % 50000 for i in range(a.seq)])

    def step():
        # the whole sequence through the model, the loss on the T - 1 next-token predictions: as squill-trainer
        logits = model(tokens)
        loss = F.cross_entropy(logits[:-1], tokens[1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    for _ in range(a.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(a.steps):
        step()
    seconds = time.perf_counter() - t0
    print(json.dumps({
        'tok_s': a.seq * a.steps / seconds,
        'step_ms': seconds / a.steps * 1000,
        'peak_rss': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # ru_maxrss is KiB on Linux
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'trainable_params': sum(t.numel() for t in params),
    }))


if __name__ == '__main__':
    main()
