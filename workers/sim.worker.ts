/**
 * The simulation worker: wiring only. The simulation host (src/browser/simHost.ts) holds the scene,
 * teleoperation and policy-run modes; this file exposes it over comlink, moves buffers instead of
 * copying them, renders cameras on OffscreenCanvas, and reaches the policy worker over a port.
 */
import * as Comlink from 'comlink';
import { CameraStack } from '../src/browser/cameraStack.ts';
import { SimHost } from '../src/browser/simHost.ts';
import type { PolicyWorkerApi } from '../src/protocol/policyWorker.ts';
import type { SimWorkerApi } from '../src/protocol/simWorker.ts';
import type { WebSocketLike } from '../src/engine/policy/remote.ts';

const host = new SimHost({ transfer: Comlink.transfer, cameraStack: (width, height) => new CameraStack(width, height), openSocket: (url) => new WebSocket(url) as unknown as WebSocketLike });

const api: SimWorkerApi = {
  // Callbacks arrive as Comlink proxies; the host tells them without waiting.
  subscribe: (callback) => host.subscribe(callback),
  load: (bytes, fileName, companions) => host.load(bytes, fileName, companions),
  compose: (bytes, fileName, companions, variants) => host.compose(bytes, fileName, companions, variants),
  play: () => host.play(),
  pause: () => host.pause(),
  step: (count) => host.step(count),
  reset: () => host.reset(),

  teleopSubscribe: (callback) => host.teleopSubscribe(callback),
  teleopStart: (request) => host.teleopStart(request),
  teleopInput: (input) => host.teleopInput(input),
  teleopDrive: (on) => host.teleopDrive(on),
  teleopExpert: () => host.teleopExpert(),
  teleopKeep: () => host.teleopKeep(),
  teleopDiscard: () => host.teleopDiscard(),
  teleopExport: (formats) => host.teleopExport(formats),

  policyAttach(port) {
    const policy = Comlink.wrap<PolicyWorkerApi>(port);
    host.attachPolicy((observation) => policy.infer(observation));
  },
  policyRun: (request, callback) => host.policyRun(request, callback),
  policyStop: () => host.policyStop(),
};

Comlink.expose(api);
