#!/usr/bin/env python3
"""
Serves a Simloop policy package over openpi's WebSocket protocol, so `simloop eval` and the
studio's Policy tab can evaluate it as they evaluate π0, π0.5 or any model behind openpi's
`serve_policy.py`. It is also the smallest example of wrapping your own model: replace
`SimloopPolicy` with a class whose `infer(obs)` returns {"actions": array[chunk, action_dim]}.

The protocol (as openpi's websocket_policy_server.py and openpi_client implement it):
- on connect the server sends a metadata map;
- each request is a msgpack map of observation keys; NumPy arrays travel as maps with the bytes
  keys __ndarray__, data, dtype (NumPy's dtype.str) and shape;
- the reply is a map with the action chunk under "actions" and server_timing.infer_ms;
- when inference fails the server sends the traceback as a text frame and closes (1011);
- GET /healthz answers 200 "OK".

Observation keys (openpi's LIBERO layout; public/policies/pick-cube-remote/policy.json says the same):
  observation/image        uint8 [H, W, 3], the scene camera
  observation/wrist_image  uint8 [H, W, 3], the wrist camera
  observation/state        float [D], the package's state quantities in order
  prompt                   str, the instruction

The network runs in PyTorch (Debian: python3-torch) with the weights read from the package's
policy.onnx (python3-onnx), and the package's own pre- and post-processing (stats.json
normalisation, the word vocabulary, the action limits), written to give the same numbers as
Simloop's in-tab runtime. Needs python3-websockets and python3-msgpack. Run:

  /usr/bin/python3 training/serve_policy.py --policy public/policies/pick-cube/policy.json --port 8000
"""
import argparse
import asyncio
import http
import json
import os
import re
import sys
import time
import traceback

import numpy as np
import torch
import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from openpi_msgpack import packb, unpackb  # noqa: E402  (openpi's wire format)
from train_vla import DemoVLA  # noqa: E402  (the network train_vla.py trains and exports)


# --- the policy ---------------------------------------------------------------------------------

def onnx_weights(path):
    """The network's parameters from the exported graph, by the PyTorch module's names.

    torch.onnx.export keeps parameter names for most layers; GroupNorm's affine weight and bias are
    folded into the Mul and Add after each InstanceNormalization, so those are found by walking the
    graph from each convolution.
    """
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    init = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    weights = {name: value for name, value in init.items() if not name.startswith('onnx::')}
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for node in model.graph.node:
        if node.op_type != 'Conv' or not node.input[1].endswith('.conv.weight'):
            continue
        block = node.input[1][:-len('.conv.weight')]
        # Conv → Reshape → InstanceNormalization → Reshape → Mul(norm.weight) → Add(norm.bias)
        frontier, found = [node.output[0]], {}
        for _ in range(8):
            nxt = []
            for out in frontier:
                for c in consumers.get(out, []):
                    folded = [i for i in c.input if i in init and i.startswith('onnx::')]
                    if c.op_type == 'Mul' and folded and 'weight' not in found:
                        found['weight'] = init[folded[0]].reshape(-1)
                    elif c.op_type == 'Add' and folded and 'weight' in found and 'bias' not in found:
                        found['bias'] = init[folded[0]].reshape(-1)
                    nxt.extend(c.output)
            frontier = nxt
            if len(found) == 2:
                break
        if len(found) != 2:
            raise ValueError(f'{path}: could not find the group norm after {block}.conv')
        weights[f'{block}.norm.weight'] = found['weight']
        weights[f'{block}.norm.bias'] = found['bias']
    return weights


