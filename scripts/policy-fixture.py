#!/usr/bin/env python3
"""
Writes the tiny test policy in scenes/fixtures/policy/tiny/: a small untrained network with the
shape of a real VLA (two cameras, proprioception, a tokenized instruction → an action chunk),
exported to ONNX, with its manifest, stats.json, vocabulary, and the outputs PyTorch computes for
fixed inputs (expected.json), so the runtimes (onnxruntime-node, onnxruntime-web on WASM and
WebGPU) can be checked against PyTorch. Weights come from torch.manual_seed(0): rerunning gives
the same numbers on one machine.

Run with Debian's Python (python3-torch, python3-onnx): /usr/bin/python3 scripts/policy-fixture.py
"""
import json
import math
import os

import onnx
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(__file__), '..', 'scenes', 'fixtures', 'policy', 'tiny')
CHUNK, ACTION, STATE, TOKENS = 4, 7, 9, 6
VOCAB = ['<pad>', '<unk>', 'pick', 'up', 'the', 'red', 'green', 'blue', 'cube']


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.scene = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.wrist = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.words = nn.Embedding(len(VOCAB), 8)
        self.state = nn.Linear(STATE, 8)
        self.head = nn.Sequential(nn.Linear(4 + 4 + 8 + 8, 32), nn.Tanh(), nn.Linear(32, CHUNK * ACTION))

    def forward(self, image_scene, image_wrist, state, tokens, token_mask):
        # image_wrist comes NHWC uint8 (as the manifest says); the graph converts it.
        wrist = image_wrist.permute(0, 3, 1, 2).float() / 255.0
        mask = token_mask.float().unsqueeze(-1)
        words = (self.words(tokens) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        features = torch.cat([self.scene(image_scene), self.wrist(wrist), words, torch.tanh(self.state(state))], dim=1)
        return self.head(features).reshape(-1, CHUNK, ACTION)


def main():
    torch.manual_seed(0)
    model = Tiny().eval()
    # Fixed inputs from formulas (no random stream), the shapes the manifest gives.
    scene = torch.tensor([[[[((c * 7 + y * 3 + x) % 17) / 16.0 for x in range(32)] for y in range(24)] for c in range(3)]], dtype=torch.float32)
    wrist = torch.tensor([[[[(c * 50 + y * 9 + x * 5) % 256 for c in range(3)] for x in range(16)] for y in range(16)]], dtype=torch.uint8)
    state = torch.tensor([[math.sin(i) for i in range(STATE)]], dtype=torch.float32)
    tokens = torch.tensor([[2, 3, 4, 5, 8, 0]], dtype=torch.int64)
    token_mask = torch.tensor([[1, 1, 1, 1, 1, 0]], dtype=torch.int64)
    inputs = (scene, wrist, state, tokens, token_mask)
    names = ['image_scene', 'image_wrist', 'state', 'tokens', 'token_mask']
    with torch.no_grad():
        actions = model(*inputs)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, 'policy.onnx')
    torch.onnx.export(model, inputs, path, input_names=names, output_names=['actions'], opset_version=17,
                      dynamic_axes={n: {0: 'batch'} for n in names + ['actions']})
    onnx.checker.check_model(onnx.load(path))
    manifest = {
        'simloop_policy': 1,
        'name': 'tiny-test-policy',
        'description': 'Untrained; for runtime tests only (scripts/policy-fixture.py).',
        'robot': 'panda',
        'inputs': {
            'images': [
                {'tensor': 'image_scene', 'camera': 'scene', 'width': 32, 'height': 24, 'fit': 'crop', 'layout': 'NCHW', 'dtype': 'float32', 'range': [0, 1]},
                {'tensor': 'image_wrist', 'camera': 'wrist', 'width': 16, 'height': 16, 'layout': 'NHWC', 'dtype': 'uint8'},
            ],
            'state': {'tensor': 'state', 'quantities': ['joint_positions', 'finger_positions'],
                      'normalization': {'mode': 'mean_std', 'stats_file': 'stats.json', 'feature': 'observation.state'}},
            'instruction': {'ids_tensor': 'tokens', 'mask_tensor': 'token_mask', 'max_length': TOKENS,
                            'tokenizer': {'kind': 'words', 'vocabulary_file': 'vocab.json'}},
        },
        'outputs': {'tensor': 'actions', 'chunk': CHUNK, 'space': 'ee_delta_pose',
                    'normalization': {'mode': 'mean_std', 'stats_file': 'stats.json', 'feature': 'action'}},
        'control': {'hz': 20, 'n_action_steps': 2},
        'graphs': [{'name': 'policy', 'file': 'policy.onnx'}],
    }
    stats = {
        'observation.state': {'mean': [0.0, -0.3, 0.0, -2.2, 0.0, 2.0, 0.8, 0.02, 0.02], 'std': [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.01, 0.01]},
        'action': {'mean': [0.0] * 6 + [0.0], 'std': [0.01] * 3 + [0.05] * 3 + [1.0]},
    }
    with open(os.path.join(OUT, 'policy.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    with open(os.path.join(OUT, 'stats.json'), 'w') as f:
        json.dump(stats, f, indent=2)
        f.write('\n')
    with open(os.path.join(OUT, 'vocab.json'), 'w') as f:
        json.dump(VOCAB, f)
        f.write('\n')
    expected = {
        'inputs': {
            'image_scene': {'dims': list(scene.shape), 'type': 'float32', 'data': scene.flatten().tolist()},
            'image_wrist': {'dims': list(wrist.shape), 'type': 'uint8', 'data': wrist.flatten().tolist()},
            'state': {'dims': list(state.shape), 'type': 'float32', 'data': state.flatten().tolist()},
            'tokens': {'dims': list(tokens.shape), 'type': 'int64', 'data': tokens.flatten().tolist()},
            'token_mask': {'dims': list(token_mask.shape), 'type': 'int64', 'data': token_mask.flatten().tolist()},
        },
        'actions': {'dims': list(actions.shape), 'data': actions.flatten().tolist()},
        'torch': torch.__version__,
    }
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f)
        f.write('\n')
    print(f'wrote {OUT}: policy.onnx ({os.path.getsize(path)} bytes), policy.json, stats.json, vocab.json, expected.json')


def write_unsupported():
    """A graph using an operator no onnxruntime build has (com.example:FancyAttention), for the bad-input tests."""
    from onnx import TensorProto, helper
    x = helper.make_tensor_value_info('state', TensorProto.FLOAT, [1, STATE])
    y = helper.make_tensor_value_info('actions', TensorProto.FLOAT, [1, CHUNK, ACTION])
    node = helper.make_node('FancyAttention', ['state'], ['actions'], domain='com.example')
    model = helper.make_model(helper.make_graph([node], 'unsupported', [x], [y]),
                              opset_imports=[helper.make_opsetid('', 17), helper.make_opsetid('com.example', 1)])
    path = os.path.join(OUT, '..', 'unsupported_op.onnx')
    onnx.save(model, path)
    print(f'wrote {path}')


if __name__ == '__main__':
    main()
    write_unsupported()
