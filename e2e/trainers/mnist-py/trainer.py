#!/usr/bin/env python3
"""MNIST trainer (numpy only) implementing the spoke-agent trainer contract
(spoke-agent/TRAINER.md): same model layout and data partition as ../mnist-ts, so both
can join one job. Exit 0 after the update is stored, 1 on a reported failure, 2 on bad env."""
import hashlib
import json
import os
import random
import sys
import time
import urllib.error
import urllib.request

import numpy as np

import mnist_data
import safetensors_np


class Handoff:
    """Bearer-token client; retries connection errors and 5xx with backoff, never 4xx."""

    def __init__(self, url, token, attempts=6):
        self.url, self.token, self.attempts = url.rstrip("/"), token, attempts

    def call(self, method, op, body=None, headers=None):
        delay = 0.25
        for attempt in range(1, self.attempts + 1):
            req = urllib.request.Request(f"{self.url}/{op}", data=body, method=method)
            req.add_header("Authorization", f"Bearer {self.token}")
            for k, v in (headers or {}).items():
                req.add_header(k, v)
            try:
                with urllib.request.urlopen(req, timeout=300) as res:
                    return res.read()
            except urllib.error.HTTPError as e:
                reason = e.read().decode("utf-8", "replace")[:500]
                if 400 <= e.code < 500 and e.code not in (408, 429):
                    raise RuntimeError(f"{method} {op}: {e.code} {reason}") from None
                err = f"{e.code} {reason}"
            except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
                err = str(e)
            if attempt == self.attempts:
                raise RuntimeError(f"{method} {op} failed after {attempt} attempts: {err}")
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 8.0)

    def json(self, method, op, obj=None):
        body = None if obj is None else json.dumps(obj).encode()
        out = self.call(method, op, body, {"Content-Type": "application/json"} if body else None)
        return json.loads(out) if out else None


def sgd_step(w, g, step, anchor=None, lr_mu=0.0):
    """w -= step * g, plus the FedProx pull -lr*mu*(w - anchor) (gradient of mu/2*||w - anchor||^2)."""
    if anchor is None:
        w -= step * g
    else:
        w -= step * g + lr_mu * (w - anchor)


def train(p, x, y, epochs, lr, batch, seed, proximal_mu=0.0):
    """Minibatch SGD on a 784-H-10 ReLU MLP in PyTorch nn.Linear layout (weight [out, in]).

    proximal_mu > 0: FedProx (Li et al. 2020), minimise loss + mu/2 * ||w - w_start||^2 where
    w_start is the model the round started from."""
    rng = np.random.default_rng(seed)
    w1, b1, w2, b2 = p["fc1.weight"], p["fc1.bias"], p["fc2.weight"], p["fc2.bias"]
    start = [t.copy() for t in (w1, b1, w2, b2)] if proximal_mu > 0 else [None] * 4
    lr_mu = lr * proximal_mu
    loss = acc = 0.0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        loss_sum, correct = 0.0, 0
        for s in range(0, len(x), batch):
            idx = order[s : s + batch]
            xb, yb = x[idx], y[idx]
            h = np.maximum(xb @ w1.T + b1, 0)
            z = h @ w2.T + b2
            z -= z.max(axis=1, keepdims=True)
            prob = np.exp(z)
            prob /= prob.sum(axis=1, keepdims=True)
            loss_sum += float(-np.log(np.maximum(prob[np.arange(len(yb)), yb], 1e-12)).sum())
            correct += int((prob.argmax(axis=1) == yb).sum())
            dz = prob
            dz[np.arange(len(yb)), yb] -= 1
            dh = (dz @ w2) * (h > 0)
            step = lr / len(yb)
            gw2, gb2, gw1, gb1 = dz.T @ h, dz.sum(axis=0), dh.T @ xb, dh.sum(axis=0)
            sgd_step(w2, gw2, step, start[2], lr_mu)
            sgd_step(b2, gb2, step, start[3], lr_mu)
            sgd_step(w1, gw1, step, start[0], lr_mu)
            sgd_step(b1, gb1, step, start[1], lr_mu)
        loss, acc = loss_sum / len(x), correct / len(x)
    return loss, acc


def run(hub):
    t0 = time.monotonic()
    task = hub.json("GET", "task")
    model_bytes = hub.call("GET", "model")
    digest = "sha256:" + hashlib.sha256(model_bytes).hexdigest()
    if digest != task["model"]["digest"]:
        raise RuntimeError(f"model digest {digest}, task says {task['model']['digest']}")
    t_download = time.monotonic()
    location = task["data"].get("location") or os.environ.get("FL_DATA_LOCATION", "")
    data_dir = os.environ.get("FL_DATA_DIR") or task["data"]["dir"]
    params = task.get("parameters", {})
    limit = params.get("maxExamples")
    digits = mnist_data.load_digits(mnist_data.digits_dir(data_dir))
    x, y = mnist_data.training_set(location, digits, None if limit is None else int(limit))
    if len(x) == 0:
        raise RuntimeError(f"data location {location} selects no examples")
    tensors, header = safetensors_np.load(model_bytes)
    epochs = int(params.get("epochs", 1))
    mu = float((task.get("strategy") or {}).get("proximalMu", 0))
    loss, acc = train(tensors, x, y, epochs, float(params.get("lr", 0.1)), int(params.get("batchSize", 32)),
                      (mnist_data.fnv1a32(location) ^ int(task["round"])) & 0xFFFFFFFF, mu)
    t_train = time.monotonic()
    update = safetensors_np.dump(tensors, header, {"model": "mnist-mlp", "round": task["round"], "trainer": "mnist-py"})
    hub.json("PUT", "metrics", {"loss": loss, "accuracy": acc, "examples": len(x), "trainSeconds": t_train - t_download})
    stored = json.loads(hub.call("PUT", "update", update,
                                 {"Content-Type": "application/octet-stream", "X-FL-Examples": str(len(x))}))
    t_upload = time.monotonic()
    print(json.dumps({"event": "round-done", "round": task["round"], "examples": len(x), "loss": loss,
                      "accuracy": acc, "digest": stored["digest"], "downloadMs": round((t_download - t0) * 1000),
                      "trainMs": round((t_train - t_download) * 1000), "uploadMs": round((t_upload - t_train) * 1000)}),
          flush=True)


def main():
    url, token = os.environ.get("FL_HANDOFF_URL"), os.environ.get("FL_HANDOFF_TOKEN")
    if not url or not token:
        print(json.dumps({"event": "error", "reason": "FL_HANDOFF_URL and FL_HANDOFF_TOKEN must be set"}), flush=True)
        return 2
    hub = Handoff(url, token)
    try:
        run(hub)
        return 0
    except Exception as e:  # report any failure to the agent, then exit non-zero
        reason = f"{type(e).__name__}: {e}"
        print(json.dumps({"event": "error", "reason": reason}), flush=True)
        try:
            hub.json("POST", "fail", {"reason": reason})
        except Exception:
            pass
        return 1


if __name__ == "__main__":
    sys.exit(main())
