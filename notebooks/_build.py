"""Writes the teaching notebooks of this directory from the text below.

    python notebooks/_build.py          # (re)write every notebook
    python notebooks/_build.py --check  # exit 1 if a notebook differs from this file

The notebooks are committed without outputs; the test suite runs each one
top to bottom and checks that this script would write them byte for byte.
Edit a notebook here, not in Jupyter (or copy your change back here).

Each notebook ends with an exercise: a cell holding ``answer = ...`` for the
reader to fill in, and a check cell (tagged ``hide-input``, its source
collapsed in Jupyter) that says "Not answered yet", "Correct!" or raises an
AssertionError with a hint. The exercise cell's metadata keeps a correct and
a wrong answer, which the tests substitute to check the check.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(text: str, **metadata: object) -> nbformat.NotebookNode:
    return new_code_cell(textwrap.dedent(text).strip("\n"), metadata=dict(metadata))


def exercise(prompt: str, stub: str, solution: str, wrong: str, check: str) -> list[nbformat.NotebookNode]:
    """The closing exercise: its text, the cell to fill in, and the hidden check."""
    return [
        md("## Exercise\n\n" + textwrap.dedent(prompt).strip("\n")),
        code(stub, tags=["exercise"], tracegrad={"solution": textwrap.dedent(solution).strip("\n"),
                                                 "wrong": textwrap.dedent(wrong).strip("\n")}),
        code("# Check your answer: run this cell (its code is hidden in the rendered notebook).\n"
             + textwrap.dedent(check).strip("\n"),
             tags=["hide-input", "check-answer"], jupyter={"source_hidden": True}),
    ]


def notebook(stem: str, cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    for index, cell in enumerate(cells):
        cell["id"] = f"{stem[:2]}-{index:02d}"  # stable ids: the same text, the same file
    return new_notebook(
        cells=cells,
        metadata={
            "kernelspec": KERNELSPEC,
            "language_info": {"name": "python", "pygments_lexer": "ipython3"},
        },
    )


# =============================================================================================
# 01 · A neuron
# =============================================================================================


def neuron() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 1 · A neuron

        *Seeds 000 and 001.* Training a neural network sounds mysterious, but the network is just a
        function with adjustable numbers inside, its **parameters** (参数). Training means nudging
        those numbers until the function's outputs come close to the answers we want. This notebook
        looks at the smallest piece of such a function: one **neuron** (神经元).

        A neuron takes inputs $x_1, \\dots, x_n$ and does three things:

        1. a **weighted sum** (加权求和): each input is multiplied by its **weight** (权重) $w_i$,
           which says how much that input matters, and the products are added up;
        2. a **bias** (偏置) $b$ is added: $n = \\sum_i w_i x_i + b$;
        3. an **activation function** (激活函数) $f$ bends the result: $y = f(n)$.

        The output $y$ is a single number (a scalar). Every step is an operation of the engine, so
        we can watch the numbers flow forward and the gradients flow back.
        """),
        code("""
        import math

        import matplotlib.pyplot as plt

        from autograd import Stepper, Value, draw, explain
        """),
        md("""
        ## Forward: from inputs to output

        Two inputs, two weights and a bias, with the numbers of micrograd's famous example. The
        bias is chosen so that the weighted sum comes out at $n \\approx 0.8814$, where
        $\\tanh(n) = 1/\\sqrt 2$. Giving each Value a `label` makes the drawing readable.
        """),
        code("""
        x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
        w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
        b = Value(6.8813735870195432, label="b")

        x1w1 = x1 * w1; x1w1.label = "x1*w1"
        x2w2 = x2 * w2; x2w2.label = "x2*w2"
        weighted = x1w1 + x2w2; weighted.label = "x1*w1 + x2*w2"
        n = weighted + b; n.label = "n"
        o = n.tanh(); o.label = "o"
        print(f"n = {n.data:.4f}   o = tanh(n) = {o.data:.4f}")
        """),
        md("""
        Computing the output from the inputs, left to right, is the **forward pass** (前向传播).
        The engine recorded every operation as a node of a **computation graph**. Here it is:
        each box is a value (its label and `data`), each small node between boxes an operation.
        No gradients yet, so they are not shown.
        """),
        code("""
        draw(o, show_grads=False)
        """),
        md("""
        ## Backward: how much does each number matter?

        `o.backward()` runs **backpropagation** (反向传播): it fills every node's `grad` with the
        derivative of the output with respect to that node, $\\partial o / \\partial \\text{node}$.
        A gradient (梯度) answers the question *if I nudged this number up a little, how much would
        the output move, and in which direction?*
        """),
        code("""
        o.backward()
        for leaf in (x1, w1, x2, w2, b):
            print(f"do/d{leaf.label:<2} = {leaf.grad:+.4f}")
        draw(o)
        """),
        md("""
        Read the numbers from the output back to the inputs:

        * $\\partial o/\\partial n = 1 - \\tanh^2(n) = 1 - 0.5 = 0.5$: the slope of tanh at $n$.
        * The additions pass that 0.5 unchanged to each of their inputs, so `b`, `x1*w1` and
          `x2*w2` all get 0.5.
        * A product passes each factor *the other factor* times the gradient: $w_1$ gets
          $x_1 \\times 0.5 = 1.0$ and $x_1$ gets $w_1 \\times 0.5 = -1.5$.
        * $w_2$ gets $x_2 \\times 0.5 = 0$: its input is zero, so this sample cannot tell us anything
          about $w_2$. Changing it would not change the output at all.

        ## Backward, one node at a time

        `backward()` visits the nodes in reverse topological order (every node before the nodes it
        was computed from). At each node it takes the gradient that has arrived from above (the
        **upstream** gradient), multiplies it by the **local derivative** of the node with respect
        to each input, and adds the product to that input's `grad`. That multiplication is the
        **chain rule** (链式法则). Here is every step, with the numbers the engine multiplies:
        """),
        code("""
        stepper = Stepper(o)
        for index in range(len(stepper)):
            print(stepper.frame_text(index))
        """),
        md("""
        In Jupyter, displaying the stepper gives Prev / Next buttons and a slider that walk through
        the same steps on the drawing: the current node in orange, the inputs it sends gradient to
        in blue. (Run the notebook yourself to click through it.)
        """),
        code("""
        stepper
        """),
        md("""
        `explain` writes the chain rule out for one input: it multiplies the local derivatives along
        every path from the output down to that input, and adds the paths.
        """),
        code("""
        print(explain(o, wrt=w1))
        """),
        md("""
        ## What a gradient promises

        `w1.grad = 1.0` predicts that raising $w_1$ by a small $h$ raises the output by about
        $1.0 \\times h$. Check it by recomputing the neuron with a nudged weight:
        """),
        code("""
        def neuron_output(w1_value, bias=b.data):
            return math.tanh(x1.data * w1_value + x2.data * w2.data + bias)

        h = 1e-4
        measured = (neuron_output(w1.data + h) - neuron_output(w1.data)) / h
        print(f"predicted by the gradient: {w1.grad:.4f}   measured: {measured:.4f}")
        """),
        md("""
        ## Why the bias matters

        The seeds give two reasons for the bias.

        **Without a bias, a zero input forces the output.** If every input is 0, the weighted sum is
        0 whatever the weights, so the output is always $f(0)$: 0 for tanh, 0.5 for sigmoid. Worse,
        each weight's gradient is its input times the upstream gradient, so it is 0 as well: the
        weights cannot even learn from such a sample. A bias gives the neuron a say of its own.
        """),
        code("""
        for weights in ([1.0, 2.0], [-5.0, 0.3], [10.0, -10.0]):
            ws = [Value(w) for w in weights]
            xs = [Value(0.0), Value(0.0)]
            y = (ws[0] * xs[0] + ws[1] * xs[1]).tanh()
            y.backward()
            print(f"weights {weights}: output {y.data:.3f}, weight gradients {[w.grad for w in ws]}")

        bias = Value(0.8)
        y = (Value(1.0) * Value(0.0) + bias).tanh()
        y.backward()
        print(f"with a bias of 0.8: output {y.data:.3f}, bias gradient {bias.grad:.3f}")
        """),
        md("""
        **The bias moves the threshold.** A sigmoid neuron with one input, $\\sigma(w x + b)$,
        switches from "off" to "on" where $w x + b = 0$, that is at $x = -b/w$. The bias plays the
        part of the intercept (截距) of a line: it slides the curve left or right without changing
        its shape. (The curves below are computed with the engine.)
        """),
        code("""
        xs = [i / 20 for i in range(-120, 121)]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for bias_value in (-4.0, 0.0, 4.0):
            ys = [(Value(2.0) * x + bias_value).sigmoid().data for x in xs]
            ax.plot(xs, ys, label=f"b = {bias_value:g}: switches at x = {-bias_value / 2:g}")
        ax.axhline(0.5, color="0.7", linewidth=0.8)
        ax.set_xlabel("x"); ax.set_ylabel("sigmoid(2x + b)"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        One more fact worth remembering: since $\\partial n/\\partial b = 1$, the bias's gradient is
        exactly the gradient arriving at the weighted sum. The bias feels the error signal of its
        neuron directly.
        """),
        code("""
        print(f"b.grad = {b.grad}, n.grad = {n.grad}, equal: {b.grad == n.grad}")
        """),
        *exercise(
            prompt="""
            A sigmoid neuron with one input computes $y = \\sigma(w x + b)$ with $x = 1.5$,
            $w = -2$ and $b = 0.5$. Use the chain rule by hand to find $\\partial y/\\partial w$:

            $$\\frac{\\partial y}{\\partial w} = \\sigma'(z) \\cdot \\frac{\\partial z}{\\partial w},
            \\qquad \\sigma'(z) = \\sigma(z)\\,(1 - \\sigma(z)), \\qquad z = w x + b.$$

            Compute it with `math.exp` (not with `backward()`) and put the number in `answer`.
            """,
            stub="""
            answer = ...  # your value of dy/dw
            """,
            solution="""
            z = -2 * 1.5 + 0.5
            s = 1 / (1 + math.exp(-z))
            answer = s * (1 - s) * 1.5
            """,
            wrong="""
            answer = 0.25 * 1.5
            """,
            check="""
            _x, _w, _b = Value(1.5), Value(-2.0), Value(0.5)
            _y = (_w * _x + _b).sigmoid()
            _y.backward()
            if answer is ...:
                print("Not answered yet: replace ... with your number, then run this cell again.")
            else:
                assert math.isclose(answer, _w.grad, rel_tol=1e-6), (
                    f"Not quite: {answer!r}. Evaluate sigma at z = w*x + b = -2.5, "
                    "then multiply sigma*(1 - sigma) by dz/dw = x.")
                print(f"Correct! dy/dw = {_w.grad:.6f}, and the engine's backward agrees.")
            """,
        ),
    ]


# =============================================================================================
# 02 · Activations
# =============================================================================================


