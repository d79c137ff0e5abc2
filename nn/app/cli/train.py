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
from nn.training import COMPILABLE_LOSSES

from .common import (
    EXIT_OK,
    N_,
    CommandError,
    UsageError,
    _,
    add_command,
    integer_in,
    ngettext,
    number_in,
    render_graph,
    report,
    require_graphviz,
    with_language,
)
from .outputs import check_outputs, output_directory, write_outputs

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .common import Subcommands

GRAPHVIZ_HINT = N_("train needs it to draw the network (graph.svg); nothing was written")

Samples = list[list[float]]
Dataset = tuple[Samples, Sequence[float]]


@dataclass(frozen=True)
class DatasetSpec:
    """A toy dataset of ``tracegrad train`` and the defaults that train it well and fast."""

    summary: str  # marked with N_, translated where it is shown
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
    "moons": DatasetSpec(N_("two interleaving half moons (micrograd's demo)"),
                         lambda n, seed: data.make_moons(n, noise=0.1, seed=seed), "classification",
                         100, (16, 16), "relu", "linear", "hinge", "adam", 0.05, 50),
    "xor": DatasetSpec(N_("four noisy clusters labelled by XOR (trains in a second)"),
                       lambda n, seed: data.make_xor(n, seed=seed), "classification",
                       100, (8,), "tanh", "linear", "bce_with_logits", "adam", 0.05, 50),
    "circles": DatasetSpec(N_("a ring around a disc"),
                           lambda n, seed: data.make_circles(n, seed=seed), "classification",
                           100, (8, 8), "relu", "linear", "bce_with_logits", "adam", 0.05, 60),
    "spiral": DatasetSpec(N_("two interleaved spiral arms (the slowest to train)"),
                          lambda n, seed: data.make_spirals(n, seed=seed), "classification",
                          100, (16, 16), "tanh", "linear", "bce_with_logits", "adam", 0.05, 150),
    "icecream": DatasetSpec(N_("the ice-cream article's sales: 10 rows, the 2-2-1 ReLU network"),
                            lambda n, seed: data.icecream(), "regression",
                            10, (2,), "relu", "relu", "mse", "sgd", 0.001, 500),
    "tower": DatasetSpec(N_("the universal-approximation article's sigmoid tower (regression)"),
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
#: The most parameters a network of ``tracegrad train`` may have. Every
#: parameter is a few nodes in every sample's graph, rebuilt at every step:
#: 5,000 parameters on 100 samples is some million nodes a step already.
MAX_PARAMETERS = 5_000


def hidden_sizes(text: str) -> list[int]:
    """An argparse type: hidden layer sizes such as ``16,16`` (``none`` or empty: no hidden layer)."""
    text = text.strip()
    try:
        sizes = [int(part) for part in text.split(",")] if text not in ("", "none") else []
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text!r}: give sizes such as 16,16").format(text=text)) from None
    if any(size < 1 or size > MAX_WIDTH for size in sizes) or len(sizes) > MAX_LAYERS:
        raise argparse.ArgumentTypeError(
            _("{text!r}: up to {layers} layers of 1 to {width} neurons").format(
                text=text, layers=MAX_LAYERS, width=MAX_WIDTH))
    return sizes


