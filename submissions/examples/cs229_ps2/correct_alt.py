"""Another correct submission for cs229_ps2, written differently from the reference (full marks).

It uses loops where the reference vectorises, a naive sigmoid, broadcasting for the kernels, the
dual form of ridge, proximal gradient descent (FISTA) for the Laplace prior, per-example
accumulation for the network and the compact batch-norm formula, so the tests' tolerances are
exercised by a second valid route.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=float)))


def logistic_gradient(theta, X, y, reg=0.0):
    X = np.asarray(X, dtype=float)
    residual = sigmoid(X @ theta) - np.asarray(y, dtype=float)
    return -(X.T @ -residual) / len(X) + reg * np.asarray(theta, dtype=float)


def logistic_regression(X, y, *, lr=1.0, reg=0.0, max_iter=10_000, tol=1e-6):
    theta = np.zeros(np.shape(X)[1])
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        step = lr * logistic_gradient(theta, X, y, reg)
        theta = theta - step
        if np.sqrt(np.sum(step**2)) < tol:
            return {"theta": theta, "converged": True, "iterations": iterations}
    return {"theta": theta, "converged": False, "iterations": iterations}


def tokenize(message):
    return [word.lower() for word in message.split()]


def build_vocab(messages, min_messages=5):
    seen = Counter()
    for message in messages:
        seen.update(set(tokenize(message)))
    return sorted(word for word in seen if seen[word] >= min_messages)


def count_matrix(messages, vocab):
    counts = np.zeros((len(messages), len(vocab)), dtype=int)
    for i, message in enumerate(messages):
        c = Counter(tokenize(message))
        for j, word in enumerate(vocab):
            counts[i, j] = c[word]
    return counts


def nb_fit(counts, labels, alpha=1.0):
    counts = np.asarray(counts, dtype=float)
    labels = np.asarray(labels)
    V = counts.shape[1]
    model = {}
    for name, value in (("spam", 1), ("ham", 0)):
        rows = counts[labels == value]
        phi = (rows.sum(axis=0) + alpha) / (rows.sum() + alpha * V)
        model["log_phi_" + name] = np.log(phi)
        model["log_prior_" + name] = float(np.log(len(rows) / len(labels)))
    return model


def nb_predict(model, counts):
    counts = np.asarray(counts, dtype=float)
    out = []
    for row in counts:
        spam = model["log_prior_spam"] + float(np.dot(row, model["log_phi_spam"]))
        ham = model["log_prior_ham"] + float(np.dot(row, model["log_phi_ham"]))
        out.append(1 if spam > ham else 0)
    return np.array(out)


def top_tokens(model, vocab, k=5):
    ratio = np.exp(np.asarray(model["log_phi_spam"]) - np.asarray(model["log_phi_ham"]))
    ranked = sorted(range(len(vocab)), key=lambda j: -np.log(ratio[j]))
    return [vocab[j] for j in ranked[:k]]


def kernel_matrix(A, B, kernel, *, sigma=1.0):
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    diff = A[:, None, :] - B[None, :, :]
    if kernel == "dot":
        return np.einsum("ik,jk->ij", A, B)
    if kernel == "rbf":
        return np.exp(-np.sum(diff**2, axis=2) / (2 * sigma**2))
    if kernel == "non_psd":
        return np.where(np.all(diff == 0, axis=2), -1.0, 0.0)
    raise ValueError(kernel)


def perceptron_train(X, y, kernel, *, lr=0.5, sigma=1.0):
    X = np.asarray(X, dtype=float)
    beta = []
    for i in range(len(X)):
        if i == 0:
            s = 0.0
        else:
            s = float(np.dot(beta, kernel_matrix(X[:i], X[i : i + 1], kernel, sigma=sigma)[:, 0]))
        prediction = 1 if s >= 0 else 0
        beta.append(lr * (float(y[i]) - prediction))
    return np.array(beta)


def perceptron_predict(X_train, beta, X_new, kernel, *, sigma=1.0):
    s = kernel_matrix(X_new, X_train, kernel, sigma=sigma) @ np.asarray(beta, dtype=float)
    return np.where(s >= 0, 1, 0)


def map_gaussian(X, y, sigma, eta):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    lam = (sigma / eta) ** 2
    # Dual form X^T (X X^T + lam I)^-1 y: the same estimate, cheaper when d > n.
    return X.T @ np.linalg.solve(X @ X.T + lam * np.eye(len(X)), y)


def laplace_gamma(sigma, b):
    return 2 * sigma * sigma / b


def map_laplace_objective(theta, X, y, sigma, b):
    r = np.asarray(y) - np.asarray(X) @ np.asarray(theta)
    return float(np.sum(r**2) + laplace_gamma(sigma, b) * np.sum(np.abs(theta)))


def map_laplace(X, y, sigma, b):
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    gamma = laplace_gamma(sigma, b)
    L = 2 * np.linalg.norm(X, 2) ** 2  # Lipschitz constant of the gradient of ||y - X theta||^2
    theta = z = np.zeros(X.shape[1])
    t = 1.0
    for _ in range(200_000):
        g = 2 * X.T @ (X @ z - y)
        u = z - g / L
        new = np.sign(u) * np.maximum(np.abs(u) - gamma / L, 0.0)
        t_new = (1 + np.sqrt(1 + 4 * t * t)) / 2
        z = new + (t - 1) / t_new * (new - theta)
        done = np.max(np.abs(new - theta)) < 1e-13
        theta, t = new, t_new
        if done:
            break
    return theta


def two_layer_forward(X, W1, b1, W2, b2):
    z1 = np.asarray(X) @ W1 + b1
    h = sigmoid(z1)
    z2 = h @ W2 + b2
    return {"z1": z1, "h": h, "z2": z2, "o": sigmoid(z2)}


def two_layer_gradients(X, y, W1, b1, W2, b2):  # noqa: PLR0917 (the API's signature)
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    n = len(X)
    dW1, db1 = np.zeros_like(W1, dtype=float), np.zeros(len(b1))
    dW2, db2, loss = np.zeros(len(W2)), 0.0, 0.0
    for i in range(n):
        f = two_layer_forward(X[i : i + 1], W1, b1, W2, b2)
        h, o = f["h"][0], float(f["o"][0])
        loss += (o - y[i]) ** 2 / n
        d2 = 2 * (o - y[i]) * o * (1 - o) / n
        d1 = d2 * np.asarray(W2) * h * (1 - h)
        dW2 += d2 * h
        db2 += d2
        dW1 += np.outer(X[i], d1)
        db1 += d1
    return {"loss": loss, "dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}


def batchnorm_forward(x, gamma, beta, *, eps=1e-5):
    x = np.asarray(x, dtype=float)
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return {"y": gamma * x_hat + beta, "x_hat": x_hat, "mu": mu, "var": var}


def batchnorm_backward(dy, x, gamma, *, eps=1e-5):
    dy, x = np.asarray(dy, dtype=float), np.asarray(x, dtype=float)
    m = len(x)
    mu, var = x.mean(axis=0), x.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mu) * inv
    dx_hat = dy * gamma
    dvar = np.sum(dx_hat * (x - mu), axis=0) * -0.5 * inv**3
    dmu = -np.sum(dx_hat, axis=0) * inv
    dx = inv / m * (m * dx_hat - dx_hat.sum(axis=0) - x_hat * np.sum(dx_hat * x_hat, axis=0))
    return {"dbeta": dy.sum(axis=0), "dgamma": np.sum(dy * x_hat, axis=0), "dx_hat": dx_hat,
            "dvar": dvar, "dmu": dmu, "dx": dx}