def activations() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 2 · Activation functions

        *Seeds 000 and 003.* Without an activation function (激活函数) a network can only compute
        weighted sums of weighted sums, which is still one weighted sum (notebook 3 shows this with
        numbers). The activation bends the line. This notebook plots the usual ones together with
        their derivatives, **computed by the engine's own backward pass**, and then looks at two
        ways training goes wrong because of them: vanishing gradients and dead ReLUs.
        """),
        code("""
        import math

        import matplotlib.pyplot as plt

        from autograd import Value, draw
        from nn import softmax


        def value_and_slope(function, x):
            \"\"\"f(x) and f'(x), the slope read from the engine's backward pass.\"\"\"
            v = Value(x)
            y = function(v)
            y.backward()
            return y.data, v.grad


        ACTIVATIONS = {
            "sigmoid": Value.sigmoid,
            "tanh": Value.tanh,
            "ReLU": Value.relu,
            "Leaky ReLU (0.1)": lambda v: v.leaky_relu(0.1),
        }
        """),
        md("""
        ## Four activations and their slopes

        * **Sigmoid** $\\sigma(x) = 1/(1 + e^{-x})$ squeezes any number into $(0, 1)$, which makes it
          a natural output for a yes/no probability.
        * **Tanh** squeezes into $(-1, 1)$ and is 0 at 0.
        * **ReLU** (Rectified Linear Unit) $\\max(0, x)$ keeps positive numbers and zeroes the rest.
        * **Leaky ReLU** $\\max(\\alpha x, x)$ lets a little through for negative inputs
          ($\\alpha = 0.1$ here to make it visible; 0.01 is the usual default).
        """),
        code("""
        xs = [i / 20 for i in range(-120, 121)]
        fig, axes = plt.subplots(2, 4, figsize=(12, 5), sharex=True)
        for column, (name, function) in enumerate(ACTIVATIONS.items()):
            values, slopes = zip(*(value_and_slope(function, x) for x in xs))
            axes[0, column].plot(xs, values)
            axes[0, column].set_title(name)
            axes[1, column].plot(xs, slopes, color="tab:red")
            axes[1, column].set_xlabel("x")
            for ax in axes[:, column]:
                ax.grid(alpha=0.3)
        axes[0, 0].set_ylabel("f(x)")
        axes[1, 0].set_ylabel("f'(x), from backward")
        fig.tight_layout()
        plt.show()
        """),
        code("""
        print("slope at x =      -5       -2        0        2        5")
        for name, function in ACTIVATIONS.items():
            slopes = [value_and_slope(function, x)[1] for x in (-5, -2, 0, 2, 5)]
            print(f"{name:<17}" + "".join(f"{s:9.4f}" for s in slopes))
        """),
        md("""
        What the slopes say:

        * The sigmoid's slope is at most $\\sigma(0)(1-\\sigma(0)) = 0.25$, and it is nearly 0 once
          $|x|$ is a few units: the curve **saturates**. A saturated neuron passes almost no
          gradient back.
        * Tanh's slope reaches 1 at 0 but saturates the same way.
        * ReLU's slope is exactly 1 for every positive input and exactly 0 for every negative one.
          At the kink, $x = 0$, the engine (like PyTorch) takes the slope to be 0.
        * Leaky ReLU never has slope 0.

        ## Softmax

        Softmax is different: it maps a whole list of numbers (the **logits**) to a list of
        probabilities, $p_i = e^{z_i} / \\sum_j e^{z_j}$: each in $(0, 1)$, together summing to 1. It
        is the usual output layer for choosing among more than two classes. Each output depends on
        every input, so its derivative is a table, the Jacobian:
        $\\partial p_i/\\partial z_j = p_i(\\delta_{ij} - p_j)$, where $\\delta_{ij}$ is 1 if
        $i = j$ and 0 otherwise.
        """),
        code("""
        logits = [Value(2.0, label="z1"), Value(1.0, label="z2"), Value(0.1, label="z3")]
        probabilities = softmax(logits)
        print("p =", [round(p.data, 4) for p in probabilities], " sum =", sum(p.data for p in probabilities))

        print("Jacobian dp_i/dz_j, row by row from backward, then from the formula:")
        for i, p_i in enumerate(probabilities):
            for z in logits:
                z.grad = 0.0  # leaves accumulate gradients, so clear them between passes
            p_i.backward()
            from_backward = [z.grad for z in logits]
            from_formula = [p_i.data * ((i == j) - p_j.data) for j, p_j in enumerate(probabilities)]
            print("  ", [f"{g:+.4f}" for g in from_backward], " ", [f"{g:+.4f}" for g in from_formula])
        """),
        md("""
        Each row of the Jacobian sums to 0: adding the same number to every logit does not change
        the probabilities. The engine's softmax uses exactly that fact to stay finite. Computed
        naively, $e^{1000}$ overflows to infinity and the probabilities become `nan`; subtracting
        the largest logit first changes nothing mathematically and keeps every exponential at
        most 1.
        """),
        code("""
        big = [Value(1000.0), Value(1001.0), Value(1002.0)]
        exps = [z.exp() for z in big]
        naive = [e / (exps[0] + exps[1] + exps[2]) for e in exps]
        print("naive:   ", [p.data for p in naive])
        print("softmax: ", [round(p.data, 4) for p in softmax(big)])
        """),
        md("""
        ## Vanishing gradients

        A **gradient** tells each parameter which way to move. Backpropagation multiplies local
        derivatives along the path from the loss back to a parameter, so a long path of small
        factors gives a tiny product: the **vanishing gradient** problem (梯度消失). The early
        layers of a deep sigmoid network then barely learn.

        Take the simplest deep network: a chain of one-neuron layers, $h \\leftarrow f(h)$ repeated
        $d$ times, starting from $x = 1$. The gradient that reaches the input is the product of
        the $d$ local slopes.
        """),
        code("""
        def chain_gradient(function, depth, start=1.0):
            x = Value(start)
            h = x
            for _ in range(depth):
                h = function(h)
            h.backward()
            return x.grad


        depths = list(range(1, 31))
        fig, ax = plt.subplots(figsize=(6.5, 3.6))
        for name in ("sigmoid", "tanh", "ReLU"):
            ax.semilogy(depths, [chain_gradient(ACTIVATIONS[name], d) for d in depths], "o-",
                        markersize=3, label=name)
        ax.set_xlabel("depth of the chain")
        ax.set_ylabel("gradient reaching the input")
        ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        for name in ("sigmoid", "tanh", "ReLU"):
            print(f"{name:<8} depth 10: {chain_gradient(ACTIVATIONS[name], 10):.3g}   "
                  f"depth 30: {chain_gradient(ACTIVATIONS[name], 30):.3g}")
        """),
        md("""
        The sigmoid chain loses a factor of about 4.5 per layer; after 30 layers the input's
        gradient is around $10^{-20}$. Tanh does better here only because the signal itself shrinks
        towards 0, where tanh's slope is 1; with inputs far from 0 it saturates like the sigmoid.
        ReLU passes the gradient on unchanged (slope 1 for a positive input), which is one reason it
        became the default for hidden layers. Here is a four-deep sigmoid
        chain, so you can see the gradient shrink node by node:
        """),
        code("""
        x = Value(1.0, label="x")
        h = x
        for layer in range(1, 5):
            h = h.sigmoid()
            h.label = f"h{layer}"
        h.backward()
        draw(h)
        """),
        md("""
        ## Dead ReLUs

        ReLU's strength has a flip side, the **dead ReLU** (死亡ReLU): a neuron whose weighted sum is
        negative for *every* input outputs 0 everywhere, and its slope there is 0, so every gradient
        through it is 0. Gradient descent (梯度下降, which moves each parameter a little against its
        gradient; notebook 5 builds it up) then never changes its weights or bias again: it is dead
        for good. Leaky ReLU keeps a small slope for negative inputs, so a gradient always flows.

        Below, one neuron must learn $y = \\max(0, x)$ on inputs in $[-1, 1]$. A ReLU neuron with
        $w = 1, b = 0$ computes exactly that, but ours starts with a bias of $-3$, so $w x + b < 0$
        for every input. We run 200 steps of gradient descent with each activation.
        """),
        code("""
        inputs = [i / 10 for i in range(-10, 11)]
        targets = [max(0.0, x) for x in inputs]


        def train_one_neuron(activation, steps=200, lr=0.5):
            w, b = Value(0.5, label="w"), Value(-3.0, label="b")
            for step in range(steps):
                predictions = [activation(w * x + b) for x in inputs]
                loss = sum((p - t) ** 2 for p, t in zip(predictions, targets)) / len(inputs)
                w.grad = b.grad = 0.0
                loss.backward()
                if step == 0:
                    first = (w.grad, b.grad)
                w.data -= lr * w.grad
                b.data -= lr * b.grad
            return first, w.data, b.data, loss.data


        for name in ("ReLU", "Leaky ReLU (0.1)"):
            (gw, gb), w_end, b_end, loss_end = train_one_neuron(ACTIVATIONS[name])
            print(f"{name:<17} first gradients: dL/dw = {gw:+.4f}, dL/db = {gb:+.4f}   "
                  f"after 200 steps: w = {w_end:.3f}, b = {b_end:.3f}, loss = {loss_end:.4f}")
        """),
        md("""
        The ReLU neuron starts with gradients of exactly zero and never moves: $w$ and $b$ are still
        0.5 and $-3$ after 200 steps, and its loss never changes. The leaky neuron gets a small
        gradient, its bias climbs out of the dead zone, and it ends close to $w = 1, b = 0$. The
        drawing shows why, for one input: the ReLU node's local derivative is 0, so `w` and `b`
        (outlined) receive nothing.
        """),
        code("""
        w, b, x = Value(0.5, label="w"), Value(-3.0, label="b"), Value(0.8, label="x")
        out = (w * x + b).relu(); out.label = "relu"
        loss = (out - max(0.0, x.data)) ** 2; loss.label = "loss"
        loss.backward()
        draw(loss, highlight=[w, b])
        """),
        *exercise(
            prompt="""
            The sigmoid's slope is largest at 0, where it equals $\\sigma(0)(1 - \\sigma(0))$. A chain
            of 10 sigmoid neurons (all weights 1) multiplies 10 such slopes together. What is the
            **largest** possible gradient that can reach the input of such a chain? Put the number
            in `answer`.
            """,
            stub="""
            answer = ...  # the largest possible gradient through 10 sigmoids
            """,
            solution="""
            answer = (0.5 * (1 - 0.5)) ** 10
            """,
            wrong="""
            answer = 0.5 ** 10
            """,
            check="""
            _slope = value_and_slope(Value.sigmoid, 0.0)[1]
            if answer is ...:
                print("Not answered yet: replace ... with your number, then run this cell again.")
            else:
                assert math.isclose(answer, _slope ** 10, rel_tol=1e-9), (
                    f"Not quite: {answer!r}. The largest slope of one sigmoid is sigma(0)*(1 - sigma(0)); "
                    "multiply ten of them.")
                print(f"Correct! At most 0.25**10 = {_slope ** 10:.3g}: less than a millionth survives, "
                      f"and the chain above (which starts at x = 1) passes {chain_gradient(Value.sigmoid, 10):.3g}.")
            """,
        ),
    ]


# =============================================================================================
# 03 · Layers
# =============================================================================================


def layers() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 3 · Layers

        *Seed 001.* One neuron outputs one number. A **layer** (层) is several neurons reading the same
        inputs, each with its own weights and bias. Written with matrices: stack the weight vectors
        of the $m$ neurons as the rows of a matrix $W$ ($m \\times n$) and the biases into a vector
        $\\mathbf b$; then the layer computes

        $$\\mathbf z = W\\mathbf x + \\mathbf b, \\qquad \\mathbf y = f(\\mathbf z) \\text{ (element by element)}.$$

        "The neurons work in parallel" means exactly this matrix form, not threads: the seed makes
        the same point. Our engine computes each neuron's sum one scalar at a time, so every
        multiplication can be seen.
        """),
        code("""
        import random

        import matplotlib.pyplot as plt

        from autograd import Value, draw
        from nn import MLP, Layer, total
        """),
        code("""
        layer = Layer(3, 2, activation="tanh", seed=1)
        layer.neurons[0].b.data, layer.neurons[1].b.data = 0.25, -0.5  # biases start at 0; give them a say
        for name, parameter in layer.named_parameters():
            print(f"{name:6} {parameter.data:+.4f}")
        """),
        md("""
        The names say where each number lives: `N1.w2` is neuron 1's weight on input 2. Read them as
        a matrix and a vector, and compute $\\tanh(W\\mathbf x + \\mathbf b)$ by hand, then let the
        layer do it:
        """),
        code("""
        W = [[neuron.w[i].data for i in range(3)] for neuron in layer.neurons]
        b = [neuron.b.data for neuron in layer.neurons]
        x = [0.5, -1.0, 2.0]

        import math
        by_hand = [math.tanh(sum(W[j][i] * x[i] for i in range(3)) + b[j]) for j in range(2)]
        by_layer = layer(x)
        print("W =", [[round(w, 4) for w in row] for row in W], " b =", b)
        print("by hand: ", [round(v, 6) for v in by_hand])
        print("by layer:", [round(v.data, 6) for v in by_layer])
        """),
        md("""
        The drawing groups each neuron's operations in a box named after it (`N1`, `N2`). The
        engine draws one output node, so to see both neurons at once we add their outputs into
        one.
        """),
        code("""
        outputs = layer([Value(0.5, label="x1"), Value(-1.0, label="x2"), Value(2.0, label="x3")])
        both = total(outputs); both.label = "y1 + y2"
        both.backward()
        draw(both)
        """),
        md("""
        ## Layers stacked: a multi-layer network

        Stacking layers gives a **multilayer network** (多层神经网络): the **input layer** (输入层)
        is the data itself, then come **hidden layers** (隐藏层), whose outputs $\\mathbf h$ nobody
        sees directly, and last the **output layer** (输出层). `MLP(3, [4, 4, 1])` has two hidden
        layers of 4 neurons and one output neuron. Even this small network has many nodes, so we
        draw it with each neuron folded into one box:
        """),
        code("""
        mlp = MLP(3, [4, 4, 1], activation="tanh", seed=0)
        y = mlp([0.5, -1.0, 2.0])
        y.backward()
        print(f"{len(mlp.parameters())} parameters; output {y.data:.4f}")
        draw(y, collapse="neurons")
        """),
        md("""
        ## Without activations, depth buys nothing

        Take two layers with no activation (a "linear" activation, the identity):
        $\\mathbf h = W_1\\mathbf x + \\mathbf b_1$ and $\\mathbf y = W_2\\mathbf h + \\mathbf b_2$.
        Substituting,

        $$\\mathbf y = W_2(W_1\\mathbf x + \\mathbf b_1) + \\mathbf b_2
                     = (W_2W_1)\\,\\mathbf x + (W_2\\mathbf b_1 + \\mathbf b_2),$$

        which is **one** linear layer with $W = W_2W_1$ and $\\mathbf b = W_2\\mathbf b_1 + \\mathbf b_2$.
        However many linear layers we stack, the network collapses into a single one: a **linear
        model** (线性模型), which can only draw straight lines and flat planes. Let us check it with
        numbers.
        """),
        code("""
        linear = MLP(3, [4, 2], activation="linear", output_activation="linear", seed=2)
        first, second = linear.layers
        rng = random.Random(0)
        for neuron in first.neurons + second.neurons:
            neuron.b.data = rng.uniform(-1, 1)  # non-zero biases, so the b formula is tested too
        W1 = [[w.data for w in neuron.w] for neuron in first.neurons]
        b1 = [neuron.b.data for neuron in first.neurons]
        W2 = [[w.data for w in neuron.w] for neuron in second.neurons]
        b2 = [neuron.b.data for neuron in second.neurons]

        # One equivalent layer: W = W2 W1, b = W2 b1 + b2.
        W = [[sum(W2[r][k] * W1[k][c] for k in range(4)) for c in range(3)] for r in range(2)]
        b = [sum(W2[r][k] * b1[k] for k in range(4)) + b2[r] for r in range(2)]

        worst = 0.0
        for _ in range(100):
            x = [rng.uniform(-3, 3) for _ in range(3)]
            two_layers = [v.data for v in linear(x)]
            one_layer = [sum(W[r][c] * x[c] for c in range(3)) + b[r] for r in range(2)]
            worst = max(worst, *(abs(p - q) for p, q in zip(two_layers, one_layer)))
        print("the single layer: W =", [[round(w, 4) for w in row] for row in W], " b =", [round(v, 4) for v in b])
        print(f"largest difference over 100 random inputs: {worst:.2e}")
        """),
        md("""
        The gradients tell the same story. For a linear network the derivative of an output with
        respect to an input is the same number everywhere (it is an entry of $W$); with an
        activation it changes from point to point:
        """),
        code("""
        def input_gradient(model, point):
            xs = [Value(v) for v in point]
            out = model(xs)
            out = out[0] if isinstance(out, list) else out
            out.backward()
            return [round(v.grad, 4) for v in xs]


        bent = MLP(3, [4, 2], activation="tanh", output_activation="linear", seed=2)
        for point in ([0.0, 0.0, 0.0], [1.0, -2.0, 0.5], [3.0, 3.0, -3.0]):
            print(f"at {point}: linear dy1/dx = {input_gradient(linear, point)}   "
                  f"tanh dy1/dx = {input_gradient(bent, point)}")
        print("row 1 of W:", [round(w, 4) for w in W[0]])
        """),
        md("""
        The linear network's gradient is row 1 of $W$ at every point. The tanh network agrees with it
        only at the origin (its biases are 0 and tanh has slope 1 at 0); elsewhere its slopes change.
        """),
        md("""
        ## Activations break the collapse

        Put an activation between the layers and the substitution no longer works: $\\tanh$ or ReLU
        cannot be pulled out of the sum. That is how the network gets its **non-linearity**
        (非线性). A quick test: an affine map $g$ (linear plus a constant) always satisfies
        $g(\\mathbf a+\\mathbf c) - g(\\mathbf a) - g(\\mathbf c) + g(\\mathbf 0) = 0$.
        """),
        code("""
        def affine_defect(model, a, c):
            def g(v):
                return [out.data for out in model(v)]
            s = [ai + ci for ai, ci in zip(a, c)]
            return max(abs(p - q - r + t) for p, q, r, t in zip(g(s), g(a), g(c), g([0.0, 0.0, 0.0])))


        a, c = [1.0, -0.5, 2.0], [0.3, 1.2, -1.0]
        print(f"linear layers: {affine_defect(linear, a, c):.2e}")
        print(f"tanh between:  {affine_defect(bent, a, c):.4f}")
        """),
        md("""
        In one dimension the difference is easy to see. A stack of linear layers draws a straight
        line, whatever its weights; put ReLU between the same layers and the line gets kinks, one
        wherever some ReLU switches on or off; tanh bends it smoothly. Enough bends can follow any
        curve (notebook 8).
        """),
        code("""
        xs = [i / 20 for i in range(-60, 61)]
        fig, ax = plt.subplots(figsize=(6, 3.4))
        for activation in ("linear", "relu", "tanh"):
            model = MLP(1, [8, 8, 1], activation=activation, seed=4)
            ax.plot(xs, model.predict([[x] for x in xs]), label=f"{activation} between the layers")
        ax.set_xlabel("x"); ax.set_ylabel("output"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        *exercise(
            prompt="""
            Two linear layers, with no activation:
            $W_1 = \\begin{pmatrix} 1 & 2 \\\\ 0 & -1 \\end{pmatrix}$, $\\mathbf b_1 = (0.5, 1)$,
            $W_2 = \\begin{pmatrix} 3 & -1 \\end{pmatrix}$, $\\mathbf b_2 = (2)$.
            Find the single layer they collapse into: `answer = (W, b)` with `W` a list of rows
            and `b` a list, e.g. `([[1.0, 2.0]], [3.0])`.
            """,
            stub="""
            answer = ...  # (W, b) of the equivalent single layer
            """,
            solution="""
            answer = ([[3 * 1 + (-1) * 0, 3 * 2 + (-1) * (-1)]], [3 * 0.5 + (-1) * 1 + 2])
            """,
            wrong="""
            answer = ([[3.0, 5.0]], [2.0])
            """,
            check="""
            from nn import Sequential
            _net = Sequential(Layer(2, 2, activation="linear"), Layer(2, 1, activation="linear"))
            _net.load_state_dict({"L1.N1.w1": 1, "L1.N1.w2": 2, "L1.N1.b": 0.5, "L1.N2.w1": 0, "L1.N2.w2": -1,
                                  "L1.N2.b": 1, "L2.N1.w1": 3, "L2.N1.w2": -1, "L2.N1.b": 2})
            if answer is ...:
                print("Not answered yet: replace ... with your (W, b), then run this cell again.")
            else:
                _W, _b = answer
                for _x in ([0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [2.5, -1.5]):
                    _mine = sum(w * v for w, v in zip(_W[0], _x)) + _b[0]
                    assert abs(_mine - _net(_x).data) < 1e-9, (
                        f"Not quite: at x = {_x} your layer gives {_mine}, the two layers give "
                        f"{_net(_x).data}. Remember W = W2 W1 and b = W2 b1 + b2.")
                print("Correct! W = [[3, 7]] and b = [2.5]: two layers, one straight plane.")
            """,
        ),
    ]


# =============================================================================================
# 04 · Losses
# =============================================================================================


def losses() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 4 · Loss functions

        *Seed 003.* To improve a model we need one number that says how wrong it is: the **loss
        function** (损失函数), $L(\\hat y, y)$, comparing the prediction $\\hat y$ with the true
        value $y$. A good loss grows as the model gets worse and is smooth enough to
        differentiate. Training is then "make this number small", and backpropagation starts from
        it. Two losses cover most of this course:

        * the **mean squared error** (均方误差, MSE) for predicting numbers (regression);
        * the **cross-entropy** (交叉熵) for choosing a class (classification).
        """),
        code("""
        import math

        from autograd import Stepper, Value, draw, explain
        from nn import binary_cross_entropy_with_logits, cross_entropy, mse_loss, softmax
        """),
        md("""
        ## Mean squared error

        $$L = \\frac1n\\sum_{i=1}^n (\\hat y_i - y_i)^2, \\qquad
          \\frac{\\partial L}{\\partial \\hat y_i} = \\frac2n(\\hat y_i - y_i).$$

        The gradient with respect to each prediction is proportional to its error, with the sign
        that pushes the prediction towards its target. Three predictions, three targets:
        """),
        code("""
        predictions = [Value(2.5, label="ŷ1"), Value(0.0, label="ŷ2"), Value(2.1, label="ŷ3")]
        targets = [3.0, -0.5, 2.0]
        loss = mse_loss(predictions, targets); loss.label = "MSE"
        loss.backward()
        print(f"MSE = {loss.data:.4f}")
        for p, y in zip(predictions, targets):
            print(f"{p.label}: error {p.data - y:+.2f}   dL/d{p.label} = {p.grad:+.4f}   "
                  f"(2/3)(ŷ - y) = {2 / 3 * (p.data - y):+.4f}")
        draw(loss)
        """),
        md("""
        ## Softmax cross-entropy and one-hot targets

        For classification the network outputs one **logit** $z_k$ per class; softmax turns them
        into probabilities $p_k$ (notebook 2). The true class is written as a **one-hot** vector
        (独热编码): 1 for the right class, 0 for the others, e.g. $y = (1, 0, 0)$ for class 0. The
        cross-entropy between the true distribution $y$ and the predicted $p$ is

        $$L = -\\sum_k y_k \\log p_k = -\\log p_{\\text{true class}},$$

        because every term with $y_k = 0$ vanishes: only the probability given to the right answer
        counts. It is 0 exactly when that probability is 1, and it grows without bound as the
        probability goes to 0.
        """),
        code("""
        logits = [Value(2.0, label="z0"), Value(1.0, label="z1"), Value(0.1, label="z2")]
        one_hot = [1.0, 0.0, 0.0]
        loss = cross_entropy(logits, one_hot); loss.label = "L"
        loss.backward()
        p = [q.data for q in softmax(logits)]
        print(f"p = {[round(q, 4) for q in p]}   L = {loss.data:.4f} = -log({p[0]:.4f})")
        for k, z in enumerate(logits):
            print(f"dL/d{z.label} = {z.grad:+.4f}    p{k} - y{k} = {p[k] - one_hot[k]:+.4f}")
        """),
        md("""
        ## The gradient is $p - y$

        The numbers above show the most useful fact about this loss: the gradient with respect to
        the logits is simply **predicted probabilities minus the one-hot target**, $p - y$. Why?
        Write the loss for true class $t$ with the log-sum-exp:
        $L = -z_t + \\log\\sum_j e^{z_j}$. The derivative of the second term with respect to $z_k$
        is $e^{z_k}/\\sum_j e^{z_j} = p_k$, and the first term adds $-1$ when $k = t$. The log and
        the exponential cancel, and what is left is $p_k - y_k$.

        The engine does not know this shortcut: it multiplies local derivatives through every node
        of the graph. Here is that graph. (The engine first subtracts the largest logit, 2.0, from
        every logit to keep the exponentials small, and treats that maximum as a constant; softmax
        does not change when all logits move together.)
        """),
        code("""
        draw(loss)
        """),
        md("""
        The true class's logit $z_0$ reaches the loss along two paths, and `explain` multiplies the
        local derivatives along each one:
        """),
        code("""
        print(explain(loss, wrt=logits[0]))
        """),
        md("""
        The direct path (through $-z_0$) contributes $-1$, which is the $-y_0$; the path through the
        sum of exponentials contributes $e^{z_0 - 2}/\\sum_j e^{z_j - 2} = p_0$. Their sum is
        $p_0 - 1$. A wrong class's logit, like $z_1$, has only the second path, so its gradient is
        just $p_1$. The stepper walks the whole backward pass, one node at a time:
        """),
        code("""
        stepper = Stepper(loss)
        print(f"{len(stepper)} steps; the first two:")
        print(stepper.frame_text(0))
        print(stepper.frame_text(1))
        stepper
        """),
        md("""
        ## A confident wrong answer costs a lot

        The loss only looks at the probability of the true class. Shrink it and the loss explodes,
        while the gradient stays bounded (each entry of $p - y$ lies between $-1$ and $1$), which
        keeps training stable:
        """),
        code("""
        for z0 in (4.0, 2.0, 0.0, -2.0, -4.0):
            zs = [Value(z0), Value(1.0), Value(0.1)]
            loss = cross_entropy(zs, 0)
            loss.backward()
            print(f"z0 = {z0:+.0f}: p(true class) = {softmax(zs)[0].data:.4f}   "
                  f"L = {loss.data:.4f}   dL/dz0 = {zs[0].grad:+.4f}")
        """),
        md("""
        ## Batches and binary labels

        A loss over a batch is the mean over its samples, so each sample's gradient is divided by
        the batch size: for $N$ samples, $\\partial L/\\partial z = (p - y)/N$.

        With two classes one logit is enough: $p = \\sigma(z)$ and the **binary cross-entropy**
        $L = -[y\\log p + (1-y)\\log(1-p)]$ has the same kind of gradient, $\\sigma(z) - y$.
        """),
        code("""
        batch = [[Value(2.0), Value(1.0), Value(0.1)], [Value(0.5), Value(2.5), Value(-1.0)]]
        labels = [0, 1]
        loss = cross_entropy(batch, labels)
        loss.backward()
        for sample, label in zip(batch, labels):
            p = [q.data for q in softmax(sample)]
            print("grads", [f"{z.grad:+.4f}" for z in sample], "  (p - y)/2",
                  [f"{(p[k] - (k == label)) / 2:+.4f}" for k in range(3)])

        z = Value(0.8, label="z")
        loss = binary_cross_entropy_with_logits(z, 1.0)
        loss.backward()
        print(f"binary: sigmoid(z) - y = {z.sigmoid().data - 1:+.4f}, dL/dz = {z.grad:+.4f}")
        """),
        *exercise(
            prompt="""
            Three logits $z = (0.5, 1.5, -1.0)$ and the true class is class 1 (the second). What is
            $\\partial L/\\partial z_0$ for the softmax cross-entropy? Use $p - y$ and compute the
            softmax by hand with `math.exp`; put the number in `answer`.
            """,
            stub="""
            answer = ...  # dL/dz0
            """,
            solution="""
            _e = [math.exp(v) for v in (0.5, 1.5, -1.0)]
            answer = _e[0] / sum(_e) - 0.0
            """,
            wrong="""
            answer = math.exp(0.5) / (math.exp(0.5) + math.exp(1.5) + math.exp(-1.0)) - 1.0
            """,
            check="""
            _z = [Value(0.5), Value(1.5), Value(-1.0)]
            cross_entropy(_z, 1).backward()
            if answer is ...:
                print("Not answered yet: replace ... with your number, then run this cell again.")
            else:
                assert math.isclose(answer, _z[0].grad, rel_tol=1e-6), (
                    f"Not quite: {answer!r}. Class 0 is not the true class, so its one-hot entry is 0: "
                    "the gradient is just p0.")
                print(f"Correct! dL/dz0 = p0 - 0 = {_z[0].grad:.6f}: raising a wrong class's logit raises the loss.")
            """,
        ),
    ]