def batch_text(batch_size: int | None, sgd: bool = False) -> str:
    """``full batch``, ``batch 20`` (``SGD, batch 1`` with ``sgd``), in the current language."""
    if batch_size is None:
        return _("full batch")
    if sgd and batch_size == 1:
        return _("SGD, batch 1")
    return _("batch {size}").format(size=batch_size)


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``train`` and its options (every default comes from the dataset)."""
    parser = add_command(
        commands, "train", run,
        summary=_("train an MLP on a toy dataset; write plots, the model and its graph"),
        description=_("Train a small MLP with the engine on one of the toy datasets, with a "
                      "progress bar; then write the loss curve (PNG), the decision boundary "
                      "(PNG, 2-D classification; a fit or surface plot for regression), the "
                      "model (JSON), a collapsed graph of the network (SVG) and a summary "
                      "(JSON), and print the summary. Every option has a default chosen for "
                      "the dataset, so 'tracegrad train xor' just works."),
        epilog=_("datasets and their defaults:") + "\n" + "\n".join(
            f"  {name:<9} {_(spec.summary)}\n  {'':<9} " + _(
                "(hidden {hidden} {activation}, {loss}, {optimizer} lr {lr}, {epochs} epochs, {batch})").format(
                hidden=",".join(map(str, spec.hidden)), activation=spec.activation, loss=spec.loss,
                optimizer=spec.optimizer, lr=f"{spec.lr:g}", epochs=spec.epochs, batch=batch_text(spec.batch_size))
            for name, spec in DATASETS.items())
               + "\n\n" + _("example:") + "\n  tracegrad train moons --hidden 16,16 --optimizer adam --lr 0.05 "
                 "--epochs 60 --out runs/moons")
    parser.add_argument("dataset", choices=list(DATASETS), metavar="DATASET",
                        help=_("one of: {datasets}").format(datasets=", ".join(DATASETS)))
    parser.add_argument("--hidden", type=hidden_sizes, metavar="SIZES",
                        help=_("hidden layer sizes, comma separated, e.g. 16,16 (at most "
                               "{limit} parameters in all)").format(limit=f"{MAX_PARAMETERS:,}"))
    parser.add_argument("--activation", choices=list(ACTIVATIONS), help=_("the hidden layers' activation"))
    parser.add_argument("--loss", choices=list(LOSSES), help=_("the loss to minimise"))
    parser.add_argument("--optimizer", choices=list(OPTIMIZERS), help=_("the optimiser"))
    parser.add_argument("--lr", type=number_in(0.0, 10.0, low_open=True, what=N_("the learning rate")),
                        metavar="RATE", help=_("the learning rate, in (0, 10]"))
    parser.add_argument("--momentum", type=number_in(0.0, 1.0, high_open=True, what=N_("momentum")),
                        default=0.0, metavar="M",
                        help=_("momentum of sgd, in [0, 1) (default: 0, plain gradient descent)"))
    parser.add_argument("--epochs", type=integer_in(1, 100_000), metavar="N", help=_("passes over the data"))
    parser.add_argument("--batch-size", type=integer_in(0, hint=N_("0: the whole data set")), metavar="N",
                        help=_("samples per step: 1 = SGD, N = mini-batch; 0 = the whole data set"))
    parser.add_argument("--samples", type=integer_in(4, 10_000), metavar="N",
                        help=_("how many samples to generate"))
    parser.add_argument("--l2", type=number_in(0.0, what=N_("the penalty")), default=0.0, metavar="LAMBDA",
                        help=_("strength of an L2 penalty on the weights (default: 0)"))
    parser.add_argument("--seed", type=integer_in(0, 2**32 - 1), default=0,
                        help=_("seeds the data, the initial weights and the shuffling (default: 0)"))
    parser.add_argument("--out", metavar="DIR",
                        help=_("the directory to write into (default: ./tracegrad-DATASET)"))
    parser.add_argument("--compile", action="store_true",
                        help=_("run each step through autograd.compile's straight-line program "
                               "(faster; the same results, bit for bit)"))
    parser.add_argument("-q", "--quiet", action="store_true", help=_("no progress bar"))
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
    compile: bool
    #: icecream with its own network: start from the article's parameters, output bias 0.
    article_start: bool


def resolve_train_settings(args: argparse.Namespace) -> TrainSettings:
    """Fill the unset options from the dataset's defaults; refuse combinations that do not fit (UsageError)."""
    spec = DATASETS[args.dataset]
    hidden = list(spec.hidden) if args.hidden is None else args.hidden
    loss = args.loss or spec.loss
    if spec.task == "regression" and loss != "mse":
        raise UsageError(_("--loss {loss}: {dataset} is a regression data set; use mse").format(
            loss=loss, dataset=args.dataset))
    activation = args.activation or spec.activation
    if spec.task == "regression":
        output_activation = spec.output_activation
    else:
        output_activation = "sigmoid" if loss == "bce" else "linear"
    optimizer = args.optimizer or spec.optimizer
    if args.dataset == "icecream" and args.samples not in (None, 10):
        raise UsageError(_("--samples: the ice-cream table has exactly 10 rows"))
    if args.momentum and optimizer != "sgd":
        raise UsageError(_("--momentum applies to --optimizer sgd only"))
    if args.compile and LOSSES[loss] not in COMPILABLE_LOSSES:
        compilable = ", ".join(name for name, function in LOSSES.items() if function in COMPILABLE_LOSSES)
        raise UsageError(_("--compile runs the losses {compilable} (their graphs depend only on the batch "
                           "size); {dataset} trains with {loss}: add --loss {first} or leave out --compile")
                         .format(compilable=compilable, dataset=args.dataset, loss=loss,
                                 first=compilable.split(",")[0]))
    batch_size = spec.batch_size if args.batch_size is None else (args.batch_size or None)
    outputs = 2 if loss == "cross_entropy" else 1
    parameters = parameter_count([2, *hidden, outputs])
    if parameters > MAX_PARAMETERS:
        raise UsageError(_(
            "--hidden {hidden}: that network has {count} parameters; at most {limit} (every parameter "
            "is a node of every sample's graph, rebuilt at every step: a pure-Python engine would need "
            "minutes and gigabytes per epoch)").format(hidden=",".join(map(str, hidden)), count=f"{parameters:,}",
                                                       limit=f"{MAX_PARAMETERS:,}"))
    return TrainSettings(
        dataset=args.dataset, spec=spec, hidden=hidden, activation=activation,
        output_activation=output_activation, loss=loss, optimizer=optimizer,
        lr=spec.lr if args.lr is None else args.lr, momentum=args.momentum,
        epochs=spec.epochs if args.epochs is None else args.epochs, batch_size=batch_size,
        samples=spec.samples if args.samples is None else args.samples, l2=args.l2, seed=args.seed,
        out=output_directory(args.out or f"tracegrad-{args.dataset}"), compile=args.compile,
        article_start=args.dataset == "icecream" and hidden == [2] and activation == "relu")


