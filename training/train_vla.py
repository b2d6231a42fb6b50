#!/usr/bin/env python3
"""
Trains Simloop's demo vision-language-action policy on demonstrations from `simloop demos`
(robomimic-style HDF5 with the scene and wrist camera images) and exports a policy package:
policy.onnx, policy.json (the manifest, docs/POLICY.md), stats.json (LeRobot's layout), vocab.json
and training.json (what was trained on, the loss curve).

The network (small enough to train on a laptop CPU and run at well over 30 Hz in WASM):
- one CNN per camera (64×64 RGB), each block modulated by the instruction (FiLM), so the colour
  named in the instruction decides which features matter;
- the instruction as word embeddings, mean-pooled over the words present;
- proprioception (7 joint positions, 2 finger positions), normalised with mean/std;
- an MLP head predicting a chunk of CHUNK end-effector actions (normalised with mean/std), trained
  with an L1 loss, as ACT does; images get random shifts (pad + crop) while training.

Only PyTorch, NumPy and h5py are used (Debian: python3-torch, python3-numpy, python3-h5py; ONNX
export needs python3-onnx). Run:

  /usr/bin/python3 training/train_vla.py --hdf5 out/demos/robomimic.hdf5 --out public/policies/pick-cube
"""
import argparse
import json
import math
import os
import re
import sys
import time

import h5py
import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

CHUNK = 8
ACTION_DIM = 7
# The state the policy sees: robomimic obs keys and the manifest's matching quantities, in order.
# `features` is a robot profile's features (LeRobot's observation.state, e.g. the SO-101's joints in
# degrees), named in the manifest by the names the LeRobot dataset beside the HDF5 file gives them.
STATE_SOURCES = {'joint_positions': 'robot0_joint_pos', 'finger_positions': 'robot0_gripper_qpos', 'ee_position': 'robot0_eef_pos', 'features': 'robot0_features'}
CAMERAS = ('scene', 'wrist')
PAD, UNK = '<pad>', '<unk>'


def words(text):
    return re.findall(r'[^\W_]+', text.lower())


def load_demos(paths, quantities, cameras):
    """Successful demos from robomimic-style files: images, state, actions, instruction."""
    demos = []
    keys = [STATE_SOURCES[q] for q in quantities]
    for path in paths:
        with h5py.File(path, 'r') as f:
            for name in sorted(f['data'].keys(), key=lambda n: int(n.split('_')[1])):
                d = f['data'][name]
                if int(d.attrs.get('success', 1)) != 1:
                    continue
                obs = d['obs']
                missing = [k for k in [f'{c}_image' for c in cameras] + keys if k not in obs]
                if missing:
                    sys.exit(f'{path}: data/{name}/obs has no {", ".join(missing)} (record with cameras: simloop demos without --no-cameras)')
                instruction = d.attrs['instruction']
                if isinstance(instruction, bytes):
                    instruction = instruction.decode('utf-8')
                actions = np.asarray(d['actions'][()], dtype=np.float32)
                demos.append({
                    'images': {c: np.asarray(obs[f'{c}_image'][()], dtype=np.uint8) for c in cameras},
                    'state': np.concatenate([np.asarray(obs[k][()], dtype=np.float32) for k in keys], axis=1),
                    'actions': actions,
                    # DART demos (simloop demos --action-noise): how far the commanded pose was off
                    # the expert's path at each step, which that step's action undoes.
                    'offset': np.asarray(obs['dart_offset'][()], dtype=np.float32) if 'dart_offset' in obs else np.zeros((len(actions), 6), np.float32),
                    'instruction': str(instruction),
                })
    if not demos:
        sys.exit(f'no successful demos in {", ".join(paths)}')
    return demos


def long_holds(d, keep=3, motion=5e-4, turn=5e-3):
    """Steps of the expert's wait with the gripper closed beyond the first `keep`.

    The expert waits a fixed 12 steps after closing before it lifts. The observations during that
    wait barely change (the fingers squeeze a little), so a cloned policy cannot tell how long it
    has waited: it averages "wait" and "lift" into a creep, and can stall there for good (what the
    evaluation traces show). Dropping the wait past its first steps, as idle frames are dropped
    from teleoperated data, makes "gripper closed on the cube" mean "lift". A step's own motion is
    the path's (action + DART offset), not the correction.
    """
    path = d['actions'][:, :6] + d['offset']
    holding = (np.linalg.norm(path[:, :3], axis=1) < motion) & (np.linalg.norm(path[:, 3:6], axis=1) < turn) & (d['actions'][:, 6] >= 0)
    out = np.zeros(len(holding), dtype=bool)
    run = 0
    for t, h in enumerate(holding):
        run = run + 1 if h else 0
        out[t] = run > keep
    return out


