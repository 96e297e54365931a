# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lesson 1 — Derivatives, the chain rule, and an autograd in 50 lines
#
# **Goal:** understand what `loss.backward()` computes, by building a scalar reverse-mode autograd from scratch.
# You will see the chain rule turn into a walk over a graph, draw that graph, and train a tiny model with it.
#
# *Time: about 10 s in full, 3 s in smoke mode, on a 2-core CPU (measured here, machine under load).
# No GPU needed.*

# %%
import math
import random

import matplotlib.pyplot as plt

import minigen

from lessons_support import check_exercise, smoke

# %% [markdown]
# ## 1. The derivative
#
# The derivative of $f$ at $x$ is the slope of the tangent:
# $$f'(x) = \lim_{h \to 0} \frac{f(x+h) - f(x)}{h}.$$
# It says how much the output moves per unit of input: $f(x + h) \approx f(x) + f'(x)\,h$.
# For $f(x) = x^3 - 2x$ we know $f'(x) = 3x^2 - 2$; a small $h$ gives nearly the same number.


# %%
def f(x):
    return x**3 - 2 * x


x0 = 1.5
for h in [1e-1, 1e-3, 1e-6]:
    print(f"h={h:g}: (f(x+h) - f(x)) / h = {(f(x0 + h) - f(x0)) / h:.6f}")
print(f"exact f'(x) = 3x^2 - 2 = {3 * x0**2 - 2:.6f}")

# %% [markdown]
# ## 2. The chain rule
#
# Real models are compositions. If $y = g(u)$ and $u = h(x)$, then
# $$\frac{dy}{dx} = \frac{dy}{du}\,\frac{du}{dx}.$$
# With several paths from $x$ to $L$ (a variable used twice), the contributions **add**:
# $$\frac{\partial L}{\partial x} = \sum_{\text{children } u \text{ of } x}
# \frac{\partial L}{\partial u}\,\frac{\partial u}{\partial x}.$$
#
# *Reverse mode* evaluates this from the output backwards: start with $\partial L/\partial L = 1$, and visit every
# node after all the nodes that use it (reverse topological order), passing $\frac{\partial L}{\partial u}$ times the
# *local* derivative $\frac{\partial u}{\partial x}$ to each input. One backward pass gives the gradient with respect to
# **every** input, at about the cost of one forward pass: that is why deep learning uses it.
#
# | node $u$ | local derivatives |
# |---|---|
# | $a + b$ | $\partial u/\partial a = 1$, $\partial u/\partial b = 1$ |
# | $a \cdot b$ | $\partial u/\partial a = b$, $\partial u/\partial b = a$ |
# | $a^n$ | $n a^{n-1}$ |
# | $\tanh a$ | $1 - \tanh^2 a$ |
# | $e^a$ | $e^a$ |
#
# ## 3. A scalar autograd
#
# `Value` holds a number, its gradient, the inputs that produced it and a `_backward` closure that applies the
# chain rule for that one node. `backward()` orders the graph with an **iterative** depth-first search (no recursion
# limit for deep graphs) and runs the closures in reverse. Gradients are **accumulated** with `+=`, which is what
# makes a variable used twice correct.


# %%
class Value:
    """A scalar that remembers how it was computed, for reverse-mode differentiation."""

    def __init__(self, data, inputs=(), op=""):
        self.data, self.grad = float(data), 0.0
        self.inputs, self.op = inputs, op
        self._backward = lambda: None  # pushes self.grad to the inputs' grads

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():  # d(a+b)/da = 1, d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():  # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, n):  # n is a plain number
        out = Value(self.data**n, (self,), f"**{n}")

        def _backward():  # d(a^n)/da = n a^(n-1)
            self.grad += n * self.data ** (n - 1) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():  # d tanh(a)/da = 1 - tanh(a)^2: uses the output, not the input
            self.grad += (1 - t * t) * out.grad

        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():  # d e^a/da = e^a
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    # Everything else is built from the operations above.
    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __truediv__(self, other):
        return self * other**-1

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return -self + other

    def __rtruediv__(self, other):
        return Value(other) * self**-1

    def topological_order(self):
        """Every node leading to self, inputs before the nodes that use them (iterative DFS)."""
        order, visited, stack = [], set(), [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in visited:
                visited.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.inputs if id(parent) not in visited)
        return order

    def backward(self):
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0  # dL/dL
        for node in reversed(order):
            node._backward()

    def __repr__(self):
        return f"Value(data={self.data:.4f}, grad={self.grad:.4f})"


# %% [markdown]
# A single neuron, $L = \tanh(w_1 x_1 + w_2 x_2 + b)$, differentiated in one call:

# %%
x1, x2, w1, w2, b = Value(2.0), Value(-1.0), Value(0.5), Value(0.25), Value(-0.2)
L = (w1 * x1 + w2 * x2 + b).tanh()
L.backward()
print("L =", L)
print("dL/dw1 =", w1.grad, " expected (1 - tanh^2) * x1 =", (1 - L.data**2) * x1.data)

# %% [markdown]
# The classic bug this design avoids: a node reused twice. With $b = a + a$ and $c = b \cdot b$ we have
# $c = 4a^2$ and $dc/da = 8a$. Accumulating with `+=` (and processing `b` only once, after *both* uses) gets it right.

# %%
a = Value(3.0)
bb = a + a
c = bb * bb
c.backward()
print("dc/da =", a.grad, " expected 8a =", 8 * a.data)

# %% [markdown]
# ## 4. Drawing the computational graph
#
# Each node is placed in a column by its depth (the longest path from a leaf), so arrows always go left to right,
# from inputs to outputs. The labels show the value (`d`) and the gradient (`g`) after `backward()`.


# %%
def draw_graph(root, names=None, ax=None):
    """Draw the graph that produced ``root`` with matplotlib: data and grad in every node."""
    names = names or {}
    order = root.topological_order()
    depth = {}
    for node in order:  # inputs come first, so their depth is known
        depth[id(node)] = 1 + max((depth[id(p)] for p in node.inputs), default=-1)
    columns = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    position = {}
    for col, nodes in columns.items():
        for row, node in enumerate(nodes):
            position[id(node)] = (col * 2.2, -(row - (len(nodes) - 1) / 2) * 1.3)
    if ax is None:
        _, ax = plt.subplots(figsize=(2.2 * len(columns) + 1, 1.3 * max(map(len, columns.values())) + 1))
    for node in order:
        x, y = position[id(node)]
        for parent in node.inputs:
            px, py = position[id(parent)]
            ax.annotate("", xy=(x - 0.75, y), xytext=(px + 0.75, py), arrowprops={"arrowstyle": "->", "color": "gray"})
        label = names.get(id(node), node.op or "input")
        ax.text(
            x,
            y,
            f"{label}\nd={node.data:.3g}\ng={node.grad:.3g}",
            ha="center",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "lightyellow" if node.inputs else "lightblue"},
        )
    xs, ys = zip(*position.values())
    ax.set_xlim(min(xs) - 1, max(xs) + 1)
    ax.set_ylim(min(ys) - 1, max(ys) + 1)
    ax.axis("off")
    return ax


draw_graph(L, names={id(x1): "x1", id(x2): "x2", id(w1): "w1", id(w2): "w2", id(b): "b"})
plt.title("L = tanh(w1*x1 + w2*x2 + b): leaves in blue")
plt.show()

# %% [markdown]
# ## 5. Check against finite differences and against minigen
#
# A derivative we can compute two ways is a derivative we can test. Lesson 3 makes this rigorous; here the central
# difference $\frac{L(w+h) - L(w-h)}{2h}$ suffices.


# %%
def neuron(w1_, w2_, b_):
    return math.tanh(w1_ * 2.0 + w2_ * -1.0 + b_)


h = 1e-6
numeric = [
    (neuron(0.5 + h, 0.25, -0.2) - neuron(0.5 - h, 0.25, -0.2)) / (2 * h),
    (neuron(0.5, 0.25 + h, -0.2) - neuron(0.5, 0.25 - h, -0.2)) / (2 * h),
    (neuron(0.5, 0.25, -0.2 + h) - neuron(0.5, 0.25, -0.2 - h)) / (2 * h),
]
ours = [w1.grad, w2.grad, b.grad]
print("ours   :", ours)
print("numeric:", numeric)

# minigen does the same thing on arrays: tensors record Functions, backward() walks them in reverse.
mw1, mw2, mb = (minigen.tensor(v, requires_grad=True, dtype="float64") for v in (0.5, 0.25, -0.2))
(mw1 * 2.0 + mw2 * -1.0 + mb).tanh().backward()
print("minigen:", [mw1.grad.item(), mw2.grad.item(), mb.grad.item()])

# %% [markdown]
# In minigen the same structure lives in `minigen/tensor.py`: `Tensor` is our `Value` (holding an array), each
# operation is a `Function` subclass in `minigen/ops/` whose `backward` is our `_backward`, and `Tensor.backward`
# is the same reverse walk over `topological_order()` (in `minigen/tensor.py`).
#
# ## 6. Training with gradients
#
# Gradient descent moves every parameter a little against its gradient, $w \leftarrow w - \eta\,\partial L/\partial w$.
# We fit a 2-4-1 tanh network to a small XOR-like set of points with the mean squared error
# $L = \frac{1}{N}\sum_i (\hat y_i - y_i)^2$.