def parameter_count(sizes: Sequence[int]) -> int:
    """Weights and biases of a fully connected network with these layer sizes (inputs first)."""
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))


def make_model(settings: TrainSettings) -> MLP:
    """The network to train: an MLP of the settings, or the ice-cream article's own network."""
    if settings.article_start:
        return icecream_network(output_bias=0.0)
    outputs = 2 if settings.loss == "cross_entropy" else 1
    return MLP(2, settings.hidden + [outputs], activation=settings.activation,
               output_activation=settings.output_activation, seed=settings.seed)


def _scores(model: Module, points: Sequence[Sequence[float]]) -> list[float]:
    """One number per point: the output, or class 1's logit minus class 0's for two outputs."""
    predictions = model.predict(points)
    return [p[1] - p[0] if isinstance(p, list) else p for p in predictions]


def output_files(settings: TrainSettings) -> list[Path]:
    """The files a training run writes, known before it starts."""
    if settings.spec.task == "classification":
        plot = "boundary.png"
    else:
        plot = "surface.png" if settings.dataset == "tower" else "fit.png"
    return [settings.out / name for name in ("loss.png", plot, "model.json", "graph.svg", "summary.json")]


def run(args: argparse.Namespace) -> int:
    """Train, then write plots, model, graph and a summary."""
    settings = resolve_train_settings(args)
    # Before minutes of training, not after: every output can be written, Graphviz runs.
    check_outputs(output_files(settings))
    require_graphviz(GRAPHVIZ_HINT)
    X, y = settings.spec.make(settings.samples, settings.seed)
    model = make_model(settings)
    parameters = model.parameters()
    options = {"momentum": settings.momentum} if settings.optimizer == "sgd" else {}
    optimizer = OPTIMIZERS[settings.optimizer](parameters, lr=settings.lr, **options)
    sizes = "-".join(str(n) for n in [2] + settings.hidden + [len(model.layers[-1].neurons)])
    print(_("{dataset}: {samples} samples; MLP {sizes} ({parameters} parameters), {activation}, "
            "{loss} loss, {optimizer} lr {lr}{momentum}, {epochs}, {batch}{compiled}").format(
        dataset=settings.dataset, samples=len(X), sizes=sizes, parameters=len(parameters),
        activation=settings.activation, loss=settings.loss, optimizer=settings.optimizer, lr=f"{settings.lr:g}",
        momentum=_(" momentum {momentum}").format(momentum=f"{settings.momentum:g}") if settings.momentum else "",
        epochs=ngettext("{count} epoch", "{count} epochs", settings.epochs).format(count=settings.epochs),
        batch=batch_text(settings.batch_size, sgd=True), compiled=_(", compiled") if settings.compile else ""))
    if settings.article_start:
        print(_("starting from the ice-cream article's parameters with the output bias set to 0"))
    started = time.perf_counter()
    try:
        history = model.fit(X, y, loss=settings.loss, optimizer=optimizer, epochs=settings.epochs,
                            batch_size=settings.batch_size, shuffle_seed=settings.seed,
                            verbose=not args.quiet, l2=settings.l2,
                            compile=settings.compile)
    except FloatingPointError as error:
        raise CommandError(_("{error} (nothing was written)").format(error=error)) from None
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
        "compiled": settings.compile,
        "final_loss": final_loss,
        "accuracy": accuracy,
        "seconds": round(seconds, 3),
        "history": history.as_dict(),
        "predictions": model.predict(X),
    }
    outputs[output_files(settings)[-1]] = json.dumps(summary, indent=1) + "\n"
    written = write_outputs(outputs)
    # The progress bar and loss.png show each epoch's mean loss while its
    # updates ran (with any penalty); this is the loss once they are done.
    line = _("trained in {seconds} s: loss after training {loss}").format(seconds=f"{seconds:.1f}",
                                                                          loss=f"{final_loss:.4g}")
    if accuracy is not None:
        line += _(", training accuracy {accuracy}").format(accuracy=f"{accuracy:.1%}")
    print(line)
    if settings.l2:
        note = _("  (on all {samples} samples after the last update; the progress bar and loss.png show "
                 "each epoch's mean during its updates, penalty included: {loss} in the last epoch)")
    else:
        note = _("  (on all {samples} samples after the last update; the progress bar and loss.png show "
                 "each epoch's mean during its updates: {loss} in the last epoch)")
    print(note.format(samples=len(X), loss=f"{history.loss[-1]:.4g}"))
    report(written, ngettext("wrote {count} file into {folder}/:", "wrote {count} files into {folder}/:",
                             len(written)).format(count=len(written), folder=settings.out))
    return EXIT_OK


