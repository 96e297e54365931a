"""Reference solutions for lesson 19's exercises (the tests run the lesson's checks against them)."""

import numpy as np

import minigen


def my_one_hot(labels, classes):
    return (np.asarray(labels)[..., None] == np.arange(classes)).astype(np.int64)


def projection_score(features, head_weight, head_bias, embedding, labels):
    return features @ head_weight.T + head_bias + np.sum(features * embedding.T[labels], axis=1, keepdims=True)


def restyle(model, image, label, new_labels):
    device = model.parameter_device_dtype()[0]
    with minigen.no_grad():
        mu, _ = model.encode(minigen.tensor(image, device=device), minigen.tensor([label], device=device))
        codes = minigen.tensor(np.repeat(mu.numpy(), len(new_labels), axis=0), device=device)
        return model.decode(codes, minigen.tensor(new_labels, device=device)).numpy()
