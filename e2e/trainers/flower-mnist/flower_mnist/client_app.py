"""ClientApp: trains the global model on this cluster's partition.

Where the data is comes from the SuperNode's node config (`data-location`), which the addon
sets from the ClusterClaim the placement selected the cluster on."""
from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from flower_mnist.task import NAMES, local_train

app = ClientApp()


@app.train()
def train(msg: Message, context: Context) -> Message:
    location = str(context.node_config["data-location"])
    cfg = context.run_config
    tensors = {n: a.copy() for n, a in zip(NAMES, msg.content["arrays"].to_numpy_ndarrays())}
    limit = int(cfg.get("max-examples", 0)) or None
    loss, acc, n = local_train(tensors, location, msg.content["config"]["server-round"],
                               int(cfg["local-epochs"]), float(cfg["lr"]), int(cfg["batch-size"]), limit)
    content = RecordDict({
        "arrays": ArrayRecord([tensors[n] for n in NAMES]),
        "metrics": MetricRecord({"train_loss": loss, "train_accuracy": acc, "num-examples": n}),
    })
    return Message(content=content, reply_to=msg)
