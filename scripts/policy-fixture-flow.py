#!/usr/bin/env python3
"""
Writes the two-graph test policy in scenes/fixtures/policy/flow/: a vision-language encoder
(scene image, state, instruction → a context vector) and a flow-matching action head run five
times from Gaussian noise (x ← x + dt·v(x, t, context), t from 1 towards 0), the loop written in
the manifest (graphs[1].repeat) rather than in code, as pi0-style exports split them. Untrained;
expected.json holds the inputs, the starting noise and the actions PyTorch computes by running the
same loop, so the runtime's graph program can be checked against it.

Run with Debian's Python (python3-torch, python3-onnx): /usr/bin/python3 scripts/policy-fixture-flow.py
"""
import json
import math
import os

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'scenes', 'fixtures', 'policy', 'flow')
CHUNK, ACTION, STATE, TOKENS, CONTEXT, STEPS = 4, 7, 9, 6, 16, 5
VOCAB = ['<pad>', '<unk>', 'pick', 'up', 'the', 'red', 'green', 'blue', 'cube']


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.scene = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.words = nn.Embedding(len(VOCAB), 8)
        self.state = nn.Linear(STATE, 8)
        self.out = nn.Linear(4 + 8 + 8, CONTEXT)

    def forward(self, image_scene, state, tokens, token_mask):
        mask = token_mask.float().unsqueeze(-1)
        words = (self.words(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return torch.tanh(self.out(torch.cat([self.scene(image_scene), words, torch.tanh(self.state(state))], dim=1)))


class Step(nn.Module):
    """One Euler step of the flow: the velocity field and the update, dt = −1/STEPS."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(CHUNK * ACTION + 1 + CONTEXT, 32), nn.Tanh(), nn.Linear(32, CHUNK * ACTION))

    def forward(self, x_t, t, context):
        flat = x_t.reshape(x_t.shape[0], -1)
        v = self.net(torch.cat([flat, t.reshape(1, 1).expand(flat.shape[0], 1), context], dim=1))
        return x_t - (1.0 / STEPS) * v.reshape(-1, CHUNK, ACTION)


def tensor_json(t, kind):
    return {'dims': list(t.shape), 'type': kind, 'data': t.flatten().tolist()}


def main():
    torch.manual_seed(1)
    encoder, step = Encoder().eval(), Step().eval()
    scene = torch.tensor([[[[((c * 5 + y * 3 + x) % 13) / 12.0 for x in range(32)] for y in range(24)] for c in range(3)]], dtype=torch.float32)
    state = torch.tensor([[math.cos(i) for i in range(STATE)]], dtype=torch.float32)
    tokens = torch.tensor([[2, 3, 4, 6, 8, 0]], dtype=torch.int64)
    token_mask = torch.tensor([[1, 1, 1, 1, 1, 0]], dtype=torch.int64)
    noise = torch.tensor([[[math.sin(3 * (t * ACTION + a) + 1) for a in range(ACTION)] for t in range(CHUNK)]], dtype=torch.float32)
    with torch.no_grad():
        context = encoder(scene, state, tokens, token_mask)
        x = noise
        for k in range(STEPS):
            x = step(x, torch.tensor([1.0 - k / STEPS]), context)
    os.makedirs(OUT, exist_ok=True)
    enc_path, step_path = os.path.join(OUT, 'encoder.onnx'), os.path.join(OUT, 'flow_step.onnx')
    torch.onnx.export(encoder, (scene, state, tokens, token_mask), enc_path, input_names=['image_scene', 'state', 'tokens', 'token_mask'],
                      output_names=['context'], opset_version=17)
    torch.onnx.export(step, (noise, torch.tensor([1.0]), context), step_path, input_names=['x_t', 't', 'context'],
                      output_names=['x_next'], opset_version=17)
    for p in (enc_path, step_path):
        onnx.checker.check_model(onnx.load(p))
    manifest = {
        'simloop_policy': 1,
        'name': 'flow-test-policy',
        'description': 'Untrained two-graph flow-matching policy; for runtime tests only (scripts/policy-fixture-flow.py).',
        'robot': 'panda',
        'inputs': {
            'images': [{'tensor': 'image_scene', 'camera': 'scene', 'width': 32, 'height': 24, 'fit': 'pad', 'layout': 'NCHW', 'dtype': 'float32', 'range': [0, 1]}],
            'state': {'tensor': 'state', 'quantities': ['joint_positions', 'finger_positions'],
                      'normalization': {'mode': 'min_max', 'stats_file': 'stats.json', 'feature': 'observation.state'}},
            'instruction': {'ids_tensor': 'tokens', 'mask_tensor': 'token_mask', 'max_length': TOKENS,
                            'tokenizer': {'kind': 'words', 'vocabulary_file': 'vocab.json'}},
        },
        'outputs': {'tensor': 'x_next', 'chunk': CHUNK, 'space': 'ee_delta_pose',
                    'normalization': {'mode': 'mean_std', 'stats_file': 'stats.json', 'feature': 'action'}},
        'control': {'hz': 10, 'n_action_steps': 4},
        'latents': [{'tensor': 'noise', 'shape': [1, CHUNK, ACTION], 'init': 'normal'}],
        'graphs': [
            {'name': 'encoder', 'file': 'encoder.onnx'},
            {'name': 'flow', 'file': 'flow_step.onnx', 'bind': {'x_t': 'noise'},
             'repeat': {'times': STEPS, 'carry': {'from': 'x_next', 'to': 'noise'}, 'time': {'tensor': 't', 'start': 1, 'end': 0}}},
        ],
    }
    stats = {
        'observation.state': {'min': [-2.9, -1.8, -2.9, -3.1, -2.9, -0.1, -2.9, 0.0, 0.0], 'max': [2.9, 1.8, 2.9, -0.1, 2.9, 3.8, 2.9, 0.04, 0.04]},
        'action': {'mean': [0.0] * ACTION, 'std': [0.05] * 6 + [1.0]},
    }
    for name, value in (('policy.json', manifest), ('stats.json', stats), ('vocab.json', VOCAB)):
        with open(os.path.join(OUT, name), 'w') as f:
            json.dump(value, f, indent=2 if name != 'vocab.json' else None)
            f.write('\n')
    expected = {
        'inputs': {
            'image_scene': tensor_json(scene, 'float32'),
            'state': tensor_json(state, 'float32'),
            'tokens': tensor_json(tokens, 'int64'),
            'token_mask': tensor_json(token_mask, 'int64'),
            'noise': tensor_json(noise, 'float32'),
        },
        'actions': {'dims': list(x.shape), 'data': x.flatten().tolist()},
        'torch': torch.__version__,
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f)
        f.write('\n')
    print(f'wrote {OUT}: encoder.onnx, flow_step.onnx, policy.json, stats.json, vocab.json, expected.json')


if __name__ == '__main__':
    main()