# %%
random.seed(0)
points = [
    ((x, y), 1.0 if x * y > 0 else -1.0)
    for x, y in [(random.uniform(-1, 1), random.uniform(-1, 1)) for _ in range(smoke(40, 16))]
]
hidden = [[Value(random.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]  # 2 weights + a bias each
out_w = [Value(random.uniform(-1, 1)) for _ in range(5)]
params = [p for unit in hidden for p in unit] + out_w


def predict(x, y):
    hs = [(u[0] * x + u[1] * y + u[2]).tanh() for u in hidden]
    return (sum(w * hh for w, hh in zip(out_w, hs)) + out_w[4]).tanh()


losses = []
for _ in range(smoke(300, 120)):
    loss = sum((predict(x, y) - t) ** 2 for (x, y), t in points) / len(points)
    loss.backward()
    for p in params:
        p.data -= 0.2 * p.grad
    losses.append(loss.data)
print(f"loss: {losses[0]:.3f} -> {losses[-1]:.3f}")
accuracy = sum((predict(x, y).data > 0) == (t > 0) for (x, y), t in points) / len(points)
print(f"training accuracy: {accuracy:.0%}")
plt.plot(losses)
plt.xlabel("step")
plt.ylabel("MSE")
plt.title("A 2-4-1 network trained with our 50-line autograd")
plt.show()

# %% [markdown]
# ## Self-check
# This cell asserts what the lesson claims; if it fails, something above is wrong.

# %%
assert all(abs(o - n) < 1e-7 for o, n in zip(ours, numeric)), "backward disagrees with finite differences"
assert abs(w1.grad - mw1.grad.item()) < 1e-12, "our Value and minigen disagree"
assert a.grad == 8 * a.data, "a node used twice must accumulate its gradient"
assert losses[-1] < 0.5 * losses[0], f"training did not halve the loss: {losses[0]:.3f} -> {losses[-1]:.3f}"
print("Lesson 1 self-check passed.")

# %% [markdown]
# ## Exercises
#
# Each exercise is a function to fill in (replace `raise NotImplementedError`), followed by a cell that checks it.
# An exercise you have not done yet just prints a reminder.
#
# **Exercise 1 — the chain rule by hand.** Return the derivative of $f(x) = e^{\sin(x^2)}$, derived with the
# chain rule (use `math`). The check compares it with a central difference at several points.


# %%
def derivative_by_hand(x):
    raise NotImplementedError


def check_derivative_by_hand(fn):
    for x in [-1.3, 0.2, 0.9, 2.0]:
        numeric = (math.exp(math.sin((x + 1e-6) ** 2)) - math.exp(math.sin((x - 1e-6) ** 2))) / 2e-6
        assert abs(fn(x) - numeric) < 1e-5 * max(1, abs(numeric)), f"at x={x}: got {fn(x)}, expected {numeric}"


check_exercise(check_derivative_by_hand, derivative_by_hand)

# %% [markdown]
# **Exercise 2 — composing operations.** Write the sigmoid $\sigma(v) = 1/(1 + e^{-v})$ of a `Value` using only the
# operations `Value` already has. The check verifies the value and that backward gives $\sigma(1-\sigma)$.


# %%
def sigmoid_value(v):
    raise NotImplementedError


def check_sigmoid_value(fn):
    for x in [-3.0, 0.0, 1.7]:
        v = Value(x)
        s = fn(v)
        s.backward()
        expected = 1 / (1 + math.exp(-x))
        assert abs(s.data - expected) < 1e-12, f"sigmoid({x}) = {s.data}, expected {expected}"
        assert abs(v.grad - expected * (1 - expected)) < 1e-12, f"gradient at {x} is {v.grad}"


check_exercise(check_sigmoid_value, sigmoid_value)

# %% [markdown]
# **Exercise 3 — a new node.** Add $\sin$ as a *node* with its own local derivative: build the output with
# `type(v)(math.sin(v.data), (v,), "sin")` and give it a `_backward` closure, as `tanh` does.
# The check differentiates $x \sin x$ (where $x$ is used twice).


# %%
def sin_value(v):
    raise NotImplementedError


def check_sin_value(fn):
    for x in [-2.0, 0.3, 1.0]:
        v = Value(x)
        y = v * fn(v)
        y.backward()
        assert y.inputs[1].op == "sin", "sin must be a single node with op 'sin'"
        expected = math.sin(x) + x * math.cos(x)
        assert abs(v.grad - expected) < 1e-12, f"d(x sin x)/dx at {x}: got {v.grad}, expected {expected}"


check_exercise(check_sin_value, sin_value)