def feature_stats(x):
    """LeRobot's stats.json entry for an N×D array."""
    q = lambda p: np.quantile(x, p, axis=0).tolist()
    return {'min': x.min(0).tolist(), 'max': x.max(0).tolist(), 'mean': x.mean(0).tolist(), 'std': x.std(0).tolist(),
            'count': [int(x.shape[0])], 'q01': q(0.01), 'q10': q(0.10), 'q50': q(0.50), 'q90': q(0.90), 'q99': q(0.99)}


class FiLMConv(nn.Module):
    def __init__(self, cin, cout, kernel, stride, lang_dim):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=kernel // 2)
        self.norm = nn.GroupNorm(8, cout)
        self.film = nn.Linear(lang_dim, 2 * cout)

    def forward(self, x, lang):
        gamma, beta = self.film(lang).unsqueeze(-1).unsqueeze(-1).chunk(2, dim=1)
        return F.relu(self.norm(self.conv(x)) * (1 + gamma) + beta)


class CameraEncoder(nn.Module):
    def __init__(self, lang_dim, size, out_dim=128):
        super().__init__()
        self.blocks = nn.ModuleList([FiLMConv(3, 32, 5, 2, lang_dim), FiLMConv(32, 64, 3, 2, lang_dim), FiLMConv(64, 64, 3, 2, lang_dim), FiLMConv(64, 64, 3, 2, lang_dim)])
        # Four stride-2 blocks: a 64×64 image becomes 4×4.
        side = lambda n: math.ceil(n / 16)
        self.out = nn.Linear(64 * side(size[0]) * side(size[1]), out_dim)

    def forward(self, image, lang):
        x = image
        for block in self.blocks:
            x = block(x, lang)
        return F.relu(self.out(x.flatten(1)))