# =============================================================================================
# 05 · The ice-cream network
# =============================================================================================


def icecream() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 5 · The ice-cream network

        *Seed 002.* An ice-cream shop wants to predict each day's sales from two features, the
        temperature and the day of the week. The seed's network is as small as a useful network
        gets: one hidden layer of 2 ReLU neurons and one ReLU output neuron. That is
        $2 \\times 2 + 2$ parameters in the hidden layer and $2 + 1$ in the output: **9 parameters**.

        The seed tells the story of how those 9 numbers are found, one step at a time: first a
        single bias, by guessing, then by **gradient descent** (梯度下降); then a bias and a weight
        together; then all nine. We follow it with the engine's numbers. (The seed's data table was
        a picture that did not survive, so `nn.data` carries a table made in its spirit, with the
        same numbers in the story: an MSE of about 0.0865 with the output bias at 0, about 0.038 at
        0.1, lowest near 0.3.)
        """),
        code("""
        import math

        import matplotlib.pyplot as plt

        from autograd import Stepper, draw, explain
        from nn import SGD, data, demo, mse_loss

        X, y = data.icecream()
        print("temperature  weekday  sales (thousands)")
        for (temperature, weekday), sales in zip(X, y):
            print(f"{temperature:8.0f} C  {demo.WEEKDAYS[int(weekday)]:>6}  {sales:8.2f}")
        """),
        md("""
        ## The network and its 9 trained parameters

        The seed starts from the values training would find. Neuron `L1.N1` grows with the
        temperature; `L1.N2` mostly reacts to the weekday, waking up towards the weekend; the output
        neuron `L2.N1` adds them up.
        """),
        code("""
        model = data.icecream_network()
        for name, parameter in model.named_parameters():
            print(f"{name:9} {parameter.data:+.2f}")
        """),
        md("""
        Here is the network computing the first row (18 °C on a Tuesday) and its squared error,
        with every node drawn. Each neuron's operations sit in its own box.
        """),
        code("""
        row_loss = mse_loss(model(X[0]), y[0])
        row_loss.backward()
        draw(row_loss)
        """),
        md("""
        ## Step 1: one unknown, the output bias

        Pretend we know every value except the output neuron's bias, and start it at 0 (biases
        usually start at 0). **Forward** all 10 rows and compare the predictions with the real
        sales using the **mean squared error** (MSE, 均方误差), the **cost function** (成本函数)
        of this problem:
        """),
        code("""
        model0 = demo.icecream_model(**{"L2.N1.b": 0.0})
        predictions = model0.predict(X)
        for row, (prediction, sales) in enumerate(zip(predictions, y), start=1):
            print(f"row {row:2}: predicted {prediction:.3f}, sold {sales:.2f}")
        print(f"MSE at b = 0: {demo.mse_at(**{'L2.N1.b': 0.0}):.5f}")
        """),
        md("""
        ## Brute force

        Every prediction is too low, so try larger biases. The seed guesses 0.1, then 0.2, ..., 0.5:
        """),
        code("""
        guesses = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
        for bias in guesses:
            print(f"b = {bias:.1f}   MSE = {demo.mse_at(**{'L2.N1.b': bias}):.5f}")

        fine = [i / 100 for i in range(-5, 61)]
        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.plot(fine, [demo.mse_at(**{"L2.N1.b": b}) for b in fine], color="0.6", label="MSE(b)")
        ax.plot(guesses, [demo.mse_at(**{"L2.N1.b": b}) for b in guesses], "o", label="the guesses")
        ax.set_xlabel("output bias b"); ax.set_ylabel("MSE"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        The lowest MSE of the six guesses is at 0.3, and the curve is a U shape (**convex**, 凸).
        But brute force has two problems, as the seed points out. If the best value were 100, we
        would need about a thousand guesses at this spacing. And we cannot tell whether the best
        value is exactly 0.3 or 0.2998 or 0.301 without ever finer guessing.

        ## Gradient descent

        The slope of the curve tells us both the direction to move and, roughly, how far. Gradient
        descent repeats two steps:

        1. compute the **step size** (步长) = **learning rate** (学习率) × $\\dfrac{d\\,\\text{MSE}}{db}$;
        2. update $b \\leftarrow b - \\text{step size}$.

        To get the derivative we need the **chain rule**: the MSE depends on each prediction
        $\\hat r_i$, each prediction is the ReLU of the output neuron's sum $z_i$, and $z_i$
        contains $b$:

        $$\\frac{d\\,\\text{MSE}}{db} = \\sum_{i=1}^{10}
          \\underbrace{\\frac{2}{10}(\\hat r_i - r_i)}_{\\partial\\text{MSE}/\\partial \\hat r_i}\\cdot
          \\underbrace{\\text{relu}'(z_i)}_{\\partial \\hat r_i/\\partial z_i}\\cdot
          \\underbrace{1}_{\\partial z_i/\\partial b}.$$

        Here are the three factors for every row at $b = 0$, next to what the engine's `backward()`
        puts in the bias's `grad`:
        """),
        code("""
        at_zero = demo.bias_gradient(0.0)
        for term in at_zero.terms:
            print(f"row {term.row:2}: z = {term.z:.3f}   {term.error_factor:+.4f} x {term.relu_slope:g} x 1 "
                  f"= {term.term:+.4f}")
        print(f"sum of the rows: {sum(t.term for t in at_zero.terms):+.6f}")
        print(f"engine, L2.N1.b.grad: {at_zero.grad:+.6f}")
        """),
        md("""
        Every $z_i$ is positive, so every ReLU passes its gradient with slope 1. For a single row
        the same chain is visible in the graph: the bias is outlined, each edge is labelled with its
        local derivative, and `explain` multiplies them along the path.
        """),
        code("""
        model0_row = demo.icecream_model(**{"L2.N1.b": 0.0})
        bias = demo.parameter(model0_row, "L2.N1.b")
        loss_row = mse_loss(model0_row(X[0]), y[0]); loss_row.label = "loss (row 1)"
        loss_row.backward()
        print(explain(loss_row, wrt=bias))
        draw(loss_row, highlight=[bias], edge_labels=True)
        """),
        md("""
        The stepper replays that backward pass node by node. Here is the step at which the bias
        receives its gradient (display `stepper` in Jupyter to click through all of them):
        """),
        code("""
        stepper = Stepper(loss_row)
        reaches_bias = next(i for i in range(len(stepper)) if "→ L2.N1.b:" in stepper.frame_text(i))
        print(f"{len(stepper)} steps for one row; step {reaches_bias + 1} reaches the bias:")
        print(stepper.frame_text(reaches_bias))
        stepper.go(reaches_bias)
        stepper
        """),
        md("""
        Now repeat the two steps with a learning rate of 0.1 until the step is smaller than 0.0001:
        """),
        code("""
        steps = demo.descend_output_bias(start=0.0, lr=0.1, tolerance=1e-4)
        for step in steps[:6] + steps[-2:]:
            print(f"step {step.step + 1:2}: b = {step.bias:.5f}   MSE = {step.mse:.6f}   "
                  f"slope = {step.grad:+.5f}   step size = {step.step_size:+.6f}")
        print(f"stopped after {len(steps) - 1} steps at b = {steps[-1].bias:.5f}")
        print(f"exact bottom (slope 0): b = {-at_zero.grad / 2:.5f}")

        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.plot(fine, [demo.mse_at(**{"L2.N1.b": b}) for b in fine], color="0.6", label="MSE(b)")
        ax.plot([s.bias for s in steps], [s.mse for s in steps], "o-", markersize=3, label="gradient descent")
        ax.set_xlabel("output bias b"); ax.set_ylabel("MSE"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        The steps are big while the slope is steep and shrink as the curve flattens, so descent
        slows down near the bottom without anyone telling it to. It lands at 0.292, and the exact
        minimum is 0.2926: the brute-force answer 0.3 was close, but not right. (Here every row's
        $z_i$ stays positive, so the MSE is an exact parabola in $b$ and its bottom can be computed:
        $b = -\\frac12 \\frac{d\\,\\text{MSE}}{db}\\big|_{b=0}$.)

        ### The learning rate matters

        This parabola has curvature 2, so a learning rate of 0.5 jumps to the bottom in one step.
        Larger rates overshoot to the other side, and above 1 every step overshoots more than the
        last: descent diverges.
        """),
        code("""
        fig, ax = plt.subplots(figsize=(6, 3.4))
        for lr in (0.1, 0.5, 0.9, 1.05):
            path = demo.descend_output_bias(start=0.0, lr=lr, tolerance=0.0, max_steps=12)
            ax.plot([s.bias for s in path], "o-", markersize=3, label=f"lr = {lr}")
        ax.axhline(-at_zero.grad / 2, color="0.5", linestyle="--", linewidth=1)
        ax.set_xlabel("step"); ax.set_ylabel("b"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        ## Step 2: a bias and a weight

        Now pretend we also lost the weight of the second input into the output neuron,
        `L2.N1.w2`. The MSE becomes a surface over two numbers, a bowl. Gradient descent now needs
        two **partial derivatives** (偏导数), both taken at the current point, and updates both
        parameters **at the same time**:

        $$w_2 \\leftarrow w_2 - \\eta\\,\\frac{\\partial\\,\\text{MSE}}{\\partial w_2},\\qquad
          b \\leftarrow b - \\eta\\,\\frac{\\partial\\,\\text{MSE}}{\\partial b}.$$

        One `backward()` gives both: it fills every parameter's gradient in one pass.
        """),
        code("""
        path = demo.descend_bias_and_weight(start=(0.0, 0.0), lr=0.3, steps=60)
        for index in (0, 1, 2, 5, 20, 60):
            w2, b, value = path[index]
            print(f"step {index:2}: w2 = {w2:.4f}   b = {b:.4f}   MSE = {value:.5f}")

        weights = [-0.1 + i * 1.1 / 44 for i in range(45)]
        biases = [-0.1 + i * 0.7 / 28 for i in range(29)]
        surface = [[demo.mse_at(**{"L2.N1.w2": w, "L2.N1.b": b}) for w in weights] for b in biases]

        fig = plt.figure(figsize=(11, 4))
        ax3d = fig.add_subplot(1, 2, 1, projection="3d")
        import numpy as np
        W2, B = np.meshgrid(weights, biases)
        ax3d.plot_surface(W2, B, np.array(surface), cmap="viridis", alpha=0.85)
        ax3d.set_xlabel("w2"); ax3d.set_ylabel("b"); ax3d.set_zlabel("MSE")
        ax = fig.add_subplot(1, 2, 2)
        contours = ax.contour(weights, biases, surface, levels=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3])
        ax.clabel(contours, fontsize=7)
        ax.plot([p[0] for p in path], [p[1] for p in path], "o-", markersize=2.5, color="tab:orange")
        ax.set_xlabel("w2"); ax.set_ylabel("b")
        fig.tight_layout()
        plt.show()
        """),
        md("""
        The path first rushes down the steep side of the bowl, then turns and follows the long, flat
        valley floor towards $(w_2, b) \\approx (0.8, 0.3)$. The valley is why it takes dozens of
        steps: across the valley the slope is steep, along it gentle, and one learning rate has to
        serve both directions.

        ## Step 3: all nine parameters

        With all nine unknown the recipe does not change: one backward pass gives nine partial
        derivatives, and all nine parameters move together. The seed counts the cost: each step
        needs the derivative for each of the 10 rows and each of the 9 parameters, about
        $9 \\times 10 = 90$ small computations, and 1000 steps make 90,000.

        We start from the same place as step 1 (the output bias at 0) and let everything move,
        with plain gradient descent at a learning rate of 0.001 for 2000 epochs:
        """),
        code("""
        trained, history = demo.train_all_nine(epochs=2000, lr=0.001)
        print(f"MSE: {history.loss[0]:.5f} at the start, {history.loss[-1]:.6f} after 2000 epochs "
              f"(the bias alone reached {steps[-1].mse:.6f})")
        before = dict(data.icecream_network(output_bias=0.0).named_parameters())
        for name, parameter in trained.named_parameters():
            print(f"{name:9} {before[name].data:+.3f} -> {parameter.data:+.3f}")
        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.semilogy(history.loss)
        ax.axhline(steps[-1].mse, color="0.5", linestyle="--", label="the bias alone")
        ax.set_xlabel("epoch"); ax.set_ylabel("MSE"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        With nine parameters free, the network fits the table better than any choice of the bias
        alone could. Notice that the output bias hardly moved from 0: the other eight parameters
        took over its job, mostly the first neuron's temperature weight (0.100 to 0.118). Many
        different settings of a network fit the same data about equally well.

        ### A harder start, and a dead network

        The start above was kind: close to a good solution. Start instead with every bias at 0,
        the usual initialisation, and the predictions begin far too high (MSE above 5). Plain
        gradient descent still finds its way down, slowly. But add **momentum**, which keeps
        moving in the direction of past steps, and the first big steps push the output neuron's sum
        below 0 for every row. Its ReLU is then dead (notebook 2): every gradient is 0 and training
        stops for good, predicting 0 for every day.
        """),
        code("""
        def zero_bias_start():
            state = data.icecream_network().state_dict()
            network = data.icecream_network()
            network.load_state_dict({k: (0.0 if k.endswith(".b") else v) for k, v in state.items()})
            return network


        for label, momentum in (("plain gradient descent", 0.0), ("with momentum 0.9", 0.9)):
            network = zero_bias_start()
            run = network.fit(X, y, loss="mse", optimizer=SGD(network.parameters(), lr=0.001, momentum=momentum),
                              epochs=2000, verbose=False)
            print(f"{label:24} MSE {run.loss[0]:.3f} -> {run.loss[-1]:.5f};  predictions "
                  f"{[round(p, 2) for p in network.predict(X[:4])]} ...")
        """),
        *exercise(
            prompt="""
            Back to the single output bias, with everything else at its trained value. At $b = 0.1$
            and a learning rate of 0.1, what is the **step size** of the next gradient-descent step
            (learning rate × slope, with its sign)? The row table above gives each prediction at
            $b = 0$; at $b = 0.1$ every prediction is 0.1 higher and every ReLU is still active.
            """,
            stub="""
            answer = ...  # lr * dMSE/db at b = 0.1
            """,
            solution="""
            _slope = sum(2 / 10 * (p + 0.1 - s) for p, s in zip(predictions, y))
            answer = 0.1 * _slope
            """,
            wrong="""
            answer = 0.1 * sum(2 / 10 * (p - s) for p, s in zip(predictions, y))
            """,
            check="""
            _expected = 0.1 * demo.bias_gradient(0.1).grad
            if answer is ...:
                print("Not answered yet: replace ... with your number, then run this cell again.")
            else:
                assert math.isclose(answer, _expected, rel_tol=1e-6), (
                    f"Not quite: {answer!r}. Add 0.1 to each prediction before taking (2/10)(prediction - sales), "
                    "sum over the rows, then multiply by the learning rate.")
                print(f"Correct! The step is {_expected:+.5f}: negative, so b moves up, to {0.1 - _expected:.5f}.")
            """,
        ),
    ]


# =============================================================================================
# 06 · Gradient descent, SGD and mini-batches
# =============================================================================================


def descent_variants() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 6 · Gradient descent, SGD and mini-batches

        *Seed 002.* Gradient descent as in notebook 5 computes the loss over the **whole** training
        set before every update. The seed counts what that costs: with 10 rows and 9 parameters,
        one step takes about $10 \\times 9 = 90$ small derivative computations, and a typical 1000
        steps make 90,000. With 100,000 rows, each step is 900,000 computations and 1000 steps are
        900 million. Two cheaper variants change only *how many rows go into each update*:

        * **(full-batch) gradient descent**: all rows, one update per pass over the data
          (an **epoch**, one complete iteration, 迭代);
        * **stochastic gradient descent** (随机梯度下降, SGD): one randomly chosen row per update;
        * **mini-batch gradient descent** (小批量梯度下降): a **batch** (批量) of $k$ rows per update,
          e.g. $k = 16$ or 256.
        """),
        code("""
        import math
        import random

        import matplotlib.pyplot as plt

        from autograd import draw
        from nn import MLP, SGD, data, mse_loss

        print(f"{'rows':>9} {'params':>7} {'per step':>10} {'1000 steps':>14}")
        for rows in (10, 100_000):
            print(f"{rows:>9,} {9:>7} {rows * 9:>10,} {rows * 9 * 1000:>14,}")
        """),
        md("""
        ## One problem for all three

        200 noisy samples of $y = \\sin x$ on $[-3, 3]$, and a network with one hidden layer of 8
        tanh neurons (25 parameters). Each method starts from the same initial weights, uses the
        same learning rate, 0.05, and runs for the same 30 epochs, so each one looks at every sample
        30 times.
        """),
        code("""
        rng = random.Random(0)
        X = [[rng.uniform(-3.0, 3.0)] for _ in range(200)]
        y = [math.sin(x[0]) + rng.gauss(0.0, 0.1) for x in X]

        fig, ax = plt.subplots(figsize=(5.5, 3))
        ax.plot([x[0] for x in X], y, ".", markersize=4)
        ax.set_xlabel("x"); ax.set_ylabel("y"); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        The training loop is the same for all three; only `batch_size` differs (`None` means the
        whole data set). `data.batches` shuffles the rows and cuts them into batches, a new order
        every epoch.
        """),
        code("""
        def full_loss(model):
            return mse_loss(model.forward_batch(X), y).data


        def train(batch_size, lr=0.05, epochs=30):
            model = MLP(1, [8, 1], activation="tanh", seed=0)
            optimizer = SGD(model.parameters(), lr=lr)
            per_epoch, per_update = [full_loss(model)], []
            for epoch in range(epochs):
                for batch_X, batch_y in data.batches(X, y, batch_size, seed=epoch):
                    loss = mse_loss(model.forward_batch(batch_X), batch_y)
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    per_update.append(loss.data)
                per_epoch.append(full_loss(model))
            return model, per_epoch, per_update


        runs = {
            "gradient descent (all 200)": train(None),
            "mini-batch (16)": train(16),
            "SGD (1)": train(1),
        }
        for name, (model, per_epoch, per_update) in runs.items():
            print(f"{name:27} {len(per_update):5} updates   loss after 1 epoch {per_epoch[1]:.4f}, "
                  f"after 30 {per_epoch[-1]:.4f}")
        """),
        md("""
        SGD gets furthest in the first epoch, but with a fixed learning rate its noisy steps keep it
        bouncing around the bottom: after 30 epochs the mini-batch run is lower. (In practice the
        learning rate is lowered as training goes on; notebook 9 does that.)

        ## Loss per epoch, loss per update

        Per epoch, every method does the same amount of work: 200 samples forward and backward. What
        differs is how many times the parameters move for that work: once for gradient descent,
        13 times for batches of 16, 200 times for SGD. Measured per epoch (left), the methods that
        update more often get further. Measured per update (right), gradient descent and mini-batches
        fall on roughly one curve: early on, a step computed from 16 rows does about as much good as
        a step computed from all 200, at a twelfth of the cost. Steps from a single row are too
        noisy to keep that up.
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
        for name, (model, per_epoch, per_update) in runs.items():
            axes[0].semilogy(range(len(per_epoch)), per_epoch, label=name)
            updates_per_epoch = len(per_update) // 30
            axes[1].loglog([e * updates_per_epoch for e in range(1, len(per_epoch))], per_epoch[1:],
                           "o-", markersize=2, label=name)
        axes[0].set_xlabel("epoch (= 200 samples of work)"); axes[0].set_ylabel("loss on all 200 samples")
        axes[1].set_xlabel("updates made (after each epoch)")
        for ax in axes:
            ax.legend(); ax.grid(alpha=0.3)
        fig.tight_layout()
        plt.show()
        """),
        md("""
        ## The price of small batches: noise

        A single row is a noisy estimate of the whole data set's gradient, so SGD's individual steps
        wander; the loss of each batch jumps around (here over the first five epochs). Mini-batches average the noise down while
        still updating often, which is why they are what everybody uses in practice (and why GPUs,
        which are good at doing many rows at once, like them).
        """),
        code("""
        fig, ax = plt.subplots(figsize=(7, 3.4))
        for name in ("SGD (1)", "mini-batch (16)"):
            per_update = runs[name][2]
            ax.plot([u / (len(per_update) / 30) for u in range(len(per_update))], per_update,
                    linewidth=0.6, label=f"{name}: loss of each batch")
        ax.plot(range(31), runs["gradient descent (all 200)"][1], "k", label="gradient descent (all rows)")
        ax.set_xlim(0, 5); ax.set_ylim(0, 0.6)
        ax.set_xlabel("epoch"); ax.set_ylabel("loss"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        ## What the three models learned
        """),
        code("""
        xs = [[i / 20] for i in range(-60, 61)]
        fig, ax = plt.subplots(figsize=(6, 3.4))
        ax.plot([x[0] for x in X], y, ".", color="0.75", markersize=4, label="data")
        for name, (model, per_epoch, per_update) in runs.items():
            ax.plot([x[0] for x in xs], model.predict(xs), label=name)
        ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        ## A batch is one graph

        Whatever its size, a batch's loss is a single node: the mean of its rows' squared errors,
        built from one copy of the network per row, all sharing the same parameter nodes. One
        `backward()` from it adds every row's contribution into each parameter's gradient. Here is a
        batch of 3 rows, each neuron folded into a box:
        """),
        code("""
        small = MLP(1, [2, 1], activation="tanh", seed=0)
        batch_loss = mse_loss(small.forward_batch(X[:3]), y[:3]); batch_loss.label = "batch loss"
        batch_loss.backward()
        draw(batch_loss, collapse="neurons")
        """),
        *exercise(
            prompt="""
            A data set has 100,000 rows and the network has 9 parameters. You train with mini-batches
            of 256 rows. How many **updates** does one epoch make, and how many per-row derivative
            computations (rows × parameters) does one epoch cost in total? Answer with a tuple
            `(updates, computations)`.
            """,
            stub="""
            answer = ...  # (updates per epoch, derivative computations per epoch)
            """,
            solution="""
            answer = (math.ceil(100_000 / 256), 100_000 * 9)
            """,
            wrong="""
            answer = (100_000 // 256, 256 * 9)
            """,
            check="""
            _batches = sum(1 for _ in data.batches(list(range(100_000)), [0] * 100_000, 256, seed=0))
            if answer is ...:
                print("Not answered yet: replace ... with your tuple, then run this cell again.")
            else:
                assert tuple(answer) == (_batches, 900_000), (
                    f"Not quite: {answer!r}. The last batch may be smaller than 256 but is still an update; "
                    "an epoch touches every row once, whatever the batch size.")
                print(f"Correct! {_batches} updates for 900,000 computations: the same work as one full-batch step.")
            """,
        ),
    ]


# =============================================================================================
# 07 · Overfitting and its cures
# =============================================================================================


def overfitting() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 7 · Overfitting and its cures

        *Seed 003.* A model that is too flexible for its data learns the noise along with the
        signal. It does well on the training set and badly on data it has not seen: **overfitting**
        (过拟合). Its opposite, **underfitting** (欠拟合), is a model too simple to do well even on
        the training set. The cures for overfitting are called **regularisation** (正则化). The seed
        lists four, and this notebook tries all four on one small problem:

        * an **L1 penalty**, $\\lambda\\sum_i |w_i|$ added to the loss, which pushes weights to
          exactly 0 (sparse weights, a kind of feature selection);
        * an **L2 penalty**, $\\lambda\\sum_i w_i^2$, which keeps all weights small and the function
          smooth;
        * **dropout**: during training, switch off each neuron's output at random;
        * **batch normalisation**: standardise each feature over the batch; meant to speed training up.
        """),
        code("""
        import math
        import random

        import matplotlib.pyplot as plt

        from autograd import Value, draw
        from nn import (MLP, Activation, Adam, BatchNorm, Dropout, Layer, Sequential, evaluate,
                        l2_penalty, mse_loss)
        """),
        md("""
        ## The problem: ten noisy points

        The truth is $y = \\sin(\\pi x)$ on $[-1, 1]$. We see only 10 points, spread across the
        interval, with noise of standard deviation 0.3, so the best possible training loss is about $0.3^2 = 0.09$; a model that
        gets much lower is fitting noise. A **held-out** set of 40 points, never used for training,
        measures how well each model generalises. Its targets are the **noise-free truth**
        $\\sin(\\pi x)$, so the held-out loss measures the distance to the truth itself: it has no
        0.09 floor, a model that recovers the sine scores near 0, and a held-out loss below the
        training loss is no contradiction.
        """),
        code("""
        def truth(x):
            return math.sin(math.pi * x)


        rng = random.Random(0)
        X_train = [[-0.95 + 1.9 * i / 9 + rng.uniform(-0.05, 0.05)] for i in range(10)]
        y_train = [truth(x[0]) + rng.gauss(0.0, 0.3) for x in X_train]
        X_held = [[-1.0 + 2.0 * i / 39] for i in range(40)]
        y_held = [truth(x[0]) for x in X_held]

        grid = [[-1.0 + 2.0 * i / 199] for i in range(200)]
        fig, ax = plt.subplots(figsize=(5.5, 3.2))
        ax.plot([x[0] for x in grid], [truth(x[0]) for x in grid], color="0.6", label="truth")
        ax.plot([x[0] for x in X_train], y_train, "o", label="the 10 training points")
        ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        ## Five models

        Each is a network with two hidden layers of 10 tanh neurons (141 parameters: far more than
        10 points can pin down), trained with Adam for 400 epochs. Every 10 epochs we measure the
        loss on the held-out points.
        """),
        code("""
        H = 10


        def plain():
            return MLP(1, [H, H, 1], activation="tanh", seed=0)


        def with_dropout():
            return Sequential(Layer(1, H, "tanh", seed=0), Dropout(0.1, seed=0),
                              Layer(H, H, "tanh", seed=1), Dropout(0.1, seed=1),
                              Layer(H, 1, "linear", seed=2))


        def with_batch_norm():
            return Sequential(Layer(1, H, "linear", seed=0), BatchNorm(H), Activation("tanh"),
                              Layer(H, H, "linear", seed=1), BatchNorm(H), Activation("tanh"),
                              Layer(H, 1, "linear", seed=2))


        variants = {
            "no cure": (plain, {}),
            "L2 penalty": (plain, {"l2": 3e-3}),
            "L1 penalty": (plain, {"l1": 3e-3}),
            "dropout 0.1": (with_dropout, {}),
            "batch norm": (with_batch_norm, {}),
        }
        results = {}
        for name, (make, penalty) in variants.items():
            model = make()
            held_out = []

            def measure(epoch, history, model=model, held_out=held_out):
                if epoch % 10 == 0:
                    held_out.append(evaluate(model, X_held, y_held, "mse")[0])

            history = model.fit(X_train, y_train, loss="mse", optimizer=Adam(model.parameters(), lr=0.02),
                                epochs=400, verbose=False, callback=measure, **penalty)
            results[name] = (model, history, held_out)

        print(f"{'':12} {'train':>7} {'held out':>9} {'best held out':>14}  {'|w| < 0.01':>10}")
        for name, (model, history, held_out) in results.items():
            train_loss = evaluate(model, X_train, y_train, "mse")[0]
            best = min(held_out)
            tiny = sum(abs(p.data) < 0.01 for p in model.parameters())
            print(f"{name:12} {train_loss:7.4f} {held_out[-1]:9.4f} {best:8.4f} @{10 * (held_out.index(best) + 1):3}"
                  f"   {tiny:4}/{len(model.parameters())}")
        """),
        code("""
        fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
        epochs = [10 * (i + 1) for i in range(40)]
        for name, (model, history, held_out) in results.items():
            line, = axes[0].plot(epochs, held_out, label=f"{name}")
            axes[1].plot([x[0] for x in grid], model.predict(grid), color=line.get_color(), label=name)
        axes[0].set_yscale("log"); axes[0].set_xlabel("epoch"); axes[0].set_ylabel("held-out loss")
        axes[1].plot([x[0] for x in grid], [truth(x[0]) for x in grid], color="0.6", linewidth=3, alpha=0.5,
                     label="truth")
        axes[1].plot([x[0] for x in X_train], y_train, "ko", markersize=4)
        axes[1].set_ylim(-2, 2)
        for ax in axes:
            ax.legend(fontsize=8); ax.grid(alpha=0.3)
        fig.tight_layout()
        plt.show()
        """),
        md("""
        ## Reading the results

        The numbers of this run, stated plainly:
        """),
        code("""
        def final_and_best(name):
            model, history, held_out = results[name]
            best = min(held_out)
            return held_out[-1], best, 10 * (held_out.index(best) + 1), evaluate(model, X_train, y_train, "mse")[0]


        end, best, when, train_loss = final_and_best("no cure")
        print(f"No cure: the held-out loss was lowest at epoch {when} ({best:.3f}) and ended {end / best:.1f} times "
              f"higher ({end:.3f}), while the training loss fell to {train_loss:.3f}.")
        for name in ("L2 penalty", "L1 penalty", "dropout 0.1", "batch norm"):
            other_end, other_best, other_when, other_train = final_and_best(name)
            verdict = "better than" if other_end < end else "worse than"
            print(f"{name}: ended at {other_end:.3f} held out, {verdict} no cure; training loss {other_train:.3f}.")
        """),
        md("""
        What to look for, and why:

        * **No cure.** The network has 141 parameters for 10 points. Training drives its loss
          towards or below the noise level (0.09, a floor for the *training* loss only: the
          held-out targets carry no noise), which is only possible by fitting the noise,
          and the held-out loss turns back up after an early minimum: the signature of
          overfitting. On the right its curve bends to pass near the noisy points.
        * **L2 and L1 penalties** make large weights expensive, so the network cannot grow the
          steep, specific weights that memorising needs; the training loss stays higher and the
          curve smoother. L1's penalty has the same slope however small a weight is, so it drives
          many weights to (almost exactly) zero: see the last column of the table.
        * **Dropout** trains a network that must work with any tenth of its neurons missing, so no
          neuron can rely on a particular other one. Its training loss (measured with dropout off)
          stays high: on this tiny problem it pulls towards underfitting.
        * **Batch norm** is not meant as a cure. The seed lists it for speeding training up, which
          matters for deep networks; on this small one it brings no such benefit, and here it
          overfits at least as much as the plain network. Stopping when the held-out loss is lowest (**early stopping**) is the
          simplest cure of all, and works with any of them.

        Which cure wins depends on the data, the network and the strength chosen ($\\lambda$, $p$):
        try other values, or another `random.Random` seed for the data, and watch the table
        change. That is what the held-out set is for.

        ## Inside: what each cure does to the graph

        A penalty is just more graph: the loss becomes the data loss **plus** $\\lambda\\sum w^2$, so
        every weight receives an extra gradient $2\\lambda w$ pulling it towards 0 ("weight
        decay"). For a tiny model:
        """),
        code("""
        tiny = MLP(1, [2, 1], activation="tanh", seed=3)
        data_loss = mse_loss(tiny([0.5]), 1.0); data_loss.label = "data loss"
        penalty = l2_penalty(tiny, 0.1); penalty.label = "L2 penalty"
        total_loss = data_loss + penalty; total_loss.label = "loss"
        total_loss.backward()
        weight = dict(tiny.named_parameters())["L1.N1.w1"]
        print(f"L1.N1.w1 = {weight.data:+.4f}: its gradient {weight.grad:+.4f} includes 2 x 0.1 x w = {0.2 * weight.data:+.4f}")
        draw(total_loss, collapse="neurons")
        """),
        md("""
        Dropout multiplies each output by 0 (dropped) or by $1/(1-p)$ (kept, scaled up so the
        expected value does not change). In evaluation mode it does nothing. One sample through a
        layer of 4 neurons with $p = 0.5$: the dropped neurons' outputs reach the last layer
        multiplied by 0, so they and their weights receive no gradient from this sample.
        """),
        code("""
        dropped = Sequential(Layer(1, 4, "tanh", seed=0), Dropout(0.5, seed=1), Layer(4, 1, "linear", seed=1))
        out = dropped([Value(0.7, label="x")]); out.label = "out"
        out.backward()
        print("mask of this sample (1 kept, 0 dropped):", dropped.layers[1].last_mask)
        draw(out, collapse="neurons")
        """),
        *exercise(
            prompt="""
            An L2 penalty with $\\lambda = 0.01$ on three weights $w = (0.5, -1.0, 2.0)$. What is the
            penalty $\\lambda \\sum_i w_i^2$, and what gradient does it add to the weight $2.0$?
            Answer with a tuple `(penalty, gradient)`.
            """,
            stub="""
            answer = ...  # (penalty, extra gradient on the weight 2.0)
            """,
            solution="""
            answer = (0.01 * (0.5 ** 2 + 1.0 ** 2 + 2.0 ** 2), 2 * 0.01 * 2.0)
            """,
            wrong="""
            answer = (0.01 * (0.5 + 1.0 + 2.0), 0.01 * 2.0)
            """,
            check="""
            _w = [Value(0.5), Value(-1.0), Value(2.0)]
            _penalty = l2_penalty(_w, 0.01)
            _penalty.backward()
            if answer is ...:
                print("Not answered yet: replace ... with your tuple, then run this cell again.")
            else:
                assert math.isclose(answer[0], _penalty.data, rel_tol=1e-9) and math.isclose(
                    answer[1], _w[2].grad, rel_tol=1e-9), (
                    f"Not quite: {answer!r}. Square each weight before adding; the derivative of "
                    "lambda * w**2 is 2 * lambda * w.")
                print(f"Correct! Penalty {_penalty.data:g}; the weight 2.0 is pulled back by {_w[2].grad:g} per unit of step.")
            """,
        ),
    ]


# =============================================================================================
# 08 · Universal approximation
# =============================================================================================


def universal() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 8 · Universal approximation

        *Seed 004.* A model is a function $F(x)$ from what it perceives to what it outputs. Imagine
        the ideal function $G(x)$ (the ground truth) that always gives the right output; training
        tries to make $F$ as close to $G$ as possible. Why should a network of neurons be able to
        get close to *any* reasonable $G$? The seed gives an intuitive (not rigorous) argument:
        with a handful of sigmoid neurons we can build a **tower** (高台), a function that is about
        1 over a rectangle and about 0 everywhere else. Towers are like bricks: stack enough small
        ones and you can model any continuous surface.
        """),
        code("""
        import math

        import matplotlib.pyplot as plt
        import numpy as np

        from autograd import draw
        from nn import MLP, Adam, data


        def sigmoid(z):
            return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


        def surface(ax, function, title, low=-1.5, high=1.5, steps=50):
            xs = np.linspace(low, high, steps)
            X, Y = np.meshgrid(xs, xs)
            Z = np.array([[function(x, y) for x in xs] for y in xs])
            ax.plot_surface(X, Y, Z, cmap="viridis", linewidth=0)
            ax.set_title(title, fontsize=10)
        """),
        md("""
        ## From a step to a bump

        One sigmoid neuron with a very large weight, $\\sigma(k(x - a))$ with $k = 1000$, is a step:
        0 left of $a$, 1 right of it. The difference of two steps,
        $\\sigma(k(x - a)) - \\sigma(k(x - b))$, is a bump: 1 between $a$ and $b$, 0 outside.
        Smaller $k$ gives softer edges.
        """),
        code("""
        xs = [i / 200 for i in range(-300, 301)]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for k in (5, 20, 1000):
            ax.plot(xs, [sigmoid(k * (x + 0.3)) - sigmoid(k * (x - 0.7)) for x in xs], label=f"k = {k}")
        ax.set_xlabel("x"); ax.set_title("sigmoid(k(x + 0.3)) - sigmoid(k(x - 0.7))"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        ## Five neurons make a tower

        In two dimensions, four steep neurons make four walls: two for the edges in $x$ and two for
        the edges in $y$. Adding them as $s = \\sigma_{x,\\min} - \\sigma_{x,\\max} + \\sigma_{y,\\min}
        - \\sigma_{y,\\max}$ gives 2 inside the rectangle, 1 on a cross-shaped band through it, and 0
        elsewhere. A fifth neuron, $\\sigma(30(s - 1.1))$, keeps only the part where $s \\approx 2$:
        the tower. As a network that is `MLP(2, [4, 1])` with sigmoid everywhere and hand-chosen
        weights; `data.tower_network()` builds it, with the seed's rectangle
        $[-0.3, 0.7] \\times [-0.2, 0.8]$.
        """),
        code("""
        tower_net = data.tower_network()
        for name, parameter in tower_net.named_parameters():
            print(f"{name:9} {parameter.data:+9.1f}")
        """),
        md("""
        Here is the network evaluating one point inside the tower, each neuron in a box. The four
        walls `L1.N1` to `L1.N4` each see both inputs (one of their weights is 0), and `L2.N1`
        combines them.
        """),
        code("""
        inside = tower_net([0.2, 0.3])
        inside.backward()
        print(f"tower(0.2, 0.3) = {inside.data:.6f}    tower(1.0, 1.0) = {tower_net([1.0, 1.0]).data:.2e}")
        draw(inside)
        """),
        code("""
        walls = MLP(2, [4], output_activation="sigmoid", seed=0)  # the first layer alone, to see s
        walls.load_state_dict({k: v for k, v in tower_net.state_dict().items() if k.startswith("L1")})


        def wall_sum(x, y):
            a, b, c, d = [v.data for v in walls([x, y])]
            return a - b + c - d


        fig = plt.figure(figsize=(11, 4))
        surface(fig.add_subplot(1, 2, 1, projection="3d"), wall_sum, "the four walls added: s = 0, 1 or 2")
        surface(fig.add_subplot(1, 2, 2, projection="3d"), lambda x, y: tower_net([x, y]).data,
                "the fifth neuron keeps s = 2: a tower")
        plt.show()
        """),
        md("""
        ## Towers are bricks

        Towers add up. The seed stacks four towers of growing size (with a softer fifth neuron,
        $\\sigma(4(s - 1.1))$) into a stepped pyramid:
        """),
        code("""
        def pyramid(x, y):
            return sum(data.tower(x, y, (-r, r), (-r, r), sharpness=4.0) for r in (0.5, 1.0, 2.0, 4.0))


        fig = plt.figure(figsize=(5.5, 4))
        surface(fig.add_subplot(projection="3d"), pyramid, "four towers stacked", low=-5, high=5, steps=60)
        plt.show()
        """),
        md("""
        To approximate a surface, cover the plane with a grid of small towers and scale each one by
        the target's height at its centre: a city skyline shaped like the target. Each tower costs 5
        neurons (fewer if neighbouring towers share walls), and halving the width of the towers
        makes the skyline follow the target more closely. Below, the target is
        $G(x, y) = e^{-(x^2 + y^2)}\\cos 2x$. One change to the seed's tower: its fifth neuron fires
        at $s > 1.5$ rather than $s > 1.1$, so that two neighbouring towers each give half at their
        shared edge instead of both claiming it.
        """),
        code("""
        def target(x, y):
            return math.exp(-(x * x + y * y)) * math.cos(2 * x)


        def brick(x, y, x_range, y_range, k=200.0):
            # The tower, with its fifth neuron firing at s > 1.5.
            s = (sigmoid(k * (x - x_range[0])) - sigmoid(k * (x - x_range[1]))
                 + sigmoid(k * (y - y_range[0])) - sigmoid(k * (y - y_range[1])))
            return sigmoid(30.0 * (s - 1.5))


        def skyline(cells):
            edges = np.linspace(-1.5, 1.5, cells + 1)
            centres = (edges[:-1] + edges[1:]) / 2
            towers = [((edges[i], edges[i + 1]), (edges[j], edges[j + 1]), target(centres[i], centres[j]))
                      for i in range(cells) for j in range(cells)]

            def approximation(x, y):
                # Towers far from (x, y) contribute nothing; skip them to save time.
                return sum(height * brick(x, y, xr, yr) for xr, yr, height in towers
                           if xr[0] - 0.1 < x < xr[1] + 0.1 and yr[0] - 0.1 < y < yr[1] + 0.1)
            return approximation


        fig = plt.figure(figsize=(13, 4))
        surface(fig.add_subplot(1, 3, 1, projection="3d"), target, "target G")
        for column, cells in ((2, 6), (3, 12)):
            approximation = skyline(cells)
            probe = np.linspace(-1.45, 1.45, 30)
            error = np.mean([abs(approximation(x, y) - target(x, y)) for x in probe for y in probe])
            surface(fig.add_subplot(1, 3, column, projection="3d"), approximation,
                    f"{cells * cells} towers ({5 * cells * cells} neurons), mean error {error:.3f}",
                    steps=40)
        plt.show()
        """),
        md("""
        ## Letting the network find the weights

        All the weights above were set by hand. With thousands of parameters that is hopeless
        (GPT-3, the seed notes, has over 170 billion), so we let gradient descent choose them. First the
        tower itself: a fresh `MLP(2, [4, 1])` with sigmoids, trained on 200 random points of the
        seed's tower with Adam.
        """),
        code("""
        X, y = data.make_tower(200, seed=0)
        learner = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
        history = learner.fit(X, y, loss="mse", optimizer=Adam(learner.parameters(), lr=0.1), epochs=150,
                              batch_size=20, verbose=False)
        print(f"MSE {history.loss[0]:.4f} -> {history.loss[-1]:.4f}")
        for name, parameter in learner.named_parameters():
            print(f"{name:9} {parameter.data:+7.2f}", end="   " if not name.endswith(".b") else "\\n")

        fig = plt.figure(figsize=(11, 4))
        surface(fig.add_subplot(1, 2, 1, projection="3d"), lambda a, b: data.tower(a, b), "the tower (target)")
        surface(fig.add_subplot(1, 2, 2, projection="3d"), lambda a, b: learner.predict([[a, b]])[0],
                "what 5 trained neurons learned")
        plt.show()
        """),
        md("""
        The learned weights are nothing like the hand-set ones: the walls are gentle slanted ramps
        instead of vertical cliffs, and each wall neuron mixes $x$ and $y$. Yet the function they
        make together is close to the tower. Gradient descent found its own way to build it.

        Now a smooth target that nobody built from towers: the same $G$ as above, learned by a
        network with one hidden layer of 8 tanh neurons from 300 random samples.
        """),
        code("""
        rng = np.random.default_rng(0)
        points = rng.uniform(-1.5, 1.5, size=(300, 2)).tolist()
        heights = [target(a, b) for a, b in points]
        smooth = MLP(2, [8, 1], activation="tanh", seed=0)
        history = smooth.fit(points, heights, loss="mse", optimizer=Adam(smooth.parameters(), lr=0.02),
                             epochs=150, batch_size=30, verbose=False)
        print(f"MSE {history.loss[0]:.4f} -> {history.loss[-1]:.4f} with {len(smooth.parameters())} parameters")
        probe = np.linspace(-1.45, 1.45, 30)
        error = np.mean([abs(smooth.predict([[a, b]])[0] - target(a, b)) for a in probe for b in probe])
        print(f"mean error on the skyline's probe grid: {error:.3f}")

        fig = plt.figure(figsize=(11, 4))
        surface(fig.add_subplot(1, 2, 1, projection="3d"), target, "target G")
        surface(fig.add_subplot(1, 2, 2, projection="3d"), lambda a, b: smooth.predict([[a, b]])[0],
                "learned by 8 tanh neurons")
        plt.show()
        draw(smooth(points[0]), collapse="neurons")
        """),
        md("""
        Compare the mean errors: eight trained neurons (33 parameters) land in the same range as the
        skylines of 180 and 720 hand-placed neurons. The tower argument shows that a network *can* approximate any
        continuous function; training is how it finds an economical way to do it.
        """),
        *exercise(
            prompt="""
            Place a tower over the square $[1, 2] \\times [0, 1]$: give `answer = (x_min, x_max,
            y_min, y_max)`. The check builds `data.tower_network(x_range, y_range)` from your numbers
            and tests it inside and outside the square.
            """,
            stub="""
            answer = ...  # (x_min, x_max, y_min, y_max)
            """,
            solution="""
            answer = (1.0, 2.0, 0.0, 1.0)
            """,
            wrong="""
            answer = (0.0, 1.0, 1.0, 2.0)
            """,
            check="""
            if answer is ...:
                print("Not answered yet: replace ... with your tuple, then run this cell again.")
            else:
                _net = data.tower_network(x_range=answer[:2], y_range=answer[2:])
                _inside = [(1.5, 0.5), (1.1, 0.1), (1.9, 0.9)]
                _outside = [(0.5, 0.5), (1.5, 1.5), (2.5, 0.5), (1.5, -0.5), (0.0, 0.0)]
                assert all(_net([a, b]).data > 0.9 for a, b in _inside) and all(
                    _net([a, b]).data < 0.1 for a, b in _outside), (
                    f"Not quite: {answer!r}. The first two numbers bound x (from 1 to 2), the last two bound y.")
                print("Correct! The four walls sit at x = 1, x = 2, y = 0 and y = 1.")
            """,
        ),
    ]


# =============================================================================================
# 09 · Training on moons
# =============================================================================================


def moons() -> list[nbformat.NotebookNode]:
    return [
        md("""
        # 9 · Training on the moons

        Everything so far, in one classic demo. micrograd ends with this example: two interleaving
        half moons of points, a network with two hidden layers of 16 ReLU neurons, a max-margin
        (hinge) loss with a small L2 penalty, and plain gradient descent with a learning rate that
        shrinks from 1.0 to 0.1 over 100 steps. Each step sees all 100 points, so each step builds,
        and differentiates, a graph of tens of thousands of nodes.
        """),
        code("""
        import matplotlib.pyplot as plt

        from autograd import draw, topological_order
        from nn import MLP, SGD, data, evaluate, hinge_loss, load_model, plots

        X, y = data.make_moons(100, noise=0.1, seed=0)
        fig, ax = plt.subplots(figsize=(4.5, 3.5))
        for label, marker in ((0, "o"), (1, "s")):
            chosen = [x for x, t in zip(X, y) if t == label]
            ax.scatter([p[0] for p in chosen], [p[1] for p in chosen], marker=marker, s=18, label=f"class {label}")
        ax.legend(); ax.set_aspect("equal")
        plt.show()
        """),
        md("""
        ## The model and its graph

        `MLP(2, [16, 16, 1])`: 2 inputs, two hidden layers of 16 ReLU neurons, one linear output
        whose sign is the predicted class. The graph of a single prediction already has hundreds of
        nodes; drawn with every neuron folded into one box, it stays readable. Each box lists how
        many inputs, parameters and operations it hides.
        """),
        code("""
        model = MLP(2, [16, 16, 1], seed=0)
        one = model(X[0])
        one.backward()
        print(f"{len(model.parameters())} parameters; one prediction is a graph of {len(topological_order(one))} nodes")
        draw(one, collapse="neurons")
        """),
        md("""
        Folding whole layers instead gives the bird's-eye view:
        """),
        code("""
        draw(one, collapse="layers")
        """),
        md("""
        ## Training

        The **hinge loss** wants each point's score $s$ on the right side of 0 with a margin:
        $\\max(0, 1 - y s)$ with labels $y = \\pm 1$ (the class 0 counts as $-1$). Points already
        classified with a margin cost nothing and send no gradient; only the doubtful ones push on
        the weights. `fit` runs the loop of notebook 6 with one batch of all 100 points; the learning
        rate is a function of the step number $k$, as in micrograd.
        """),
        code("""
        optimizer = SGD(model.parameters(), lr=lambda k: 1.0 - 0.9 * k / 100)
        history = model.fit(X, y, loss=hinge_loss, optimizer=optimizer, epochs=100, l2=1e-4, verbose=False)
        for step in (0, 9, 19, 49, 99):
            print(f"step {step + 1:3}: loss {history.loss[step]:.4f}, accuracy {history.accuracy[step]:.0%}")

        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.plot(history.loss, label="loss")
        ax.plot(history.accuracy, label="accuracy")
        ax.set_xlabel("step"); ax.legend(); ax.grid(alpha=0.3)
        plt.show()
        """),
        md("""
        ## The decision boundary

        Colour the plane by the sign of the network's score and the boundary it learned appears: a
        curve threading between the moons, made of straight pieces, one bend for each ReLU that
        switches on or off along the way.
        """),
        code("""
        fig, ax = plt.subplots(figsize=(5, 4.4))
        plots.decision_boundary(model.predict, X, y, ax=ax, resolution=50, title="moons: decision boundary")
        plt.show()
        loss, accuracy = evaluate(model, X, y, hinge_loss)
        print(f"final loss {loss:.4f}, training accuracy {accuracy:.0%}")
        """),
        md("""
        ## How big is one step?

        One training step builds the graph of the loss over all 100 points: every prediction, every
        margin, the mean and the penalty. Then backward walks it once, node by node, as in
        notebook 1.
        """),
        code("""
        step_loss = hinge_loss(model.forward_batch(X), y)
        order = topological_order(step_loss)
        print(f"one full-batch step: {len(order):,} nodes, {sum(len(node.inputs) for node in order):,} edges")
        """),
        md("""
        ## Saving and loading

        A trained model is just its architecture and its 337 numbers. `save` writes them as JSON,
        exactly (every float reads back to the same bits), and `load_model` rebuilds it:
        """),
        code("""
        model.save("moons.json")
        again = load_model("moons.json")
        print("same predictions after loading:", again.predict(X) == model.predict(X))
        """),
        *exercise(
            prompt="""
            Count the parameters of `MLP(2, [16, 16, 1])` by hand: each neuron has one weight per
            input plus a bias. Put the total in `answer`.
            """,
            stub="""
            answer = ...  # the number of parameters
            """,
            solution="""
            answer = 16 * (2 + 1) + 16 * (16 + 1) + 1 * (16 + 1)
            """,
            wrong="""
            answer = 2 * 16 + 16 * 16 + 16 * 1
            """,
            check="""
            _count = len(MLP(2, [16, 16, 1]).parameters())
            if answer is ...:
                print("Not answered yet: replace ... with your number, then run this cell again.")
            else:
                assert answer == _count, (
                    f"Not quite: {answer!r}. Did you count the biases? Layer by layer: neurons x (inputs + 1).")
                print(f"Correct! 48 + 272 + 17 = {_count}.")
            """,
        ),
    ]


NOTEBOOKS = {
    "01_neuron": neuron,
    "02_activations": activations,
    "03_layers": layers,
    "04_losses": losses,
    "05_icecream": icecream,
    "06_gradient_descent_sgd_minibatch": descent_variants,
    "07_overfitting_regularisation": overfitting,
    "08_universal_approximation": universal,
    "09_moons": moons,
}


def build_all() -> dict[Path, str]:
    texts = {}
    for stem, make in NOTEBOOKS.items():
        nb = notebook(stem, make())
        nbformat.validate(nb)
        texts[HERE / f"{stem}.ipynb"] = nbformat.writes(nb) + "\n"
    return texts


def main(argv: list[str]) -> int:
    texts = build_all()
    if "--check" in argv:
        stale = [path.name for path, text in texts.items()
                 if not path.exists() or path.read_text(encoding="utf-8") != text]
        if stale:
            print("out of date (run python notebooks/_build.py): " + ", ".join(stale))
            return 1
        return 0
    for path, text in texts.items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
