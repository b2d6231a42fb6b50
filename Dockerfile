# The simloop CLI in a container, for `simloop submit --engine k8s` (docs/SCALE.md). The pods see
# this checkout as /app: the job file's inputs inside the checkout are mapped to /app/… .
#
#   docker build -t simloop:0.1.0 .          # the tag simloop submit names by default (package.json version)
#   docker run --rm simloop:0.1.0 --help
FROM node:20-bookworm-slim

# Chromium renders for generate, demos and eval (headless, SwiftShader; no GPU needed). Python with
# numpy, Pillow, h5py, PyAV and PyYAML reads the datasets it writes (as docs/DATASETS.md does);
# PyTorch and ONNX train the demo policy in a workflow step (training/train_vla.py), msgpack and
# websockets serve it (training/serve_policy.py).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      chromium fonts-liberation ca-certificates \
      python3 python3-numpy python3-pil python3-h5py python3-av python3-yaml \
      python3-torch python3-onnx python3-msgpack python3-websockets \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Every dependency: the CLI serves the headless pages with vite and drives Chromium with
# playwright-core. .npmrc keeps every install script from running (onnxruntime-node's CPU build is in
# the package; its script would download CUDA libraries).
RUN npm ci --no-audit --no-fund
COPY . .
# bin/simloop.mjs builds its bundle on first use (node_modules/.cache/simloop-cli), and the first
# command that opens a page builds the headless pages (node_modules/.cache/simloop-pages,
# src/cli/pagesBundle.ts); build both now so every pod starts at once.
RUN node bin/simloop.mjs --help > /dev/null \
 && node --import tsx --input-type=module -e "await (await import('/app/src/cli/pagesBundle.ts')).pagesBundle('/app')"

ENV SIMLOOP_CHROMIUM=/usr/bin/chromium
ENTRYPOINT ["node", "/app/bin/simloop.mjs"]
CMD ["--help"]