class DemoVLA(nn.Module):
    def __init__(self, vocab_size, size, state_dim=9, lang_dim=64):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, lang_dim)
        self.lang = nn.Sequential(nn.Linear(lang_dim, lang_dim), nn.ReLU())
        self.cameras = nn.ModuleList([CameraEncoder(lang_dim, size) for _ in range(2)])
        self.state = nn.Sequential(nn.Linear(state_dim, 64), nn.ReLU())
        self.head = nn.Sequential(nn.Linear(128 * 2 + 64 + lang_dim, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, CHUNK * ACTION_DIM))

    def forward(self, image_scene, image_wrist, state, tokens, token_mask):
        mask = token_mask.to(torch.float32).unsqueeze(-1)
        lang = (self.embed(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        lang = self.lang(lang)
        features = [enc(img, lang) for enc, img in zip(self.cameras, (image_scene, image_wrist))]
        x = torch.cat(features + [self.state(state), lang], dim=1)
        return self.head(x).reshape(-1, CHUNK, ACTION_DIM)


def random_shift(images, pad=4):
    """DrQ-style augmentation: pad by replication and crop back at a random offset per image."""
    n, c, h, w = images.shape
    padded = F.pad(images, (pad, pad, pad, pad), mode='replicate')
    xs = torch.randint(0, 2 * pad + 1, (n,))
    ys = torch.randint(0, 2 * pad + 1, (n,))
    return torch.stack([padded[i, :, ys[i]:ys[i] + h, xs[i]:xs[i] + w] for i in range(n)])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--hdf5', nargs='+', required=True, help='robomimic.hdf5 files from simloop demos')
    parser.add_argument('--out', required=True, help='folder for the policy package')
    parser.add_argument('--steps', type=int, default=6000, help='gradient steps')
    parser.add_argument('--batch', type=int, default=64)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=max(1, os.cpu_count() or 1))
    parser.add_argument('--name', default='pick-cube-demo-vla')
    parser.add_argument('--n-action-steps', type=int, default=1)
    parser.add_argument('--state', default='joint_positions,finger_positions',
                        help=f'proprioceptive quantities, in order, from: {", ".join(STATE_SOURCES)}')
    parser.add_argument('--hold-steps', type=int, default=3,
                        help='steps of the expert\'s closed-gripper wait to keep (see long_holds); negative keeps them all')
    parser.add_argument('--temporal-ensemble', type=float, default=0.01, help='ACT coefficient; negative for none')
    parser.add_argument('--cameras', default=','.join(CAMERAS), help='the two cameras, as the demos name them (the Panda: scene,wrist; the SO-101: front,wrist)')
    parser.add_argument('--robot', default='panda', help='the robot profile the policy is for (its manifest robot): panda, so101, ...')
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    started = time.time()
    quantities = [q.strip() for q in args.state.split(',') if q.strip()]
    unknown = [q for q in quantities if q not in STATE_SOURCES]
    if unknown or not quantities:
        sys.exit(f'--state: expected quantities from {", ".join(STATE_SOURCES)}, got "{args.state}"')
    cameras = [c.strip() for c in args.cameras.split(',') if c.strip()]
    if len(cameras) != 2:
        sys.exit(f'--cameras: expected two camera names, got "{args.cameras}"')
    if 'features' in quantities and len(quantities) > 1:
        sys.exit('--state: features is the whole state (the robot profile\'s); give it alone')
    # The LeRobot dataset beside each HDF5 file (simloop demos --format hdf5,lerobot) names the features and the rate.
    info = None
    info_path = os.path.join(os.path.dirname(os.path.abspath(args.hdf5[0])), 'lerobot', 'meta', 'info.json')
    if os.path.exists(info_path):
        info = json.load(open(info_path))
    if quantities == ['features'] and info is None:
        sys.exit(f'--state features: {info_path} is missing (record with --format hdf5,lerobot: its info.json names the features)')
    feature_names = info['features']['observation.state']['names'] if quantities == ['features'] else None
    hz = info['fps'] if info is not None else 20
    demos = load_demos(args.hdf5, quantities, cameras)
    dropped = 0
    if args.hold_steps >= 0:
        for d in demos:
            keep = ~long_holds(d, args.hold_steps)
            dropped += int((~keep).sum())
            for key in ('state', 'actions', 'offset'):
                d[key] = d[key][keep]
            d['images'] = {c: v[keep] for c, v in d['images'].items()}
    size = demos[0]['images'][cameras[0]].shape[1:3]
    for d in demos:
        for c in cameras:
            if d['images'][c].shape[1:3] != size:
                sys.exit(f'camera images differ in size ({d["images"][c].shape[1:3]} vs {size}); record all demos with one --image-size')

    vocabulary = [PAD, UNK] + sorted({w for d in demos for w in words(d['instruction'])})
    index = {w: i for i, w in enumerate(vocabulary)}
    max_length = max(len(words(d['instruction'])) for d in demos) + 2

    def tokenize(text):
        ids = [index.get(w, 1) for w in words(text)][:max_length]
        return ids + [0] * (max_length - len(ids)), [1] * len(ids) + [0] * (max_length - len(ids))

    states = np.concatenate([d['state'] for d in demos])
    actions = np.concatenate([d['actions'] for d in demos])
    stats = {'observation.state': feature_stats(states), 'action': feature_stats(actions)}
    s_mean, s_std = states.mean(0), states.std(0) + 1e-8
    a_mean, a_std = actions.mean(0), actions.std(0) + 1e-8

    # Every (demo, step) with the chunk of actions from it (the last action repeated past the end).
    # In DART demos a step's action is the expert's correction back onto its path; the actions
    # after it in the chunk are the path's own steps (action + offset), not corrections of
    # perturbations still to come, which nothing in the observation can foretell.
    images = {c: torch.from_numpy(np.concatenate([d['images'][c] for d in demos])).permute(0, 3, 1, 2).contiguous() for c in cameras}
    state_n = torch.from_numpy((states - s_mean) / s_std).float()
    chunks, tokens, masks = [], [], []
    for d in demos:
        a = (d['actions'] - a_mean) / a_std
        path = d['actions'].copy()
        path[:, :6] += d['offset']
        path = (path - a_mean) / a_std
        padded = np.concatenate([path, np.repeat(path[-1:], CHUNK - 1, axis=0)])
        chunks.append(np.stack([np.concatenate([a[t:t + 1], padded[t + 1:t + CHUNK]]) for t in range(len(a))]))
        ids, mask = tokenize(d['instruction'])
        tokens.append(np.repeat([ids], len(a), axis=0))
        masks.append(np.repeat([mask], len(a), axis=0))
    chunks = torch.from_numpy(np.concatenate(chunks)).float()
    tokens = torch.from_numpy(np.concatenate(tokens)).long()
    masks = torch.from_numpy(np.concatenate(masks)).long()
    n = chunks.shape[0]
    print(f'{len(demos)} demos, {n} samples ({dropped} waiting steps dropped), images {size[1]}×{size[0]}, vocabulary {len(vocabulary)} words', flush=True)

    state_dim = states.shape[1]
    model = DemoVLA(len(vocabulary), (int(size[0]), int(size[1])), state_dim=state_dim)
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda s: min(1.0, (s + 1) / 200) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max(1, args.steps)))))
    losses = []
    model.train()
    for step in range(args.steps):
        batch = torch.randint(0, n, (args.batch,))
        scene = random_shift(images[cameras[0]][batch].float() / 255.0)
        wrist = random_shift(images[cameras[1]][batch].float() / 255.0)
        predicted = model(scene, wrist, state_n[batch], tokens[batch], masks[batch])
        loss = F.l1_loss(predicted, chunks[batch])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        losses.append(float(loss))
        if step % 100 == 0 or step == args.steps - 1:
            recent = sum(losses[-100:]) / len(losses[-100:])
            print(f'step {step + 1}/{args.steps}  loss {recent:.4f}  {time.time() - started:.0f} s', flush=True)

    model.eval()
    os.makedirs(args.out, exist_ok=True)
    h, w = int(size[0]), int(size[1])
    example = (torch.zeros(1, 3, h, w), torch.zeros(1, 3, h, w), torch.zeros(1, state_dim), torch.zeros(1, max_length, dtype=torch.long), torch.ones(1, max_length, dtype=torch.long))
    names = [f'image_{cameras[0]}', f'image_{cameras[1]}', 'state', 'tokens', 'token_mask']
    torch.onnx.export(model, example, os.path.join(args.out, 'policy.onnx'), input_names=names, output_names=['actions'], opset_version=17,
                      dynamic_axes={k: {0: 'batch'} for k in names + ['actions']})
    try:
        import onnx
        onnx.checker.check_model(onnx.load(os.path.join(args.out, 'policy.onnx')))
    except ImportError:
        print('python3-onnx is not installed: the graph was exported but not checked', flush=True)
    ensemble = args.temporal_ensemble if args.temporal_ensemble >= 0 else None
    manifest = {
        'simloop_policy': 2,
        'name': args.name,
        'description': f'Trained by training/train_vla.py on {len(demos)} demonstrations ({n} steps), {args.steps} steps, seed {args.seed}.',
        'robot': args.robot,
        'inputs': {
            'images': [{'tensor': f'image_{c}', 'camera': c, 'width': w, 'height': h, 'fit': 'stretch', 'layout': 'NCHW', 'dtype': 'float32', 'range': [0, 1]} for c in cameras],
            'state': {'tensor': 'state', **({'features': feature_names} if feature_names else {'quantities': quantities}),
                      'normalization': {'mode': 'mean_std', 'stats_file': 'stats.json', 'feature': 'observation.state'}},
            'instruction': {'ids_tensor': 'tokens', 'mask_tensor': 'token_mask', 'max_length': max_length,
                            'tokenizer': {'kind': 'words', 'vocabulary_file': 'vocab.json'}},
        },
        'outputs': {'tensor': 'actions', 'chunk': CHUNK, 'space': 'ee_delta_pose',
                    'normalization': {'mode': 'mean_std', 'stats_file': 'stats.json', 'feature': 'action'},
                    'limits': {'low': [-0.05] * 3 + [-0.5] * 3 + [-1.0], 'high': [0.05] * 3 + [0.5] * 3 + [1.0]}},
        'control': {'hz': hz, 'n_action_steps': 1 if ensemble is not None else args.n_action_steps, 'temporal_ensemble': ensemble},
        'graphs': [{'name': 'policy', 'file': 'policy.onnx'}],
    }
    # The normalisers in TypeScript add eps to std; the trained network saw std + 1e-8 too.
    write = lambda name, value: open(os.path.join(args.out, name), 'w').write(json.dumps(value, indent=2) + '\n')
    write('policy.json', manifest)
    write('stats.json', stats)
    write('vocab.json', vocabulary)
    write('training.json', {
        'hdf5': [os.path.join(os.path.basename(os.path.dirname(os.path.abspath(p))), os.path.basename(p)) for p in args.hdf5], 'demos': len(demos), 'samples': n, 'steps': args.steps, 'batch': args.batch,
        'lr': args.lr, 'seed': args.seed, 'state': quantities, 'hold_steps': args.hold_steps, 'dropped_waiting_steps': dropped, 'seconds': round(time.time() - started, 1), 'torch': torch.__version__,
        'parameters': sum(p.numel() for p in model.parameters()),
        'loss_every_100_steps': [round(sum(losses[i:i + 100]) / len(losses[i:i + 100]), 5) for i in range(0, len(losses), 100)],
    })
    print(f'wrote {args.out}: policy.onnx, policy.json, stats.json, vocab.json, training.json ({time.time() - started:.0f} s)', flush=True)


if __name__ == '__main__':
    main()
