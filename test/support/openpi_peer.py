"""A protocol-faithful openpi policy server for the studio's remote-policy tests.

The connection handler is openpi's WebsocketPolicyServer._handler (openpi
src/openpi/serving/websocket_policy_server.py) with a test policy behind it; packing is
openpi_client.msgpack_numpy, the transport the `websockets` library, as in openpi. openpi's own server
module is not importable without the whole openpi package (JAX, …), so its handler is restated here line
for line.

    node_modules/.cache/openpi-peer-venv/bin/python test/support/openpi_peer.py --mode normal
    # prints {"port": N, "mode": ...} once listening (the venv: npm run test:deps)

Binds 127.0.0.1 on a free port; exits when its stdin closes (so a test's crash never leaves it running).

Modes (the test policy's behaviour on each request):
  normal       actions[h, j] = 0.001 (h+1)(j+1) + 0.01 state[j] for j < 6 (j < A-1), actions[h, A-1] =
               mean(first image by key) / 255, float32 [H, A]; `echo` says what arrived.
  slow         the process's first request is answered after --delay seconds, later ones at once.
  malformed    the reply frame is a normal reply cut in half.
  error        the policy raises (KeyError on a key it expects): the server sends the traceback as a
               text frame and closes with 1011, as openpi does.
  wrong_shape  actions has shape [1, H, A].
  no_actions   the reply has no `actions`.
  close        the server closes the connection (1001, going away) instead of replying.
"""

import argparse
import asyncio
import http
import json
import sys
import threading
import time
import traceback

import numpy as np
from openpi_client import msgpack_numpy
import websockets
import websockets.asyncio.server as _server
import websockets.frames


class TestPolicy:
    def __init__(self, args):
        self.args = args
        self.requests = 0

    def infer(self, obs: dict, connection: int, request: int) -> dict:
        self.requests += 1
        mode = self.args.mode
        if mode == "error":
            _ = obs["observation/joint_position"]  # a key this policy needs and the request lacks
        horizon, width = self.args.horizon, self.args.action_dim
        state = np.asarray(obs[self.args.state_key]).astype(np.float64).reshape(-1)
        images = {key: value for key, value in obs.items() if isinstance(value, np.ndarray) and value.dtype == np.uint8 and value.ndim == 3}
        first_image = images[sorted(images)[0]] if images else np.zeros((1, 1, 3), dtype=np.uint8)
        image_mean = float(first_image.mean())
        actions = np.zeros((horizon, width), dtype=np.float64)
        for h in range(horizon):
            for j in range(width - 1):
                actions[h, j] = 0.001 * (h + 1) * (j + 1) + 0.01 * (state[j] if j < len(state) else 0.0)
            actions[h, width - 1] = image_mean / 255
        actions = actions.astype(np.float32)
        echo = {
            "keys": sorted(obs.keys()),
            "state": obs[self.args.state_key],
            "state_dtype": np.asarray(obs[self.args.state_key]).dtype.str,
            "images": {key: {"shape": list(value.shape), "dtype": value.dtype.str, "mean": float(value.mean())} for key, value in images.items()},
            "prompt": obs.get(self.args.prompt_key),
            "connection": connection,
            "request_on_connection": request,
        }
        if mode == "wrong_shape":
            actions = actions[None, ...]
        if mode == "no_actions":
            return {"action": actions, "echo": echo}
        # openpi's Policy.infer returns the (transformed) outputs plus policy_timing.
        return {"actions": actions, "echo": echo, "policy_timing": {"infer_ms": 0.5}}


class PeerServer:
    """openpi's WebsocketPolicyServer, serving TestPolicy on 127.0.0.1."""

    def __init__(self, policy: TestPolicy, metadata: dict, args):
        self._policy = policy
        self._metadata = metadata
        self._args = args
        self._connections = 0
        self._slow_pending = args.mode == "slow"

    async def _handler(self, websocket: _server.ServerConnection):
        self._connections += 1
        connection = self._connections
        request = 0
        packer = msgpack_numpy.Packer()

        await websocket.send(packer.pack({**self._metadata, "connection": connection}))

        prev_total_time = None
        while True:
            try:
                start_time = time.monotonic()
                obs = msgpack_numpy.unpackb(await websocket.recv())
                request += 1

                if self._args.mode == "close":
                    await websocket.close(code=websockets.frames.CloseCode.GOING_AWAY, reason="policy server shutting down")
                    continue

                if self._slow_pending:
                    self._slow_pending = False
                    # As slow as --delay, but no longer than the client stays (so the peer can exit).
                    try:
                        await asyncio.wait_for(websocket.wait_closed(), timeout=self._args.delay)
                    except asyncio.TimeoutError:
                        pass

                infer_time = time.monotonic()
                action = self._policy.infer(obs, connection, request)
                infer_time = time.monotonic() - infer_time

                action["server_timing"] = {
                    "infer_ms": infer_time * 1000,
                }
                if prev_total_time is not None:
                    action["server_timing"]["prev_total_ms"] = prev_total_time * 1000

                packed = packer.pack(action)
                if self._args.mode == "malformed":
                    packed = packed[: len(packed) // 2]
                await websocket.send(packed)
                prev_total_time = time.monotonic() - start_time

            except websockets.ConnectionClosed:
                break
            except Exception:
                await websocket.send(traceback.format_exc())
                await websocket.close(
                    code=websockets.frames.CloseCode.INTERNAL_ERROR,
                    reason="Internal server error. Traceback included in previous frame.",
                )
                raise


def _health_check(connection: _server.ServerConnection, request: _server.Request):
    if request.path == "/healthz":
        return connection.respond(http.HTTPStatus.OK, "OK\n")
    return None


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=["normal", "slow", "malformed", "error", "wrong_shape", "no_actions", "close"], default="normal")
    parser.add_argument("--horizon", type=int, default=10)
    parser.add_argument("--action-dim", type=int, default=7)
    parser.add_argument("--delay", type=float, default=30.0, help="slow mode: seconds before the first reply")
    parser.add_argument("--state-key", default="observation/state")
    parser.add_argument("--prompt-key", default="prompt")
    args = parser.parse_args()

    metadata = {"peer": "openpi_peer", "mode": args.mode, "action_horizon": args.horizon, "action_dim": args.action_dim}
    server = PeerServer(TestPolicy(args), metadata, args)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def watch_stdin() -> None:
        sys.stdin.read()
        loop.call_soon_threadsafe(stop.set)

    async with _server.serve(server._handler, "127.0.0.1", 0, compression=None, max_size=None, process_request=_health_check) as ws_server:
        port = next(iter(ws_server.sockets)).getsockname()[1]
        print(json.dumps({"port": port, "mode": args.mode}), flush=True)
        threading.Thread(target=watch_stdin, daemon=True).start()
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
