"""``tracegrad train DATASET ...``: train an MLP on a toy dataset; write plots, the model,
its graph and a summary."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Literal, Sequence

from nn import (
    ACTIVATIONS,
    LOSSES,
    MLP,
    SGD,
    Adam,
    History,
    Module,
    Optimizer,
    data,
    evaluate,
    icecream_network,
    total,
)

from .common import (
    EXIT_OK,
    CommandError,
    Formatter,
    UsageError,
    integer_in,
    number_in,
    output_directory,
    plural,
    render_graph,
    report,
    require_graphviz,
    wrap,
    write_outputs,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .common import Subcommands

GRAPHVIZ_HINT = "train needs it to draw the network (graph.svg); nothing was written"

Samples = list[list[float]]
Dataset = tuple[Samples, Sequence[float]]


@dataclass(frozen=True)
class DatasetSpec:
    """A toy dataset of ``tracegrad train`` and the defaults that train it well and fast."""

    summary: str
    make: Callable[[int, int], Dataset]  # (samples, seed) -> (X, y)
    task: Literal["classification", "regression"]  # classification labels are 0/1
    samples: int
    hidden: tuple[int, ...]
    activation: str
    output_activation: str
    loss: str
    optimizer: str
    lr: float
    epochs: int
    batch_size: int | None = None


DATASETS: dict[str, DatasetSpec] = {
    "moons": DatasetSpec("two interleaving half moons (micrograd's demo)",
                         lambda n, seed: data.make_moons(n, noise=0.1, seed=seed), "classification",
                         100, (16, 16), "relu", "linear", "hinge", "adam", 0.05, 50),
    "xor": DatasetSpec("four noisy clusters labelled by XOR (trains in a second)",
                       lambda n, seed: data.make_xor(n, seed=seed), "classification",
                       100, (8,), "tanh", "linear", "bce_with_logits", "adam", 0.05, 50),
    "circles": DatasetSpec("a ring around a disc",
                           lambda n, seed: data.make_circles(n, seed=seed), "classification",
                           100, (8, 8), "relu", "linear", "bce_with_logits", "adam", 0.05, 60),
    "spiral": DatasetSpec("two interleaved spiral arms (the slowest to train)",
                          lambda n, seed: data.make_spirals(n, seed=seed), "classification",
                          100, (16, 16), "tanh", "linear", "bce_with_logits", "adam", 0.05, 150),
    "icecream": DatasetSpec("the ice-cream article's sales: 10 rows, the 2-2-1 ReLU network",
                            lambda n, seed: data.icecream(), "regression",
                            10, (2,), "relu", "relu", "mse", "sgd", 0.001, 500),
    "tower": DatasetSpec("the universal-approximation article's sigmoid tower (regression)",
                         lambda n, seed: data.make_tower(n, seed=seed), "regression",
                         200, (4,), "sigmoid", "sigmoid", "mse", "adam", 0.1, 100, 20),
}

#: The optimisers by name (nn has no such table).
OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {"sgd": SGD, "adam": Adam}

#: Where each loss puts the class boundary on the output (on class 1's logit
#: minus class 0's for cross-entropy): 0.5 for probabilities and 0/1 targets, else 0.
CLASSIFICATION_THRESHOLDS: dict[str, float] = {"hinge": 0.0, "bce_with_logits": 0.0, "bce": 0.5,
                                               "cross_entropy": 0.0, "mse": 0.5}

MAX_LAYERS, MAX_WIDTH = 6, 256


def hidden_sizes(text: str) -> list[int]:
    """An argparse type: hidden layer sizes such as ``16,16`` (``none`` or empty: no hidden layer)."""
    text = text.strip()
    try:
        sizes = [int(part) for part in text.split(",")] if text not in ("", "none") else []
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give sizes such as 16,16") from None
    if any(size < 1 or size > MAX_WIDTH for size in sizes) or len(sizes) > MAX_LAYERS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: up to {MAX_LAYERS} layers of 1 to {MAX_WIDTH} neurons")
    return sizes


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``train`` and its options (every default comes from the dataset)."""
    parser = commands.add_parser(
        "train", formatter_class=Formatter,
        help="train an MLP on a toy dataset; write plots, the model and its graph",
        description=wrap("Train a small MLP with the engine on one of the toy datasets, with a "
                         "progress bar; then write the loss curve (PNG), the decision boundary "
                         "(PNG, 2-D classification; a fit or surface plot for regression), the "
                         "model (JSON), a collapsed graph of the network (SVG) and a summary "
                         "(JSON), and print the summary. Every option has a default chosen for "
                         "the dataset, so 'tracegrad train xor' just works."),
        epilog="datasets and their defaults:\n" + "\n".join(
            f"  {name:<9} {spec.summary}\n  {'':<9} (hidden {','.join(map(str, spec.hidden))} "
            f"{spec.activation}, {spec.loss}, {spec.optimizer} lr {spec.lr:g}, {spec.epochs} epochs, "
            f"{'full batch' if spec.batch_size is None else f'batch {spec.batch_size}'})"
            for name, spec in DATASETS.items())
               + "\n\nexample:\n  tracegrad train moons --hidden 16,16 --optimizer adam --lr 0.05 "
                 "--epochs 60 --out runs/moons")
    parser.add_argument("dataset", choices=list(DATASETS), metavar="DATASET",
                        help="one of: " + ", ".join(DATASETS))
    parser.add_argument("--hidden", type=hidden_sizes, metavar="SIZES",
                        help="hidden layer sizes, comma separated, e.g. 16,16")
    parser.add_argument("--activation", choices=list(ACTIVATIONS), help="the hidden layers' activation")
    parser.add_argument("--loss", choices=list(LOSSES), help="the loss to minimise")
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), help="the optimiser")
    parser.add_argument("--lr", type=number_in(0.0, 10.0, low_open=True, what="the learning rate"),
                        metavar="RATE", help="the learning rate, in (0, 10]")
    parser.add_argument("--momentum", type=number_in(0.0, 1.0, high_open=True, what="momentum"),
                        default=0.0, metavar="M",
                        help="momentum of sgd, in [0, 1) (default: 0, plain gradient descent)")
    parser.add_argument("--epochs", type=integer_in(1, 100_000), metavar="N", help="passes over the data")
    parser.add_argument("--batch-size", type=integer_in(0, hint=" (0: the whole data set)"), metavar="N",
                        help="samples per step: 1 = SGD, N = mini-batch; 0 = the whole data set")
    parser.add_argument("--samples", type=integer_in(4, 10_000), metavar="N",
                        help="how many samples to generate")
    parser.add_argument("--l2", type=number_in(0.0, what="the penalty"), default=0.0, metavar="LAMBDA",
                        help="strength of an L2 penalty on the weights (default: 0)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the data, the initial weights and the shuffling (default: 0)")
    parser.add_argument("--out", metavar="DIR",
                        help="the directory to write into (default: ./tracegrad-DATASET)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)
    return parser


@dataclass(frozen=True)
class TrainSettings:
    """The resolved settings of one ``tracegrad train`` run."""

    dataset: str
    spec: DatasetSpec
    hidden: list[int]
    activation: str
    output_activation: str
    loss: str
    optimizer: str
    lr: float
    momentum: float
    epochs: int
    batch_size: int | None
    samples: int
    l2: float
    seed: int
    out: Path
    #: icecream with its own network: start from the article's parameters, output bias 0.
    article_start: bool


def resolve_train_settings(args: argparse.Namespace) -> TrainSettings:
    """Fill the unset options from the dataset's defaults; refuse combinations that do not fit (UsageError)."""
    spec = DATASETS[args.dataset]
    hidden = list(spec.hidden) if args.hidden is None else args.hidden
    loss = args.loss or spec.loss
    if spec.task == "regression" and loss != "mse":
        raise UsageError(f"--loss {loss}: {args.dataset} is a regression data set; use mse")
    activation = args.activation or spec.activation
    if spec.task == "regression":
        output_activation = spec.output_activation
    else:
        output_activation = "sigmoid" if loss == "bce" else "linear"
    optimizer = args.optimizer or spec.optimizer
    if args.dataset == "icecream" and args.samples not in (None, 10):
        raise UsageError("--samples: the ice-cream table has exactly 10 rows")
    if args.momentum and optimizer != "sgd":
        raise UsageError("--momentum applies to --optimizer sgd only")
    batch_size = spec.batch_size if args.batch_size is None else (args.batch_size or None)
    return TrainSettings(
        dataset=args.dataset, spec=spec, hidden=hidden, activation=activation,
        output_activation=output_activation, loss=loss, optimizer=optimizer,
        lr=spec.lr if args.lr is None else args.lr, momentum=args.momentum,
        epochs=spec.epochs if args.epochs is None else args.epochs, batch_size=batch_size,
        samples=spec.samples if args.samples is None else args.samples, l2=args.l2, seed=args.seed,
        out=output_directory(args.out or f"tracegrad-{args.dataset}"),
        article_start=args.dataset == "icecream" and hidden == [2] and activation == "relu")


def make_model(settings: TrainSettings) -> MLP:
    """The network to train: an MLP of the settings, or the ice-cream article's own network."""
    if settings.article_start:
        return icecream_network(output_bias=0.0)
    outputs = 2 if settings.loss == "cross_entropy" else 1
    return MLP(2, settings.hidden + [outputs], activation=settings.activation,
               output_activation=settings.output_activation, seed=settings.seed)


def _scores(model: Module, points: Samples) -> list[float]:
    """One number per point: the output, or class 1's logit minus class 0's for two outputs."""
    predictions = model.predict(points)
    return [p[1] - p[0] if isinstance(p, list) else p for p in predictions]


def run(args: argparse.Namespace) -> int:
    """Train, then write plots, model, graph and a summary."""
    settings = resolve_train_settings(args)
    require_graphviz(GRAPHVIZ_HINT)  # before minutes of training, not after
    X, y = settings.spec.make(settings.samples, settings.seed)
    model = make_model(settings)
    parameters = model.parameters()
    options = {"momentum": settings.momentum} if settings.optimizer == "sgd" else {}
    optimizer = OPTIMIZERS[settings.optimizer](parameters, lr=settings.lr, **options)
    sizes = "-".join(str(n) for n in [2] + settings.hidden + [len(model.layers[-1].neurons)])
    batch_text = ("full batch" if settings.batch_size is None
                  else "SGD, batch 1" if settings.batch_size == 1 else f"batch {settings.batch_size}")
    print(f"{settings.dataset}: {len(X)} samples; MLP {sizes} ({len(parameters)} parameters), "
          f"{settings.activation}, {settings.loss} loss, {settings.optimizer} lr {settings.lr:g}"
          f"{f' momentum {settings.momentum:g}' if settings.momentum else ''}, "
          f"{plural(settings.epochs, 'epoch')}, {batch_text}")
    if settings.article_start:
        print("starting from the ice-cream article's parameters with the output bias set to 0")
    started = time.perf_counter()
    try:
        history = model.fit(X, y, loss=settings.loss, optimizer=optimizer, epochs=settings.epochs,
                            batch_size=settings.batch_size, shuffle_seed=settings.seed,
                            verbose=not args.quiet, l2=settings.l2)
    except FloatingPointError as error:
        raise CommandError(f"{error} (nothing was written)") from None
    seconds = time.perf_counter() - started
    final_loss, accuracy = evaluate(model, X, y, settings.loss)

    outputs = training_outputs(settings, model, history, X, y)
    summary = {
        "dataset": settings.dataset,
        "samples": len(X),
        "seed": settings.seed,
        "architecture": model.config(),
        "parameters": len(parameters),
        "loss": settings.loss,
        "optimizer": settings.optimizer,
        "lr": settings.lr,
        "momentum": settings.momentum,
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "l2": settings.l2,
        "final_loss": final_loss,
        "accuracy": accuracy,
        "seconds": round(seconds, 3),
        "history": history.as_dict(),
        "predictions": model.predict(X),
    }
    outputs[settings.out / "summary.json"] = json.dumps(summary, indent=1) + "\n"
    written = write_outputs(outputs)
    # The progress bar and loss.png show each epoch's mean loss while its
    # updates ran (with any penalty); this is the loss once they are done.
    line = f"trained in {seconds:.1f} s: loss after training {final_loss:.4g}"
    if accuracy is not None:
        line += f", training accuracy {accuracy:.1%}"
    print(line)
    penalty = ", penalty included" if settings.l2 else ""
    print(f"  (on all {len(X)} samples after the last update; the progress bar and loss.png show "
          f"each epoch's mean during its updates{penalty}: {history.loss[-1]:.4g} in the last epoch)")
    report(written, f"wrote {len(written)} files into {settings.out}/:")
    return EXIT_OK


def training_outputs(settings: TrainSettings, model: MLP, history: History, X: Samples,
                     y: Sequence[float]) -> dict[Path, bytes | str]:
    """Every file of a training run but the summary, rendered in memory: nothing is written yet."""
    from autograd import draw
    from nn.serialization import to_json

    from .. import plots

    out = settings.out
    outputs: dict[Path, bytes | str] = {}
    figure = plots.loss_curve(history, title=f"{settings.dataset}: {settings.loss} loss per epoch",
                              log_scale=True)
    outputs[out / "loss.png"] = plots.png_bytes(figure)
    if settings.spec.task == "classification":
        figure = plots.decision_boundary(lambda points: _scores(model, points), X, y,
                                         threshold=CLASSIFICATION_THRESHOLDS[settings.loss],
                                         resolution=50, title=f"{settings.dataset}: decision boundary")
        outputs[out / "boundary.png"] = plots.png_bytes(figure)
    elif settings.dataset == "tower":
        outputs[out / "surface.png"] = plots.png_bytes(_tower_figure(model))
    else:
        figure = plots.predictions_vs_targets(y, model.predict(X),
                                              title=f"{settings.dataset}: predictions after training")
        outputs[out / "fit.png"] = plots.png_bytes(figure)
    outputs[out / "model.json"] = to_json(model)
    root = model(X[0])
    if isinstance(root, list):
        root = total(root)
    root.backward()
    outputs[out / "graph.svg"] = render_graph(draw(root, collapse="neurons"), ".svg", GRAPHVIZ_HINT)
    return outputs


def _tower_figure(model: MLP) -> "Figure":
    """The tower target and the trained network side by side, as heat maps."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    steps = [-1.5 + 3.0 * i / 59 for i in range(60)]
    grid = [[x, y] for y in steps for x in steps]
    target = [data.tower(x, y) for x, y in grid]
    learned = model.predict(grid)
    for ax, values, title in ((axes[0], target, "target: the sigmoid tower"),
                              (axes[1], learned, "the trained network")):
        rows = [values[i * 60:(i + 1) * 60] for i in range(60)]
        image = ax.imshow(rows, origin="lower", extent=(-1.5, 1.5, -1.5, 1.5), vmin=0.0, vmax=1.0,
                          cmap="viridis")
        ax.set_title(title)
    figure.colorbar(image, ax=list(axes), shrink=0.8)
    return figure
