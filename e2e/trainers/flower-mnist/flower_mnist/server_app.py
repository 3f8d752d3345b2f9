"""ServerApp: FedAvg over the clusters' ClientApps, with the addon's status hook.

Rounds and the number of clients come from the run config (`num-server-rounds`,
`min-available-clients`), which the addon sets from `spec.server.rounds` and
`spec.server.minAvailableClients`. The final model is written to `FL_MODEL_OUT` (safetensors,
the native model layout) and each round is reported through `addon_status` (docs/flower.md)."""
import hashlib
import os

from flwr.app import ArrayRecord, ConfigRecord, Context, MetricRecord
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from flower_mnist import addon_status
from flower_mnist.task import NAMES, init_model, to_safetensors

app = ServerApp()


class ReportingFedAvg(FedAvg):
    """FedAvg that tells the addon which nodes each round aggregated and what they reported."""

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        arrays, metrics = super().aggregate_train(server_round, replies)
        ok = [r for r in replies if r.has_content()]
        examples = sum(int(r.content["metrics"]["num-examples"]) for r in ok)
        addon_status.report({
            "event": "round",
            "round": server_round,
            "nodeIds": sorted(str(r.metadata.src_node_id) for r in ok),
            "examplesByNode": {str(r.metadata.src_node_id): int(r.content["metrics"]["num-examples"]) for r in ok},
            "examples": examples,
            "failures": len(replies) - len(ok),
            "metrics": {k: float(v) for k, v in (metrics or {}).items() if k != "num-examples"},
        })
        return arrays, metrics


@app.main()
def main(grid: Grid, context: Context) -> None:
    cfg = context.run_config
    rounds = int(cfg["num-server-rounds"])
    clients = int(cfg["min-available-clients"])
    model = init_model(int(cfg["hidden"]), int(cfg["seed"]))
    strategy = ReportingFedAvg(fraction_evaluate=0.0, min_train_nodes=clients, min_available_nodes=clients)
    result = strategy.start(
        grid=grid,
        initial_arrays=ArrayRecord([model[n] for n in NAMES]),
        num_rounds=rounds,
        train_config=ConfigRecord({}),
    )
    final = dict(zip(NAMES, result.arrays.to_numpy_ndarrays()))
    data = to_safetensors(final, {"model": "mnist-mlp", "rounds": str(rounds), "trainer": "flower-mnist"})
    out = os.environ.get("FL_MODEL_OUT", "final.safetensors")
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, out)
    addon_status.report({"event": "completed", "rounds": rounds, "model": out,
                         "modelSha256": hashlib.sha256(data).hexdigest()})