def training_outputs(settings: TrainSettings, model: MLP, history: History, X: Samples,
                     y: Sequence[float]) -> dict[Path, bytes | str]:
    """Every file of a training run but the summary, rendered in memory: nothing is written yet."""
    from autograd import draw
    from nn.serialization import to_json

    from .. import plots

    loss_png, plot_png, model_json, graph_svg, _summary_json = output_files(settings)
    outputs: dict[Path, bytes | str] = {}
    figure = plots.loss_curve(history, title=_("{dataset}: {loss} loss per epoch").format(
        dataset=settings.dataset, loss=settings.loss), log_scale=True)
    outputs[loss_png] = plots.png_bytes(figure)
    if settings.spec.task == "classification":
        figure = plots.decision_boundary(lambda points: _scores(model, points), X, y,
                                         threshold=CLASSIFICATION_THRESHOLDS[settings.loss],
                                         resolution=50, title=_("{dataset}: decision boundary").format(
                                             dataset=settings.dataset))
    elif settings.dataset == "tower":
        figure = _tower_figure(model)
    else:
        figure = plots.predictions_vs_targets(y, _scores(model, X),
                                              title=_("{dataset}: predictions after training").format(
                                                  dataset=settings.dataset))
    outputs[plot_png] = plots.png_bytes(figure)
    outputs[model_json] = to_json(model)
    root = model(X[0])
    if isinstance(root, list):
        root = total(root)
    root.backward()
    outputs[graph_svg] = render_graph(with_language(draw, root, collapse="neurons"), ".svg", GRAPHVIZ_HINT)
    return outputs


def _tower_figure(model: MLP) -> "Figure":
    from .. import plots

    with plots.language_font():
        return _draw_tower(model)


def _draw_tower(model: MLP) -> "Figure":
    """The tower target and the trained network side by side, as heat maps."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    steps = [-1.5 + 3.0 * i / 59 for i in range(60)]
    grid = [[x, y] for y in steps for x in steps]
    target = [data.tower(x, y) for x, y in grid]
    learned = model.predict(grid)
    for ax, values, title in ((axes[0], target, _("target: the sigmoid tower")),
                              (axes[1], learned, _("the trained network"))):
        rows = [values[i * 60:(i + 1) * 60] for i in range(60)]
        image = ax.imshow(rows, origin="lower", extent=(-1.5, 1.5, -1.5, 1.5), vmin=0.0, vmax=1.0,
                          cmap="viridis")
        ax.set_title(title)
    figure.colorbar(image, ax=list(axes), shrink=0.8)
    return figure
