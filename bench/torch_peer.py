"""PyTorch CPU peer for bench/predict.ts: the same five architectures, with the weights the
tfjs importer loaded, timed on the same batch.

Usage: python3 bench/torch_peer.py DIR [--serve]
DIR holds manifest.json (kind, batch, weights: {layer: [file, ...]}), x.npy (the input, Keras
layout) and y.npy (the imported tfjs model's output). Prints one JSON line: max |torch - tfjs|,
the calibrated iterations per timed run and, unless --serve, per thread count the best and
median samples/s of interleaved timed runs. With --serve it then reads lines "THREADS ITERS" on
stdin and answers each with one timed run's samples/s, so the caller can interleave these runs
with its own (the machine is shared: alternating is fairer than two phases).
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def load(d, files):
    return [torch.from_numpy(np.load(os.path.join(d, f)).astype(np.float32)) for f in files]


class MLP(nn.Module):
    """Dense(512, relu) → Dropout → Dense(512, relu) → Dropout → Dense(10, softmax)."""

    def __init__(self, w):
        super().__init__()
        self.fc = nn.ModuleList()
        for name in ('dense_1', 'dense_2', 'dense_3'):
            k, b = w[name]
            lin = nn.Linear(k.shape[0], k.shape[1])
            lin.weight.data = k.t().contiguous()  # Keras kernel is [in, out], torch [out, in]
            lin.bias.data = b
            self.fc.append(lin)
        self.drop = nn.Dropout(0.2)  # identity in eval mode, kept so the module mirrors the model

    def forward(self, x):
        x = self.drop(F.relu(self.fc[0](x)))
        x = self.drop(F.relu(self.fc[1](x)))
        return F.softmax(self.fc[2](x), dim=-1)


class KerasLSTM(nn.Module):
    """Keras 2 LSTM with recurrent_activation hard_sigmoid. nn.LSTM hard-wires sigmoid gates, so
    the recurrence is written out; the input projection of all steps is one matmul, as Keras does.
    Gate order i, f, c, o (same as torch's i, f, g, o)."""

    def __init__(self, kernel, recurrent, bias, return_sequences):
        super().__init__()
        self.kernel = nn.Parameter(kernel)  # [in, 4u]
        self.recurrent = nn.Parameter(recurrent)  # [u, 4u]
        self.bias = nn.Parameter(bias)
        self.units = recurrent.shape[0]
        self.return_sequences = return_sequences

    def forward(self, x):  # x: [B, T, in]
        B, T, _ = x.shape
        u = self.units
        xz = torch.addmm(self.bias, x.reshape(B * T, -1), self.kernel).reshape(B, T, 4 * u)
        h = x.new_zeros(B, u)
        c = x.new_zeros(B, u)
        hs = []
        for t in range(T):
            z = torch.addmm(xz[:, t], h, self.recurrent)
            i, f, g, o = z.split(u, dim=1)
            # Keras 2 / tfjs hard_sigmoid is clip(0.2x + 0.5, 0, 1), not torch's x/6 + 0.5
            i = torch.clamp(0.2 * i + 0.5, 0, 1)
            f = torch.clamp(0.2 * f + 0.5, 0, 1)
            o = torch.clamp(0.2 * o + 0.5, 0, 1)
            c = f * c + i * torch.tanh(g)
            h = o * torch.tanh(c)
            if self.return_sequences:
                hs.append(h)
        return torch.stack(hs, dim=1) if self.return_sequences else h


class LSTM2(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.l1 = KerasLSTM(*w['lstm_1'], return_sequences=True)
        self.l2 = KerasLSTM(*w['lstm_2'], return_sequences=False)
        k, b = w['dense_1']
        self.fc = nn.Linear(k.shape[0], k.shape[1])
        self.fc.weight.data = k.t().contiguous()
        self.fc.bias.data = b

    def forward(self, x):
        return torch.sigmoid(self.fc(self.l2(self.l1(x))))


def same_pad(k, s, n):
    """TF 'same' padding (left, right) for kernel k, stride s, input size n: the extra pixel
    goes right/bottom, which torch's symmetric `padding=` cannot express for stride 2."""
    out = -(-n // s)
    total = max((out - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class ConvSame(nn.Module):
    def __init__(self, kernel, bias, stride, size):
        super().__init__()
        kh, kw, cin, cout = kernel.shape
        pl, pr = same_pad(kh, stride, size)
        self.pad = None if pl == pr else (pl, pr, pl, pr)
        self.conv = nn.Conv2d(cin, cout, kh, stride, padding=pl if pl == pr else 0, bias=bias is not None)
        self.conv.weight.data = kernel.permute(3, 2, 0, 1).contiguous()  # HWIO → OIHW
        if bias is not None:
            self.conv.bias.data = bias

    def forward(self, x):
        return self.conv(F.pad(x, self.pad) if self.pad else x)


def bn(w, eps=1e-3):
    gamma, beta, mean, var = w
    m = nn.BatchNorm2d(gamma.shape[0], eps=eps)
    m.weight.data, m.bias.data, m.running_mean.data, m.running_var.data = gamma, beta, mean, var
    return m


class ResNet8(nn.Module):
    """mlcommons/tiny ResNet8 (names as in the Keras file; conv2d_5 / _8 are the 1×1 shortcuts)."""

    def __init__(self, w):
        super().__init__()

        def conv(i, stride, size):
            name = 'conv2d' if i == 0 else f'conv2d_{i}'
            ws = w[name]
            return ConvSame(ws[0], ws[1] if len(ws) > 1 else None, stride, size)

        B = lambda i: bn(w['batch_normalization' if i == 0 else f'batch_normalization_{i}'])
        self.c0, self.b0 = conv(0, 1, 32), B(0)
        self.c1, self.b1 = conv(1, 1, 32), B(1)
        self.c2, self.b2 = conv(2, 1, 32), B(2)
        self.c3, self.b3 = conv(3, 2, 32), B(3)
        self.c4, self.b4 = conv(4, 1, 16), B(4)
        self.c5 = conv(5, 2, 32)
        self.c6, self.b5 = conv(6, 2, 16), B(5)
        self.c7, self.b6 = conv(7, 1, 8), B(6)
        self.c8 = conv(8, 2, 16)
        k, b = w['dense']
        self.fc = nn.Linear(k.shape[0], k.shape[1])
        self.fc.weight.data = k.t().contiguous()
        self.fc.bias.data = b

    def forward(self, x):  # x: NCHW
        h = F.relu(self.b0(self.c0(x)))
        y = F.relu(self.b1(self.c1(h)))
        y = self.b2(self.c2(y))
        h = F.relu(h + y)
        y = F.relu(self.b3(self.c3(h)))
        y = self.b4(self.c4(y))
        h = F.relu(self.c5(h) + y)
        y = F.relu(self.b5(self.c6(h)))
        y = self.b6(self.c7(y))
        h = F.relu(self.c8(h) + y)
        h = F.avg_pool2d(h, 8)
        # Keras flattens NHWC; after the 8×8 pool H = W = 1, so NCHW flatten is the same order
        return F.softmax(self.fc(torch.flatten(h, 1)), dim=-1)


def keras_gru(kernel, recurrent, bias, return_sequences):
    """Keras 3 GRU (reset_after=True, sigmoid / tanh) as torch's nn.GRU, whose cell is the same
    math (reset gate applied to the recurrent projection plus its bias). Keras stacks the gates
    z, r, h along the last axis of [in, 3u] kernels; torch stacks r, z, n along the first of
    [3u, in] weights. Keras' bias is [2, 3u]: row 0 input bias, row 1 recurrent bias."""
    u = recurrent.shape[0]
    order = lambda t: torch.cat([t[..., u:2 * u], t[..., :u], t[..., 2 * u:]], dim=-1)  # z,r,h → r,z,h
    g = nn.GRU(kernel.shape[0], u, batch_first=True)
    g.weight_ih_l0.data = order(kernel).t().contiguous()
    g.weight_hh_l0.data = order(recurrent).t().contiguous()
    g.bias_ih_l0.data = order(bias[0]).contiguous()
    g.bias_hh_l0.data = order(bias[1]).contiguous()
    return g, return_sequences


class GRU2(nn.Module):
    """GRU(64, return_sequences) → GRU(64) → Dense(10), bench/models/gru2.keras."""

    def __init__(self, w):
        super().__init__()
        self.g1, _ = keras_gru(*w['gru_1'], True)
        self.g2, _ = keras_gru(*w['gru_2'], False)
        k, b = w['dense']
        self.fc = nn.Linear(k.shape[0], k.shape[1])
        self.fc.weight.data = k.t().contiguous()
        self.fc.bias.data = b

    def forward(self, x):
        h, _ = self.g1(x)
        _, hn = self.g2(h)  # final state [1, B, u] = last step of the sequence
        return self.fc(hn[0])


class Attn(nn.Module):
    """MultiHeadAttention(4 heads, key_dim 16) self-attention + residual + LayerNorm → mean over
    time → Dense(10), bench/models/attn.keras. Keras' per-head kernels [64, heads, key_dim] flatten
    head-major to [64, 64], the same column split nn.MultiheadAttention uses for its heads; both
    scale scores by 1/sqrt(key_dim) (= head_dim here)."""

    def __init__(self, w):
        super().__init__()
        qk, qb, kk, kb, vk, vb, ok, ob = w['mha']
        e = qk.shape[0]
        heads = qk.shape[1]
        assert heads * qk.shape[2] == e, 'nn.MultiheadAttention needs heads × key_dim = embed dim'
        self.mha = nn.MultiheadAttention(e, heads, batch_first=True)
        flat = lambda k: k.reshape(e, -1).t()  # [in, heads, d] → torch [heads*d, in]
        self.mha.in_proj_weight.data = torch.cat([flat(qk), flat(kk), flat(vk)], 0).contiguous()
        self.mha.in_proj_bias.data = torch.cat([qb.reshape(-1), kb.reshape(-1), vb.reshape(-1)])
        self.mha.out_proj.weight.data = ok.reshape(-1, e).t().contiguous()  # [heads, d, out] → [out, heads*d]
        self.mha.out_proj.bias.data = ob
        gamma, beta = w['ln']
        self.ln = nn.LayerNorm(e, eps=1e-3)  # Keras' default epsilon
        self.ln.weight.data, self.ln.bias.data = gamma, beta
        k, b = w['dense']
        self.fc = nn.Linear(k.shape[0], k.shape[1])
        self.fc.weight.data = k.t().contiguous()
        self.fc.bias.data = b

    def forward(self, x):
        a, _ = self.mha(x, x, x, need_weights=False)
        return self.fc(self.ln(x + a).mean(dim=1))


def rate(m, x, iters):
    t0 = time.perf_counter()
    for _ in range(iters):
        m(x)
    return iters * x.shape[0] / (time.perf_counter() - t0)


def main():
    d = sys.argv[1]
    man = json.load(open(os.path.join(d, 'manifest.json')))
    w = {name: load(d, files) for name, files in man['weights'].items()}
    x = np.load(os.path.join(d, 'x.npy'))
    y_tfjs = np.load(os.path.join(d, 'y.npy'))
    kind = man['kind']
    if kind == 'resnet8':
        m = ResNet8(w)
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # the peer takes torch's native NCHW
    elif kind == 'lstm2':
        m = LSTM2(w)
    elif kind == 'mlp':
        m = MLP(w)
    elif kind == 'gru2':
        m = GRU2(w)
    elif kind == 'attn':
        m = Attn(w)
    else:
        raise SystemExit(f'torch_peer: unknown model kind {kind!r}')
    m.eval()
    xt = torch.from_numpy(x)
    torch.set_num_interop_threads(1)
    out = {'torch': torch.__version__, 'python': sys.executable}
    with torch.no_grad():
        torch.set_num_threads(1)
        out['maxdiff'] = float(np.abs(m(xt).numpy() - y_tfjs).max())
        for _ in range(3):
            m(xt)
        r = rate(m, xt, 2)
        iters = max(1, round(0.2 * r / x.shape[0]))  # ~0.2 s per timed run, as the tfjs side
        out['iters'] = iters
        if '--serve' in sys.argv:
            print(json.dumps(out), flush=True)
            for line in sys.stdin:
                if not line.strip():
                    break
                n, it = map(int, line.split())
                torch.set_num_threads(n)
                c0 = time.process_time()
                r = rate(m, xt, it)
                # also samples per CPU-second: on a loaded machine a 1-thread run's CPU time is its
                # compute, whatever share of a core it got
                print(r, it * x.shape[0] / (time.process_time() - c0), flush=True)
            return
        threads = man.get('threads', [1, 2])
        runs = {n: [] for n in threads}
        for rep in range(man.get('reps', 12)):
            # interleave thread counts so machine noise hits both alike
            for n in (threads if rep % 2 == 0 else threads[::-1]):
                torch.set_num_threads(n)
                runs[n].append(rate(m, xt, iters))
        out['threads'] = {str(n): {'best': max(v), 'median': float(np.median(v))} for n, v in runs.items()}
    print(json.dumps(out))


if __name__ == '__main__':
    main()