class SimloopPolicy:
    """A Simloop policy package (policy.json beside policy.onnx, stats.json, vocab.json) in PyTorch."""

    def __init__(self, manifest_path):
        folder = os.path.dirname(os.path.abspath(manifest_path))
        with open(manifest_path) as f:
            self.manifest = m = json.load(f)
        if m.get('graphs') is None or len(m['graphs']) != 1:
            raise ValueError(f'{manifest_path}: expected a one-graph package trained by train_vla.py')
        inputs, outputs = m['inputs'], m['outputs']
        self.images = inputs['images']
        self.size = (self.images[0]['height'], self.images[0]['width'])
        with open(os.path.join(folder, 'stats.json')) as f:
            stats = json.load(f)

        def normaliser(spec):
            if spec['mode'] != 'mean_std':
                raise ValueError(f'{manifest_path}: only mean_std normalisation is served here')
            s = stats[spec['feature']] if 'stats_file' in spec else spec
            mean = np.asarray(s['mean'], np.float64)
            # Simloop's (and LeRobot's) formula: (x − mean) / (std + 1e-8), as a scale.
            return mean, 1.0 / (np.asarray(s['std'], np.float64) + 1e-8)

        self.state_mean, self.state_scale = normaliser(inputs['state']['normalization'])
        self.action_mean, self.action_scale = normaliser(outputs['normalization'])
        limits = outputs.get('limits')
        self.low = np.asarray(limits['low'], np.float64) if limits else None
        self.high = np.asarray(limits['high'], np.float64) if limits else None
        tok = inputs['instruction']
        with open(os.path.join(folder, tok['tokenizer']['vocabulary_file'])) as f:
            self.vocab = json.load(f)
        self.index = {}
        for i, word in enumerate(self.vocab):
            self.index.setdefault(word, i)
        self.max_length = tok['max_length']
        self.pad = self.index[tok['tokenizer'].get('pad', '<pad>')]
        self.unknown = self.index[tok['tokenizer'].get('unknown', '<unk>')]

        self.net = DemoVLA(len(self.vocab), self.size, state_dim=len(self.state_mean))
        weights = onnx_weights(os.path.join(folder, m['graphs'][0]['file']))
        state = {k: torch.from_numpy(np.array(v)) for k, v in weights.items()}
        missing = set(self.net.state_dict()) - set(state)
        if missing:
            raise ValueError(f'{manifest_path}: the graph lacks {sorted(missing)}')
        self.net.load_state_dict(state, strict=True)
        self.net.eval()

    def metadata(self):
        m = self.manifest
        return {'name': m['name'], 'robot': m['robot'], 'action_space': m['outputs']['space'], 'action_horizon': m['outputs']['chunk'],
                'image_size': list(self.size), 'server': 'simloop training/serve_policy.py'}

    def _image(self, obs, key):
        image = obs.get(key)
        if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.shape != (*self.size, 3):
            got = f'{image.dtype} {list(image.shape)}' if isinstance(image, np.ndarray) else type(image).__name__
            raise ValueError(f'"{key}": expected uint8 [{self.size[0]}, {self.size[1]}, 3], got {got}')
        # Simloop's float conversion: lo + value · (hi − lo) / 255, in float64, then float32.
        lo, hi = 0.0, 1.0
        x = lo + image.astype(np.float64) * ((hi - lo) / 255)
        return torch.from_numpy(x.astype(np.float32).transpose(2, 0, 1).copy()).unsqueeze(0)

    def _tokens(self, prompt):
        words = re.findall(r'[^\W_]+', prompt.lower())[: self.max_length]
        ids = [self.index.get(w, self.unknown) for w in words]
        mask = [1] * len(ids) + [0] * (self.max_length - len(ids))
        ids += [self.pad] * (self.max_length - len(ids))
        return torch.tensor([ids], dtype=torch.int64), torch.tensor([mask], dtype=torch.int64)

    def infer(self, obs):
        scene = self._image(obs, 'observation/image')
        wrist = self._image(obs, 'observation/wrist_image')
        state = np.asarray(obs['observation/state'], np.float64)
        if state.shape != self.state_mean.shape:
            raise ValueError(f'"observation/state": expected {self.state_mean.shape[0]} values, got shape {list(state.shape)}')
        state = torch.from_numpy(((state - self.state_mean) * self.state_scale).astype(np.float32)).unsqueeze(0)
        prompt = obs.get('prompt', '')
        if not isinstance(prompt, str):
            raise ValueError(f'"prompt": expected a string, got {type(prompt).__name__}')
        tokens, mask = self._tokens(prompt)
        with torch.no_grad():
            raw = self.net(scene, wrist, state, tokens, mask)[0].numpy().astype(np.float64)
        actions = raw / self.action_scale + self.action_mean
        if self.low is not None:
            actions = np.clip(actions, self.low, self.high)
        return {'actions': actions}


# --- the server ---------------------------------------------------------------------------------

def health(first, second):
    """GET /healthz → 200 "OK". websockets before 13 calls this with (path, headers) and takes a
    tuple; from 14 (openpi's) with (connection, request) and takes connection.respond(...)."""
    if isinstance(first, str):
        return (http.HTTPStatus.OK, [('Content-Type', 'text/plain')], b'OK\n') if first == '/healthz' else None
    return first.respond(http.HTTPStatus.OK, 'OK\n') if second.path == '/healthz' else None


async def serve(policy, host, port, delay_ms):
    async def handler(websocket, *_):
        await websocket.send(packb(policy.metadata()))
        prev_total = None
        while True:
            try:
                start = time.monotonic()
                obs = unpackb(await websocket.recv())
                infer_start = time.monotonic()
                if delay_ms:
                    await asyncio.sleep(delay_ms / 1000)
                reply = policy.infer(obs)
                timing = {'infer_ms': (time.monotonic() - infer_start) * 1000}
                if prev_total is not None:
                    timing['prev_total_ms'] = prev_total * 1000
                reply['server_timing'] = timing
                await websocket.send(packb(reply))
                prev_total = time.monotonic() - start
            except websockets.ConnectionClosed:
                break
            except Exception:
                await websocket.send(traceback.format_exc())
                await websocket.close(code=1011, reason='Internal server error. Traceback included in previous frame.')
                break

    async with websockets.serve(handler, host, port, compression=None, max_size=None, process_request=health) as server:
        bound = server.sockets[0].getsockname()[1]
        print(f'serving {policy.manifest["name"]} on ws://{host}:{bound}', flush=True)
        await asyncio.Future()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--policy', default=os.path.join(os.path.dirname(__file__), '..', 'public', 'policies', 'pick-cube', 'policy.json'), help='a policy package manifest trained by train_vla.py')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8000, help='0 picks a free port (printed on the first line)')
    parser.add_argument('--threads', type=int, default=1, help='PyTorch CPU threads')
    parser.add_argument('--delay-ms', type=float, default=0, help='extra latency per request, to see what a slower model costs in real time')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    policy = SimloopPolicy(args.policy)
    try:
        asyncio.run(serve(policy, args.host, args.port, args.delay_ms))
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
